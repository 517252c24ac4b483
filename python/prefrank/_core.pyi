# Typed stubs for the compiled extension prefrank._core (checked by mypy.stubtest).
from typing import Any, Protocol, TypeAlias, final

import numpy as np
import numpy.typing as npt

__version__: str

class PrefrankError(ValueError): ...
class InputError(PrefrankError): ...
class ParameterError(PrefrankError): ...
class TooLargeError(PrefrankError): ...
class NotIdentifiableError(PrefrankError): ...
class InternalError(PrefrankError): ...

class _ComparisonTable(Protocol):
    """What a function taking ``comparisons`` reads from it (``prefrank.data.Comparisons``)."""

    @property
    def n_items(self) -> int: ...
    @property
    def a(self) -> npt.NDArray[np.uint32]: ...
    @property
    def b(self) -> npt.NDArray[np.uint32]: ...
    @property
    def p(self) -> npt.NDArray[np.float64]: ...
    @property
    def tie(self) -> npt.NDArray[np.uint8]: ...
    @property
    def weight(self) -> npt.NDArray[np.float64] | None: ...

def _panic_for_test() -> None: ...
def numeric_outcome_ties(p: npt.NDArray[np.float64]) -> npt.NDArray[np.uint8]: ...
def outcomes_from_codes(
    codes: npt.NDArray[np.uint32] | npt.NDArray[np.uint8], p_of: npt.NDArray[np.float64], tie_of: npt.NDArray[np.uint8]
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.uint8]]: ...
def validate_comparisons(
    comparisons: _ComparisonTable,
    drop_self: bool = False,
) -> npt.NDArray[np.bool_] | None: ...
def code_str_objects(
    columns: list[npt.NDArray[np.object_]],
) -> tuple[list[npt.NDArray[np.uint32]], list[str]]: ...
def code_ucs4(columns: list[npt.NDArray[np.uint32]]) -> tuple[list[npt.NDArray[np.uint32]], list[str]]: ...
def code_utf8(
    columns: list[tuple[npt.NDArray[np.int64], npt.NDArray[np.uint8]]],
) -> tuple[list[npt.NDArray[np.uint32]], list[str]]: ...
def code_utf8_32(
    columns: list[tuple[npt.NDArray[np.int32], npt.NDArray[np.uint8]]],
) -> tuple[list[npt.NDArray[np.uint32]], list[str]]: ...
def code_utf8_few(
    offsets: npt.NDArray[np.int32] | npt.NDArray[np.int64], data: npt.NDArray[np.uint8]
) -> tuple[npt.NDArray[np.uint8], list[str]] | None: ...
def outcomes_utf8(
    offsets: npt.NDArray[np.int32] | npt.NDArray[np.int64],
    data: npt.NDArray[np.uint8],
    values: list[str],
    p_of: list[float],
    tie_of: list[int],
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.uint8]] | None: ...
def code_i64(
    columns: list[npt.NDArray[np.int64]],
) -> tuple[list[npt.NDArray[np.uint32]], npt.NDArray[np.int64]]: ...

