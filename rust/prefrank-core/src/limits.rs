//! The memory limit. Every allocation whose size depends on the input (a dense `n x n` matrix, a
//! table of `2^n` coalition values, a `rounds x items` array) is checked here before it is made, so
//! that a request that cannot fit is an [`Error::TooLarge`] naming the size, the limit and what to
//! use instead, never an allocation failure (which aborts the whole process).
//!
//! The limit in force is, first found:
//! 1. the one set with [`set_memory_limit`] (Python: `prefrank.set_memory_limit`);
//! 2. the environment variable `PREFRANK_MEMORY_LIMIT`: bytes, optionally with a binary suffix
//!    (`512M`, `8G`, `1T`);
//! 3. 90% of the memory available now: `sysinfo`'s figure (on Linux `MemAvailable`, bounded by the
//!    cgroup limit in a container), or [`FALLBACK_LIMIT`] where the platform reports none.
//!
//! Size arithmetic is checked: a product that overflows `u64` is too large as well.

use crate::error::{Error, Result};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The environment variable that sets the limit when no call to [`set_memory_limit`] has.
pub const ENV_VAR: &str = "PREFRANK_MEMORY_LIMIT";

/// The limit where the platform reports no available memory (4 GiB).
pub const FALLBACK_LIMIT: u64 = 4 << 30;

/// `u64::MAX`: no limit set by [`set_memory_limit`] (a set limit is at most `u64::MAX - 1`).
const UNSET: u64 = u64::MAX;
static SET: AtomicU64 = AtomicU64::new(UNSET);

/// Set the limit for this process (`None`: back to the environment variable or the default).
pub fn set_memory_limit(bytes: Option<u64>) {
    SET.store(bytes.map_or(UNSET, |b| b.min(UNSET - 1)), Ordering::Relaxed);
}

/// The limit set with [`set_memory_limit`], if any.
pub fn set_limit() -> Option<u64> {
    let v = SET.load(Ordering::Relaxed);
    (v != UNSET).then_some(v)
}

/// Parse a size: an integer number of bytes, optionally followed by `K`, `M`, `G` or `T` (powers
/// of 1024; a trailing `B`/`iB` is allowed). None when it is not one.
pub fn parse_size(text: &str) -> Option<u64> {
    let t = text.trim();
    let t = t
        .strip_suffix("iB")
        .or_else(|| t.strip_suffix('B'))
        .unwrap_or(t);
    let (digits, shift) = match t.char_indices().last()? {
        (i, c) if c.is_ascii_alphabetic() => {
            let shift = match c.to_ascii_uppercase() {
                'K' => 10,
                'M' => 20,
                'G' => 30,
                'T' => 40,
                _ => return None,
            };
            (&t[..i], shift)
        }
        _ => (t, 0),
    };
    let n: u64 = digits.trim().parse().ok()?;
    n.checked_mul(1u64 << shift)
}

/// 90% of the memory available now, or [`FALLBACK_LIMIT`] where it cannot be read. The figure is
/// read at most every [`REFRESH`], so that checks in a loop cost an atomic load, not a system call.
pub fn default_memory_limit() -> u64 {
    static CACHE: Mutex<Option<(Instant, u64)>> = Mutex::new(None);
    let now = Instant::now();
    let mut cache = CACHE.lock().unwrap_or_else(|e| e.into_inner());
    match *cache {
        Some((at, v)) if now.duration_since(at) < REFRESH => v,
        _ => {
            let v = available_memory().map_or(FALLBACK_LIMIT, |b| b / 10 * 9);
            *cache = Some((now, v));
            v
        }
    }
}

/// How long a reading of the available memory is reused.
pub const REFRESH: Duration = Duration::from_millis(200);

/// Memory available to this process now, in bytes: the system's available memory, bounded by the
/// cgroup's free memory where there is a cgroup limit (a container). None where not reported.
pub fn available_memory() -> Option<u64> {
    use sysinfo::{MemoryRefreshKind, RefreshKind, System};
    let sys = System::new_with_specifics(
        RefreshKind::nothing().with_memory(MemoryRefreshKind::nothing().with_ram()),
    );
    let avail = sys.available_memory();
    let cgroup = sys.cgroup_limits().map(|c| c.free_memory);
    let avail = match cgroup {
        Some(c) if c > 0 => avail.min(c),
        _ => avail,
    };
    (avail > 0).then_some(avail)
}

/// The limit in force now (see the module docs for the order).
pub fn memory_limit() -> Result<u64> {
    if let Some(v) = set_limit() {
        return Ok(v);
    }
    match std::env::var(ENV_VAR) {
        Ok(text) if !text.trim().is_empty() => parse_size(&text).ok_or_else(|| {
            Error::invalid(
                ENV_VAR,
                format!("{text:?} is not a size in bytes (such as 8000000000 or 8G)"),
            )
        }),
        _ => Ok(default_memory_limit()),
    }
}

