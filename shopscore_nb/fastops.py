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


def positions(keys, index: pd.Index) -> np.ndarray:
    """``index.get_indexer(keys)`` (−1 where absent), through Arrow's hash join for Arrow strings."""
    keys = keys if isinstance(keys, (pd.Series, pd.Index)) else pd.Index(keys)
    left = getattr(keys.array, "_pa_array", None)
    right = getattr(index.array, "_pa_array", None)
    if left is None or right is None or not index.is_unique:
        return index.get_indexer(keys)
    right = right.combine_chunks() if isinstance(right, pa.ChunkedArray) else right
    if right.type != left.type:
        right = right.cast(left.type)
    return np.asarray(pc.index_in(left, value_set=right).fill_null(-1), dtype="int64")


def lookup(keys, table: pd.Series) -> pd.Series:
    """``keys.map(table)`` aligned on ``keys``, keeping ``table``'s dtype even when it is empty
    (pandas' ``map`` turns an empty datetime mapping into float)."""
    keys = keys if isinstance(keys, pd.Series) else pd.Series(keys, index=keys)
    pos = positions(keys, table.index)
    values = table.array.take(pos, allow_fill=True)
    return pd.Series(values, index=keys.index, name=table.name)


def join_index(left: pd.DataFrame, right: pd.DataFrame) -> pd.DataFrame:
    """``left.join(right)`` on unique indexes (one hash look-up for all of ``right``'s columns)."""
    pos = positions(left.index, right.index)
    out = left.copy()
    for col in right.columns:
        out[col] = pd.Series(right[col].array.take(pos, allow_fill=True), index=left.index)
    return out


class _CodedGroupBy:
    """A groupby on the integer codes of a categorical key, whose results are indexed by the key again.

    pandas re-encodes a categorical's categories on every ``groupby(observed=True)`` (hashing every
    distinct order ID); grouping on the codes skips that. Results keyed by group come back with a
    categorical index of the key's own dtype; row-aligned results (``transform``, ``cumcount``) as is.
    """

    def __init__(self, groupby, dtype: pd.CategoricalDtype, name):
        self._gb, self._dtype, self._name = groupby, dtype, name

    def __getitem__(self, columns):
        return _CodedGroupBy(self._gb[columns], self._dtype, self._name)

    def __getattr__(self, attr):
        value = getattr(self._gb, attr)
        if not callable(value):
            return value

        def call(*args, **kwargs):
            return self._keyed(value(*args, **kwargs))

        return call

    def _keyed(self, out):
        if isinstance(out, (pd.Series, pd.DataFrame)) and out.index.name == _CODES:
            codes = out.index.to_numpy()
            out.index = pd.CategoricalIndex(pd.Categorical.from_codes(codes, dtype=self._dtype, validate=False), name=self._name)
        return out


_CODES = "__key_codes__"


def group_by(obj: pd.DataFrame | pd.Series, key: str | pd.Series, sort: bool = False):
    """``obj.groupby(key, sort=sort)`` (rows with a missing key dropped), on integer codes when the
    key is categorical (see :mod:`shopscore_nb.compact`). With ``sort=True`` groups come in the order
    of the key's categories, which for encoded keys is first appearance, not alphabetical.

    >>> f = pd.DataFrame({"k": pd.Categorical(["b", "a", "b", None]), "x": [1, 2, 3, 4]})
    >>> group_by(f, "k")["x"].sum().to_dict()
    {'b': 4, 'a': 2}
    """
    keys = obj[key] if isinstance(key, str) else key
    name = key if isinstance(key, str) else keys.name
    if not isinstance(keys.dtype, pd.CategoricalDtype):
        return obj.groupby(keys, sort=sort)
    codes = np.asarray(keys.cat.codes)
    valid = codes >= 0
    if not valid.all():
        obj, codes = obj[valid], codes[valid]
    return _CodedGroupBy(obj.groupby(pd.Series(codes, index=obj.index, name=_CODES), sort=sort), keys.dtype, name)
