"""The notebooks: declared parameters, clean committed files, real runs with other parameters, clear errors.

Also the helpers they call (``shopscore_nb.notebook``): parameter validation, the load cache, daily
series, definitions, tiny shops for training, HTML export. The nbval run of the committed notebooks is
``pytest --nbval-lax notebooks/ --nbval-sanitize-with nbval_sanitize.cfg`` (golden cells compared).
"""
from __future__ import annotations

import ast
import math
import os
import re
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import nbformat
import pandas as pd
import papermill as pm
import pytest

from shopscore_nb import notebook as nb
from shopscore_nb.metrics.base import REGISTRY

ROOT = Path(__file__).resolve().parents[1]
NB_DIR = ROOT / "notebooks"
DEMO = ROOT / "data" / "demo"
EXPECTED = ["00_overview", "01_product_experience", "02_logistics_experience", "03_service_experience",
            "04_customer_service", "05_after_sales", "06_reviews", "07_reconcile", "10_training"]
NOTEBOOKS = sorted(NB_DIR.glob("*.ipynb"))
REQUIRED_PARAMS = {"data_dir": "str", "shop_id": "str", "as_of": "str", "profile": "str", "window_days": "int"}
OTHER_SHOP, OTHER_AS_OF = "struggling", "2026-10-20"
needs_demo = pytest.mark.skipif(not (DEMO / OTHER_SHOP).is_dir(), reason="demo data not generated (python -m shopscore_nb.demo data/demo)")


def _stripper():
    import importlib.util

    spec = importlib.util.spec_from_file_location("_strip_outputs", Path(__file__).with_name("_strip_outputs.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _ids(paths):
    return [p.stem for p in paths]


def _read(path: Path):
    return nbformat.read(path, as_version=4)


def _parameters_cells(book):
    return [c for c in book.cells if "parameters" in c.metadata.get("tags", [])]


# ---------------------------------------------------------------- (a) declared parameters
def test_every_expected_notebook_exists():
    assert [p.stem for p in NOTEBOOKS] == EXPECTED


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_ids(NOTEBOOKS))
def test_exactly_one_parameters_cell_of_annotated_literals(path):
    cells = _parameters_cells(_read(path))
    assert len(cells) == 1, "exactly one cell tagged 'parameters'"
    cell = cells[0]
    assert cell.cell_type == "code"
    for stmt in ast.parse(cell.source).body:  # literals only: papermill does not recompute derived values
        assert isinstance(stmt, ast.AnnAssign) and isinstance(stmt.value, ast.Constant), ast.unparse(stmt)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_ids(NOTEBOOKS))
def test_declared_parameters_names_types_and_help(path):
    declared = pm.inspect_notebook(str(path))
    for name, kind in REQUIRED_PARAMS.items():
        assert name in declared, name
        assert declared[name]["inferred_type_name"] == kind, (name, declared[name])
        assert declared[name]["help"], f"{name} has no help text"
    assert declared["data_dir"]["default"] == '"../data/demo"'
    assert declared["shop_id"]["default"] == '"flagship"'
    assert declared["as_of"]["default"] == '""'
    assert declared["profile"]["default"] == '"douyin_2022"'
    assert declared["window_days"]["default"] == "0"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_ids(NOTEBOOKS))
def test_the_cell_after_the_parameters_validates_them(path):
    book = _read(path)
    i = next(i for i, c in enumerate(book.cells) if "parameters" in c.metadata.get("tags", []))
    nxt = book.cells[i + 1]
    assert nxt.cell_type == "code" and "nb.validate_parameters(" in nxt.source
    for name in REQUIRED_PARAMS:
        assert f"{name}={name}" in nxt.source


