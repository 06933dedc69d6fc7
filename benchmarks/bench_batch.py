"""Batch rendering benchmark: kernel-start stress test and throughput against worker count.

    python benchmarks/bench_batch.py stress [--runs 200] [--workers 4]
    python benchmarks/bench_batch.py throughput [--shops 6] [--workers 1 2 4]
    python benchmarks/bench_batch.py rate [--trivial 40] [--copies 2] [--workers 2] [--json]

``stress`` starts ``runs`` kernels (a trivial parameterised notebook) through the same renderer
the batch uses (papermill, IPC kernels in private directories) from ``workers`` processes and counts
kernel-start failures. ``rate`` is SPEC §10's batch target, both halves measured in the same run: (a) the
yardstick, a trivial parameterised notebook (one parameter, one import, one print) run by plain papermill in a
fresh kernel and exported by plain nbconvert to HTML, from ``workers`` processes; (b) full report pages per second,
the demo shops copied ``--copies`` times (3 shops each) through ``run_batch(..., workers=2)`` with the default
notebook set (metrics pass, pages, portfolio: the whole run). Pass when (b) ≥ (a). ``measure(...)`` returns the
numbers as a dict (for ``make bench``). ``throughput`` renders the demo shops (copied ``--shops`` times) with the
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


def yardstick_notebook(folder: Path) -> Path:
    """SPEC §10's trivial notebook: one parameter, one import, one print."""
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("run_number = 0")
    cell.metadata["tags"] = ["parameters"]
    nb.cells = [cell, nbformat.v4.new_code_cell("import sys"), nbformat.v4.new_code_cell("print(run_number, file=sys.stdout)")]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    path = folder / "trivial.ipynb"
    nbformat.write(nb, path)
    return path


def _yardstick_one(args) -> float:
    """One trivial notebook: papermill in a fresh kernel (its default kernel manager), then nbconvert's HTML
    exporter, written to disk. Plain tools, none of the kit's: the yardstick does not move when the kit does."""
    import papermill as pm
    from nbconvert import HTMLExporter

    source, out, run = args
    started = time.perf_counter()
    target = Path(out) / f"run{run:04d}.ipynb"
    nb = pm.execute_notebook(source, str(target), parameters={"run_number": run}, kernel_name="python3",
                             progress_bar=False, request_save_on_cell_execute=False)
    body, _ = HTMLExporter().from_notebook_node(nb)
    target.with_suffix(".html").write_text(body, encoding="utf-8")
    return time.perf_counter() - started


def _warm_worker() -> None:
    # the pool's processes import papermill/nbconvert before the clock starts (run_batch's workers pay their
    # imports inside the measured time, so this only favours the yardstick)
    import nbconvert  # noqa: F401
    import papermill  # noqa: F401


def trivial_rate(runs: int, workers: int = 2) -> dict:
    """Trivial notebooks per second: ``runs`` of them over ``workers`` processes."""
    with tempfile.TemporaryDirectory() as tmp:
        source = str(yardstick_notebook(Path(tmp)))
        with ProcessPoolExecutor(workers, mp_context=get_context("spawn"), initializer=_warm_worker) as pool:
            list(pool.map(_yardstick_one, [(source, tmp, -1 - i) for i in range(workers)]))  # warm-up, not counted
            start = time.perf_counter()
            per = list(pool.map(_yardstick_one, [(source, tmp, i) for i in range(runs)]))
            seconds = time.perf_counter() - start
    return {"notebooks": runs, "workers": workers, "seconds": round(seconds, 2), "rate": runs / seconds,
            "median_notebook_seconds": round(sorted(per)[len(per) // 2], 3)}


def demo_root(folder: Path, copies: int) -> Path:
    """``copies`` copies of every demo shop under ``folder/root`` (shop ids ``<shop>_<i>``)."""
    demo = REPO / "data" / "demo"
    root = folder / "root"
    for i in range(copies):
        for shop in sorted(p.name for p in demo.iterdir() if p.is_dir()):
            shutil.copytree(demo / shop, root / f"{shop}_{i}")
    return root


def pages_rate(copies: int, workers: int = 2, **options) -> dict:
    """Full report pages per second: the whole ``run_batch`` over the demo shops × ``copies``, a cold parse cache."""
    from shopscore_nb.batch import run_batch

    with tempfile.TemporaryDirectory() as tmp:
        root = demo_root(Path(tmp), copies)
        start = time.perf_counter()
        result = run_batch(root, Path(tmp) / "out", workers=workers, progress=False, cache_dir=Path(tmp) / "cache", **options)
        seconds = time.perf_counter() - start
    pages = sum(n["status"] == "ok" for s in result.shops for n in s["notebooks"])
    per_nb: dict[str, list[float]] = {}
    for s in result.shops:
        for n in s["notebooks"]:
            per_nb.setdefault(n["notebook"], []).append(n.get("seconds", 0.0))
    return {"shops": len(result.shops), "pages": pages, "failed": [s["shop_id"] for s in result.failed], "workers": workers,
            "seconds": round(seconds, 2), "rate": pages / seconds,
            "median_page_seconds": {k: round(sorted(v)[len(v) // 2], 2) for k, v in sorted(per_nb.items())}}


def measure(trivial_runs: int = 40, copies: int = 2, workers: int = 2, **options) -> dict:
    """SPEC §10 batch target in one run: the trivial-notebook rate, the full-page rate and their ratio (≥ 1 passes)."""
    trivial = trivial_rate(trivial_runs, workers)
    pages = pages_rate(copies, workers, **options)
    ratio = pages["rate"] / trivial["rate"]
    return {"trivial": trivial, "pages": pages, "ratio": round(ratio, 3), "passed": ratio >= 1 and not pages["failed"],
            "pages_for_100_shops_x8_minutes": round(800 / pages["rate"] / 60, 1)}


def rate(trivial_runs: int, copies: int, workers: int, as_json: bool = False) -> dict:
    res = measure(trivial_runs, copies, workers)
    if as_json:
        import json

        print(json.dumps(res, indent=1))
        return res
    t, p = res["trivial"], res["pages"]
    print("| what | count | workers | seconds | per second |\n|---|---:|---:|---:|---:|")
    print(f"| trivial notebook, fresh kernel + HTML (yardstick) | {t['notebooks']} | {t['workers']} | {t['seconds']} | {t['rate']:.2f} |")
    print(f"| full report pages, {p['shops']} shops (run_batch) | {p['pages']} | {p['workers']} | {p['seconds']} | {p['rate']:.2f} |")
    print(f"\nratio pages/trivial: {res['ratio']:.2f} ({'met' if res['passed'] else 'MISSED'}); 100 shops × 8 pages ≈ "
          f"{res['pages_for_100_shops_x8_minutes']} min" + (f"; failed shops: {p['failed']}" if p["failed"] else ""))
    print("median seconds per page:", p["median_page_seconds"])
    return res


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
    r = sub.add_parser("rate", help="SPEC §10: full pages/s against the trivial-notebook rate, same run")
    r.add_argument("--trivial", type=int, default=40, help="trivial notebooks to run")
    r.add_argument("--copies", type=int, default=2, help="copies of the 3 demo shops (2 → 6 shops)")
    r.add_argument("--workers", type=int, default=2)
    r.add_argument("--json", action="store_true")
    args = p.parse_args()
    if args.what == "stress":
        stress(args.runs, args.workers)
    elif args.what == "rate":
        rate(args.trivial, args.copies, args.workers, args.json)
    else:
        throughput(args.shops, args.workers)


if __name__ == "__main__":
    main()
