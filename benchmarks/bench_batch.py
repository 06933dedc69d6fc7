"""Batch rendering benchmark: kernel-start stress test and throughput against worker count.

    python benchmarks/bench_batch.py stress [--runs 200] [--workers 4]
    python benchmarks/bench_batch.py throughput [--shops 6] [--workers 1 2 4]

``stress`` starts ``runs`` kernels (a trivial parameterised notebook) through the same renderer
the batch uses (papermill, IPC kernels in private directories) from ``workers`` processes and counts
kernel-start failures. ``throughput`` renders the demo shops (copied ``--shops`` times) with the
full notebook set at each worker count and reports notebooks per second; the per-notebook
overhead is the time of the trivial notebook (kernel start + save), reported separately.
"""
from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from multiprocessing import get_context
from pathlib import Path

import nbformat

REPO = Path(__file__).resolve().parents[1]


def trivial_notebook(folder: Path) -> Path:
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell('run_number: int = 0  # which run this is')
    cell.metadata["tags"] = ["parameters"]
    nb.cells = [cell, nbformat.v4.new_code_cell("print(run_number)")]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    path = folder / "trivial.ipynb"
    nbformat.write(nb, path)
    return path


def _one(args) -> dict:
    from shopscore_nb.batch.render import render_notebook

    source, out, run = args
    return render_notebook(Path(source), Path(out) / f"run{run:04d}.ipynb", {"run_number": run}, timeout=120)


def stress(runs: int, workers: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        source = trivial_notebook(Path(tmp))
        start = time.perf_counter()
        with ProcessPoolExecutor(workers, mp_context=get_context("spawn")) as pool:
            results = [f.result() for f in as_completed(pool.submit(_one, (str(source), tmp, i)) for i in range(runs))]
        seconds = time.perf_counter() - start
    failed = [r for r in results if r["status"] != "ok"]
    per = sorted(r["seconds"] for r in results)
    print(f"| {runs} kernel starts | {workers} workers | {len(failed)} failures | {seconds:.1f} s | "
          f"{runs / seconds:.2f} nb/s | median per-notebook overhead {per[len(per) // 2]:.2f} s |")
    for r in failed[:5]:
        print("  failure:", r["error"])


def throughput(copies: int, worker_counts: list[int]) -> None:
    from shopscore_nb.batch import run_batch
    from shopscore_nb.batch.render import list_notebooks

    demo = REPO / "data" / "demo"
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "root"
        shops = sorted(p.name for p in demo.iterdir() if p.is_dir())
        for i in range(copies):
            for shop in shops:
                shutil.copytree(demo / shop, root / f"{shop}_{i}")
        n_nb = len(list_notebooks()) * copies * len(shops)
        print("| workers | shops | notebooks | seconds | notebooks/s |\n|---:|---:|---:|---:|---:|")
        for workers in worker_counts:
            out = Path(tmp) / f"out{workers}"
            start = time.perf_counter()
            result = run_batch(root, out, workers=workers, progress=False)
            seconds = time.perf_counter() - start
            print(f"| {workers} | {len(result.shops)} | {n_nb} | {seconds:.1f} | {n_nb / seconds:.2f} |"
                  + (f" ({len(result.failed)} failed)" if result.failed else ""))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="what", required=True)
    s = sub.add_parser("stress")
    s.add_argument("--runs", type=int, default=200)
    s.add_argument("--workers", type=int, default=4)
    t = sub.add_parser("throughput")
    t.add_argument("--shops", type=int, default=2, help="copies of the demo shops")
    t.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4])
    args = p.parse_args()
    if args.what == "stress":
        stress(args.runs, args.workers)
    else:
        throughput(args.shops, args.workers)


if __name__ == "__main__":
    main()
