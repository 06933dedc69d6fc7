"""Batch rendering through the real papermill, failure isolation, Dask, safety (issue #6)."""
from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import nbformat
import pandas as pd
import pytest

from shopscore_nb.batch import run_batch
from shopscore_nb.cli import main as cli_main
from shopscore_nb.paths import inside, safe_name

REPO = Path(__file__).resolve().parents[1]
DEMO = REPO / "data" / "demo"
NOTEBOOKS = REPO / "notebooks"
PHONE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")

needs_demo = pytest.mark.skipif(not DEMO.is_dir() or not any(NOTEBOOKS.glob("*.ipynb")), reason="demo data or notebooks missing")


def tiny_notebook(folder: Path, name: str = "00_overview", body: str = "") -> Path:
    """A minimal parameterised notebook using the package the way the real ones do."""
    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell(
        'data_dir: str = ""  # data root\nshop_id: str = ""  # shop folder\nas_of: str = ""\nprofile: str = "douyin_2022"\nwindow_days: int = 0'
    )
    params.metadata["tags"] = ["parameters"]
    code = (
        "from shopscore_nb.store import open_shop\nfrom shopscore_nb.report import build_report\n"
        "shop = open_shop(data_dir, shop_id)\n"
        "rep = build_report(shop, as_of=as_of or None, profile=profile)\n"
        "print(shop_id, rep.to_json()['indicators']['logistics.pickup_on_time_rate']['value'])\n" + body
    )
    nb.cells = [params, nbformat.v4.new_code_cell(code)]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.ipynb"
    nbformat.write(nb, path)
    return path


@pytest.fixture(scope="module")
def demo_batch(tmp_path_factory):
    """The three demo shops, every real notebook, 2 workers, real papermill."""
    out = tmp_path_factory.mktemp("reports")
    result = run_batch(DEMO, out, workers=2, progress=False)
    return out, result


@needs_demo
def test_demo_batch_renders_every_notebook(demo_batch):
    out, result = demo_batch
    assert result.failed == []
    names = sorted(p.stem for p in NOTEBOOKS.glob("*.ipynb"))
    for shop in ("flagship", "struggling", "growth"):
        for name in names:
            nb = nbformat.read(out / shop / f"{name}.ipynb", as_version=4)
            errors = [o for c in nb.cells for o in c.get("outputs", []) if o.get("output_type") == "error"]
            assert errors == [], f"{shop}/{name} has an error cell"
            assert (out / shop / f"{name}.html").stat().st_size > 1000


@needs_demo
def test_summary_matches_metrics_cli(demo_batch, capsys):
    out, _ = demo_batch
    summary = pd.read_csv(out / "summary.csv")
    assert set(summary["shop_id"]) == {"flagship", "struggling", "growth"}
    for shop in summary["shop_id"]:
        assert cli_main(["metrics", str(DEMO), "--shop", shop, "--json"]) == 0
        j = json.loads(capsys.readouterr().out)
        row = summary.set_index("shop_id").loc[shop]
        for key, ind in j["indicators"].items():
            if ind["value"] is None:
                assert pd.isna(row[key]), key
            else:
                assert row[key] == pytest.approx(ind["value"], rel=1e-5), key  # summary.csv keeps 6 significant digits
        if j["total"] is not None:
            assert row["total"] == pytest.approx(j["total"])
    html = (out / "index.html").read_text(encoding="utf-8")
    assert "flagship/00_overview.html" in html


@needs_demo
def test_report_contains_only_its_own_shop(demo_batch):
    """Shop A's outputs never mention shop B's order IDs, agents or buyers; phones are masked."""
    out, _ = demo_batch
    from shopscore_nb import load_shop

    other = load_shop(DEMO, "struggling")
    own = load_shop(DEMO, "flagship")
    own_ids = set(own.tables["orders"]["order_id"]) | set(own.tables["im_messages"]["buyer_id"].dropna())
    foreign = set(other.tables["orders"]["order_id"].sample(200, random_state=1))
    foreign |= set(other.tables["im_messages"]["agent_id"].dropna().unique())
    foreign |= set(other.tables["im_messages"]["buyer_id"].dropna().unique()[:200])
    foreign -= own_ids  # identifiers that happen to exist in both shops are not leaks
    text = "".join(p.read_text(encoding="utf-8") for p in (out / "flagship").iterdir() if p.suffix in (".ipynb", ".html"))
    leaked = [x for x in foreign if len(x) >= 5 and x in text]
    assert leaked == []
    assert PHONE.findall(text) == []


