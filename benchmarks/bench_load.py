"""Benchmark of SPEC §10: load the same shop from the export formats vs from Parquet (target ≤ 2×).

    python benchmarks/bench_load.py [--scale 1.0] [--repeat 3] [--markdown FILE]

Takes the SPEC §10 benchmark shop (canonical Parquet, cached under ``benchmarks/_data/bench_<scale>/``
by :func:`bench_metrics.ensure_shop`) and writes the same shop, once, in the backend's export formats
under ``benchmarks/_data/bench_<scale>_export/bench_<scale>/`` with the demo's writers
(:func:`shopscore_nb.demo.write_export_folder`, no dirty rows): the 75-column 订单导出 CSV with
Chinese headers (two files, like the backend), the 售后单导出 CSV, the 评价导出 XLSX, the 飞鸽
message and session logs, 物流, 投诉 and 违规 CSVs. Then it times ``shopscore_nb.load_shop``
(parse + validate) on each folder, each run in a fresh subprocess (no warm caches, a clean peak
RSS), interleaved and repeated (median), and prints the ratio; it also times reading the review
XLSX with openpyxl vs python-calamine (``pd.read_excel(engine=...)``). Absolute times on a shared
machine are noisy: the ratio measured in the same run is the figure.

:func:`measure` returns the numbers as a dict (for ``bench_metrics.py`` / ``make bench``).
"""
from __future__ import annotations

import argparse
import json
import platform
import statistics
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

SEED, DAYS, START = 7, 120, date(2026, 6, 1)  # what bench_metrics.ensure_shop passes to make_benchmark_shop
XLSX_NAME = "评价导出.xlsx"

_LOAD = """
import json, resource, sys, time
from shopscore_nb import load_shop
def cpu():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime
start, start_cpu = time.perf_counter(), cpu()
shop = load_shop(sys.argv[1], sys.argv[2])
seconds, cpu_seconds = time.perf_counter() - start, cpu() - start_cpu
rows = {k: len(v) for k, v in shop.tables.items()}
print(json.dumps({"s": seconds, "cpu_s": cpu_seconds, "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "rows": rows, "quality": {k: int(v) for k, v in shop.quality_counts().items()}}))
"""
_XLSX = """
import json, resource, sys, time
import pandas as pd
start, start_cpu = time.perf_counter(), time.process_time()
frame = pd.read_excel(sys.argv[1], engine=sys.argv[2], header=None, dtype=object, keep_default_na=False)
seconds, cpu_seconds = time.perf_counter() - start, time.process_time() - start_cpu
print(json.dumps({"s": seconds, "cpu_s": cpu_seconds, "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "rows": len(frame)}))
"""


def ensure_export(scale: float) -> tuple[Path, str]:
    """(data root, shop id) of the benchmark shop written in the export formats (cached)."""
    from bench_metrics import SIZES  # imported here: bench_metrics may import this module

    from shopscore_nb.demo import generate_shop, write_export_folder

    shop_id = f"bench_{scale:g}"
    root = HERE / "_data" / f"{shop_id}_export"
    done = root / ".complete"
    if not done.exists():
        sizes = {k: int(v * scale) for k, v in SIZES.items()}
        start = time.perf_counter()
        tables = generate_shop("flagship", START, DAYS, SEED, sizes["orders"], n_messages=sizes["messages"],
                               n_after_sales=sizes["tickets"], n_reviews=sizes["reviews"])
        folder = root / shop_id
        if folder.is_dir():
            for old in folder.iterdir():
                old.unlink()
        write_export_folder(tables, folder, f"benchmark shop ×{scale:g}", dirty={}, seed=SEED)
        done.write_text("ok\n", encoding="utf-8")
        print(f"wrote {folder} in {time.perf_counter() - start:.1f}s", file=sys.stderr)
    return root, shop_id


