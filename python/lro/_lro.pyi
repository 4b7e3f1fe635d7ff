"""Type stubs of lro's compiled core (private API; use the functions of :mod:`lro`)."""

from typing import Any, Dict, List, Optional, Tuple

import numpy as np
import numpy.typing as npt

SCHEMA_VERSION: int
__version__: str

class RawFixture:
    """A fixture held by the Rust core."""

    def meta_json(self) -> str: ...
    def arrays(self) -> Dict[str, npt.NDArray[np.float64]]: ...
    def write(self, path: str) -> None: ...

def cases() -> List[Tuple[str, str, str]]: ...
def fixture_from_spec(spec: str, batch: Optional[int] = None) -> RawFixture: ...
def fixture_from_config(config_json: str, batch: Optional[int] = None) -> RawFixture: ...
def check_candidate(
    reference: RawFixture,
    *,
    arrays: Optional[Dict[str, npt.NDArray[np.float64]]] = None,
    path: Optional[str] = None,
    schema_version: Any = None,
    case: Optional[str] = None,
    label: Optional[str] = None,
    float32: List[str] = ...,
    rtol: Optional[float] = None,
    atol: Optional[float] = None,
    require: List[str] = ...,
    forward_only: bool = False,
    precision: str = "auto",
) -> Dict[str, Any]: ...
def modes_json(
    rule: str,
    mode: str,
    teacher: str,
    feedback: Optional[str] = None,
    horizon: str = "inf",
    max_horizon: int = 1000000,
) -> str: ...
def _panic_for_test() -> None: ...
