//! Progress bars for long work, drawn on stderr only where a person watches
//! (a terminal, without `--json` or `-q`); elsewhere every call is a no-op.

use super::Printer;

/// A progress bar, or nothing. Clones draw on the same bar.
#[derive(Clone)]
pub struct Progress(Option<indicatif::ProgressBar>);

impl Printer {
    /// A bar of `total` steps labelled `what` ("checking tokens").
    pub fn progress(&self, total: u64, what: &str) -> Progress {
        if !self.show_progress() {
            return Progress(None);
        }
        let bar = indicatif::ProgressBar::new(total);
        bar.set_draw_target(indicatif::ProgressDrawTarget::stderr());
        let template = format!(
            "{{spinner}} {what} {{bar:30}} {{pos}}/{{len}} ({{per_sec}}, {{eta}} left) {{msg}}"
        );
        if let Ok(style) = indicatif::ProgressStyle::with_template(&template) {
            bar.set_style(style);
        }
        Progress(Some(bar))
    }
}

impl Printer {
    /// A counter of `what` whose total is not known beforehand (input that streams).
    pub fn progress_unknown(&self, what: &str) -> Progress {
        if !self.show_progress() {
            return Progress(None);
        }
        let bar = indicatif::ProgressBar::new_spinner();
        bar.set_draw_target(indicatif::ProgressDrawTarget::stderr());
        let template = format!("{{spinner}} {what} {{pos}} ({{per_sec}}) {{msg}}");
        if let Ok(style) = indicatif::ProgressStyle::with_template(&template) {
            bar.set_style(style);
        }
        Progress(Some(bar))
    }
}

impl Printer {
    /// A bar over `total` bytes of input, labelled `what`.
    pub fn progress_bytes(&self, total: u64, what: &str) -> Progress {
        if !self.show_progress() {
            return Progress(None);
        }
        let bar = indicatif::ProgressBar::new(total);
        bar.set_draw_target(indicatif::ProgressDrawTarget::stderr());
        let template = format!(
            "{{spinner}} {what} {{bar:30}} {{bytes}}/{{total_bytes}} ({{binary_bytes_per_sec}}, {{eta}} left) {{msg}}"
        );
        if let Ok(style) = indicatif::ProgressStyle::with_template(&template) {
            bar.set_style(style);
        }
        Progress(Some(bar))
    }
}

impl Progress {
    /// Moves the bar to `position` (bytes of input consumed, say).
    pub fn set_position(&self, position: u64) {
        if let Some(bar) = &self.0 {
            bar.set_position(position);
        }
    }

    /// No bar (output that a bar would garble, such as CSV on stdout).
    pub fn hidden() -> Self {
        Progress(None)
    }

    pub fn inc(&self, steps: u64) {
        if let Some(bar) = &self.0 {
            bar.inc(steps);
        }
    }

    /// A note after the counts (why the run waits), or none.
    pub fn set_message(&self, message: Option<String>) {
        if let Some(bar) = &self.0 {
            bar.set_message(message.unwrap_or_default());
        }
    }

    /// Keeps the note current from `why` (polled a few times a second)
    /// until the returned guard is dropped.
    pub fn follow(&self, why: impl Fn() -> Option<String> + Send + 'static) -> Follow {
        let Some(bar) = self.0.clone() else {
            return Follow(None);
        };
        let progress = Progress(Some(bar));
        Follow(Some(tokio::spawn(async move {
            loop {
                progress.set_message(why());
                tokio::time::sleep(std::time::Duration::from_millis(250)).await;
            }
        })))
    }

    /// Removes the bar.
    pub fn finish(&self) {
        if let Some(bar) = &self.0 {
            bar.finish_and_clear();
        }
    }
}

/// Stops [`Progress::follow`] when dropped.
pub struct Follow(Option<tokio::task::JoinHandle<()>>);

impl Drop for Follow {
    fn drop(&mut self) {
        if let Some(task) = self.0.take() {
            task.abort();
        }
    }
}
