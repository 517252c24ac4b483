//! Cooperative cancellation: a call's [`Token`] is made current on the thread that runs it, and
//! kernels call [`checkpoint`] in their outer loops (iterations, bootstrap rounds, shuffles,
//! coalition batches, EM steps). Once the token is cancelled, the next checkpoint returns
//! [`Error::Cancelled`] and the kernel unwinds through its ordinary `?` paths.
//!
//! The token lives in a thread-local, so it does not follow work onto rayon workers by itself:
//! [`crate::par`] installs it in each chunk it maps, and a kernel that maps with rayon directly
//! captures [`current`] before the parallel loop and calls [`Token::check`] inside it.
//! A check is a thread-local read and one relaxed atomic load (about a nanosecond); loops tighter
//! than that poll every [`EVERY`] iterations.

use std::cell::RefCell;
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{sync_channel, RecvTimeoutError};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use crate::{Error, Result};

/// How many iterations a tight inner loop runs between two checks.
pub const EVERY: usize = 1 << 12;

/// How often the owner of a call asks the host whether to stop (see [`set_poll`]).
pub const POLL_EVERY: Duration = Duration::from_millis(20);

/// The host's question "should the running call stop?" (the Python binding: run the signal
/// handlers; true when one raised). Asked only on the thread that owns the call.
static POLL: OnceLock<fn() -> bool> = OnceLock::new();

/// Register the host's poll function (once per process; later calls are ignored).
pub fn set_poll(poll: fn() -> bool) {
    let _ = POLL.set(poll);
}

/// A cancellation flag shared by the caller (which cancels) and the work (which polls). The
/// default token is inert: it is never cancelled and checking it costs nothing.
#[derive(Clone, Debug, Default)]
pub struct Token(Option<Arc<AtomicBool>>);

/// The token current on a thread and, on the thread that owns the call, when it last polled.
struct Local {
    token: Token,
    last_poll: Option<Instant>,
}

thread_local! {
    static CURRENT: RefCell<Local> = const {
        RefCell::new(Local { token: Token(None), last_poll: None })
    };
}

impl Token {
    /// A fresh token that can be cancelled.
    pub fn new() -> Self {
        Token(Some(Arc::new(AtomicBool::new(false))))
    }

    /// Ask the work polling this token to stop. Idempotent; callable from any thread.
    pub fn cancel(&self) {
        if let Some(flag) = &self.0 {
            flag.store(true, Ordering::Relaxed);
        }
    }

    pub fn is_cancelled(&self) -> bool {
        self.0.as_ref().is_some_and(|f| f.load(Ordering::Relaxed))
    }

    /// `Err(Error::Cancelled)` once the token is cancelled.
    #[inline]
    pub fn check(&self) -> Result<()> {
        if self.is_cancelled() {
            Err(Error::Cancelled)
        } else {
            Ok(())
        }
    }

    /// Run `f` with this token current on this thread (restoring the previous one afterwards,
    /// also on unwind), so that [`checkpoint`] inside `f` polls it.
    pub fn scope<R>(&self, f: impl FnOnce() -> R) -> R {
        self.install(None, f)
    }

    /// [`Token::scope`] on the thread that owns the call: checkpoints there also ask the host's
    /// poll function (every [`POLL_EVERY`]) and cancel the token when it says so, and
    /// [`offload`] keeps asking while parallel work runs.
    pub fn own<R>(&self, f: impl FnOnce() -> R) -> R {
        self.install(Some(Instant::now()), f)
    }

    fn install<R>(&self, last_poll: Option<Instant>, f: impl FnOnce() -> R) -> R {
        struct Restore(Option<Local>);
        impl Drop for Restore {
            fn drop(&mut self) {
                if let Some(prev) = self.0.take() {
                    CURRENT.with(|c| *c.borrow_mut() = prev);
                }
            }
        }
        let local = Local {
            token: self.clone(),
            last_poll,
        };
        let _restore = Restore(Some(CURRENT.with(|c| c.replace(local))));
        f()
    }
}

/// The token current on this thread (the inert one outside any [`Token::scope`]).
pub fn current() -> Token {
    CURRENT.with(|c| c.borrow().token.clone())
}

/// Whether the current call should stop: its token is cancelled or, on the owner thread, the
/// host's poll (due every [`POLL_EVERY`]) says so. For loops inside functions that do not return
/// a `Result`: they stop early with whatever they have, and their `Result`-returning caller then
/// calls [`checkpoint`] so that the call still ends in `Error::Cancelled`.
#[inline]
pub fn cancelled() -> bool {
    let (token, due) = CURRENT.with(|c| {
        let mut l = c.borrow_mut();
        if l.token.is_cancelled() {
            return (None, false);
        }
        let due = match l.last_poll {
            Some(t) if t.elapsed() >= POLL_EVERY => {
                l.last_poll = Some(Instant::now());
                true
            }
            _ => false,
        };
        (Some(l.token.clone()), due)
    });
    let Some(token) = token else {
        return true;
    };
    // The poll runs with no borrow held: the host may run code that calls back into the core.
    if due && POLL.get().is_some_and(|poll| poll()) {
        token.cancel();
        return true;
    }
    false
}

