"""Shared integer codes for a shop's keys, and categoricals for its low-cardinality text.

pandas 3 keeps text as Arrow strings: every filter copies the bytes, every ``groupby``, join and
``isin`` hashes the same million order IDs again. After validation, each key family (``order_id``
in the order, waybill, after-sales, review and complaint tables; ``session_id``; ``buyer_id``;
``agent_id``) becomes one :class:`pandas.CategoricalDtype` shared by every table that holds it, so
joins and look-ups between tables run on the integer codes, and repeated labels (status, province,
sender role …) are stored once. Values, and everything a reader sees, are unchanged: a categorical
prints, compares and exports as its text.

>>> import pandas as pd
>>> tables = {"orders": pd.DataFrame({"order_id": ["a", "b"]}),
...           "reviews": pd.DataFrame({"order_id": ["b", None]})}
>>> tables = encode(tables)
>>> tables["orders"]["order_id"].dtype == tables["reviews"]["order_id"].dtype
True
>>> tables["reviews"]["order_id"].cat.codes.tolist()
[1, -1]
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

#: key families: every table column holding the same kind of key shares one set of codes
FAMILIES: dict[str, tuple[tuple[str, str], ...]] = {
    "order_id": (("orders", "order_id"), ("shipments", "order_id"), ("after_sales", "order_id"),
                 ("reviews", "order_id"), ("complaints", "order_id")),
    "session_id": (("im_sessions", "session_id"), ("im_messages", "session_id")),
    "buyer_id": (("orders", "buyer_id"), ("im_sessions", "buyer_id"), ("im_messages", "buyer_id")),
    "agent_id": (("im_sessions", "agent_id"), ("im_messages", "agent_id")),
}

#: repeated labels in the large tables, kept once per distinct value
LABELS: dict[str, tuple[str, ...]] = {
    "orders": ("status", "order_type", "province", "product_id", "product_name"),
    "shipments": ("carrier",),
    "im_messages": ("sender_role", "sender_role_raw"),
}


def _is_text(series: pd.Series) -> bool:
    return isinstance(series.dtype, pd.StringDtype)


def _arrow(series: pd.Series) -> pa.Array:
    arr = pa.array(series.array, from_pandas=True) if getattr(series.array, "_pa_array", None) is None \
        else series.array._pa_array
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks() if arr.num_chunks else pa.array([], type=arr.type)
    return arr.cast(pa.large_string())


def _dtype(dictionary: pa.Array) -> pd.CategoricalDtype:
    categories = pd.Index(pd.arrays.ArrowStringArray(dictionary.cast(pa.large_string())))
    # the dictionary of a hash encoding holds each value once: no second hashing to check it
    return pd.CategoricalDtype._from_fastpath(categories, ordered=False)


def _codes(indices: pa.Array) -> np.ndarray:
    return np.asarray(indices.fill_null(-1).to_numpy(zero_copy_only=False), dtype=np.int32)


def _encode_family(tables: dict[str, pd.DataFrame], members: tuple[tuple[str, str], ...]) -> None:
    present = [(t, c) for t, c in members if t in tables and c in tables[t] and _is_text(tables[t][c])]
    if not present:
        return
    arrays = [_arrow(tables[t][c]) for t, c in present]
    encoded = pc.dictionary_encode(pa.concat_arrays(arrays))
    dtype = _dtype(encoded.dictionary)
    codes = _codes(encoded.indices)
    start = 0
    for (table, column), arr in zip(present, arrays, strict=True):
        part = codes[start:start + len(arr)]
        start += len(arr)
        frame = tables[table]
        frame[column] = pd.Series(pd.Categorical.from_codes(part, dtype=dtype, validate=False), index=frame.index)


def _encode_labels(frame: pd.DataFrame, columns: tuple[str, ...]) -> None:
    for column in columns:
        if column in frame and _is_text(frame[column]):
            encoded = pc.dictionary_encode(_arrow(frame[column]))
            if len(encoded.dictionary) * 2 <= max(len(frame), 1):  # repeated enough to pay for itself
                frame[column] = pd.Series(
                    pd.Categorical.from_codes(_codes(encoded.indices), dtype=_dtype(encoded.dictionary), validate=False),
                    index=frame.index)


def encode(tables: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """The tables with shared key codes and label categoricals (the frames are changed in place)."""
    for members in FAMILIES.values():
        _encode_family(tables, members)
    for table, columns in LABELS.items():
        if table in tables:
            _encode_labels(tables[table], columns)
    return tables


def add_labels(tables: dict[str, pd.DataFrame], table: str, new: pd.DataFrame) -> None:
    """Extend the categorical columns of ``tables[table]`` by the labels ``new`` brings (a what-if's
    synthetic orders and sessions), the whole key family at once so its tables keep one dtype."""
    frame = tables[table]
    for col in list(frame.columns):
        dtype = frame[col].dtype
        if not (isinstance(dtype, pd.CategoricalDtype) and col in new):
            continue
        labels = pd.Index(new[col].dropna().astype("string").unique())
        extra = labels[dtype.categories.get_indexer(labels) < 0]
        if not len(extra):
            continue
        wider = pd.CategoricalDtype._from_fastpath(dtype.categories.append(extra), ordered=False)
        members = next((m for m in FAMILIES.values() if (table, col) in m), ((table, col),))
        for t, c in members:
            if t in tables and c in tables[t] and tables[t][c].dtype == dtype:
                codes = tables[t][c].cat.codes.to_numpy()  # appending categories keeps every code
                tables[t] = tables[t].assign(**{c: pd.Categorical.from_codes(codes, dtype=wider, validate=False)})


def encoded_columns(table: str) -> set[str]:
    """The columns :func:`encode` may turn into categoricals in ``table``."""
    keys = {c for members in FAMILIES.values() for t, c in members if t == table}
    return keys | set(LABELS.get(table, ()))


def decode(frame: pd.DataFrame, table: str) -> pd.DataFrame:
    """A copy of ``table``'s frame with the encoded columns as plain text again (for writing)."""
    cols = [c for c in encoded_columns(table) if c in frame and isinstance(frame[c].dtype, pd.CategoricalDtype)]
    return frame.astype({c: "string" for c in cols}) if cols else frame