def _copy_minishops(tmp_path: Path) -> Path:
    """A writable copy of the repository's golden root (tests/fixtures/minishops/data: mini1, mini2, minidecoy)."""
    from conftest import MINISHOPS

    root = tmp_path / "root"
    shutil.copytree(MINISHOPS / "data", root)
    for p in root.rglob("*"):
        p.chmod(0o755 if p.is_dir() else 0o644)
    return root


def test_failure_is_isolated_and_reported(tmp_path):
    root = _copy_minishops(tmp_path)
    (root / "mini2" / "orders.csv").write_text("order_id,amount\nX,1\n", encoding="utf-8")  # lacks paid_at
    nbs = tmp_path / "nbs"
    tiny_notebook(nbs, body="if shop_id == 'minidecoy':\n    raise RuntimeError('boom in a cell')\n")
    out = tmp_path / "out"
    result = run_batch(root, out, workers=2, as_of="2026-10-01", notebooks_folder=nbs, progress=False)
    status = {r["shop_id"]: r for r in result.shops}
    assert status["mini1"]["status"] == "ok"
    assert status["mini2"]["status"] == "failed" and "paid_at" in status["mini2"]["error"]
    assert status["minidecoy"]["status"] == "failed"
    # cell 0 parameters, cell 1 papermill's injected parameters, cell 2 the failing code
    assert status["minidecoy"]["cell"] == 2 and "boom in a cell" in status["minidecoy"]["error"]
    assert (out / "mini1" / "00_overview.html").exists()
    summary = pd.read_csv(out / "summary.csv")
    assert summary.set_index("shop_id").loc["minidecoy", "failed_cell"] == 2
    assert "boom in a cell" in (out / "index.html").read_text(encoding="utf-8")


def test_cli_batch_exit_status_and_skip(tmp_path):
    root = _copy_minishops(tmp_path)
    nbs = tmp_path / "nbs"
    tiny_notebook(nbs)
    out = tmp_path / "out"
    args = [sys.executable, "-m", "shopscore_nb.cli", "batch", str(root), "--shops", "mini1", "--out", str(out), "--as-of", "2026-10-01"]
    env_nb = {"notebooks_folder": nbs}
    first = run_batch(root, out, shops=["mini1"], as_of="2026-10-01", progress=False, **env_nb)
    assert [n["status"] for n in first.shops[0]["notebooks"]] == ["ok"]
    again = run_batch(root, out, shops=["mini1"], as_of="2026-10-01", progress=False, **env_nb)
    assert [n["status"] for n in again.shops[0]["notebooks"]] == ["skipped"]
    forced = run_batch(root, out, shops=["mini1"], as_of="2026-10-01", force=True, progress=False, **env_nb)
    assert [n["status"] for n in forced.shops[0]["notebooks"]] == ["ok"]
    bad = subprocess.run(args[:-2] + ["--as-of", "2026-13-01"], capture_output=True, text=True)
    assert bad.returncode == 2 and "YYYY-MM-DD" in bad.stderr and "Traceback" not in bad.stderr
    (root / "mini1" / "orders.csv").write_text("order_id\nX\n", encoding="utf-8")
    failed = subprocess.run(args + ["--force", "--notebooks", "00_overview"], capture_output=True, text=True, cwd=tmp_path,
                            env={**__import__("os").environ, "PYTHONWARNINGS": "ignore"})
    # the batch itself ran (exit 1 = some shop failed, not 2 = bad arguments) and names the shop and the file
    assert failed.returncode == 1
    assert "FAILED mini1" in failed.stdout and "orders.csv" in failed.stdout


