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

# --- agreement ---
from typing import final as _final  # noqa: E402

@_final
class Coincidence:
    @staticmethod
    def from_codes(codes: npt.NDArray[np.uint32], k: int) -> Coincidence: ...
    @staticmethod
    def from_f64(values: npt.NDArray[np.float64]) -> tuple[Coincidence, npt.NDArray[np.float64]]: ...
    @staticmethod
    def from_counts(counts: npt.NDArray[np.float64]) -> Coincidence: ...
    @staticmethod
    def from_bytes(data: bytes) -> Coincidence: ...
    def to_bytes(self) -> bytes: ...
    def merge(self, other: Coincidence) -> Coincidence: ...
    @property
    def n_categories(self) -> int: ...
    def counts(self) -> tuple[int, int, int, int, float]: ...
    def matrix(self) -> npt.NDArray[np.float64]: ...
    def alpha(
        self,
        level: str,
        values: npt.NDArray[np.float64] | None = None,
        distance: npt.NDArray[np.float64] | None = None,
    ) -> tuple[float, float, float, float, str | None]: ...
    def bootstrap(
        self,
        level: str,
        rounds: int,
        seed: int,
        values: npt.NDArray[np.float64] | None = None,
        distance: npt.NDArray[np.float64] | None = None,
        draws: int | None = None,
    ) -> npt.NDArray[np.float64]: ...

def agreement_code_f64(
    values: npt.NDArray[np.float64],
) -> tuple[npt.NDArray[np.uint32], npt.NDArray[np.float64]]: ...
def agreement_unit_counts(codes: npt.NDArray[np.uint32], k: int) -> npt.NDArray[np.uint32]: ...
def alpha_units_bootstrap(
    counts: npt.NDArray[np.uint32],
    level: str,
    rounds: int,
    seed: int,
    values: npt.NDArray[np.float64] | None = None,
    distance: npt.NDArray[np.float64] | None = None,
) -> npt.NDArray[np.float64]: ...
def agreement_multi(
    statistic: str,
    k: int,
    codes: npt.NDArray[np.uint32] | None = None,
    counts: npt.NDArray[np.float64] | None = None,
    weights: str | None = None,
    weight_matrix: npt.NDArray[np.float64] | None = None,
) -> tuple[float, float, float, float, str | None]: ...
def agreement_pair(
    statistic: str,
    k: int,
    a: npt.NDArray[np.uint32],
    b: npt.NDArray[np.uint32],
    weights: str | None = None,
    weight_matrix: npt.NDArray[np.float64] | None = None,
) -> tuple[float, float, float, float, str | None]: ...
def agreement_rater_matrix(
    statistic: str,
    k: int,
    codes: npt.NDArray[np.uint32],
    weights: str | None = None,
    weight_matrix: npt.NDArray[np.float64] | None = None,
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]: ...
def agreement_item_stats(
    counts: npt.NDArray[np.uint32],
) -> tuple[
    npt.NDArray[np.uint32],
    npt.NDArray[np.uint32],
    npt.NDArray[np.float64],
    npt.NDArray[np.float64],
    npt.NDArray[np.float64],
    npt.NDArray[np.uint32],
    npt.NDArray[np.bool_],
]: ...
def model_disagreement_u8(labels: npt.NDArray[np.uint8]) -> npt.NDArray[np.float64]: ...
def model_disagreement_codes(
    codes: npt.NDArray[np.uint32],
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]: ...
def model_disagreement_probs(
    probs: npt.NDArray[np.float64],
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64], npt.NDArray[np.float64]]: ...
def soft_label_scores(
    pred: npt.NDArray[np.float64],
    human: npt.NDArray[np.float64],
) -> tuple[
    npt.NDArray[np.float64],
    npt.NDArray[np.float64],
    npt.NDArray[np.float64],
    npt.NDArray[np.float64],
]: ...
def agreement_multi_f64(
    statistic: str,
    values: npt.NDArray[np.float64],
    weights: str | None = None,
    weight_matrix: npt.NDArray[np.float64] | None = None,
) -> tuple[float, float, float, float, str | None, npt.NDArray[np.float64]]: ...