@final
class PairCounts:
    @staticmethod
    def from_i64_hard(
        a: npt.NDArray[np.int64], b: npt.NDArray[np.int64], p: npt.NDArray[np.float64]
    ) -> tuple[PairCounts, npt.NDArray[np.int64]] | None: ...
    @staticmethod
    def from_comparisons(
        comparisons: _ComparisonTable,
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
    def __eq__(self, value: object, /) -> bool: ...

# --- ranking ---
BOOTSTRAP_ROUND_CHUNK: int

def bt_fit(
    counts: PairCounts,
    ties: str = "half",
    alpha: float = 0.0,
    max_iter: int = 10000,
    tol: float = 1e-10,
    method: str = "auto",
    init: npt.NDArray[np.float64] | None = None,
) -> BtFit: ...
def bt_components(counts: PairCounts, ties: str = "half") -> tuple[npt.NDArray[np.uint32], int]: ...
def bt_bootstrap(
    counts: PairCounts,
    theta_hat: npt.NDArray[np.float64],
    rounds: int,
    seed: int,
    first_chunk: int = 0,
    ties: str = "half",
    alpha: float = 0.0,
    max_iter: int = 10000,
    tol: float = 1e-10,
    method: str = "auto",
    tie_hat: float | None = None,
) -> BootstrapDraws: ...
def bt_acceleration(
    counts: PairCounts,
    theta: npt.NDArray[np.float64],
    ties: str = "half",
    alpha: float = 0.0,
    tie_param: float | None = None,
    anchor: int | None = None,
) -> npt.NDArray[np.float64]: ...
def elo_ratings(
    comparisons: _ComparisonTable,
    k: float = 4.0,
    initial: float = 1000.0,
    scale: float = 400.0,
    base: float = 10.0,
    shuffles: int = 0,
    seed: int = 0,
    start: npt.NDArray[np.float64] | None = None,
) -> npt.NDArray[np.float64]: ...

# --- consistency ---
def triad_census(
    comparisons: _ComparisonTable,
    group: npt.NDArray[np.uint32],
    n_groups: int,
    judge: npt.NDArray[np.uint32] | None = None,
    aggregate: str = "majority",
    margin: float = 0.0,
    ntr: bool = False,
    examples_per_unit: int = 0,
) -> TriadCensus: ...
def cluster_ratio_bootstrap(
    num: npt.NDArray[np.float64], den: npt.NDArray[np.float64], n_cols: int, rounds: int, seed: int
) -> npt.NDArray[np.float64]: ...
def tournament_stats(
    comparisons: _ComparisonTable | None = None,
    n_items: int = 0,
    wins: npt.NDArray[np.float64] | None = None,
    ties: npt.NDArray[np.float64] | None = None,
    aggregate: str = "majority",
    margin: float = 0.0,
    cycles: int = 0,
    order: bool = True,
    exact_max: int = 20,
    max_passes: int = 20,
) -> TournamentSummary: ...
def cells_accumulate(
    a: npt.NDArray[np.uint32],
    b: npt.NDArray[np.uint32],
    p: npt.NDArray[np.float64],
    tie: npt.NDArray[np.uint8],
    weight: npt.NDArray[np.float64] | None = None,
    group: npt.NDArray[np.uint32] | None = None,
    judge: npt.NDArray[np.uint32] | None = None,
    first: npt.NDArray[np.uint8] | None = None,
) -> dict[str, npt.NDArray[Any]]: ...

# Serialised statistics (framed format; rust/prefrank-py/src/stats.rs). A label table crosses as
# (kind, values): "int64" / "float64" / "bool" with a numpy array, "unicode" / "object" with a list.
_LabelsFrame: TypeAlias = tuple[str, Any]

def pair_counts_to_bytes(pairs: PairCounts, items: _LabelsFrame) -> bytes: ...
def pair_counts_from_bytes(data: bytes, dense: bool | None = None) -> tuple[PairCounts, _LabelsFrame]: ...
def comparison_stats_to_bytes(
    items: _LabelsFrame,
    groups: _LabelsFrame | None,
    judges: _LabelsFrame | None,
    pairs: PairCounts,
    cells: dict[str, npt.NDArray[Any]],
    has_position: bool,
    n_rows: int,
    dropped_self: int,
) -> bytes: ...
def comparison_stats_from_bytes(
    data: bytes,
) -> tuple[
    _LabelsFrame, _LabelsFrame | None, _LabelsFrame | None, PairCounts, dict[str, npt.NDArray[Any]], bool, int, int
]: ...
def ratings_stats_to_bytes(
    units: _LabelsFrame,
    raters: _LabelsFrame,
    values: _LabelsFrame,
    unit: npt.NDArray[np.uint32],
    rater: npt.NDArray[np.uint32],
    value: npt.NDArray[np.uint32],
) -> bytes: ...
def ratings_stats_from_bytes(
    data: bytes,
) -> tuple[
    _LabelsFrame,
    _LabelsFrame,
    _LabelsFrame,
    npt.NDArray[np.uint32],
    npt.NDArray[np.uint32],
    npt.NDArray[np.uint32],
]: ...
def cells_merge(x: dict[str, npt.NDArray[Any]], y: dict[str, npt.NDArray[Any]]) -> dict[str, npt.NDArray[Any]]: ...
def cells_recode(
    x: dict[str, npt.NDArray[Any]],
    group_map: npt.NDArray[np.uint32] | None = None,
    judge_map: npt.NDArray[np.uint32] | None = None,
    item_map: npt.NDArray[np.uint32] | None = None,
) -> dict[str, npt.NDArray[Any]]: ...
def binomial_test(k: npt.NDArray[np.float64], n: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]: ...
def wilson_interval(
    k: npt.NDArray[np.float64], n: npt.NDArray[np.float64], level: float
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]: ...
def position_bias(cells: dict[str, npt.NDArray[Any]], level: float, n_judges: int | None = None) -> dict[str, Any]: ...
def score_table(
    comparisons: _ComparisonTable,
    score_a: npt.NDArray[np.float64],
    score_b: npt.NDArray[np.float64],
    group: npt.NDArray[np.uint32] | None = None,
    judge: npt.NDArray[np.uint32] | None = None,
    n_judges: int | None = None,
    aggregate: str | None = None,
    margin: float = 0.0,
    tolerance: float = 0.0,
) -> ScoreTable: ...
def pair_cells_combine(
    key: npt.NDArray[np.uint32],
    lo: npt.NDArray[np.uint32],
    hi: npt.NDArray[np.uint32],
    first: npt.NDArray[np.int64],
    mass: npt.NDArray[np.float64],
) -> tuple[
    npt.NDArray[np.uint32],
    npt.NDArray[np.uint32],
    npt.NDArray[np.uint32],
    npt.NDArray[np.int64],
    npt.NDArray[np.float64],
]: ...

# --- end consistency ---

# --- ranking estimators (Plackett-Luce, spectral, per-group BT, contextual BT) ---

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
) -> RankingsFit: ...
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
) -> SpectralFit: ...
def bt_groups(
    comparisons: _ComparisonTable,
    n_groups: int,
    group: npt.NDArray[np.uint32],
    ties: str = "half",
    alpha: float = 0.01,
    max_iter: int = 100,
    tol: float = 1e-9,
) -> GroupFits: ...
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
) -> GroupFits: ...
def contextual_bt_fit(
    comparisons: _ComparisonTable,
    x: npt.NDArray[np.float64],
    ties: str = "half",
    alpha: float = 0.0,
    alpha_beta: float = 0.0,
    max_iter: int = 200,
    tol: float = 1e-9,
) -> ContextualFit: ...

