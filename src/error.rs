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
    /// An adaptive integrator's step size fell below its floor before the final time (not a
    /// domain exit: the trajectory was still inside the domain).
    #[error(
        "the ODE step size fell below h_min = {h_min:e} at tau = {tau} (the flow is stiff, \
         nearly singular or blows up there); lower h_min, loosen the tolerances or end the run \
         earlier"
    )]
    StepUnderflow {
        /// Time of the last accepted state.
        tau: f64,
        /// The step-size floor that was reached.
        h_min: f64,
    },
    /// An iterative numerical routine stopped at its iteration cap without converging.
    #[error("{routine} did not converge within {max_iter} iterations: {detail}")]
    NoConvergence {
        /// The routine (e.g. "eigenvalues (Schur decomposition)").
        routine: String,
        /// The iteration cap.
        max_iter: usize,
        /// What the input was and what to change.
        detail: String,
    },
    /// A size, horizon or count exceeds a stated resource limit; refused before any allocation.
    #[error("{what} = {requested} exceeds the limit of {limit}; {how_to_raise}")]
    LimitExceeded {
        /// The requested quantity (e.g. "horizon T").
        what: String,
        /// The requested value.
        requested: String,
        /// The limit.
        limit: String,
        /// How to raise the limit (a flag or setting), or why it cannot be raised.
        how_to_raise: String,
    },
    /// The request combines features that this computation does not support.
    #[error("unsupported: {0}")]
    Unsupported(String),
}

/// Result alias for lro.
pub type Result<T> = std::result::Result<T, LroError>;