# ---------------------------------------------------------------- committed files are clean
@pytest.mark.parametrize("path", NOTEBOOKS, ids=_ids(NOTEBOOKS))
def test_committed_notebook_keeps_only_golden_outputs(path):
    is_golden, strip = _stripper().is_golden, _stripper().strip
    book = _read(path)
    nbformat.validate(book)
    assert nbformat.writes(strip(book)) == nbformat.writes(book), "run python tests/_strip_outputs.py on it"
    golden = [c for c in book.cells if is_golden(c)]
    assert golden, "at least one # NBVAL_CHECK_OUTPUT cell"
    for cell in golden:
        assert cell.execution_count is not None and cell.outputs, "golden cells are stored executed"
        text = "".join(o.get("text", "") for o in cell.outputs)
        assert text and not re.search(r"Traceback|Error|Warning", text)
    assert set(book.metadata) == {"kernelspec", "language_info"}


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_ids(NOTEBOOKS))
def test_cells_hold_calls_not_logic(path):
    for cell in _read(path).cells:
        if cell.cell_type != "code":
            continue
        tree = ast.parse(cell.source)
        assert not [n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.ClassDef, ast.For, ast.While))], cell.source
        logic = [ln for ln in cell.source.splitlines() if ln.strip() and not ln.strip().startswith("#")]
        assert len(logic) <= 25, cell.source


def test_training_answers_are_collapsed_and_it_needs_no_data():
    book = _read(NB_DIR / "10_training.ipynb")
    answers = [c for c in book.cells if "answer" in c.metadata.get("tags", [])]
    assert len(answers) >= 3
    for cell in answers:
        assert cell.metadata["jupyter"]["source_hidden"] is True
        assert cell.metadata["jupyter"]["outputs_hidden"] is True
    source = "\n".join(c.source for c in book.cells if c.cell_type == "code")
    assert "need_data=False" in source and "load_report" not in source


# ---------------------------------------------------------------- (b) real runs, another shop and date
PROFILE_2026_RUNS = ["00_overview", "03_service_experience"]  # the current rules, end to end, on the growth shop


def _run(args):
    name, out, parameters = args
    try:
        pm.execute_notebook(str(NB_DIR / f"{name}.ipynb"), out, parameters=parameters,
                            kernel_name="python3", cwd=str(NB_DIR), progress_bar=False, execution_timeout=600)
        return Path(out).stem, None
    except Exception as exc:  # reported by the test of that notebook
        return Path(out).stem, f"{type(exc).__name__}: {exc}"


@pytest.fixture(scope="module")
def executed(tmp_path_factory):
    """Every notebook run once with papermill (processes: papermill's cwd is a process-wide chdir)."""
    out = tmp_path_factory.mktemp("executed")
    jobs = [(p.stem, str(out / p.name), {"shop_id": OTHER_SHOP, "as_of": OTHER_AS_OF}) for p in NOTEBOOKS]
    jobs += [(n, str(out / f"{n}__2026.ipynb"), {"shop_id": "growth", "profile": "douyin_2026"}) for n in PROFILE_2026_RUNS]
    with ProcessPoolExecutor(max_workers=max(1, min(2, os.cpu_count() or 1))) as pool:
        errors = dict(pool.map(_run, jobs))
    return out, errors


@needs_demo
@pytest.mark.parametrize("name", EXPECTED)
def test_notebook_runs_for_another_shop_without_errors_or_warnings(executed, name):
    out, errors = executed
    assert errors[name] is None, errors[name]
    book = _read(out / f"{name}.ipynb")
    injected = [c for c in book.cells if "injected-parameters" in c.metadata.get("tags", [])]
    assert injected and OTHER_SHOP in injected[0].source
    texts = []
    for cell in book.cells:
        for o in cell.get("outputs", []):
            assert o.get("output_type") != "error", o
            assert not (o.get("output_type") == "stream" and o.get("name") == "stderr"), o.get("text")
            texts.append(o.get("text", "") if "text" in o else "".join(str(v) for k, v in o.get("data", {}).items() if k.startswith("text/")))
    joined = "\n".join(texts)
    assert not re.search(r"Warning|Glyph .* missing|Traceback", joined)
    if name != "10_training":
        assert f"shop={OTHER_SHOP} as_of={OTHER_AS_OF}" in joined
        assert any("image/png" in o.get("data", {}) for c in book.cells for o in c.get("outputs", [])), "charts drawn"


