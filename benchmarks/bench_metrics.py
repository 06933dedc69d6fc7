"""Benchmark of SPEC §10: load a large synthetic shop from Parquet, compute every indicator.

    python benchmarks/bench_metrics.py [--scale 1.0] [--profile douyin_2022] [--markdown docs/benchmarks.md]

Generates (once, cached under benchmarks/_data/, not committed) a shop with 1,000,000 orders,
2,000,000 IM messages, 100,000 after-sales tickets and 300,000 reviews over 120 days, then reports
load time, the time of each indicator (shared work such as the 飞鸽 round model timed on its own),
and the peak resident memory of the process. This is a measurement, not a timed test.
"""
from __future__ import annotations

import argparse
import platform
import resource
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
SIZES = {"orders": 1_000_000, "messages": 2_000_000, "tickets": 100_000, "reviews": 300_000}


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def timed(label: str, rows: list, func, *args):
    start = time.perf_counter()
    value = func(*args)
    rows.append((label, time.perf_counter() - start))
    return value


def ensure_shop(scale: float) -> tuple[Path, str]:
    from shopscore_nb.demo import make_benchmark_shop

    sizes = {k: int(v * scale) for k, v in SIZES.items()}
    shop_id = f"bench_{scale:g}"
    folder = HERE / "_data" / shop_id
    if not (folder / "orders.parquet").exists():
        folder.mkdir(parents=True, exist_ok=True)
        start = time.perf_counter()
        make_benchmark_shop(folder, seed=7, n_orders=sizes["orders"], n_messages=sizes["messages"],
                            n_after_sales=sizes["tickets"], n_reviews=sizes["reviews"], days=120)
        print(f"generated {folder} in {time.perf_counter() - start:.1f}s")
    return folder.parent, shop_id


def run(scale: float, profile: str) -> tuple[list, dict]:
    from shopscore_nb import load_shop
    from shopscore_nb.metrics import Context, compute, indicator_keys
    from shopscore_nb.metrics.im_model import im_frames, timed_rounds

    root, shop_id = ensure_shop(scale)
    rows: list = []
    shop = timed("load from Parquet (+ validation)", rows, load_shop, root, shop_id)
    loaded_rss = peak_rss_mb()
    ctx = Context.build(shop, profile=profile)
    start = time.perf_counter()
    timed("飞鸽 round model (shared)", rows, im_frames, ctx)
    timed("round timing (shared)", rows, timed_rounds, ctx)
    for key in indicator_keys(ctx.profile):
        timed(key, rows, compute, key, ctx)
    total = time.perf_counter() - start
    facts = {
        "rows": {k: len(v) for k, v in shop.tables.items()},
        "all indicators (s)": round(total, 2),
        "peak RSS after load (MB)": round(loaded_rss),
        "peak RSS (MB)": round(peak_rss_mb()),
        "machine": f"{platform.machine()}, {__import__('os').cpu_count()} cores, Python {platform.python_version()}",
    }
    return rows, facts


def markdown(rows: list, facts: dict, profile: str) -> str:
    lines = [f"## Metrics benchmark ({profile})", "", "| step | seconds |", "|---|---:|"]
    lines += [f"| {label} | {sec:.3f} |" for label, sec in rows]
    lines += ["", *(f"- {k}: {v}" for k, v in facts.items()), ""]
    return "\n".join(lines)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--scale", type=float, default=1.0, help="fraction of the SPEC §10 sizes")
    p.add_argument("--profile", default="douyin_2022")
    p.add_argument("--markdown", help="also write the table to this file")
    args = p.parse_args()
    rows, facts = run(args.scale, args.profile)
    text = markdown(rows, facts, args.profile)
    print(text)
    if args.markdown:
        Path(args.markdown).write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