/// `Err(Error::Cancelled)` when the current call should stop (see [`cancelled`]); kernels call
/// it in their outer loops and propagate it with `?`.
#[inline]
pub fn checkpoint() -> Result<()> {
    if cancelled() {
        Err(Error::Cancelled)
    } else {
        Ok(())
    }
}

/// Run a parallel section `f`. On the owner thread (outside the rayon pool) it runs on the pool
/// while this thread keeps asking the host's poll function, since a thread blocked in a rayon
/// join runs no checkpoints; anywhere else it simply runs `f`. A panic in `f` is re-raised here.
pub fn offload<R: Send>(f: impl FnOnce() -> R + Send) -> R {
    let owner = CURRENT.with(|c| c.borrow().last_poll.is_some());
    let poll = match POLL.get() {
        Some(&p) if owner && rayon::current_thread_index().is_none() => p,
        _ => return f(),
    };
    let token = current();
    let (tx, rx) = sync_channel(1);
    let done = rayon::in_place_scope(|s| {
        let token = &token;
        s.spawn(move |_| {
            let _ = tx.send(catch_unwind(AssertUnwindSafe(|| token.scope(f))));
        });
        loop {
            match rx.recv_timeout(POLL_EVERY) {
                Ok(done) => break done,
                Err(RecvTimeoutError::Timeout) => {
                    if !token.is_cancelled() && poll() {
                        token.cancel();
                    }
                }
                // The job sends before it drops the sender and cannot unwind past catch_unwind.
                Err(RecvTimeoutError::Disconnected) => {
                    break Err(Box::new("the parallel section ended without a result"))
                }
            }
        }
    });
    done.unwrap_or_else(|payload| resume_unwind(payload))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checkpoint_follows_the_current_token() {
        assert_eq!(checkpoint(), Ok(()));
        let t = Token::new();
        let spins = t.scope(|| {
            let mut n = 0usize;
            loop {
                if let Err(e) = checkpoint() {
                    return (n, e);
                }
                n += 1;
                if n == 1000 {
                    current().cancel();
                }
            }
        });
        assert_eq!(spins, (1000, Error::Cancelled));
        assert!(t.is_cancelled());
        // Outside the scope the thread is back to the inert token.
        assert_eq!(checkpoint(), Ok(()));
        assert!(!Token::default().is_cancelled());
        Token::default().cancel();
        assert_eq!(Token::default().check(), Ok(()));
    }

    #[test]
    fn cancel_from_another_thread_reaches_parallel_chunks() {
        let t = Token::new();
        let started = std::sync::Barrier::new(2);
        std::thread::scope(|s| {
            let worker = s.spawn(|| {
                t.scope(|| {
                    started.wait();
                    // Each chunk runs on a rayon worker: par installs the token there.
                    crate::par::tree_map_reduce(
                        64,
                        &|_| loop {
                            if checkpoint().is_err() {
                                return 1usize;
                            }
                            std::thread::yield_now();
                        },
                        &|a, b| a + b,
                    )
                })
            });
            started.wait();
            t.cancel();
            assert_eq!(worker.join().unwrap(), Some(64));
        });
    }

    #[test]
    fn scope_restores_the_previous_token_on_unwind() {
        let outer = Token::new();
        outer.scope(|| {
            let inner = Token::new();
            inner.cancel();
            let r = std::panic::catch_unwind(|| inner.scope(|| -> () { panic!("boom") }));
            assert!(r.is_err());
            assert_eq!(checkpoint(), Ok(()));
            outer.cancel();
            assert_eq!(checkpoint(), Err(Error::Cancelled));
        });
    }

    static STOP: AtomicBool = AtomicBool::new(false);

    /// Run `work` as the owner of a fresh token, let the host's poll say "stop" after 50 ms, and
    /// return what `work` returned and how long after the stop it ended.
    fn stopped_by_the_host<R: Send>(work: impl FnOnce() -> R + Send) -> (R, Duration) {
        // The poll consumes the request: one "stop" cancels one call.
        set_poll(|| STOP.swap(false, Ordering::Relaxed));
        let t = Token::new();
        let out = std::thread::scope(|s| {
            let owner = s.spawn(|| t.own(work));
            std::thread::sleep(Duration::from_millis(50));
            let asked = Instant::now();
            STOP.store(true, Ordering::Relaxed);
            let r = owner.join().unwrap();
            (r, asked.elapsed())
        });
        assert!(t.is_cancelled());
        out
    }

    #[test]
    fn the_owner_polls_the_host_in_checkpoints_and_while_parallel_work_runs() {
        // Chunks on rayon workers never end on their own: only the owner's polling in offload
        // can cancel the token they watch.
        let (chunks, took) = stopped_by_the_host(|| {
            crate::par::tree_map_reduce(
                8,
                &|_| {
                    while !cancelled() {
                        std::thread::yield_now();
                    }
                    1usize
                },
                &|a, b| a + b,
            )
        });
        assert_eq!(chunks, Some(8));
        assert!(took < 10 * POLL_EVERY, "{took:?}");
        // A sequential loop on the owner thread polls through checkpoint itself.
        let (spins, took) = stopped_by_the_host(|| {
            let mut spins = 0u64;
            while checkpoint().is_ok() {
                spins += 1;
            }
            spins
        });
        assert!(spins > 0);
        assert!(took < 10 * POLL_EVERY, "{took:?}");
    }
}
