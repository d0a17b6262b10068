//! SIGTERM and SIGINT while delivering: CI systems send them when a job is cancelled
//! or times out. The request in flight is abandoned (its outcome is unknown, and a
//! resend is harmless), and everything undelivered goes to the outbox before the
//! report is printed, so a cancelled step loses nothing.

use std::sync::OnceLock;

use serde::Serialize;
use tokio::sync::watch;

use crate::error::Exit;

/// A signal that ends the run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Signal {
    /// SIGINT, Ctrl-C.
    Interrupt,
    /// SIGTERM.
    Terminate,
}

impl Signal {
    pub fn name(self) -> &'static str {
        match self {
            Self::Interrupt => "SIGINT",
            Self::Terminate => "SIGTERM",
        }
    }

    /// 128 + the signal's number: what a shell reports for a process it ended.
    pub fn exit(self) -> Exit {
        match self {
            Self::Interrupt => Exit::Interrupted,
            Self::Terminate => Exit::Terminated,
        }
    }
}

impl Serialize for Signal {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

/// The first signal any listener caught in this process. Once a listener is
/// registered, a signal no longer ends the process, so one caught before delivery
/// (during the deployment lookup) must still stop the delivery that follows: every
/// later listener starts from it.
static RECEIVED: OnceLock<Signal> = OnceLock::new();

/// The signal caught so far in this process, if any.
pub fn received() -> Option<Signal> {
    RECEIVED.get().copied()
}

/// Whether a signal arrived; cloned into everything that must stop for one.
#[derive(Clone, Debug)]
pub struct Interrupt {
    received: watch::Receiver<Option<Signal>>,
}

impl Interrupt {
    /// Starts listening for SIGTERM and SIGINT. Must run inside the runtime; from
    /// here on the signals no longer end the process by themselves. A signal an
    /// earlier listener caught counts as received at once.
    pub fn listen() -> Self {
        let (tx, received) = watch::channel(self::received());
        let tx = move |signal: Signal| {
            let _ = RECEIVED.set(signal);
            let _ = tx.send(Some(signal));
        };
        // Registered now, not when the task first runs: a signal that arrives before
        // the first request is caught too.
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            match (signal(SignalKind::terminate()), signal(SignalKind::interrupt())) {
                (Ok(mut term), Ok(mut int)) => {
                    tokio::spawn(async move {
                        let signal = tokio::select! {
                            _ = term.recv() => Signal::Terminate,
                            _ = int.recv() => Signal::Interrupt,
                        };
                        tx(signal);
                    });
                }
                (Err(e), _) | (_, Err(e)) => tracing::warn!("cannot listen for SIGTERM and SIGINT: {e}"),
            }
        }
        #[cfg(not(unix))]
        tokio::spawn(async move {
            if tokio::signal::ctrl_c().await.is_ok() {
                tx(Signal::Interrupt);
            }
        });
        Self { received }
    }

    /// Never fires: for work that is not delivery.
    pub fn never() -> Self {
        let (_, received) = watch::channel(None);
        Self { received }
    }

    /// The signal received so far, if any.
    pub fn received(&self) -> Option<Signal> {
        *self.received.borrow()
    }

    /// The signal's name once one arrived, asked from any thread: what blocking work
    /// (the outbox's wait for its lock) checks to stop.
    pub fn as_stop(&self) -> impl Fn() -> Option<&'static str> + Send + Sync + 'static {
        let interrupt = self.clone();
        move || interrupt.received().map(Signal::name)
    }

    /// `work`'s result, or the signal that arrived first (`work` is then dropped,
    /// abandoning whatever it waited for).
    pub async fn unless<T>(&self, work: impl Future<Output = T>) -> Result<T, Signal> {
        tokio::select! {
            done = work => Ok(done),
            signal = self.wait() => Err(signal),
        }
    }

    /// Waits for a signal; forever if none comes.
    pub async fn wait(&self) -> Signal {
        let mut received = self.received.clone();
        match received.wait_for(Option::is_some).await {
            Ok(signal) => signal.unwrap_or(Signal::Terminate),
            Err(_) => std::future::pending().await,
        }
    }
}
