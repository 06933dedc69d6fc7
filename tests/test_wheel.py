"""Installable anywhere (issue 10 #7): the wheel carries the notebooks, generates the demo data, and
``shopscore demo --out X`` run from an unrelated folder renders every page."""
from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted(p.stem for p in (REPO / "notebooks").glob("*.ipynb"))


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    dist = tmp_path_factory.mktemp("dist")
    proc = subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(dist), str(REPO)],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return next(dist.glob("shopscore-*.whl"))


def test_the_wheel_carries_notebooks_profiles_and_reference_tables(wheel):
    import zipfile

    names = set(zipfile.ZipFile(wheel).namelist())
    assert {f"shopscore_nb/notebooks/{n}.ipynb" for n in NOTEBOOKS} <= names
    assert "shopscore_nb/profiles/douyin_2026.yaml" in names and "shopscore_nb/reference/columns.yaml" in names


def test_an_installed_wheel_renders_the_demo_from_any_folder(wheel, tmp_path):
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    purelib = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                             capture_output=True, text=True, check=True).stdout.strip()
    # the third-party packages come from this environment (tests run offline); its editable shopscore does not
    # (a path in a .pth file is added to sys.path without running that folder's own .pth files)
    Path(purelib, "_test_deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8")
    subprocess.run([str(python), "-m", "pip", "install", "-q", "--no-deps", "--no-index", str(wheel)], check=True, timeout=300)
    home = tmp_path / "home"
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {**os.environ, "HOME": str(home), "XDG_DATA_HOME": str(home / "data"), "XDG_CACHE_HOME": str(home / "cache"),
           "JUPYTER_PATH": str(Path(sys.prefix) / "share" / "jupyter")}  # nbconvert's templates live in its own prefix
    env.pop("PYTHONPATH", None)
    where = subprocess.run([str(python), "-c", "import shopscore_nb; print(shopscore_nb.__file__)"], cwd=elsewhere,
                           capture_output=True, text=True, env=env, check=True).stdout
    assert str(venv) in where and str(REPO) not in where  # the installed copy, not the checkout
    proc = subprocess.run([str(venv / "bin" / "shopscore"), "demo", "--out", "out", "--workers", "2"], cwd=elsewhere,
                          capture_output=True, text=True, env=env, timeout=1200)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    out = elsewhere / "out"
    for shop in ("flagship", "growth", "struggling"):
        assert sorted(p.stem for p in (out / shop).glob("*.html")) == NOTEBOOKS, shop
    assert (out / "index.html").is_file()
    assert (home / "data" / "shopscore" / "demo" / "flagship").is_dir()  # generated, not read from the checkout
    assert not any(p.suffix == ".parquet" for p in out.rglob("*"))  # the parse cache stays outside the reports


def test_a_run_that_renders_nothing_does_not_say_it_succeeded(tmp_path, capsys):
    from shopscore_nb.batch.cli import _report
    from shopscore_nb.batch.runner import BatchResult

    result = BatchResult(shops=[{"shop_id": "a", "status": "ok", "notebooks": [], "error": "", "cell": None}], out=str(tmp_path))
    assert _report(result) == 1
    assert "nothing rendered" in capsys.readouterr().out
    empty = tmp_path / "empty_notebooks"
    empty.mkdir()
    from shopscore_nb.batch import run_batch
    from shopscore_nb.loading import LoadError

    with pytest.raises(LoadError, match="no notebooks"):
        run_batch(REPO / "data" / "demo", tmp_path / "out", notebooks_folder=empty, progress=False, cache_dir=tmp_path / "c")