/// Bytes of an array of `dims` values of `T` (the product of `dims` times `size_of::<T>()`); None
/// when the product overflows `u64`.
pub fn bytes_of<T>(dims: &[usize]) -> Option<u64> {
    dims.iter()
        .try_fold(std::mem::size_of::<T>() as u64, |acc, &d| {
            acc.checked_mul(d as u64)
        })
}

/// A size for a message: bytes and, past a KiB, the binary unit.
pub fn human(bytes: u64) -> String {
    const UNITS: [&str; 6] = ["KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
    if bytes < 1024 {
        return format!("{bytes} bytes");
    }
    let mut v = bytes as f64;
    let mut unit = "B";
    for u in UNITS {
        if v < 1024.0 {
            break;
        }
        v /= 1024.0;
        unit = u;
    }
    format!("{v:.1} {unit}")
}

/// Refuse `what` needing `bytes` (None: more than `u64` can count) when it exceeds `limit`;
/// `hint` says what to do instead.
pub fn check_against(what: &str, bytes: Option<u64>, limit: u64, hint: &str) -> Result<()> {
    match bytes {
        Some(b) if b <= limit => Ok(()),
        // An overflowed size is reported as u64::MAX bytes (16.0 EiB: more than any machine has).
        _ => Err(Error::TooLarge {
            what: what.to_string(),
            requested: bytes.unwrap_or(u64::MAX),
            limit,
            hint: hint.to_string(),
        }),
    }
}

/// Refuse, before allocating, `what` needing `bytes` (None: an overflowed size) when it exceeds
/// the memory limit in force; `hint` says what to use instead (the sparse path, another method).
pub fn check_alloc(what: &str, bytes: Option<u64>, hint: &str) -> Result<()> {
    let limit = memory_limit()?;
    // The message states the limit already (Error::TooLarge's Display).
    let hint = format!("{hint}; or raise the limit with prefrank.set_memory_limit() or {ENV_VAR}");
    check_against(what, bytes, limit, &hint)
}

/// [`check_alloc`] for an array of `dims` values of `T`.
pub fn check_array<T>(what: &str, dims: &[usize], hint: &str) -> Result<()> {
    check_alloc(what, bytes_of::<T>(dims), hint)
}

/// Whether an array of `dims` values of `T` fits the limit (for a default that switches to a
/// leaner path rather than refuse).
pub fn fits<T>(dims: &[usize]) -> bool {
    matches!((bytes_of::<T>(dims), memory_limit()), (Some(b), Ok(l)) if b <= l)
}

/// The most `n x n` partial matrices a parallel pass holds at once: one per worker thread, the
/// one being merged, and the solver's own (an upper bound used to size checks).
pub fn parallel_copies() -> usize {
    rayon::current_num_threads() + 2
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse_with_binary_suffixes() {
        assert_eq!(parse_size("1000"), Some(1000));
        assert_eq!(parse_size("8G"), Some(8 << 30));
        assert_eq!(parse_size(" 512 MiB "), Some(512 << 20));
        assert_eq!(parse_size("2k"), Some(2048));
        assert_eq!(parse_size("1.5G"), None);
        assert_eq!(parse_size("-1"), None);
        assert_eq!(parse_size("lots"), None);
        assert_eq!(parse_size("99999999999T"), None);
    }

    #[test]
    fn products_that_overflow_are_none() {
        assert_eq!(bytes_of::<f64>(&[1000, 1000]), Some(8_000_000));
        assert_eq!(bytes_of::<f64>(&[usize::MAX, 2]), None);
        assert_eq!(bytes_of::<u8>(&[]), Some(1));
    }

    #[test]
    fn refusal_names_size_limit_and_alternative() {
        let e = check_against(
            "a dense matrix",
            bytes_of::<f64>(&[100_000, 100_000]),
            1 << 30,
            "use the sparse path",
        )
        .unwrap_err();
        match &e {
            Error::TooLarge {
                requested, limit, ..
            } => assert_eq!((*requested, *limit), (80_000_000_000, 1 << 30)),
            other => panic!("{other:?}"),
        }
        let msg = e.to_string();
        assert!(
            msg.contains("needs 74.5 GiB, more than the memory limit of 1.0 GiB"),
            "{msg}"
        );
        assert!(msg.contains("use the sparse path"), "{msg}");
        let overflow = check_against("x", None, 10, "smaller").unwrap_err();
        assert!(
            overflow.to_string().contains("needs 16.0 EiB"),
            "{overflow}"
        );
        assert!(check_against("x", Some(10), 10, "").is_ok());
    }

    #[test]
    fn the_default_is_positive() {
        assert!(default_memory_limit() > 0);
    }
}
