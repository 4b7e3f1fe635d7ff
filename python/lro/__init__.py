"""lro — the learning-rule oracle, from Python.

Check your own RFLO, RTRL, BPTT or e-prop implementation against lro's seeded reference cases::

    import lro

    fx = lro.fixture("linear")                 # the reference: a mapping name -> np.ndarray
    mine = my_rflo(fx["W"], fx["B"], fx["A"], fx["R"], fx["x"], fx["y_star"])
    lro.check(fx, mine).raise_for_mismatch()   # fails with the first diverging step

- :func:`cases` lists the built-in cases; :func:`fixture` computes one (or a case config) as a
  :class:`Fixture`, whose ``conventions`` say how to read every number.
- :func:`check` compares a candidate (a mapping of arrays, or a ``.json``/``.npz`` file) and
  returns a :class:`Verdict`; :meth:`Verdict.raise_for_mismatch` raises :class:`Mismatch`.
- :func:`modes` returns what ``lro modes --json`` prints.

A check never passes vacuously: a candidate without any learning-rule tensor fails with "no
learning rule was checked" unless ``forward_only=True``.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Dict, Iterable, Iterator, List, Mapping, Optional, Sequence, Tuple, Union

import numpy as np

from . import _lro
from ._errors import (
    CandidateDtypeError,
    CaseError,
    InternalError,
    LimitError,
    LroError,
    Mismatch,
    ModesError,
    OptionError,
    UnusableCandidate,
)

__all__ = [
    "SCHEMA_VERSION",
    "cases",
    "fixture",
    "check",
    "modes",
    "Fixture",
    "TensorInfo",
    "Verdict",
    "TensorResult",
    "FirstDivergence",
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

__version__: str = _lro.__version__

#: The fixture schema version this lro writes and reads.
SCHEMA_VERSION: int = _lro.SCHEMA_VERSION

#: The group of tensors a candidate may leave out (parameters, inputs, targets).
GROUP_GIVEN = "given"
#: The group of tensors a candidate must supply (the forward pass).
GROUP_FORWARD = "forward"

PathLike = Union[str, "os.PathLike[str]"]


def cases() -> Dict[str, str]:
    """The built-in cases: a dict of case name -> one-line description, in listing order.

    Iterating over it gives the names, so ``@pytest.mark.parametrize("case", lro.cases())``
    runs a test once per case.
    """
    return {name: desc for name, desc, _conv in _lro.cases()}


@dataclass(frozen=True)
class TensorInfo:
    """What one fixture tensor is.

    Attributes:
        role: ``parameter``, ``input``, ``target``, ``state``, ``trace`` or ``update``.
        group: ``given``, ``forward`` or the learning rule the tensor belongs to.
        first_step: when the tensor has a time axis (axis 0, or axis 1 behind a batch axis),
            the model time step of its row 0 (row k is step ``first_step + k``); ``None``
            otherwise.
        doc: one line saying what the tensor holds, in the fixture's conventions.
        shape: the tensor's shape.
        f64_error: the error of a float64 computation of this tensor, in units of float64's
            epsilon, when the fixture states it (``None`` otherwise).
        batch_axis: whether axis 0 is the batch axis (entry b belongs to input sequence b; the
            time axis, if any, is then axis 1).
    """

    role: str
    group: str
    first_step: Optional[int]
    doc: str
    shape: Tuple[int, ...]
    f64_error: Optional[float] = None
    batch_axis: bool = False


class Fixture(Mapping[str, np.ndarray]):
    """A seeded reference case: a read-only mapping of tensor name -> ``np.ndarray`` (float64).

    Built by :func:`fixture`. Besides the tensors it carries:

    - ``case``, ``description``, ``schema_version``;
    - ``conventions``: the conventions manifest as a dict: the prose (indexing, loss, sign, leak
      and activation, trace timing, parameter packing, per-step updates), ``enumerated`` (the same
      conventions as stable snake_case values a test can assert, e.g.
      ``conventions["enumerated"]["update_sign"] == "gradient"``, and per rule its ``feedback``),
      the typed ``settings`` (numbers, booleans, strings), ``known`` and ``unknown`` notes;
    - ``inputs``, ``targets``, ``params``: the given tensors by role;
    - ``rules``: the learning rules the case holds (``bptt``, ``rflo``, ``rtrl``, ...);
    - :meth:`info` for a tensor's role, group, first step and description.
    """

    __slots__ = ("_raw", "_meta", "_arrays", "_info")

    def __init__(self, raw: Any) -> None:
        self._raw = raw
        self._meta: Dict[str, Any] = json.loads(raw.meta_json())
        arrays = raw.arrays()
        for a in arrays.values():
            a.flags.writeable = False
        self._arrays: Dict[str, np.ndarray] = arrays
        self._info: Dict[str, TensorInfo] = {
            k: TensorInfo(
                role=t["role"],
                group=t["group"],
                first_step=t["first_step"],
                doc=t["doc"],
                shape=tuple(t["shape"]),
                f64_error=t.get("f64_error"),
                batch_axis=bool(t.get("batch_axis", False)),
            )
            for k, t in self._meta["tensors"].items()
        }

    # Mapping protocol.
    def __getitem__(self, name: str) -> np.ndarray:
        try:
            return self._arrays[name]
        except KeyError:
            raise KeyError(
                f"case {self.case!r} has no tensor {name!r}; it has: {', '.join(self._arrays)}"
            ) from None

    def __iter__(self) -> Iterator[str]:
        return iter(self._arrays)

    def __len__(self) -> int:
        return len(self._arrays)

    def __repr__(self) -> str:
        return (
            f"<lro.Fixture case={self.case!r} convention={self.conventions['convention']!r} "
            f"{len(self)} tensors, rules: {', '.join(self.rules)}>"
        )

    @property
    def case(self) -> str:
        """The case name."""
        return str(self._meta["case"])

    @property
    def description(self) -> str:
        """One line describing the case."""
        return str(self._meta["description"])

    @property
    def schema_version(self) -> int:
        """The fixture schema version."""
        return int(self._meta["schema_version"])

    @property
    def conventions(self) -> Dict[str, Any]:
        """The conventions manifest (a fresh dict each time)."""
        conv: Dict[str, Any] = json.loads(json.dumps(self._meta["conventions"]))
        return conv

    @property
    def provenance(self) -> Dict[str, Any]:
        """Which lro made the fixture: version, git commit, schema version, arithmetic."""
        prov: Dict[str, Any] = json.loads(json.dumps(self._meta.get("provenance", {})))
        return prov

    def info(self, name: str) -> TensorInfo:
        """Role, group, first step, description and shape of tensor ``name``."""
        self[name]
        return self._info[name]

    def _by(self, pred: Any) -> Dict[str, np.ndarray]:
        return {k: self._arrays[k] for k, i in self._info.items() if pred(i)}

    @property
    def inputs(self) -> Dict[str, np.ndarray]:
        """The input sequences (role ``input``)."""
        return self._by(lambda i: i.role == "input")

    @property
    def targets(self) -> Dict[str, np.ndarray]:
        """The teacher outputs (role ``target``)."""
        return self._by(lambda i: i.role == "target")

    @property
    def params(self) -> Dict[str, np.ndarray]:
        """Model and rule parameters (role ``parameter``): weights, feedback, leak, surrogate."""
        return self._by(lambda i: i.role == "parameter")

    @property
    def forward(self) -> Dict[str, np.ndarray]:
        """The forward pass (group ``forward``): every candidate must supply these."""
        return self._by(lambda i: i.group == GROUP_FORWARD)

    @property
    def rules(self) -> List[str]:
        """The learning rules of the case, sorted."""
        return sorted({i.group for i in self._info.values()} - {GROUP_GIVEN, GROUP_FORWARD})

    def rule(self, name: str) -> Dict[str, np.ndarray]:
        """The tensors of learning rule ``name`` (all of them: a candidate gives all or none)."""
        if name not in self.rules:
            raise KeyError(f"case {self.case!r} has no rule {name!r}; its rules: {', '.join(self.rules)}")
        return self._by(lambda i: i.group == name)

    def write(self, path: PathLike) -> None:
        """Writes the fixture to a ``.json`` (exact round-trip floats) or ``.npz`` file."""
        self._raw.write(os.fspath(path))


def fixture(case_or_config: Union[str, "os.PathLike[str]", Mapping[str, Any]], *, batch: Optional[int] = None) -> Fixture:
    """Computes a reference fixture.

    Args:
        case_or_config: a built-in case name (see :func:`cases`); a path to a case config
            (``.json`` with a ``convention`` key) or to a fixture file (``.json`` or ``.npz``);
            or a case config as a dict, e.g. ``{"convention": "lro", "name": "c", "seed": 1,
            "o": 2, "n": 3, "d": 2, "horizon": 6}``. Unknown keys are refused.
        batch: the number of input sequences B (an int >= 1; ``None`` keeps the case's own). For
            an lro case (built-in or config) B > 1 gives every per-sample tensor a leading batch
            axis and adds each rule's batch-mean updates (``<name>_mean``); sample 0 is the
            case's own sequence. Peer conventions and fixture files take only ``None`` or ``1``.

    Raises:
        CaseError: unknown case, malformed config or unreadable file.
        OptionError: ``batch`` < 1, above the batch limit, or B > 1 where batches do not exist.
        TypeError: ``case_or_config`` or ``batch`` is of another type.
    """
    if batch is not None:
        if isinstance(batch, bool) or not isinstance(batch, (int, np.integer)):
            raise TypeError(f"batch must be an int or None, got {type(batch).__name__}")
        batch = int(batch)
        if batch < 1:
            raise OptionError(f"batch must be >= 1 (a number of sequences), got {batch}")
        if batch >= 2**63:
            raise LimitError(
                f"batch {batch} is beyond any batch limit (the default limit is 4096 sequences)"
            )
    if isinstance(case_or_config, Fixture):
        return case_or_config
    if isinstance(case_or_config, Mapping):
        try:
            text = json.dumps(dict(case_or_config), allow_nan=False)
        except (TypeError, ValueError) as e:
            raise CaseError(
                f"case config is not JSON-serialisable (numbers must be finite): {e}"
            ) from None
        return Fixture(_lro.fixture_from_config(text, batch))
    if isinstance(case_or_config, (str, os.PathLike)):
        return Fixture(_lro.fixture_from_spec(os.fspath(case_or_config), batch))
    raise TypeError(
        "case_or_config must be a case name, a path, or a config dict; got "
        f"{type(case_or_config).__name__}"
    )


@dataclass(frozen=True)
class TensorResult:
    """The comparison of one tensor.

    Attributes:
        name, group, shape: the tensor.
        max_abs: largest ``|got - reference|``.
        max_rel: largest ``|got - reference| / |reference|`` over entries with a nonzero reference.
        mismatches: number of entries outside the tolerance.
        first_index: the first failing entry (row-major order), or ``None``.
        first_step: for tensors with a time axis, the first model step with a failing entry.
        rtol, atol: the tolerance this tensor was judged with.
        float32: whether it was judged as a float32 computation.
    """

    name: str
    group: str
    shape: Tuple[int, ...]
    max_abs: float
    max_rel: float
    mismatches: int
    first_index: Optional[Tuple[int, ...]]
    first_step: Optional[int]
    rtol: float
    atol: float
    float32: bool

    @property
    def ok(self) -> bool:
        """Whether every entry is within tolerance."""
        return self.mismatches == 0


@dataclass(frozen=True)
class FirstDivergence:
    """Where a candidate first departs from the reference.

    The tensor diverging at the earliest model time step (ties broken in report order: given,
    forward pass, then rules), and within it the first failing entry. When no failing tensor has
    a time axis, ``step`` is ``None`` and it is the first failing entry of the first failing
    tensor.

    Attributes:
        tensor, group: the tensor and its group.
        step: the model time step (``None`` for tensors without a time axis).
        index: the entry's multi-index into the tensor (batch sample first when the tensor has
            a batch axis).
        batch: the batch sample of the entry (``None`` for tensors without a batch axis).
        reference, got: the two values.
        abs_err: ``|got - reference|``.
        rtol, atol: the tolerance of that tensor (float32 tensors have their own).
        float32: whether the tensor was judged as a float32 computation.
    """

    tensor: str
    group: str
    step: Optional[int]
    index: Tuple[int, ...]
    reference: float
    got: float
    abs_err: float
    rtol: float
    atol: float
    float32: bool
    batch: Optional[int] = None

    @property
    def allowed(self) -> float:
        """``atol + rtol * |reference|``: the largest error accepted at this entry."""
        return self.atol + self.rtol * abs(self.reference)

    def __str__(self) -> str:
        where = f"step t = {self.step}, " if self.step is not None else ""
        if self.batch is not None:
            where += f"batch sample b = {self.batch}, "
        return (
            f"{where}tensor {self.tensor!r}, index {self.index}: got {self.got!r}, "
            f"reference {self.reference!r} (|difference| {self.abs_err:.3g} > allowed "
            f"{self.allowed:.3g})"
        )


class Verdict:
    """The outcome of :func:`check`.

    Attributes:
        ok: ``True`` when every compared tensor agrees *and* something was checked: at least one
            learning rule (unless ``forward_only=True``) and every rule in ``require``.
        case, convention, candidate: what was compared.
        rtol, atol: the float64 tolerance ``|got - reference| <= atol + rtol * |reference|``
            (float32 tensors have their own, in ``results`` and ``float32_note``).
        results: one :class:`TensorResult` per compared tensor.
        compared: the learning rules whose updates were compared.
        not_compared: the case's rules the candidate did not supply.
        tensors_compared: the names of every compared tensor.
        reasons: why the verdict fails besides differing tensors (no rule checked, a required
            rule missing).
        float32_note: how float32 tensors were judged, when there were any.
        first_divergence: a :class:`FirstDivergence`, or ``None`` when no tensor differs.

    ``str(verdict)`` is the per-tensor table (what ``lro check`` prints); ``bool(verdict)`` is
    ``verdict.ok``.
    """

    def __init__(self, report: Mapping[str, Any]) -> None:
        self.ok: bool = bool(report["ok"])
        self.case: str = report["case"]
        self.convention: str = report["convention"]
        self.candidate: str = report["candidate"]
        self.rtol: float = report["rtol"]
        self.atol: float = report["atol"]
        self.results: Tuple[TensorResult, ...] = tuple(
            TensorResult(**r) for r in report["results"]
        )
        self.compared: Tuple[str, ...] = tuple(report["compared"])
        self.not_compared: Tuple[str, ...] = tuple(report["not_compared"])
        self.tensors_compared: Tuple[str, ...] = tuple(r.name for r in self.results)
        # The core words its reasons for the command line; say them in Python's terms (in the
        # table too).
        table: str = report["table"]
        reasons: List[str] = []
        for r in report["reasons"]:
            said = " ".join(r.split()).replace("--forward-only", "forward_only=True")
            table = table.replace(r, said)
            reasons.append(said)
        self.reasons: Tuple[str, ...] = tuple(reasons)
        self.float32_note: Optional[str] = report["float32_note"]
        fd = report["first_divergence"]
        self.first_divergence: Optional[FirstDivergence] = (
            None if fd is None else FirstDivergence(**fd)
        )
        self._table: str = table

    def __bool__(self) -> bool:
        return self.ok

    @property
    def mismatched(self) -> Tuple[TensorResult, ...]:
        """The compared tensors that differ."""
        return tuple(r for r in self.results if not r.ok)

    def result(self, name: str) -> TensorResult:
        """The comparison of tensor ``name``."""
        for r in self.results:
            if r.name == name:
                return r
        raise KeyError(
            f"tensor {name!r} was not compared; compared: {', '.join(self.tensors_compared)}"
        )

    def __str__(self) -> str:
        return self._table if self._table.endswith("\n") else self._table + "\n"

    def __repr__(self) -> str:
        state = "ok" if self.ok else "FAIL"
        return (
            f"<lro.Verdict {state}: case {self.case!r}, {len(self.results)} tensors compared, "
            f"{len(self.mismatched)} differ; rules compared: {', '.join(self.compared) or 'none'}>"
        )

    def message(self) -> str:
        """The failure message of :meth:`raise_for_mismatch` (empty when ``ok``)."""
        if self.ok:
            return ""
        out = [
            f"lro: candidate {self.candidate!r} does not pass case {self.case!r} "
            f"(convention {self.convention})"
        ]
        for p in self.reasons:
            out.append(f"  {p}")
        fd = self.first_divergence
        if fd is not None:
            where = f"at step t = {fd.step}" if fd.step is not None else "(no time axis)"
            if fd.batch is not None:
                where += f" in batch sample b = {fd.batch}"
            kind = " (float32 tolerance)" if fd.float32 else ""
            out += [
                "",
                f"Not equal to tolerance rtol={fd.rtol:.3g}, atol={fd.atol:.3g}{kind}",
                f"First divergence {where}: tensor {fd.tensor!r} (group {fd.group}), "
                f"index {fd.index}",
                f" got:       {fd.got!r}",
                f" reference: {fd.reference!r}",
                f" |got - reference| = {fd.abs_err:.6g} > atol + rtol*|reference| = "
                f"{fd.allowed:.6g}",
            ]
        bad = self.mismatched
        if bad:
            out.append(f"Mismatched tensors: {len(bad)} of {len(self.results)} compared")
            for r in bad:
                n = int(np.prod(r.shape)) if r.shape else 1
                step = f", first at step t = {r.first_step}" if r.first_step is not None else ""
                out.append(
                    f" {r.name}: {r.mismatches} / {n} entries, max abs err {r.max_abs:.3g}, "
                    f"max rel err {r.max_rel:.3g}{step}"
                )
        out += ["", str(self).rstrip("\n")]
        return "\n".join(out)

    def raise_for_mismatch(self) -> "Verdict":
        """Raises :class:`Mismatch` (an ``AssertionError``) unless ``ok``; returns ``self``."""
        if not self.ok:
            raise Mismatch(self.message())
        return self


_SPECIAL_KEYS = ("schema_version", "case")


def _as_float_array(name: str, value: Any) -> Tuple[np.ndarray, bool]:
    """The candidate tensor as float64, and whether it was float32."""
    try:
        a = np.asarray(value)
    except Exception as e:  # ragged lists, objects whose __array__ fails, ...
        raise UnusableCandidate(f"tensor {name}: cannot be read as an array: {e}") from None
    kind = a.dtype.kind
    if kind == "f" and a.dtype.itemsize >= 4:
        # astype keeps 0-d arrays 0-d (np.ascontiguousarray would make them 1-d).
        return a.astype(np.float64, order="C", copy=False), a.dtype == np.float32
    if kind == "f":
        raise CandidateDtypeError(
            f"tensor {name}: dtype {a.dtype} is not supported; compute in float32 or float64"
        )
    if kind in "iu":
        raise CandidateDtypeError(
            f"tensor {name}: integer dtype {a.dtype}; lro compares floating-point results "
            "(float64 or float32): convert with np.asarray(..., dtype=float)"
        )
    if kind == "b":
        raise CandidateDtypeError(
            f"tensor {name}: booleans are not numbers (dtype bool); give float64 or float32"
        )
    if kind == "c":
        raise CandidateDtypeError(
            f"tensor {name}: complex dtype {a.dtype}; lro's tensors are real (float64 or float32)"
        )
    raise CandidateDtypeError(
        f"tensor {name}: unsupported dtype {a.dtype} (kind {kind!r}); give a float64 or float32 "
        "array (a ragged or mixed list becomes dtype object)"
    )


def check(
    case_or_fixture: Union[Fixture, str, "os.PathLike[str]", Mapping[str, Any]],
    candidate: Union[Mapping[str, Any], str, "os.PathLike[str]"],
    *,
    rtol: Optional[float] = None,
    atol: Optional[float] = None,
    require: Union[None, str, Iterable[str]] = None,
    forward_only: bool = False,
    precision: str = "auto",
) -> Verdict:
    """Compares a candidate implementation's outputs with a reference fixture.

    Args:
        case_or_fixture: a :class:`Fixture`, or anything :func:`fixture` accepts.
        candidate: a mapping of tensor name -> array (NumPy, JAX, lists: anything
            ``np.asarray`` takes, of dtype float64 or float32), optionally with ``schema_version``
            and ``case`` entries that are then checked; or a path to a ``.json`` or ``.npz``
            candidate file (which must declare ``schema_version``).
            The forward pass (group ``forward``) is always required; any subset of the case's
            learning rules may be given, each with all of its updates (its traces are
            optional); given tensors (parameters, inputs) may be echoed and are then compared.
        rtol, atol: the float64 entrywise tolerance ``|got - reference| <= atol + rtol *
            |reference|`` (defaults: lro's, sized for float64 rounding).
        require: rule names (or one comma-separated string) the candidate must supply.
        forward_only: accept a candidate with no learning rule (only the forward pass checked).
        precision: ``"auto"`` (float32 arrays are judged with tolerances derived from float32
            rounding and the tensor's error growth, stated in the verdict; all else as float64),
            ``"f64"`` or ``"f32"`` (every tensor judged as that arithmetic).

    Returns:
        A :class:`Verdict`; call :meth:`Verdict.raise_for_mismatch` in a test.

    Raises:
        UnusableCandidate: the candidate cannot be compared (missing or unknown tensors, wrong
            shapes, NaN or infinity, wrong schema version or case); every problem is named.
        CandidateDtypeError: a tensor of an unsupported type (integers, bool, complex, float16,
            strings).
        OptionError: a rule in ``require`` that the case lacks, a bad ``precision`` or tolerance.
    """
    ref = case_or_fixture if isinstance(case_or_fixture, Fixture) else fixture(case_or_fixture)
    for name, v in (("rtol", rtol), ("atol", atol)):
        if v is not None:
            if isinstance(v, bool) or not isinstance(v, (int, float, np.floating, np.integer)):
                raise TypeError(f"{name} must be a number, got {type(v).__name__}")
    if isinstance(require, str):
        required = [r.strip() for r in require.split(",") if r.strip()]
    elif require is None:
        required = []
    else:
        required = [str(r) for r in require]
    if not isinstance(precision, str):
        raise TypeError(f"precision must be 'auto', 'f64' or 'f32', got {type(precision).__name__}")
    kwargs: Dict[str, Any] = {
        "rtol": None if rtol is None else float(rtol),
        "atol": None if atol is None else float(atol),
        "require": required,
        "forward_only": bool(forward_only),
        "precision": precision,
    }
    if isinstance(candidate, Fixture):
        candidate = dict(candidate.items())
    if isinstance(candidate, (str, os.PathLike)):
        path = os.fspath(candidate)
        if not os.path.exists(path):
            raise FileNotFoundError(f"candidate file {path!r} does not exist")
        report = _lro.check_candidate(ref._raw, path=path, **kwargs)
    elif isinstance(candidate, Mapping):
        arrays: Dict[str, np.ndarray] = {}
        float32: List[str] = []
        special: Dict[str, Any] = {}
        for k, v in candidate.items():
            if not isinstance(k, str):
                raise TypeError(f"candidate keys must be tensor names (str), got {k!r}")
            if k in _SPECIAL_KEYS:
                special[k] = v
                continue
            arrays[k], is32 = _as_float_array(k, v)
            if is32:
                float32.append(k)
        sv = special.get("schema_version")
        if isinstance(sv, np.ndarray) and sv.shape == ():
            sv = sv.item()
        case = special.get("case")
        if case is not None:
            case = str(np.asarray(case).item()) if isinstance(case, np.ndarray) else case
            if not isinstance(case, str):
                raise UnusableCandidate(f"'case' must be a string, got {type(case).__name__}")
        report = _lro.check_candidate(
            ref._raw,
            arrays=arrays,
            schema_version=sv,
            case=case,
            label="<mapping>",
            float32=float32,
            **kwargs,
        )
    else:
        raise TypeError(
            "candidate must be a mapping of tensor name -> array, or a path to a .json/.npz file; "
            f"got {type(candidate).__name__}"
        )
    return Verdict(report)


def _number(name: str, x: Any) -> str:
    if isinstance(x, bool):
        raise TypeError(f"{name}: expected a number, got bool")
    if isinstance(x, str):
        return x
    if isinstance(x, Fraction):
        return f"{x.numerator}/{x.denominator}"
    if isinstance(x, (int, np.integer)):
        return str(int(x))
    if isinstance(x, (float, np.floating)):
        return repr(float(x))
    raise TypeError(f"{name}: expected a number (int, float, Fraction or 'p/q'), got {type(x).__name__}")


def _triple(name: str, v: Any, n: int) -> str:
    if isinstance(v, str):
        return v
    try:
        items = list(v)
    except TypeError:
        raise TypeError(f"{name} must be a sequence of {n} numbers, got {type(v).__name__}") from None
    if len(items) != n:
        raise ModesError(f"{name} takes {n} numbers, got {len(items)}")
    return ",".join(_number(name, x) for x in items)


def modes(
    rule: str,
    mode: Sequence[Any],
    teacher: Sequence[Any],
    *,
    feedback: Optional[Sequence[Any]] = None,
    horizon: Union[int, str, float] = "inf",
) -> Dict[str, Any]:
    """Per-mode loss, update, learning-ODE Jacobian, eigenvalues and stability class at one
    point: the same data as ``lro modes --json``.

    Args:
        rule: ``"bptt"``, ``"tbptt:K"`` (K >= 1) or ``"rflo"``.
        mode: the student mode ``(a, b, w)``; numbers may be ints, floats, ``Fraction`` or
            strings ``"p/q"``.
        teacher: the teacher mode ``(a*, b*, w*)``.
        feedback: RFLO's ``(a_hat, w_hat)``; required for ``rflo``, refused otherwise.
        horizon: a number of steps T >= 1, or ``"inf"`` / ``math.inf`` (the default).

    Returns:
        A dict with keys ``rule``, ``horizon``, ``loss``, ``update`` (``a``, ``b``, ``w``),
        ``jacobian`` (3x3 rows of ``J = -dDelta/dtheta``), ``eigenvalues`` (``re``, ``im``) and
        ``class``.

    Raises:
        ModesError: bad arguments (unknown rule, malformed numbers, missing feedback).
        TypeError: arguments of the wrong type.
    """
    if not isinstance(rule, str):
        raise TypeError(f"rule must be a str, got {type(rule).__name__}")
    if isinstance(horizon, float) and math.isinf(horizon) and horizon > 0:
        h = "inf"
    elif isinstance(horizon, bool):
        raise TypeError("horizon must be an int >= 1 or 'inf', got bool")
    elif isinstance(horizon, (int, np.integer)):
        h = str(int(horizon))
    elif isinstance(horizon, str):
        h = horizon
    else:
        raise TypeError(f"horizon must be an int >= 1 or 'inf', got {horizon!r}")
    fb = None if feedback is None else _triple("feedback", feedback, 2)
    text = _lro.modes_json(rule, _triple("mode", mode, 3), _triple("teacher", teacher, 3), fb, h)
    report: Dict[str, Any] = json.loads(text)
    return report
