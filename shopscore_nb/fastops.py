"""Vectorised helpers where pandas is slow on Arrow-backed strings.

pandas 3 stores text as Arrow strings; its ``Series.isin`` converts every *value* to a Python
scalar first, which takes seconds for a million order IDs. ``isin`` here hands the whole value
set to ``pyarrow.compute.is_in`` instead.

>>> import pandas as pd
>>> isin(pd.Series(["a", "b", None], dtype="string"), pd.Series(["b", "c"], dtype="string")).tolist()
[False, True, False]
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc


def _arrow(values) -> pa.Array:
    if isinstance(values, (pd.Series, pd.Index)):
        values = values.array
    arr = getattr(values, "_pa_array", None)
    if arr is None:
        arr = pa.array(np.asarray(list(values) if not hasattr(values, "__array__") else values, dtype=object), type=pa.large_string(), from_pandas=True)
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    return arr


def isin(series: pd.Series, values) -> np.ndarray:
    """``series.isin(values)`` (a Series or an Index) as a NumPy bool array; nulls are never members."""
    if isinstance(series, pd.Index):
        series = series.to_series(index=None)
    if not (pd.api.types.is_string_dtype(series.dtype) and getattr(series.array, "_pa_array", None) is not None):
        return np.asarray(series.isin(values), dtype=bool)
    left = series.array._pa_array
    right = _arrow(values)
    if right.type != left.type:
        right = right.cast(left.type)
    return np.asarray(pc.is_in(left, value_set=right).fill_null(False), dtype=bool)
