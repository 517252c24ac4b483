//! The one error type of prefrank-core. Every user-facing failure is a variant that carries the
//! offending value (row, column, label, count) so that the message can be acted on.

use thiserror::Error;

pub type Result<T> = std::result::Result<T, Error>;

#[derive(Debug, Error, Clone, PartialEq)]
pub enum Error {
    #[error("empty input: {what} has no rows")]
    Empty { what: String },

    #[error("length mismatch: {left} has {left_len} rows but {right} has {right_len}")]
    LengthMismatch {
        left: String,
        left_len: usize,
        right: String,
        right_len: usize,
    },

    #[error("row {row}: {column} value {value} is not a finite number")]
    NonFinite {
        row: usize,
        column: String,
        value: f64,
    },

    #[error("row {row}: {column} value {value} is negative")]
    Negative {
        row: usize,
        column: String,
        value: f64,
    },

    #[error("row {row}: {column} value {value} is outside [0, 1]")]
    OutOfUnitInterval {
        row: usize,
        column: String,
        value: f64,
    },

    #[error(
        "row {row}: item {item} is compared with itself (pass drop_self=True to drop such rows)"
    )]
    SelfComparison { row: usize, item: u32 },

    #[error("row {row}: item code {code} is out of range for {n_items} items")]
    CodeOutOfRange {
        row: usize,
        code: u32,
        n_items: usize,
    },

    #[error("too many distinct labels: {count} exceeds the u32 code space")]
    TooManyLabels { count: usize },

    #[error("cannot merge statistics over {left} items with statistics over {right} items")]
    ShapeMismatch { left: usize, right: usize },

    #[error("corrupt serialised statistics: {reason}")]
    Corrupt { reason: String },

    /// Serialised statistics ([`crate::stats`]) that do not load: damaged, truncated, foreign, or
    /// of another format version.
    #[error("corrupt or incompatible prefrank statistics: {reason}")]
    CorruptStats { reason: String },

    #[error("invalid parameter {name}: {reason}")]
    InvalidParameter { name: String, reason: String },

    #[error("{reason}")]
    NotIdentifiable { reason: String },

    /// The work would need more memory than the limit allows (`requested` and `limit` in bytes);
    /// `hint` says what would fit instead.
    #[error(
        "{what} needs {}, more than the memory limit of {}; {hint}",
        crate::limits::human(*.requested),
        crate::limits::human(*.limit)
    )]
    TooLarge {
        what: String,
        requested: u64,
        limit: u64,
        hint: String,
    },

    /// The call was interrupted (Ctrl-C): its [`crate::cancel::Token`] was cancelled.
    #[error("interrupted")]
    Cancelled,

    /// A bug: a panic caught at the boundary, with its message.
    #[error(
        "internal error in prefrank (this is a bug in prefrank, not a problem with your input; \
         please report it with the call that caused it): {message}"
    )]
    Internal { message: String },
}

impl Error {
    pub fn invalid(name: &str, reason: impl Into<String>) -> Self {
        Error::InvalidParameter {
            name: name.to_string(),
            reason: reason.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn too_large_names_size_limit_and_alternative() {
        let e = Error::TooLarge {
            what: "the coalition table".into(),
            requested: 1 << 40,
            limit: 1 << 30,
            hint: "use sampling".into(),
        };
        assert_eq!(
            e.to_string(),
            "the coalition table needs 1.0 TiB, more than the memory limit of 1.0 GiB; use sampling"
        );
    }
}
