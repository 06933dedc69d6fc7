"""Keep only the golden outputs in the committed notebooks and drop volatile metadata.

A *golden* cell carries the comment ``# NBVAL_CHECK_OUTPUT``: its plain-text output (the key numbers of a
section) and execution count are kept, so ``pytest --nbval-lax notebooks/`` fails when a metric changes.
Every other cell is stored without outputs or execution count. Notebook metadata keeps the kernelspec and
the language name only; cell metadata keeps ``tags``, ``jupyter`` (collapsed answers), ``collapsed`` and
``keep_output`` (which tells nbstripout users to keep the golden outputs).

    python tests/_strip_outputs.py notebooks/*.ipynb              # strip in place
    python tests/_strip_outputs.py --execute notebooks/*.ipynb    # run on the demo data (cwd = notebooks/), then strip
    python tests/_strip_outputs.py --check notebooks/*.ipynb      # exit 1 when a notebook is not clean
"""
from __future__ import annotations

import argparse
import copy
import sys
from pathlib import Path

import nbformat

GOLDEN = "NBVAL_CHECK_OUTPUT"
CELL_KEYS = ("tags", "jupyter", "collapsed", "keep_output")


def is_golden(cell) -> bool:
    return cell.cell_type == "code" and GOLDEN in cell.source


def strip(nb):
    """A copy of ``nb`` with non-golden outputs, execution counts and volatile metadata removed."""
    nb = copy.deepcopy(nb)
    kernelspec = nb.metadata.get("kernelspec") or {"name": "python3", "display_name": "Python 3 (shopscore)", "language": "python"}
    nb.metadata = nbformat.NotebookNode({"kernelspec": kernelspec, "language_info": {"name": "python"}})
    nb.cells = [c for c in nb.cells if "injected-parameters" not in c.metadata.get("tags", [])]
    for cell in nb.cells:
        cell.metadata = nbformat.NotebookNode({k: v for k, v in cell.metadata.items() if k in CELL_KEYS})
        if cell.cell_type != "code":
            cell.pop("outputs", None)
            cell.pop("execution_count", None)
            continue
        if is_golden(cell):
            cell.metadata["keep_output"] = True
            for out in cell.outputs:
                if "execution_count" in out:
                    out["execution_count"] = cell.execution_count
        else:
            cell.outputs = []
            cell.execution_count = None
    return nb


def execute(nb, cwd: Path, timeout: int = 900):
    from nbclient import NotebookClient

    NotebookClient(nb, kernel_name="python3", timeout=timeout, resources={"metadata": {"path": str(cwd)}}).execute()
    return nb


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("notebooks", nargs="+", type=Path)
    ap.add_argument("--execute", action="store_true", help="execute each notebook (default parameters) before stripping")
    ap.add_argument("--check", action="store_true", help="only report notebooks that are not clean")
    args = ap.parse_args(argv)
    dirty = []
    for path in args.notebooks:
        nb = nbformat.read(path, as_version=4)
        if args.check:
            if nbformat.writes(strip(nb)) != nbformat.writes(nb):
                dirty.append(path)
            continue
        if args.execute:
            nb = execute(nb, path.parent)
        clean = strip(nb)
        nbformat.validate(clean)
        nbformat.write(clean, path)
        print(f"{path}: {sum(is_golden(c) for c in clean.cells)} golden cell(s) kept")
    for path in dirty:
        print(f"{path}: not clean (run python tests/_strip_outputs.py {path})", file=sys.stderr)
    return 1 if dirty else 0


if __name__ == "__main__":
    sys.exit(main())
