//! Student and teacher (`docs/theory/linear-rnn.md#model`): two networks driven by the same input.
use super::model::Rnn;
use crate::error::{LroError, Result};
use crate::scalar::Real;
use nalgebra::DVector;

/// A student learning to reproduce a teacher's outputs. Both see the same inputs; their hidden
/// dimensions may differ, their input and output dimensions must agree.
#[derive(Clone, Debug, PartialEq)]
pub struct StudentTeacher<T: Real> {
    /// The network being trained.
    pub student: Rnn<T>,
    /// The network producing targets `y*_t`.
    pub teacher: Rnn<T>,
}

impl<T: Real> StudentTeacher<T> {
    /// Pairs a student with a teacher, checking that o and d agree.
    pub fn new(student: Rnn<T>, teacher: Rnn<T>) -> Result<Self> {
        if student.o() != teacher.o() || student.d() != teacher.d() {
            return Err(LroError::ShapeMismatch {
                context: "StudentTeacher::new".into(),
                detail: format!(
                    "student has (o, d) = ({}, {}), teacher has ({}, {}); they must agree",
                    student.o(),
                    student.d(),
                    teacher.o(),
                    teacher.d()
                ),
            });
        }
        Ok(StudentTeacher { student, teacher })
    }

    /// The teacher's outputs `y*_1 … y*_T` for inputs `x_0 … x_{T-1}`.
    pub fn targets(&self, xs: &[DVector<T>]) -> Result<Vec<DVector<T>>> {
        Ok(self.teacher.forward(xs)?.y)
    }
}