def _run(code: str, *args: str) -> dict:
    out = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, cwd=ROOT, check=False)
    if out.returncode:
        raise RuntimeError(f"benchmark subprocess failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def _median(runs: list[dict], key: str = "s") -> float:
    return statistics.median(r[key] for r in runs)


def measure(scale: float = 1.0, repeat: int = 3, xlsx: bool = True, xlsx_repeat: int = 1) -> dict:
    """Load the benchmark shop from Parquet and from the export formats (``repeat`` fresh processes
    each, interleaved): median wall and CPU seconds, their ratios, peak RSS; and the review XLSX read
    by pandas with each engine (``xlsx_repeat`` runs each; openpyxl takes minutes at scale 1).

    ``ratio`` (wall clock) is the SPEC §10 figure; ``cpu_ratio`` (user + system CPU of the loading
    process) is steadier on a machine shared with other jobs."""
    from bench_metrics import ensure_shop

    pq_root, shop_id = ensure_shop(scale)
    ex_root, _ = ensure_export(scale)
    parquet, export = [], []
    for _ in range(repeat):
        parquet.append(_run(_LOAD, str(pq_root), shop_id))
        export.append(_run(_LOAD, str(ex_root), shop_id))
    out = {
        "scale": scale,
        "parquet_s": round(_median(parquet), 3),
        "export_s": round(_median(export), 3),
        "ratio": round(_median(export) / _median(parquet), 2),
        "parquet_cpu_s": round(_median(parquet, "cpu_s"), 3),
        "export_cpu_s": round(_median(export, "cpu_s"), 3),
        "cpu_ratio": round(_median(export, "cpu_s") / _median(parquet, "cpu_s"), 2),
        "parquet_rss_mb": round(max(r["rss_mb"] for r in parquet)),
        "export_rss_mb": round(max(r["rss_mb"] for r in export)),
        "parquet_runs_s": [round(r["s"], 3) for r in parquet],
        "export_runs_s": [round(r["s"], 3) for r in export],
        "rows_parquet": parquet[0]["rows"],
        "rows_export": export[0]["rows"],
        "same_rows": parquet[0]["rows"] == export[0]["rows"],
        "export_bytes": sum(p.stat().st_size for p in (ex_root / shop_id).iterdir()),
    }
    if xlsx:
        book = str(ex_root / shop_id / XLSX_NAME)
        runs = {"openpyxl": [], "calamine": []}
        for _ in range(xlsx_repeat):
            for engine, got in runs.items():
                got.append(_run(_XLSX, book, engine))
        out["xlsx_rows"] = runs["calamine"][0]["rows"]
        out["xlsx_openpyxl_s"] = round(_median(runs["openpyxl"]), 3)
        out["xlsx_calamine_s"] = round(_median(runs["calamine"]), 3)
        out["xlsx_openpyxl_cpu_s"] = round(_median(runs["openpyxl"], "cpu_s"), 3)
        out["xlsx_calamine_cpu_s"] = round(_median(runs["calamine"], "cpu_s"), 3)
        out["xlsx_speedup"] = round(out["xlsx_openpyxl_s"] / out["xlsx_calamine_s"], 1)
    out["machine"] = f"{platform.machine()}, {__import__('os').cpu_count()} cores, Python {platform.python_version()}"
    return out


def markdown(m: dict) -> str:
    lines = [f"## Load benchmark: export formats vs Parquet (scale {m['scale']:g})", "",
             "| load (parse + validate) | median wall s | runs (s) | median CPU s | peak RSS MB |", "|---|---:|---|---:|---:|",
             f"| Parquet | {m['parquet_s']:.2f} | {', '.join(f'{s:.2f}' for s in m['parquet_runs_s'])} | {m['parquet_cpu_s']:.2f} | {m['parquet_rss_mb']} |",
             f"| export formats | {m['export_s']:.2f} | {', '.join(f'{s:.2f}' for s in m['export_runs_s'])} | {m['export_cpu_s']:.2f} | {m['export_rss_mb']} |",
             "", f"- ratio export / Parquet: **{m['ratio']:.2f}×** wall clock, {m['cpu_ratio']:.2f}× CPU (target ≤ 2×)",
             f"- same rows per table from both folders: {m['same_rows']}"]
    if "xlsx_openpyxl_s" in m:
        lines.append(f"- review XLSX ({m['xlsx_rows'] - 1:,} rows) read by pandas: openpyxl {m['xlsx_openpyxl_s']:.2f} s "
                     f"({m['xlsx_openpyxl_cpu_s']:.2f} s CPU), calamine {m['xlsx_calamine_s']:.2f} s ({m['xlsx_calamine_cpu_s']:.2f} s CPU): "
                     f"{m['xlsx_speedup']:.1f}× faster")
    lines += [f"- export folder: {m['export_bytes'] / 1e6:.0f} MB; rows {m['rows_export']}", f"- machine: {m['machine']}", ""]
    return "\n".join(lines)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--scale", type=float, default=1.0, help="fraction of the SPEC §10 sizes")
    p.add_argument("--repeat", type=int, default=3, help="fresh-process runs per measurement (median)")
    p.add_argument("--no-xlsx", action="store_true", help="skip the openpyxl vs calamine comparison")
    p.add_argument("--xlsx-repeat", type=int, default=1, help="runs per XLSX engine (openpyxl takes minutes at scale 1)")
    p.add_argument("--markdown", help="also write the table to this file")
    p.add_argument("--json", action="store_true", help="print the measure() dict as JSON")
    args = p.parse_args()
    m = measure(args.scale, args.repeat, xlsx=not args.no_xlsx, xlsx_repeat=args.xlsx_repeat)
    text = json.dumps(m, ensure_ascii=False, indent=1) if args.json else markdown(m)
    print(text)
    if args.markdown:
        Path(args.markdown).write_text(markdown(m), encoding="utf-8")


if __name__ == "__main__":
    main()