def test_dask_local_cluster_gives_same_outputs(tmp_path):
    distributed = pytest.importorskip("distributed")
    root = _copy_minishops(tmp_path)
    nbs = tmp_path / "nbs"
    tiny_notebook(nbs)
    local = run_batch(root, tmp_path / "local", workers=1, as_of="2026-10-01", notebooks_folder=nbs, progress=False)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None) as cluster:
        remote = run_batch(root, tmp_path / "dask", scheduler=cluster.scheduler_address, as_of="2026-10-01",
                           notebooks_folder=nbs, progress=False)
    assert remote.failed == [] and local.failed == []
    a = pd.read_csv(tmp_path / "local" / "summary.csv").drop(columns=["render_seconds"], errors="ignore")
    b = pd.read_csv(tmp_path / "dask" / "summary.csv").drop(columns=["render_seconds"], errors="ignore")
    pd.testing.assert_frame_equal(a, b)
    for shop in ("mini1", "mini2", "minidecoy"):
        text = (tmp_path / "dask" / shop / "00_overview.ipynb").read_text(encoding="utf-8")
        assert shop in text


@pytest.mark.parametrize("shop_id", ["../evil", "a/b", "bad\x07name", "..", "名字\n换行"])
def test_unsafe_shop_ids_become_safe_paths(tmp_path, shop_id):
    name = safe_name(shop_id)
    assert "/" not in name and ".." not in name and all(ord(c) >= 32 for c in name)
    path = inside(tmp_path, name, "00_overview.ipynb")
    assert tmp_path.resolve() in path.parents
    with pytest.raises(ValueError):
        inside(tmp_path, "..", "x")


def test_shop_folder_with_control_characters_renders_inside_out(tmp_path):
    root = _copy_minishops(tmp_path)
    odd = "odd\x07shop"
    (root / "mini1").rename(root / odd)
    nbs = tmp_path / "nbs"
    tiny_notebook(nbs)
    out = tmp_path / "out"
    result = run_batch(root, out, shops=[odd], as_of="2026-10-01", notebooks_folder=nbs, progress=False)
    assert result.failed == []
    written = [p for p in out.rglob("*.ipynb")]
    assert written and all(out.resolve() in p.resolve().parents for p in written)
    assert all("\x07" not in str(p) for p in out.rglob("*"))


def test_triage_renders_the_full_set_only_below_the_alert_line(tmp_path):
    """--triage: the overview for every shop, every notebook for shops breaking the profile's alert line
    (精选联盟 ≥ 4.0 in douyin_2022: struggling scores 3.71, flagship 4.78, growth 4.65)."""
    nbs = tmp_path / "nbs"
    tiny_notebook(nbs, "00_overview")
    tiny_notebook(nbs, "01_product_experience")
    out = tmp_path / "out"
    result = run_batch(DEMO, out, workers=2, triage=True, notebooks_folder=nbs, progress=False)
    rendered = {r["shop_id"]: [n["notebook"] for n in r["notebooks"]] for r in result.shops}
    assert rendered == {"flagship": ["00_overview"], "growth": ["00_overview"], "struggling": ["00_overview", "01_product_experience"]}
    summary = pd.read_csv(out / "summary.csv").set_index("shop_id")
    assert summary["alert"].to_dict() == {"flagship": False, "growth": False, "struggling": True}
    assert 'class="alert"' in (out / "index.html").read_text(encoding="utf-8")


# ---------------------------------------------------------------- the warm kernel kept across a worker's shops
PROBE = (
    "import os\n"
    "from shopscore_nb.present import session\n"
    "seen = sorted(k for k in globals() if k.startswith('left_by_'))  # variables a previous shop's page left\n"
    "session.load_shop_cached(data_dir, shop_id)\n"
    "cached = sorted(os.path.basename(k[0]) for k in session._SHOPS)  # shops this kernel holds in memory\n"
    "print('PROBE', os.getpid(), shop_id, seen, cached)\n"
    "globals()['left_by_' + shop_id] = open(os.path.join(data_dir, shop_id, 'orders.csv'), encoding='utf-8').read()\n"
)


def _probes(out: Path, shops: list[str], name: str = "00_overview") -> dict:
    found = {}
    for shop in shops:
        nb = nbformat.read(out / safe_name(shop) / f"{name}.ipynb", as_version=4)
        text = "".join(o.get("text", "") for c in nb.cells for o in c.get("outputs", []) if o.get("name") == "stdout")
        line = next(ln for ln in text.splitlines() if ln.startswith("PROBE"))
        pid, shop_id, rest = line.split(" ", 3)[1:]
        found[shop_id] = {"pid": int(pid), "line": rest}
    return found


