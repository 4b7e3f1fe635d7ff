//! Re-export for code that still imports the comparison from the catalogue; it lives in
//! [`crate::certify::compare`].
pub use crate::certify::compare::Comparison;