# --- robust ---

def robust_label_noise(
    comparisons: _ComparisonTable,
    judge: npt.NDArray[np.uint32] | None = None,
    n_judges: int = 0,
    shrink: float = 10.0,
    alpha: float = 0.0,
    eps_init: float = 0.1,
    max_iter: int = 1000,
    tol: float = 1e-8,
    z: float = 1.959963984540054,
) -> LabelNoiseFit: ...
def robust_btl_fit(
    counts: PairCounts,
    threshold: float = 3.0,
    max_corrupt_fraction: float = 0.25,
    pseudo: float = 0.5,
    decay: float = 0.5,
    max_iter: int = 100,
    min_degree: int = 3,
    refit: bool = True,
    refit_fraction: float = 0.49,
    alpha: float = 0.0,
    refit_max_iter: int = 50,
) -> RobustBtlFit: ...
def robust_curate(
    scores: npt.NDArray[np.float64],
    alpha: float = 1.0,
    eps_init: float = 0.1,
    max_iter: int = 100,
    tol: float = 1e-4,
    pairs: str = "all",
    min_weight: float = 0.5,
) -> CuratedPairs: ...
def robust_fragility(
    counts: PairCounts,
    pair: tuple[int, int] | None = None,
    max_remove: int = 1000,
    alpha: float = 0.0,
) -> FragilityFit: ...

# --- agreement ---

@final
class Coincidence:
    @staticmethod
    def from_codes(codes: npt.NDArray[np.uint32], k: int) -> Coincidence: ...
    @staticmethod
    def from_f64(values: npt.NDArray[np.float64]) -> tuple[Coincidence, npt.NDArray[np.float64]]: ...
    @staticmethod
    def from_counts(counts: npt.NDArray[np.float64]) -> Coincidence: ...
    @staticmethod
    def from_bytes(data: bytes) -> tuple[Coincidence, _LabelsFrame]: ...
    def to_bytes(self, categories: _LabelsFrame) -> bytes: ...
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

# --- attribution ---
_SampledOut = tuple[npt.NDArray[np.float64], npt.NDArray[np.float64], int, int, bool, float, float, float]

def semivalues_table(
    table: npt.NDArray[np.float64],
    kind: str = "shapley",
    alpha: float = 1.0,
    beta: float = 1.0,
    weights: npt.NDArray[np.float64] | None = None,
) -> tuple[npt.NDArray[np.float64], float, float, float]: ...
def check_table_memory(n_players: int, max_bytes: int | None = None) -> None: ...
def set_memory_limit(limit: int | None) -> None: ...
def get_memory_limit() -> int: ...
def sample_callable(
    func: object,
    n_players: int,
    method: str,
    max_stderr: float = 0.0,
    max_evaluations: int | None = None,
    seed: int = 0,
    chunk: int = 4,
    chunks_per_round: int = 16,
) -> _SampledOut: ...

