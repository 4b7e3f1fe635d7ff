"""Exceptions raised by :mod:`lro`.

Every error lro raises is an :class:`LroError`; each class also derives from the built-in
exception a Python user would expect (``ValueError`` for bad values, ``TypeError`` for wrong
types, ``AssertionError`` for a failed check, as ``numpy.testing`` does).
"""

__all__ = [
    "LroError",
    "CaseError",
    "UnusableCandidate",
    "CandidateDtypeError",
    "ModesError",
    "OptionError",
    "LimitError",
    "Mismatch",
    "InternalError",
]


class LroError(Exception):
    """Base class of every exception raised by lro."""


class CaseError(LroError, ValueError):
    """An unknown case name, a malformed case config (unknown keys, bad values) or an
    unreadable fixture file."""


class UnusableCandidate(LroError, ValueError):
    """A candidate that cannot be compared: missing or unknown tensors, wrong shapes, NaN or
    infinity, a wrong schema version or case. The message names every problem."""


class CandidateDtypeError(UnusableCandidate, TypeError):
    """A candidate tensor of a type lro cannot compare (bool, complex, strings, objects)."""


class ModesError(LroError, ValueError):
    """Bad arguments to :func:`lro.modes` (the same messages as ``lro modes``)."""


class OptionError(LroError, ValueError):
    """A bad option of :func:`lro.check` (a rule in ``require`` that the case does not have, an
    unknown ``precision``, a negative tolerance)."""


class LimitError(LroError, ValueError):
    """A requested size exceeds one of lro's stated limits (checked before any allocation); the
    message says which limit and how to raise it."""


class Mismatch(LroError, AssertionError):
    """Raised by :meth:`lro.Verdict.raise_for_mismatch` when a candidate disagrees with the
    reference, or when nothing that the caller asked for was checked."""


class InternalError(LroError, RuntimeError):
    """A bug in lro itself (a Rust panic, caught before it reached Python)."""


# Show the public name (lro.Mismatch, not lro._errors.Mismatch) in tracebacks and reprs.
for _cls in (
    LroError,
    CaseError,
    UnusableCandidate,
    CandidateDtypeError,
    ModesError,
    OptionError,
    LimitError,
    Mismatch,
    InternalError,
):
    _cls.__module__ = "lro"
del _cls
