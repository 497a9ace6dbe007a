//! Progress on the terminal: counted bars on stderr when it is a terminal
//! and the output is not JSON, nothing otherwise. The one place the CLI
//! makes its bars.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;

/// Whether bars are drawn: stderr is a terminal and stdout is not JSON.
fn shown(json: bool) -> bool {
    !json && std::io::stderr().is_terminal()
}

fn style() -> ProgressStyle {
    ProgressStyle::with_template("{msg} {wide_bar} {pos}/{len} ({elapsed}, eta {eta})")
        .unwrap_or_else(|_| ProgressStyle::default_bar())
}

/// A bar counting `len` units of `what`, drawn only when shown and when
/// there is something to count (it counts either way).
pub fn bar(len: usize, what: &str, json: bool) -> ProgressBar {
    let target = if len > 0 && shown(json) {
        ProgressDrawTarget::stderr()
    } else {
        ProgressDrawTarget::hidden()
    };
    let bar = ProgressBar::with_draw_target(Some(len as u64), target);
    bar.set_style(style());
    bar.set_message(what.to_string());
    bar
}

/// The library's [`slaw::progress::Progress`] as bars: a new one for every
/// step of a benchmark ("NAME: STEP"), the last cleared when dropped.
pub struct Steps {
    name: String,
    json: bool,
    bar: std::sync::Mutex<ProgressBar>,
}

impl Steps {
    /// The bars of `slaw bench NAME`.
    pub fn new(name: &str, json: bool) -> Steps {
        Steps {
            name: name.to_string(),
            json,
            bar: std::sync::Mutex::new(ProgressBar::hidden()),
        }
    }

    fn with_bar<T>(&self, f: impl FnOnce(&mut ProgressBar) -> T) -> Option<T> {
        self.bar.lock().ok().map(|mut b| f(&mut b))
    }
}

impl slaw::progress::Progress for Steps {
    fn start(&self, what: &str, total: usize) {
        let next = bar(total, &format!("{}: {what}", self.name), self.json);
        self.with_bar(|b| std::mem::replace(b, next).finish_and_clear());
    }

    fn tick(&self) {
        self.with_bar(|b| b.inc(1));
    }
}

impl Drop for Steps {
    fn drop(&mut self) {
        self.with_bar(|b| b.finish_and_clear());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use slaw::progress::Progress;

    #[test]
    fn steps_make_a_counted_bar_per_step() {
        let steps = Steps::new("engine", false);
        let state = || {
            steps
                .with_bar(|b| (b.position(), b.length(), b.message()))
                .unwrap()
        };
        steps.start("repeats", 3);
        (0..2).for_each(|_| steps.tick());
        assert_eq!(state(), (2, Some(3), "engine: repeats".to_string()));
        steps.start("repeats x curves", 120);
        assert_eq!(
            state(),
            (0, Some(120), "engine: repeats x curves".to_string())
        );
        // Drawn only on a terminal.
        let shown = std::io::stderr().is_terminal();
        assert_eq!(steps.with_bar(|b| b.is_hidden()), Some(!shown));
    }

    #[test]
    fn nothing_is_drawn_under_json_or_without_a_count() {
        assert!(bar(10, "bootstrap", true).is_hidden());
        assert!(bar(0, "bootstrap", false).is_hidden());
        let steps = Steps::new("selection", true);
        steps.start("datasets", 4);
        assert!(steps.with_bar(|b| b.is_hidden()).unwrap());
    }
}
