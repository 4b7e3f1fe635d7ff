//! The contrastive models of `docs/theory/contrastive.md#models`, each with its dynamics, its statistic `f(a, θ)` and its
//! exact target gradient where one exists.

pub mod boltzmann;
pub mod chl;
pub mod ep_hopfield;
pub mod ep_quadratic;
pub mod gaussian;
pub mod wake_sleep;