@final
class Game:
    @staticmethod
    def shift(
        metric: npt.NDArray[np.float64],
        ratios: npt.NDArray[np.float64],
        weight: npt.NDArray[np.float64] | None = None,
        normalize: bool = True,
    ) -> Game: ...
    @staticmethod
    def majority(
        unit: npt.NDArray[np.uint32],
        rater: npt.NDArray[np.uint32],
        label: npt.NDArray[np.uint32],
        reference: npt.NDArray[np.uint32],
        n_players: int,
        n_labels: int,
    ) -> Game: ...
    @staticmethod
    def slices(
        comparisons: _ComparisonTable,
        slice: npt.NDArray[np.uint32],
        n_slices: int,
        target: str,
        item: int = 0,
        other: int = 0,
        reference: npt.NDArray[np.float64] | None = None,
        ties: str = "half",
        alpha: float = 0.0,
        max_iter: int = 10_000,
        tol: float = 1e-10,
    ) -> Game: ...
    @property
    def n_unconverged(self) -> int: ...
    @property
    def n_players(self) -> int: ...
    def values(self, members: npt.NDArray[np.uint8]) -> npt.NDArray[np.float64]: ...
    def table(self, max_bytes: int | None = None) -> npt.NDArray[np.float64]: ...
    def sample(
        self,
        method: str,
        max_stderr: float = 0.0,
        max_evaluations: int | None = None,
        seed: int = 0,
        chunk: int = 4,
        chunks_per_round: int = 16,
    ) -> _SampledOut: ...

# --- end attribution ---

# --- spectral rankings (LSR / ILSR on Plackett-Luce observations) ---
def spectral_rankings_fit(
    n_items: int,
    offsets: npt.NDArray[np.uint64],
    items: npt.NDArray[np.uint32],
    n_ranked: npt.NDArray[np.uint32],
    kind: str,
    weight: npt.NDArray[np.float64] | None = None,
    alpha: float = 0.0,
    max_iter: int = 10_000,
    tol: float = 1e-10,
    dense: bool | None = None,
    dedup: bool = True,
) -> RankingsFit: ...

# --- end spectral rankings ---

# --- curate pairs ---

def robust_curate_pairs(
    prompt: npt.NDArray[np.uint32],
    a: npt.NDArray[np.uint32],
    b: npt.NDArray[np.uint32],
    judge: npt.NDArray[np.uint32],
    vote: npt.NDArray[np.int8],
    n_prompts: int,
    n_items: int,
    n_judges: int,
    alpha: float = 1.0,
    eps_init: float = 0.1,
    max_iter: int = 100,
    tol: float = 1e-4,
    pairs: str = "all",
    min_weight: float = 0.5,
) -> CuratedPairs: ...

# --- end curate pairs ---

# --- fit results: frozen classes (read-only attributes), one per result shape ---

@final
class BtFit:
    """``bt_fit``."""

    theta: npt.NDArray[np.float64]
    tie_param: float | None
    loglik: float
    iterations: int
    converged: bool
    method: str

@final
class BootstrapDraws:
    """``bt_bootstrap``: ``theta`` is rounds x items."""

    theta: npt.NDArray[np.float64]
    tie_param: npt.NDArray[np.float64]
    degenerate: int
    not_converged: int
    chord_steps: int

@final
class SpectralFit:
    """``spectral_fit``."""

    theta: npt.NDArray[np.float64]
    iterations: int
    converged: bool

@final
class GroupFits:
    """``bt_groups``, ``pl_groups``: group g holds ``items[offsets[g]:offsets[g + 1]]``."""

    offsets: npt.NDArray[np.uint64]
    items: npt.NDArray[np.uint32]
    theta: npt.NDArray[np.float64]
    converged: npt.NDArray[np.bool_]
    identifiable: npt.NDArray[np.bool_]
    iterations: npt.NDArray[np.uint32]

@final
class ContextualFit:
    """``contextual_bt_fit``."""

    theta: npt.NDArray[np.float64]
    beta: npt.NDArray[np.float64]
    loglik: float
    iterations: int
    converged: bool

@final
class RankingsFit:
    """``pl_fit``, ``spectral_rankings_fit`` (``method`` None for a spectral estimate)."""

    theta: npt.NDArray[np.float64]
    loglik: float
    iterations: int
    converged: bool
    method: str | None
    wins: npt.NDArray[np.float64]
    games: npt.NDArray[np.float64]

