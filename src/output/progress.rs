//! Progress bars for long work, drawn on stderr only where a person watches
//! (a terminal, without `--json` or `-q`); elsewhere every call is a no-op.

use super::Printer;

/// A progress bar, or nothing.
pub struct Progress(Option<indicatif::ProgressBar>);

impl Printer {
    /// A bar of `total` steps labelled `what` ("checking tokens").
    pub fn progress(&self, total: u64, what: &str) -> Progress {
        if !self.show_progress() {
            return Progress(None);
        }
        let bar = indicatif::ProgressBar::new(total);
        bar.set_draw_target(indicatif::ProgressDrawTarget::stderr());
        let template =
            format!("{{spinner}} {what} {{bar:30}} {{pos}}/{{len}} ({{per_sec}}, {{eta}} left)");
        if let Ok(style) = indicatif::ProgressStyle::with_template(&template) {
            bar.set_style(style);
        }
        Progress(Some(bar))
    }
}

impl Progress {
    /// No bar (output that a bar would garble, such as CSV on stdout).
    pub fn hidden() -> Self {
        Progress(None)
    }

    pub fn inc(&self, steps: u64) {
        if let Some(bar) = &self.0 {
            bar.inc(steps);
        }
    }

    /// Removes the bar.
    pub fn finish(&self) {
        if let Some(bar) = &self.0 {
            bar.finish_and_clear();
        }
    }
}
