"""Result types of attribution: Attribution and Game."""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import dataclass, field
from statistics import NormalDist
from typing import Any

import numpy as np

from prefrank._options import U64_MAX, check_int
from prefrank._results import Result, interval_frame
from prefrank.exceptions import input_error

__all__ = ["Attribution", "Game"]


@dataclass(frozen=True, repr=False)
class Attribution(Result):
    """Values of the players of a game (exact or sampled).

    ``values`` and ``stderr`` are pandas Series keyed by the player labels; ``raw`` and ``raw_stderr``
    are the same numbers as numpy arrays in player order. ``v_empty`` and ``v_full`` are the values of
    the empty and the grand coalition; ``efficiency_residual`` is ``sum(values) - (v_full - v_empty)``.
    """

    players: tuple[Hashable, ...]
    raw: np.ndarray
    raw_stderr: np.ndarray | None
    kind: str
    method: str
    v_empty: float
    v_full: float
    efficiency_residual: float
    n_evaluations: int
    n_samples: int | None = None
    converged: bool = True
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def values(self) -> Any:
        """pandas Series of the values, keyed by player."""
        import pandas as pd

        return pd.Series(self.raw, index=pd.Index(list(self.players), name="player"), name=self.kind)

    @property
    def stderr(self) -> Any:
        """pandas Series of the standard errors (``None`` for exact values)."""
        if self.raw_stderr is None:
            return None
        import pandas as pd

        return pd.Series(self.raw_stderr, index=pd.Index(list(self.players), name="player"), name="stderr")

    def __getitem__(self, player: Hashable) -> float:
        try:
            return float(self.raw[self.players.index(player)])
        except ValueError:
            raise KeyError(player) from None

    def to_pandas(self) -> Any:
        """DataFrame with one row per player: ``value`` (and ``stderr``), sorted by value, descending."""
        import pandas as pd

        cols: dict[str, Any] = {"value": self.raw}
        if self.raw_stderr is not None:
            cols["stderr"] = self.raw_stderr
        df = pd.DataFrame(cols, index=pd.Index(list(self.players), name="player"))
        return df.sort_values("value", ascending=False, kind="stable")

    def _dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "kind": self.kind,
            "method": self.method,
            "players": list(self.players),
            "values": self.raw,
            "stderr": self.raw_stderr,
            "v_empty": self.v_empty,
            "v_full": self.v_full,
            "efficiency_residual": self.efficiency_residual,
            "n_evaluations": self.n_evaluations,
            "n_samples": self.n_samples,
            "converged": self.converged,
        }
        out.update({k: v for k, v in self.extra.items() if isinstance(v, (int, float, str, bool))})
        return out

    def _intervals(self, level: float | None) -> Any:
        # Sampled values: normal intervals from the standard errors (any level); exact ones have none.
        if self.raw_stderr is None:
            return None
        z = NormalDist().inv_cdf(0.5 + (0.95 if level is None else level) / 2)
        return interval_frame(
            self.players, self.raw, self.raw - z * self.raw_stderr, self.raw + z * self.raw_stderr, "player"
        )

    def __repr__(self) -> str:
        order = np.argsort(-self.raw, kind="stable")
        lines = [
            f"Attribution({self.kind}, {self.method}, {len(self.players)} players, "
            f"v(empty)={self.v_empty:.6g}, v(N)={self.v_full:.6g}, "
            f"efficiency residual={self.efficiency_residual:.3g}, evaluations={self.n_evaluations})"
        ]
        for i in order[:20]:
            se = "" if self.raw_stderr is None else f"  +/- {self.raw_stderr[i]:.3g}"
            lines.append(f"  {self.players[i]!s:>24}  {self.raw[i]: .6g}{se}")
        if len(order) > 20:
            lines.append(f"  ... {len(order) - 20} more")
        return "\n".join(lines)


# --------------------------------------------------------------------------------------------------
# Games


@dataclass(frozen=True, repr=False)
class Game:
    """A game built into prefrank's Rust core (no Python call per coalition).

    Build one with :func:`shift_game` or :func:`majority_game`; pass it to :func:`shapley`,
    :func:`banzhaf` or :func:`semivalue`. Calling it on an ``(m, n)`` boolean array returns the ``m``
    coalition values; :meth:`table` returns all ``2**n`` values (bit ``k`` = player ``k``).
    """

    core: Any
    players: tuple[Hashable, ...]
    name: str
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def n_players(self) -> int:
        return len(self.players)

    def __call__(self, coalitions: Any) -> np.ndarray:
        members = np.ascontiguousarray(np.asarray(coalitions, dtype=bool), dtype=np.uint8)
        if members.ndim != 2:
            raise input_error(f"coalitions must be a 2-D (m, n) boolean array, got shape {members.shape}")
        return np.asarray(self.core.values(members))

    def table(self, *, max_memory: int | None = None) -> np.ndarray:
        """All ``2**n`` coalition values (refused beforehand if the table would not fit)."""
        check_int("max_memory", max_memory, max=U64_MAX, none=True)
        return np.asarray(self.core.table(max_memory))

    def __repr__(self) -> str:
        return f"Game({self.name}, {self.n_players} players)"