@final
class LabelNoiseFit:
    """``robust_label_noise``."""

    theta: npt.NDArray[np.float64]
    epsilon: float
    epsilon_lo: float
    epsilon_hi: float
    judge_epsilon: npt.NDArray[np.float64]
    judge_lo: npt.NDArray[np.float64]
    judge_hi: npt.NDArray[np.float64]
    judge_weight: npt.NDArray[np.float64]
    posterior: npt.NDArray[np.float64]
    loglik: float
    iterations: int
    converged: bool
    joint_intervals: bool

@final
class RobustBtlFit:
    """``robust_btl_fit``: per observed cell ``i < j``."""

    matrix_corrupted: npt.NDArray[np.bool_]
    refit_rounds: int
    alpha_used: float
    theta: npt.NDArray[np.float64]
    i: npt.NDArray[np.uint32]
    j: npt.NDArray[np.uint32]
    wins_i: npt.NDArray[np.float64]
    wins_j: npt.NDArray[np.float64]
    logit: npt.NDArray[np.float64]
    weight: npt.NDArray[np.float64]
    residual: npt.NDArray[np.float64]
    corrupted: npt.NDArray[np.bool_]
    sigma: float
    iterations: int
    converged: bool

@final
class CuratedPairs:
    """``robust_curate``, ``robust_curate_pairs``: ``theta`` is prompts x responses; ``items`` (pairs only) likewise."""

    prompt: npt.NDArray[np.uint32]
    chosen: npt.NDArray[np.uint32]
    rejected: npt.NDArray[np.uint32]
    weight: npt.NDArray[np.float64]
    judge_epsilon: npt.NDArray[np.float64]
    judge_votes: npt.NDArray[np.float64]
    label_epsilon: float
    epsilon: float
    theta: npt.NDArray[np.float64]
    iterations: int
    converged: bool
    items: npt.NDArray[np.uint32] | None

@final
class FragilityFit:
    """``robust_fragility``: per removed comparison its cell's items and whether ``i`` won."""

    i: npt.NDArray[np.uint32]
    j: npt.NDArray[np.uint32]
    i_won: npt.NDArray[np.bool_]
    target: tuple[int, int]
    top_before: int
    top_after: int
    theta_before: npt.NDArray[np.float64]
    theta_after: npt.NDArray[np.float64]
    found: bool

@final
class TournamentSummary:
    """``tournament_stats``: ``order``, ``exact`` and ``backward_arcs`` are None without ``order=True``."""

    n_items: int
    n_arcs: int
    n_ties: int
    complete: bool
    triples: int
    circular: int
    equivalence: int
    other: int
    zeta: float
    c3_max: int
    wins: npt.NDArray[np.uint64]
    component: npt.NDArray[np.uint32]
    cycles: list[list[int]]
    order: npt.NDArray[np.uint32] | None
    exact: bool | None
    backward_arcs: int | None

@final
class ScoreTable:
    """``score_table``: ``table`` is 3 x 3; ``n``, ``conflicts``, ``reversals`` per judge code."""

    table: npt.NDArray[np.float64]
    n: npt.NDArray[np.float64]
    conflicts: npt.NDArray[np.float64]
    reversals: npt.NDArray[np.float64]

@final
class TriadCensus:
    """``triad_census``: per unit (group, judge) its counts; ``k4`` .. ``bad5`` None without ``ntr``;
    ``ex_*`` the example triples (``ex_unit`` indexes the units)."""

    group: npt.NDArray[np.uint32]
    judge: npt.NDArray[np.uint32]
    n_items: npt.NDArray[np.uint32]
    n_pairs: npt.NDArray[np.uint64]
    triples: npt.NDArray[np.uint64]
    circular: npt.NDArray[np.uint64]
    equivalence: npt.NDArray[np.uint64]
    other: npt.NDArray[np.uint64]
    k4: npt.NDArray[np.uint64] | None
    bad4: npt.NDArray[np.uint64] | None
    k5: npt.NDArray[np.uint64] | None
    bad5: npt.NDArray[np.uint64] | None
    ex_unit: npt.NDArray[np.uint64]
    ex_class: npt.NDArray[np.uint8]
    ex_x: npt.NDArray[np.uint32]
    ex_y: npt.NDArray[np.uint32]
    ex_z: npt.NDArray[np.uint32]
