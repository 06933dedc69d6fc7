"""ruff keeps the package, tests, benchmarks and notebooks clean (issue #5 hygiene)."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def test_ruff_is_clean():
    ruff = shutil.which("ruff") or str(Path(sys.executable).with_name("ruff"))
    if not Path(ruff).exists():
        pytest.skip("ruff is not installed")
    done = subprocess.run([ruff, "check", "shopscore_nb", "tests", "benchmarks", "notebooks"], cwd=REPO, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def test_notebooks_are_committed_without_volatile_outputs():
    """Only golden cells (# NBVAL_CHECK_OUTPUT) keep outputs; no execution counts or timing metadata."""
    for path in sorted((REPO / "notebooks").glob("*.ipynb")):
        nb = json.loads(path.read_text(encoding="utf-8"))
        for cell in nb["cells"]:
            if cell["cell_type"] != "code":
                continue
            source = "".join(cell["source"])
            if "NBVAL_CHECK_OUTPUT" not in source:
                assert cell.get("outputs") == [], f"{path.name}: output kept in a non-golden cell"
            assert "execution" not in cell.get("metadata", {}), f"{path.name}: timing metadata committed"
            assert "papermill" not in cell.get("metadata", {}), f"{path.name}: papermill metadata committed"
