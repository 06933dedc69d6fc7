"""PII masking rules shared by rendered notebooks and drill-down exports (SPEC §9)."""
from __future__ import annotations

import nbformat
import pandas as pd

from shopscore_nb.privacy import mask_id, mask_id_series, mask_notebook, mask_text, mask_text_series


def test_mask_text_phone_id_card_and_buyer_ids():
    text = "手机13812345678 身份证110101199003074512 买家B0607 订单O1234567890123"
    masked = mask_text(text, buyer_ids=["B0607"])
    # phone keeps 3 + 4 digits, ID card 6 + 4 characters, a buyer ID first and last character only
    assert masked == "手机138****5678 身份证110101********4512 买家B***7 订单O1234567890123"


def test_identifiers_do_not_leak_their_length():
    assert mask_id("B0607") == mask_id("B0000000007") == "B***7"
    assert mask_id("X") == "*"
    assert mask_id_series(pd.Series(["B0607", "Z", None])).tolist() == ["B***7", "*", pd.NA]
    assert mask_text_series(pd.Series(["call 13912345678"])).tolist() == ["call 139****5678"]


def test_mask_notebook_masks_every_output_kind():
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("x")
    cell.outputs = [
        nbformat.v4.new_output("stream", name="stdout", text="13812345678\n"),
        nbformat.v4.new_output("display_data", data={"text/html": "<td>B0607</td>", "text/plain": "B0607", "image/png": "iVBOR"}),
    ]
    nb.cells = [cell]
    mask_notebook(nb, buyer_ids={"B0607"})
    out = nb.cells[0].outputs
    assert out[0]["text"] == "138****5678\n"
    assert out[1]["data"]["text/html"] == "<td>B***7</td>" and out[1]["data"]["text/plain"] == "B***7"
    assert out[1]["data"]["image/png"] == "iVBOR"  # images untouched
