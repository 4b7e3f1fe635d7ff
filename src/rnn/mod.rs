//! The recurrent network of `docs/theory/linear-rnn.md#model`: model, inputs, teacher and student, and the
//! data-aligned construction.
//!
//! Conventions `[assumed]` (`docs/theory/notation.md#conventions`): `h_0 = 0`; for `t = 1..T`,
//! `h_t = W h_{t-1} + B x_{t-1}` and `y_t = A h_t`; the inputs are `x_0 … x_{T-1}`.

pub mod aligned;
pub mod inputs;
pub mod metrics;
pub mod model;
pub mod random;
pub mod task;

pub use aligned::{AlignedBasis, Mode, ModeReadout};
pub use inputs::Sequence;
pub use model::{Activation, Rnn, Trajectory};
pub use random::{Instance, InstanceSize, InstanceSpec};
pub use task::StudentTeacher;
