//! Typed errors. The library never panics on user input; every bad input maps to one of these, with
//! a message that says what to change.
use thiserror::Error;

/// Everything that can go wrong when calling lro with bad input.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum LroError {
    /// Matrix or vector shapes do not fit together.
    #[error("shape mismatch in {context}: {detail}")]
    ShapeMismatch {
        /// Where the shapes were checked.
        context: String,
        /// Which shapes were expected and found.
        detail: String,
    },
    /// A horizon of zero time steps was requested.
    #[error("the horizon T must be at least 1 (got T = 0): a sequence needs at least one step")]
    ZeroHorizon,
    /// A truncation length of zero was requested.
    #[error("the truncation length k must be at least 1 (got k = 0); k = 1 is one-step tBPTT")]
    ZeroTruncation,
    /// A parameter or input holds NaN or an infinity.
    #[error("{name} contains a non-finite value (NaN or infinity); pass finite numbers")]
    NotFinite {
        /// The offending parameter or input.
        name: String,
    },
    /// A value lies outside the domain where the requested formula is defined.
    #[error("{name} = {value} is outside the domain: {reason}")]
    OutOfDomain {
        /// The offending quantity.
        name: String,
        /// Its value (as f64).
        value: f64,
        /// What the domain is and what to change.
        reason: String,
    },
    /// A parameter is invalid for another reason.
    #[error("invalid {name}: {reason}")]
    InvalidParameter {
        /// The offending parameter.
        name: String,
        /// What is wrong and what to change.
        reason: String,
    },
    /// The request combines features that this computation does not support.
    #[error("unsupported: {0}")]
    Unsupported(String),
}

/// Result alias for lro.
pub type Result<T> = std::result::Result<T, LroError>;
