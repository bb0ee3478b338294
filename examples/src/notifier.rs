//! The demo's reset notifier (`AUTH_NOTIFY=log`), standing in for a
//! development mail catcher: each reset becomes one line
//! `password-reset <actor_type> <identifier> <token>` on standard output.
//!
//! Both things it keeps are bounded, and neither waits on anything:
//!
//! - the lines are printed by a dedicated thread, fed through a bounded queue
//!   ([`LinePrinter`]); a request's task only tries to enqueue, so a slow or
//!   blocked standard output never holds up a runtime worker. A line that
//!   finds the queue full is not printed, and a warning says so;
//! - the newest [`SENT_RESETS_KEPT`] lines are kept for [`sent_resets`] (what
//!   the conformance suite reads, as a user reads mail); older ones are dropped.
//!
//! ```
//! # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
//! use auth_core::reset::{PasswordReset, ResetNotifier};
//! use examples::notifier::{LogNotifier, sent_resets};
//!
//! let reset = PasswordReset {
//!     actor_type: "customer".into(),
//!     provider: "emailpass".into(),
//!     identifier: "doc@example.com".into(),
//!     token: "rst_doc".into(),
//!     expires_at: 0,
//! };
//! LogNotifier.send(reset).await;
//! assert!(sent_resets().contains(&"password-reset customer doc@example.com rst_doc".to_owned()));
//! # });
//! ```

use std::collections::VecDeque;
use std::io::Write;
use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};
use std::sync::{Mutex, OnceLock};

use auth_core::reset::{PasswordReset, ResetNotifier};

/// How many reset lines [`sent_resets`] keeps: the newest.
pub const SENT_RESETS_KEPT: usize = 1024;

/// How many lines may wait for standard output.
const PRINT_QUEUE: usize = 256;

/// The reset notifier of the demo; see the [module docs](self).
#[derive(Clone, Copy, Debug, Default)]
pub struct LogNotifier;

#[async_trait::async_trait]
impl ResetNotifier for LogNotifier {
    async fn send(&self, reset: PasswordReset) {
        let line = format!(
            "password-reset {} {} {}",
            reset.actor_type, reset.identifier, reset.token
        );
        if !standard_output().print(line.clone()) {
            tracing::warn!("a password-reset line was not printed: standard output is behind");
        }
        sent().keep(line);
    }
}

/// The newest reset lines [`LogNotifier`] sent in this process, oldest first;
/// at most [`SENT_RESETS_KEPT`].
pub fn sent_resets() -> Vec<String> {
    sent().lines()
}

fn sent() -> &'static Outbox {
    static SENT: Outbox = Outbox::new(SENT_RESETS_KEPT);
    &SENT
}

fn standard_output() -> &'static LinePrinter {
    static STDOUT: OnceLock<LinePrinter> = OnceLock::new();
    STDOUT.get_or_init(|| LinePrinter::spawn(PRINT_QUEUE, std::io::stdout))
}

/// The newest `capacity` lines, oldest first.
struct Outbox {
    lines: Mutex<VecDeque<String>>,
    capacity: usize,
}

impl Outbox {
    const fn new(capacity: usize) -> Self {
        Self {
            lines: Mutex::new(VecDeque::new()),
            capacity,
        }
    }

    /// Keeps `line`, dropping the oldest when full.
    fn keep(&self, line: String) {
        let mut lines = self.lines.lock().unwrap_or_else(|e| e.into_inner());
        while lines.len() >= self.capacity {
            lines.pop_front();
        }
        lines.push_back(line);
    }

    fn lines(&self) -> Vec<String> {
        let lines = self.lines.lock().unwrap_or_else(|e| e.into_inner());
        lines.iter().cloned().collect()
    }
}

/// Writes lines on a thread of its own, fed by a bounded queue.
pub struct LinePrinter {
    queue: Option<SyncSender<String>>,
}

impl LinePrinter {
    /// A printer thread writing to the writer `open` gives it (opened on that
    /// thread), with room for `capacity` waiting lines. Without a thread
    /// (the system refused one) every line is refused.
    pub fn spawn<W: Write>(capacity: usize, open: impl FnOnce() -> W + Send + 'static) -> Self {
        let (queue, lines) = sync_channel(capacity);
        let spawned = std::thread::Builder::new()
            .name("reset-printer".into())
            .spawn(move || write_lines(lines, open()));
        Self {
            queue: spawned.ok().map(|_| queue),
        }
    }

    /// Hands `line` to the printer thread without waiting: `false` when the
    /// queue is full (or the thread is gone) and the line will not be printed.
    pub fn print(&self, line: String) -> bool {
        match self.queue.as_ref().map(|queue| queue.try_send(line)) {
            Some(Ok(())) => true,
            Some(Err(TrySendError::Full(_) | TrySendError::Disconnected(_))) | None => false,
        }
    }
}

fn write_lines(lines: Receiver<String>, mut out: impl Write) {
    for line in lines {
        if writeln!(out, "{line}").and_then(|()| out.flush()).is_err() {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A writer that waits, as a terminal nobody reads does, until released.
    struct Stalled(std::sync::mpsc::Receiver<()>);

    impl Write for Stalled {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            let _ = self.0.recv();
            Ok(bytes.len())
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn low_demo_notifier_is_bounded() {
        let outbox = Outbox::new(3);
        for n in 0..5 {
            outbox.keep(format!("line {n}"));
        }
        assert_eq!(outbox.lines(), ["line 2", "line 3", "line 4"]);
        // The process-wide outbox the notifier fills has the same bound.
        for n in 0..SENT_RESETS_KEPT + 1 {
            sent().keep(format!("bounded {n}"));
        }
        let kept = sent_resets();
        assert!(kept.len() <= SENT_RESETS_KEPT, "{}", kept.len());
        assert!(!kept.contains(&"bounded 0".to_owned()));
        assert!(kept.contains(&format!("bounded {SENT_RESETS_KEPT}")));
    }

    #[test]
    fn a_stalled_standard_output_never_blocks_the_sender() {
        let (release, stalled) = std::sync::mpsc::channel();
        let printer = LinePrinter::spawn(2, move || Stalled(stalled));
        // One line may be in the writer, two in the queue: the rest are
        // refused at once rather than waited for.
        let accepted = (0..10)
            .filter(|n| printer.print(format!("line {n}")))
            .count();
        assert!(
            accepted <= 3,
            "{accepted} lines accepted by a stalled printer"
        );
        assert!(!printer.print("one more".into()));
        drop(release);
    }
}