@needs_demo
@pytest.mark.parametrize("name", PROFILE_2026_RUNS)
def test_notebook_runs_under_the_2026_profile(executed, name):
    out, errors = executed
    assert errors[f"{name}__2026"] is None, errors[f"{name}__2026"]
    book = _read(out / f"{name}__2026.ipynb")
    outputs = [o for c in book.cells for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error" or o.get("name") == "stderr"]
    text = "\n".join(o.get("text", "") for o in outputs)
    assert "profile=douyin_2026" in text and "service.im_avg_response_seconds" in text


@needs_demo
def test_html_export_hides_the_code(executed, tmp_path):
    out, errors = executed
    assert errors["04_customer_service"] is None
    html = nb.to_html(out / "04_customer_service.ipynb", tmp_path / "report" / "cs.html").read_text(encoding="utf-8")
    assert "飞鸽" in html and "data:image/png;base64" in html
    for code in ("validate_parameters", "nb.show_indicator", "shop_id: str", "NBVAL_CHECK_OUTPUT"):
        assert code not in html
    assert (tmp_path / "report" / "cs.html").stat().st_mode & 0o644 == 0o644


# ---------------------------------------------------------------- (c) bad parameters fail clearly
@pytest.mark.parametrize("name", ["01_product_experience", "10_training"])
def test_unknown_profile_fails_with_one_clear_message(name, tmp_path):
    with pytest.raises(pm.PapermillExecutionError) as err:
        pm.execute_notebook(str(NB_DIR / f"{name}.ipynb"), str(tmp_path / "out.ipynb"), parameters={"profile": "nosuch"},
                            kernel_name="python3", cwd=str(NB_DIR), progress_bar=False, execution_timeout=300)
    exc = err.value
    assert exc.ename == "ParameterError"
    assert "unknown profile 'nosuch'" in exc.evalue and "douyin_2022" in exc.evalue
    assert "validate_parameters" in exc.source  # failed in the validation cell, not deep inside a later one


def test_training_renders_for_a_2026_batch_with_seed_examples(tmp_path):
    """A batch scored with douyin_2026 renders the training too: parts 1–2 keep the seed definitions, the shop
    section uses the batch's profile."""
    pm.execute_notebook(str(NB_DIR / "10_training.ipynb"), str(tmp_path / "out.ipynb"), parameters={"profile": "douyin_2026"},
                        kernel_name="python3", cwd=str(NB_DIR), progress_bar=False, execution_timeout=600)
    assert nb.examples_profile("douyin_2026") == "douyin_2022" and nb.examples_profile("douyin_2022") == "douyin_2022"


def test_validate_parameters_lists_every_problem_at_once(tmp_path):
    with pytest.raises(ValueError) as err:
        nb.validate_parameters(data_dir=str(tmp_path / "nope"), shop_id="x", as_of="2026-13-01", profile="nosuch", window_days=-1)
    msg = str(err.value)
    assert isinstance(err.value, nb.ParameterError)
    for part in ("data_dir", "not found", "as_of", "2026-13-01", "profile", "nosuch", "window_days"):
        assert part in msg
    assert err.value.__cause__ is None and err.value.__suppress_context__  # no chained traceback


def test_validate_parameters_types_and_missing_shop(tmp_path):
    (tmp_path / "shopA").mkdir()
    with pytest.raises(nb.ParameterError, match="shop_id: .*no such shop folder"):
        nb.validate_parameters(data_dir=str(tmp_path), shop_id="shopB")
    with pytest.raises(nb.ParameterError, match="window_days: expected a whole number"):
        nb.validate_parameters(data_dir=str(tmp_path), shop_id="shopA", window_days="30")
    with pytest.raises(nb.ParameterError, match="top_n"):
        nb.validate_parameters(data_dir=str(tmp_path), shop_id="shopA", top_n=0)
    p = nb.validate_parameters(data_dir=str(tmp_path), shop_id="shopA", as_of="2026-10-01", window_days=30, top_n=5)
    assert p.as_of == pd.Timestamp("2026-10-01") and p.window_days == 30 and p.top_n == 5
    assert nb.validate_parameters(data_dir=str(tmp_path), shop_id="shopA", as_of="", window_days=0).window_days is None
    assert nb.validate_parameters(data_dir="nowhere", shop_id="x", need_data=False).profile == "douyin_2022"


# ---------------------------------------------------------------- helpers behind the notebooks
@pytest.fixture
def minishops_root():
    """The repository's golden data root (tests/fixtures/minishops/data: mini1, mini2, minidecoy)."""
    from conftest import MINISHOPS

    return MINISHOPS / "data"


def test_second_load_is_served_from_the_cache_until_a_file_changes(minishops_root, tmp_path):
    import shutil

    shutil.copytree(minishops_root / "mini2", tmp_path / "mini2")
    nb.clear_cache()
    params = nb.validate_parameters(data_dir=str(tmp_path), shop_id="mini2", as_of="2026-10-01")
    first = nb.load_report(params)
    again = nb.load_report(params)
    assert again is first
    info = nb.cache_info()
    assert (info["shop_misses"], info["shop_hits"], info["report_misses"], info["report_hits"]) == (1, 1, 1, 1)
    f = tmp_path / "mini2" / "reviews.csv"
    os.utime(f, ns=(f.stat().st_atime_ns, f.stat().st_mtime_ns + 10**9))  # touched, same content: the key is the content
    assert nb.load_report(params) is first
    text = f.read_text(encoding="utf-8")
    f.write_text(text.replace("mini2-O01,2026-08-05 10:00:00,5", "mini2-O01,2026-08-05 10:00:00,1"), encoding="utf-8")  # an edited export
    edited = nb.load_report(params)
    assert edited is not first
    assert (first.results["reviews.bad_rate"].numerator, edited.results["reviews.bad_rate"].numerator) == (1, 2)
    assert nb.cache_info()["shop_misses"] == 2 and nb.cache_info()["shops"] == 1
    nb.clear_cache()


@pytest.mark.parametrize("profile", ["douyin_2022", "douyin_2026"])
def test_daily_series_add_up_to_every_indicator(minishops_root, profile):
    nb.clear_cache()
    rep = nb.load_report(nb.validate_parameters(data_dir=str(minishops_root), shop_id="mini1", as_of="2026-10-01", profile=profile))
    for key, r in rep.results.items():
        daily = nb.daily_series(rep, key)
        assert len(daily) == rep.ctx.window_days
        if r.numerator is not None and r.value is not None:
            assert math.isclose(daily["numerator"].sum(), r.numerator, rel_tol=1e-9, abs_tol=1e-9), key
        if r.denominator is not None:
            assert daily["denominator"].sum() == pytest.approx(r.denominator), key
    nb.clear_cache()


def test_every_indicator_has_a_bilingual_definition_and_a_trend_rule():
    placeholders = {"N", "lag", "start", "end", "reply_s", "first_s", "sla_h", "unanswered_s", "bh_start", "bh_end"}
    for ruleset, known in REGISTRY.items():
        for key in known:
            entry = nb.definition(key, ruleset)
            for field in ("what_zh", "what_en", "formula_zh", "formula_en", "moves_zh", "moves_en", "name_en"):
                assert entry.get(field), (ruleset, key, field)
                assert set(re.findall(r"\{(\w+)\}", entry[field])) <= placeholders, (key, field)
            assert entry["trend"].get("date") and entry["trend"].get("kind") in ("rate", "mean", "count", "sum"), key


def test_definition_text_follows_the_profile_and_window():
    from shopscore_nb.metrics import Context
    from shopscore_nb.profile import load_profile

    shop = nb.tiny_shop(orders=pd.DataFrame({"主订单编号": ["A"], "支付完成时间": ["2026-03-01 10:00:00"]}))
    prof = load_profile("douyin_2022", {"im": {"reply_within_seconds": 120}, "business_hours": {"start": "09:00:00"}})
    text = nb.explain_text(Context.build(shop, as_of="2026-03-08", profile=prof, window_days=7), "service.im_3min_reply_rate")
    assert "120 秒" in text and "09:00–23:00" in text and "[2026-03-01 00:00, 2026-03-08 00:00)" in text
    lagged = nb.explain_text(Context.build(shop, as_of="2026-03-08", window_days=7), "service.complaint_rate")
    assert "[2026-02-15 00:00, 2026-02-22 00:00)" in lagged


def test_tiny_shop_goes_through_real_parsing_and_quarantine():
    shop = nb.tiny_shop(
        orders=pd.DataFrame({"主订单编号": ["B1", "B2"], "支付完成时间": ["2026-03-02 10:00:00", "2026-03-02 11:00:00"]}),
        shipments=pd.DataFrame({"订单号": ["B1", "B2"], "揽收时间": ["2026-03-02 09:00:00", "2026-03-04 10:00:00"]}),
    )
    assert list(shop.quarantine["reason"]) == ["picked_up_before_paid"]
    r = nb.tiny_result(shop, "logistics.pickup_on_time_rate", as_of="2026-03-08", window_days=7)
    nb.check(r, 1.0)
    with pytest.raises(AssertionError):
        nb.check(r, 0.5)
    with pytest.raises(ValueError, match="unknown column"):
        nb.tiny_shop(orders=pd.DataFrame({"主订单编号": ["A"], "支付完成时间": ["2026-03-01"], "什么": [1]}))


def test_agent_table_and_heat_map_cover_every_counted_round(minishops_root):
    nb.clear_cache()
    # mini1: 16 counted rounds, 6 failing sessions (HAND_CHECK.md)
    rep = nb.load_report(nb.validate_parameters(data_dir=str(minishops_root), shop_id="mini1", as_of="2026-10-01"))
    rounds = nb.counted_rounds(rep)
    assert (len(rounds), int(rounds["passed"].sum())) == (16, 10)
    agents = nb.agent_table(rep)
    assert agents["rounds"].sum() == len(rounds)
    assert agents["passed"].sum() == rounds["passed"].sum()
    rate, volume = nb.hour_weekday(rep)
    assert volume.to_numpy().sum() == len(rounds)
    assert list(volume.columns) == ["周一", "周二", "周三", "周四", "周五", "周六", "周日"]
    failing = nb.failing_sessions(rep, top_n=5)
    assert failing.index.get_level_values("session_id").nunique() == 5
    assert (~failing.groupby(level="session_id")["passed"].all()).all()
    nb.clear_cache()


def test_pooled_calibration_is_computed_once_per_data_root(tmp_path, monkeypatch):
    """07's calibration pools every shop of the data root: a kernel that renders many shops (and a second kernel
    sharing the batch's cache folder) computes it once; each page still carries its own shop id, and a failed
    calibration (its message is about the page's shop) is never kept."""
    from types import SimpleNamespace

    from shopscore_nb.present import session
    from shopscore_nb.reconcile import view as rv
    from shopscore_nb.store import ENV

    calls = []

    def fake_calibration(view):
        calls.append(view.shop.shop_id)
        ok = view.params.data_dir != "broken"
        return rv.CalibrationView({"pooled": "numbers"} if ok else None, "" if ok else f"failed for {view.shop.shop_id}", "cmd",
                                  view.shop.shop_id)

    def page(shop, root="root"):
        return SimpleNamespace(rec=object(), shop=SimpleNamespace(shop_id=shop), params=SimpleNamespace(data_dir=root))

    monkeypatch.setattr(rv, "calibration", fake_calibration)
    monkeypatch.setattr(session, "_calibration_key", lambda view: ("key", view.params.data_dir))
    monkeypatch.setattr(session, "_CALIBRATIONS", {})
    monkeypatch.setenv(ENV, str(tmp_path / "cache"))
    a, b = session.calibration_of(page("shopA")), session.calibration_of(page("shopB"))
    assert calls == ["shopA"] and a.result == b.result == {"pooled": "numbers"}
    assert (a.shop_id, b.shop_id) == ("shopA", "shopB")
    session._CALIBRATIONS.clear()  # another kernel (or a replaced one): served from the batch's cache folder
    assert session.calibration_of(page("shopC")).result == {"pooled": "numbers"} and calls == ["shopA"]
    assert list((tmp_path / "cache" / "calibration").glob("*.pickle"))
    for shop in ("shopD", "shopE"):
        assert session.calibration_of(page(shop, "broken")).message == f"failed for {shop}"
    assert calls == ["shopA", "shopD", "shopE"]
