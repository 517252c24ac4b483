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

# --- ranking_more (Plackett-Luce, spectral, per-group BT, contextual BT) ---
import typing as _t  # noqa: E402

def pl_fit(
    n_items: int,
    offsets: npt.NDArray[np.uint64],
    items: npt.NDArray[np.uint32],
    n_ranked: npt.NDArray[np.uint32],
    weight: npt.NDArray[np.float64] | None = None,
    alpha: float = 0.0,
    max_iter: int = 10_000,
    tol: float = 1e-10,
    method: str = "auto",
    dedup: bool = True,
) -> dict[str, _t.Any]: ...
def pl_components(
    n_items: int,
    offsets: npt.NDArray[np.uint64],
    items: npt.NDArray[np.uint32],
    n_ranked: npt.NDArray[np.uint32],
    weight: npt.NDArray[np.float64] | None = None,
) -> tuple[npt.NDArray[np.uint32], int]: ...
def spectral_fit(
    counts: PairCounts,
    kind: str,
    ties: str = "half",
    alpha: float = 0.0,
    max_iter: int = 10_000,
    tol: float = 1e-10,
    dense: bool | None = None,
) -> dict[str, _t.Any]: ...
def bt_groups(
    n_items: int,
    n_groups: int,
    group: npt.NDArray[np.uint32],
    a: npt.NDArray[np.uint32],
    b: npt.NDArray[np.uint32],
    p: npt.NDArray[np.float64],
    tie: npt.NDArray[np.uint8],
    weight: npt.NDArray[np.float64] | None = None,
    ties: str = "half",
    alpha: float = 0.01,
    max_iter: int = 100,
    tol: float = 1e-9,
) -> dict[str, _t.Any]: ...
def pl_groups(
    n_items: int,
    n_groups: int,
    obs_group: npt.NDArray[np.uint32],
    offsets: npt.NDArray[np.uint64],
    items: npt.NDArray[np.uint32],
    n_ranked: npt.NDArray[np.uint32],
    weight: npt.NDArray[np.float64] | None = None,
    alpha: float = 0.01,
    max_iter: int = 100,
    tol: float = 1e-9,
) -> dict[str, _t.Any]: ...
def contextual_bt_fit(
    n_items: int,
    a: npt.NDArray[np.uint32],
    b: npt.NDArray[np.uint32],
    p: npt.NDArray[np.float64],
    tie: npt.NDArray[np.uint8],
    x: npt.NDArray[np.float64],
    weight: npt.NDArray[np.float64] | None = None,
    ties: str = "half",
    alpha: float = 0.0,
    alpha_beta: float = 0.0,
    max_iter: int = 200,
    tol: float = 1e-9,
) -> dict[str, _t.Any]: ...
