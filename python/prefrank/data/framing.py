"""Serialised statistics: label tables in the framed format (``rust/prefrank-core/src/stats.rs``)
and the mixin that gives every mergeable statistic ``to_bytes`` / ``from_bytes`` and pickling."""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from prefrank.exceptions import input_error

__all__ = ["Framed", "labels_from_frame", "labels_to_frame", "stats_bytes"]

_STATS_ERROR = "corrupt or incompatible prefrank statistics"


def labels_to_frame(labels: np.ndarray) -> tuple[str, Any]:
    """A label table as the ``(kind, values)`` pair the framed statistics format stores: int64,
    float64 and bool arrays as they are, ``U`` and object arrays as lists of Python values (str,
    int of any size, float, bool, bytes)."""
    kind = labels.dtype.kind
    if kind in "iu" and (len(labels) == 0 or labels.dtype.itemsize < 8 or kind == "i" or labels.max() < 2**63):
        return "int64", np.ascontiguousarray(labels, dtype=np.int64)
    if kind == "f":
        return "float64", np.ascontiguousarray(labels, dtype=np.float64)
    if kind == "b":
        return "bool", np.ascontiguousarray(labels, dtype=np.bool_)
    if kind == "U":
        return "unicode", labels.tolist()
    return "object", [x.item() if isinstance(x, np.generic) else x for x in labels.tolist()]


def labels_from_frame(frame: tuple[str, Any]) -> np.ndarray:
    """Inverse of :func:`labels_to_frame`."""
    kind, values = frame
    if kind == "unicode":
        return np.array(values, dtype=str) if values else np.array([], dtype="<U1")
    if kind == "object":
        out = np.empty(len(values), dtype=object)
        out[:] = values
        return out
    arr: np.ndarray = values
    return arr


def stats_bytes(data: Any) -> bytes:
    """``data`` as bytes for a ``from_bytes``; anything else is the one serialised-statistics error."""
    if isinstance(data, (bytes, bytearray, memoryview)):
        return bytes(data)
    raise input_error(f"{_STATS_ERROR}: expected bytes, got {type(data).__name__}")


class Framed:
    """Mixin of the mergeable statistics: ``to_bytes`` / ``from_bytes`` in the framed format, and
    pickling (Dask ships statistics between processes) through the same checked bytes."""

    __slots__ = ()
    # Each statistic defines these: its bytes, and the classmethod that reads them (options such
    # as dense= pass through from_bytes).
    _from_frame: ClassVar[Any]

    def _to_frame(self) -> bytes:
        raise NotImplementedError

    def to_bytes(self) -> bytes:
        """Serialise, labels included, in prefrank's framed statistics format: magic, format
        version, sections, a CRC-32 (see docs/reliability.md).

        Returns
        -------
        bytes
            Read back by ``from_bytes`` of the same class.

        Raises
        ------
        InputError
            A label of a type the format does not hold (it holds str, int of any size, float, bool
            and bytes), or parts that do not fit together.

        Example
        -------
        >>> pc = prefrank.comparisons(a=["x", "y"], b=["y", "z"], outcome=["a", "b"]).pair_counts()
        >>> prefrank.PairCounts.from_bytes(pc.to_bytes()) == pc
        True
        """
        return self._to_frame()

    @classmethod
    def from_bytes(cls, data: bytes, **options: Any) -> Any:
        """Inverse of :meth:`to_bytes`.

        Parameters
        ----------
        data
            Bytes from ``to_bytes``.
        **options
            ``dense=`` for :class:`~prefrank.PairCounts` (the store to load into; None: dense up to
            2,048 items), ``categories=`` for a coincidence matrix (checked against the stored ones).

        Returns
        -------
        The statistic, equal to the one serialised.

        Raises
        ------
        InputError
            ``"corrupt or incompatible prefrank statistics: ..."``: the bytes are damaged,
            truncated, of another statistic, or written by another prefrank format version.

        Example
        -------
        >>> prefrank.PairCounts.from_bytes(pc.to_bytes()).n_items
        3
        """
        return cls._from_frame(stats_bytes(data), **options)

    def __reduce__(self) -> tuple[Any, tuple[bytes]]:
        return (type(self).from_bytes, (self.to_bytes(),))
