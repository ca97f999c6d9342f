//! Questions for the person at the terminal: confirmations, pickers and
//! hidden input. Only ever asked where a person can answer; elsewhere the
//! question fails with the flag that would have answered it.

use anyhow::Result;

use super::Printer;
use crate::error::UserError;

impl Printer {
    /// Asks a yes/no question (default no), or requires `flag` where nobody
    /// can answer. `yes` (the `--yes` flag) answers it up front.
    pub fn confirm(&self, question: &str, flag: &str, yes: bool) -> Result<bool> {
        if yes {
            return Ok(true);
        }
        if !self.can_prompt() {
            return Err(UserError(format!(
                "{question} No terminal to ask on: pass {flag} to confirm."
            ))
            .into());
        }
        Ok(dialoguer::Confirm::new()
            .with_prompt(question)
            .default(false)
            .interact()?)
    }

    /// A type-to-filter list; `None` when the person declines (Esc). Callers
    /// check [`Printer::can_prompt`] first.
    pub fn pick(&self, prompt: &str, items: &[String], default: usize) -> Result<Option<usize>> {
        Ok(dialoguer::FuzzySelect::new()
            .with_prompt(prompt)
            .items(items)
            .default(default)
            .interact_opt()?)
    }

    /// Hidden input (a pasted token must not stay on the screen).
    pub fn secret(prompt: &str) -> Result<String> {
        Ok(dialoguer::Password::new().with_prompt(prompt).interact()?)
    }
}
