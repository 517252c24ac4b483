# Typed stubs for the compiled extension prefrank._core (checked by mypy.stubtest).
import numpy as np
import numpy.typing as npt

__version__: str

class PrefrankError(ValueError): ...
class NotIdentifiableError(PrefrankError): ...

def validate_comparisons(
    n_items: int,
    a: npt.NDArray[np.uint32],
    b: npt.NDArray[np.uint32],
    p: npt.NDArray[np.float64],
    tie: npt.NDArray[np.uint8],
    weight: npt.NDArray[np.float64] | None = None,
    drop_self: bool = False,
) -> npt.NDArray[np.bool_] | None: ...
def code_str_objects(
    columns: list[npt.NDArray[np.object_]],
) -> tuple[list[npt.NDArray[np.uint32]], list[str]]: ...
def code_ucs4(columns: list[npt.NDArray[np.uint32]]) -> tuple[list[npt.NDArray[np.uint32]], list[str]]: ...
def code_i64(
    columns: list[npt.NDArray[np.int64]],
) -> tuple[list[npt.NDArray[np.uint32]], npt.NDArray[np.int64]]: ...

class PairCounts:
    @staticmethod
    def from_comparisons(
        n_items: int,
        a: npt.NDArray[np.uint32],
        b: npt.NDArray[np.uint32],
        p: npt.NDArray[np.float64],
        tie: npt.NDArray[np.uint8],
        weight: npt.NDArray[np.float64] | None = None,
        keep: npt.NDArray[np.bool_] | None = None,
        dense: bool | None = None,
    ) -> PairCounts: ...
    @staticmethod
    def from_cells(
        n_items: int,
        i: npt.NDArray[np.uint32],
        j: npt.NDArray[np.uint32],
        wij: npt.NDArray[np.float64],
        wji: npt.NDArray[np.float64],
        ties: npt.NDArray[np.float64],
        dense: bool | None = None,
    ) -> PairCounts: ...
    @staticmethod
    def from_bytes(data: bytes, dense: bool | None = None) -> PairCounts: ...
    def to_bytes(self) -> bytes: ...
    def merge(self, other: PairCounts) -> PairCounts: ...
    @property
    def n_items(self) -> int: ...
    @property
    def is_dense(self) -> bool: ...
    def total(self) -> float: ...
    def cells(
        self,
    ) -> tuple[
        npt.NDArray[np.uint32],
        npt.NDArray[np.uint32],
        npt.NDArray[np.float64],
        npt.NDArray[np.float64],
        npt.NDArray[np.float64],
    ]: ...
    def __eq__(self, other: object) -> bool: ...

# --- robust ---
from typing import Any as _Any  # noqa: E402

def robust_label_noise(
    n_items: int,
    a: npt.NDArray[np.uint32],
    b: npt.NDArray[np.uint32],
    p: npt.NDArray[np.float64],
    tie: npt.NDArray[np.uint8],
    weight: npt.NDArray[np.float64] | None = None,
    judge: npt.NDArray[np.uint32] | None = None,
    n_judges: int = 0,
    shrink: float = 10.0,
    alpha: float = 0.0,
    eps_init: float = 0.1,
    max_iter: int = 1000,
    tol: float = 1e-8,
    z: float = 1.959963984540054,
) -> dict[str, _Any]: ...
def robust_btl_fit(
    counts: PairCounts,
    threshold: float = 3.0,
    max_corrupt_fraction: float = 0.25,
    pseudo: float = 0.5,
    decay: float = 0.5,
    max_iter: int = 100,
    min_degree: int = 3,
) -> dict[str, _Any]: ...
def robust_curate(
    scores: npt.NDArray[np.float64],
    alpha: float = 1.0,
    eps_init: float = 0.1,
    max_iter: int = 100,
    tol: float = 1e-4,
    pairs: str = "all",
    min_weight: float = 0.5,
) -> dict[str, _Any]: ...
def robust_fragility(
    counts: PairCounts,
    pair: tuple[int, int] | None = None,
    max_remove: int = 1000,
    alpha: float = 0.0,
) -> dict[str, _Any]: ...