def test_one_warm_kernel_serves_a_workers_shops_and_forgets_each(tmp_path):
    """workers=1: every shop through the same kernel, and no shop's page sees the previous shop's variables,
    cached tables or identifiers."""
    root = _copy_minishops(tmp_path)
    nbs = tmp_path / "nbs"
    tiny_notebook(nbs, "00_overview", body=PROBE)
    tiny_notebook(nbs, "01_product_experience", body=PROBE)
    out = tmp_path / "out"
    shops = ["mini1", "minidecoy"]
    result = run_batch(root, out, shops=shops, workers=1, as_of="2026-10-01", notebooks_folder=nbs, progress=False)
    assert result.failed == []
    for page in ("00_overview", "01_product_experience"):
        probes = _probes(out, shops, page)
        assert probes["mini1"]["pid"] == probes["minidecoy"]["pid"]  # the kernel was kept across shops
        for shop in shops:
            assert probes[shop]["line"] == f"[] ['{shop}']"  # nothing left by another page or shop
    from shopscore_nb import load_shop

    own = set(load_shop(root, "minidecoy").tables["orders"]["order_id"])
    other = set(load_shop(root, "mini1").tables["orders"]["order_id"]) - own
    text = "".join(p.read_text(encoding="utf-8") for p in (out / "minidecoy").iterdir() if p.suffix in (".ipynb", ".html"))
    assert other and [x for x in other if x in text] == []
    from shopscore_nb.batch import runner

    assert all(w.km is None for w in runner._ALL_KERNELS)  # an in-process batch shuts its kernel down at the end


def _job(root: Path, shop: str, out: Path, nbs: Path, **kw):
    from shopscore_nb.batch import ShopJob

    return ShopJob(str(root), shop, str(out), ["00_overview"], as_of="2026-10-01", notebooks_dir=str(nbs), force=True, **kw)


def test_dead_kernel_is_replaced_and_failures_stay_with_their_shop(tmp_path, monkeypatch):
    from shopscore_nb.batch import render_shop, runner
    from shopscore_nb.batch.render import WarmKernel

    root = _copy_minishops(tmp_path)
    nbs = tmp_path / "nbs"
    tiny_notebook(nbs, body=PROBE + "if shop_id == 'minidecoy':\n    raise RuntimeError('boom in a cell')\n")
    out = tmp_path / "out"
    warm = WarmKernel()
    monkeypatch.setattr(runner._KERNELS, "warm", warm, raising=False)
    try:
        first = render_shop(_job(root, "mini1", out, nbs))
        assert first["status"] == "ok" and warm.started == 1
        pid1 = _probes(out, ["mini1"])["mini1"]["pid"]
        os.kill(pid1, signal.SIGKILL)  # the kernel dies between shops
        second = render_shop(_job(root, "mini2", out, nbs))
        assert second["status"] == "ok" and warm.started == 2
        pid2 = _probes(out, ["mini2"])["mini2"]["pid"]
        assert pid2 != pid1
        failed = render_shop(_job(root, "minidecoy", out, nbs))  # a failing page: this shop fails ...
        assert failed["status"] == "failed" and "boom in a cell" in failed["error"]
        again = render_shop(_job(root, "mini1", out, nbs))  # ... and the next shop gets a fresh kernel, not the failed one
        assert again["status"] == "ok" and warm.started == 3
        probe = _probes(out, ["mini1"])["mini1"]
        assert probe["pid"] not in (pid1, pid2) and probe["line"] == "[] ['mini1']"
    finally:
        warm.close()


def test_warm_kernel_is_replaced_after_max_shops(tmp_path, monkeypatch):
    from shopscore_nb.batch import render_shop, runner
    from shopscore_nb.batch.render import WarmKernel

    root = _copy_minishops(tmp_path)
    nbs = tmp_path / "nbs"
    tiny_notebook(nbs, body=PROBE)
    out = tmp_path / "out"
    warm = WarmKernel()
    monkeypatch.setattr(runner._KERNELS, "warm", warm, raising=False)
    pids = []
    try:
        for shop in ("mini1", "mini2", "mini1"):
            assert render_shop(_job(root, shop, out, nbs, kernel_max_shops=2))["status"] == "ok"
            pids.append(_probes(out, [shop])[shop]["pid"])
    finally:
        warm.close()
    assert pids[0] == pids[1] != pids[2] and warm.started == 2
