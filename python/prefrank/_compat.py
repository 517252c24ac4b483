"""Optional-dependency probes: is this object a pandas, polars or pyarrow table or array (without importing them)."""

from __future__ import annotations

from typing import Any

# --------------------------------------------------------------------------------------------------
# Columns


def _is_pandas(obj: Any) -> bool:
    return type(obj).__module__.startswith("pandas") and hasattr(obj, "columns")


def _is_polars(obj: Any) -> bool:
    return type(obj).__module__.startswith("polars") and hasattr(obj, "columns")


def _is_arrow_table(obj: Any) -> bool:
    return type(obj).__module__.startswith("pyarrow") and hasattr(obj, "column_names")


def _is_arrow_array(obj: Any) -> bool:
    return type(obj).__module__.startswith("pyarrow") and hasattr(obj, "type") and hasattr(obj, "to_numpy")


def _is_polars_lazy(obj: Any) -> bool:
    return type(obj).__module__.startswith("polars") and type(obj).__name__ == "LazyFrame"


def _is_arrow_dataset(obj: Any) -> bool:
    return type(obj).__module__.startswith("pyarrow") and hasattr(obj, "to_table") and hasattr(obj, "scanner")
