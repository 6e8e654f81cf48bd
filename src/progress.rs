//! Progress of a long CLI run, on stderr: a bar redrawn in place on a terminal, plain lines at
//! each tenth otherwise (logs, CI). Short runs show nothing. A leaf: it imports nothing of the crate.

use std::io::{IsTerminal, Write};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Below this many certificates a run is short: no progress.
pub const MIN_TOTAL: usize = 100;
/// How often the bar is redrawn at most.
const REDRAW: Duration = Duration::from_millis(100);

/// Progress of one run.
#[derive(Debug)]
pub struct Progress {
    total: usize,
    terminal: bool,
    last: Mutex<(Instant, usize)>,
}

impl Progress {
    /// Progress over `total` certificates, drawn as a bar if stderr is a terminal.
    pub fn new(total: usize) -> Self {
        Progress {
            total,
            terminal: std::io::stderr().is_terminal(),
            last: Mutex::new((Instant::now(), 0)),
        }
    }

    /// Shows that `done` of `total` are done.
    pub fn show(&self, done: usize, total: usize) {
        if total < MIN_TOTAL {
            return;
        }
        let mut last = self
            .last
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let text = if self.terminal {
            if last.0.elapsed() < REDRAW && done < total {
                return;
            }
            format!("\r{}", bar(done, total, 30))
        } else {
            match line(last.1, done, total) {
                Some(l) => l + "\n",
                None => return,
            }
        };
        *last = (Instant::now(), done);
        let mut err = std::io::stderr().lock();
        let _ = err.write_all(text.as_bytes());
        let _ = err.flush();
    }

    /// Ends the bar's line (a terminal only).
    pub fn finish(&self) {
        if self.terminal && self.total >= MIN_TOTAL {
            eprintln!();
        }
    }
}

/// `[=========>          ] 120/400 certificates checked`
pub fn bar(done: usize, total: usize, width: usize) -> String {
    let filled = (done * width)
        .checked_div(total)
        .unwrap_or(width)
        .min(width);
    let head = if filled < width { ">" } else { "" };
    let rest = width - filled - head.len();
    format!(
        "[{}{head}{}] {done}/{total} certificates checked",
        "=".repeat(filled),
        " ".repeat(rest)
    )
}

/// The plain line to print when `done` crosses a tenth that `before` had not.
pub fn line(before: usize, done: usize, total: usize) -> Option<String> {
    let tenth = |n: usize| (n * 10).checked_div(total).unwrap_or(10);
    (tenth(done) > tenth(before) || (done == total && before < total)).then(|| {
        format!(
            "progress: {done}/{total} certificates checked ({}%)",
            done * 100 / total.max(1)
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_at_each_tenth_and_at_the_end() {
        let mut lines = Vec::new();
        let mut before = 0;
        for done in 1..=250 {
            if let Some(l) = line(before, done, 250) {
                lines.push(l);
                before = done;
            }
        }
        assert_eq!(lines.len(), 10, "{lines:?}");
        assert_eq!(lines[0], "progress: 25/250 certificates checked (10%)");
        assert_eq!(lines[9], "progress: 250/250 certificates checked (100%)");
    }

    #[test]
    fn the_bar_fills() {
        assert_eq!(bar(0, 4, 4), "[>   ] 0/4 certificates checked");
        assert_eq!(bar(2, 4, 4), "[==> ] 2/4 certificates checked");
        assert_eq!(bar(4, 4, 4), "[====] 4/4 certificates checked");
    }
}
