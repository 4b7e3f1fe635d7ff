//! Catalogue entries P-RNN-1 … P-RNN-12 (spec `theory/linear-rnn.md` §9.1–9.3).

/// The entries of this area.
pub fn entries() -> Vec<super::Entry> {
    Vec::new()
}
