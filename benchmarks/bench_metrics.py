"""Benchmark of SPEC §10: load the §10 shop from Parquet and compute every indicator, beside DuckDB.

    python benchmarks/bench_metrics.py [--scale 1.0] [--profile douyin_2022] [--repeat 3] [--steps]
    python benchmarks/bench_metrics.py --scaling 0.1 0.3 1 3 [--markdown docs/benchmarks.md]

Generates (once, cached under benchmarks/_data/, not committed) a shop with 1,000,000 orders,
2,000,000 IM messages, 100,000 after-sales tickets and 300,000 reviews over 120 days. Each
measurement runs in a fresh process, so peak resident memory is the kit's own: shopscore's
``load_shop`` (parse + validation) and every indicator of the profile, then the DuckDB reference
(``duckdb_reference.py``, the same definitions in SQL over the same files, with the loader's row
rules) — pair by pair, ``--repeat`` times; medians and their ratio are printed. This is a
measurement, not a timed test.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
SIZES = {"orders": 1_000_000, "messages": 2_000_000, "tickets": 100_000, "reviews": 300_000}
TARGET_RATIO = 1.5  # SPEC §10: load + every shared indicator within 1.5× of DuckDB
TARGET_COMPUTE_S = 3.0
TARGET_RSS_MB = 1024


def peak_rss_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


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
        print(f"generated {folder} in {time.perf_counter() - start:.1f}s", file=sys.stderr)
    return folder.parent, shop_id


# ---------------------------------------------------------------- one measurement, in a child process
def _shopscore(scale: float, profile: str, steps: bool) -> dict:
    from shopscore_nb import load_shop
    from shopscore_nb.metrics import Context, compute, indicator_keys

    root, shop_id = ensure_shop(scale)
    start = time.perf_counter()
    shop = load_shop(root, shop_id)
    load_s = time.perf_counter() - start
    load_rss = peak_rss_mb()
    ctx = Context.build(shop, profile=profile)
    start, per_key, values = time.perf_counter(), {}, {}
    for key in indicator_keys(ctx.profile):
        t = time.perf_counter()
        r = compute(key, ctx)
        per_key[key] = time.perf_counter() - t
        values[key] = [r.value, r.numerator, r.denominator]
    compute_s = time.perf_counter() - start
    out = {"load_s": load_s, "compute_s": compute_s, "total_s": load_s + compute_s, "load_rss_mb": load_rss,
           "rss_mb": peak_rss_mb(), "as_of": str(ctx.as_of.date()), "values": values,
           "rows": {k: len(v) for k, v in shop.tables.items()}}
    if steps:
        out["steps"] = per_key
    return out


def _duckdb(scale: float, profile: str, as_of: str) -> dict:
    sys.path.insert(0, str(HERE))
    import duckdb_reference

    root, shop_id = ensure_shop(scale)
    seconds, results = duckdb_reference.run(root / shop_id, as_of, profile=profile)
    return {"total_s": seconds, "rss_mb": peak_rss_mb(),
            "values": {k: [r["value"], r["numerator"], r["denominator"]] for k, r in results.items()}}


def _child(what: str, *args) -> dict:
    cmd = [sys.executable, __file__, "--child", what, *map(str, args)]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if done.returncode:
        raise SystemExit(f"{what} run failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


# ---------------------------------------------------------------- the comparison
def _agree(a: list, b: list) -> bool:
    return all((x is None and y is None) or (x is not None and y is not None and abs(float(x) - float(y)) <= 1e-9 * max(1.0, abs(float(y))))
               for x, y in zip(a, b, strict=True))


def compare(scale: float, profile: str = "douyin_2022", repeat: int = 3, steps: bool = False) -> dict:
    """Shopscore and DuckDB, ``repeat`` pairs, each run a fresh process: medians, ratio, agreement."""
    ensure_shop(scale)
    ours, theirs = [], []
    for _ in range(repeat):
        ours.append(_child("shopscore", scale, profile, int(steps)))
        theirs.append(_child("duckdb", scale, profile, ours[-1]["as_of"]))
    med = {k: statistics.median(r[k] for r in ours) for k in ("load_s", "compute_s", "total_s", "rss_mb", "load_rss_mb")}
    duck = statistics.median(r["total_s"] for r in theirs)
    shared = sorted(set(ours[0]["values"]) & set(theirs[0]["values"]))
    agree = [k for k in shared if _agree(ours[0]["values"][k], theirs[0]["values"][k])]
    ratios = [o["total_s"] / d["total_s"] for o, d in zip(ours, theirs, strict=True)]
    return {"scale": scale, "profile": profile, "repeat": repeat, **{f"shopscore_{k}": v for k, v in med.items()},
            "duckdb_s": duck, "duckdb_rss_mb": statistics.median(r["rss_mb"] for r in theirs),
            "ratio": med["total_s"] / duck, "ratio_pairs": ratios, "shared": len(shared), "agree": len(agree),
            "disagree": [k for k in shared if k not in agree], "rows": ours[0]["rows"],
            "steps": ours[0].get("steps", {})}


def report(r: dict) -> str:
    ok = lambda good: "met" if good else "MISSED"  # noqa: E731
    lines = [
        f"## Metrics at {r['scale']:g}× SPEC §10 ({r['profile']}, median of {r['repeat']} fresh-process pairs)",
        "",
        "| | shopscore | DuckDB | ratio | target |",
        "|---|---:|---:|---:|---|",
        f"| load + every shared indicator | {r['shopscore_total_s']:.2f} s | {r['duckdb_s']:.2f} s | **{r['ratio']:.2f}×** "
        f"| ≤ {TARGET_RATIO}× — {ok(r['ratio'] <= TARGET_RATIO)} |",
        f"| load (parse + validation) | {r['shopscore_load_s']:.2f} s | | | |",
        f"| compute, every indicator | {r['shopscore_compute_s']:.2f} s | | | < {TARGET_COMPUTE_S:g} s — "
        f"{ok(r['shopscore_compute_s'] < TARGET_COMPUTE_S)} |",
        f"| peak resident memory | {r['shopscore_rss_mb']:.0f} MB | {r['duckdb_rss_mb']:.0f} MB | | < {TARGET_RSS_MB} MB — "
        f"{ok(r['shopscore_rss_mb'] < TARGET_RSS_MB)} |",
        "",
        f"- ratio per pair: {', '.join(f'{x:.2f}' for x in r['ratio_pairs'])}",
        f"- values agreeing with DuckDB: {r['agree']} of {r['shared']} indicators"
        + (f" (differ: {', '.join(r['disagree'])})" if r["disagree"] else ""),
        f"- rows: {r['rows']}",
        f"- machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
    ]
    if r["steps"]:
        lines += ["", "| indicator (one run) | seconds |", "|---|---:|"]
        lines += [f"| {k} | {v:.3f} |" for k, v in sorted(r["steps"].items(), key=lambda kv: -kv[1])]
    return "\n".join(lines) + "\n"


def scaling(scales: list[float], profile: str, repeat: int) -> str:
    rows = [compare(s, profile, repeat) for s in scales]
    base = next((r for r in rows if r["scale"] == 1), rows[-1])
    lines = [f"## Scaling ({profile}, median of {repeat} fresh-process pairs per size)", "",
             "| size | orders | messages | shopscore load + compute | per 1× | DuckDB | ratio | peak RSS | RSS per 1× |",
             "|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        lines.append(f"| {r['scale']:g}× | {r['rows'].get('orders', 0):,} | {r['rows'].get('im_messages', 0):,} "
                     f"| {r['shopscore_total_s']:.2f} s | {r['shopscore_total_s'] / r['scale'] / base['shopscore_total_s']:.2f} "
                     f"| {r['duckdb_s']:.2f} s | {r['ratio']:.2f}× | {r['shopscore_rss_mb']:.0f} MB "
                     f"| {r['shopscore_rss_mb'] / r['scale'] / base['shopscore_rss_mb']:.2f} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        what, scale, profile, extra = sys.argv[2], float(sys.argv[3]), sys.argv[4], sys.argv[5]
        out = _shopscore(scale, profile, bool(int(extra))) if what == "shopscore" else _duckdb(scale, profile, extra)
        print(json.dumps(out, default=str))
        return
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--scale", type=float, default=1.0, help="fraction of the SPEC §10 sizes")
    p.add_argument("--profile", default="douyin_2022")
    p.add_argument("--repeat", type=int, default=3, help="fresh-process pairs (medians are reported)")
    p.add_argument("--steps", action="store_true", help="also list each indicator's time")
    p.add_argument("--scaling", type=float, nargs="+", help="sizes for the scaling table instead")
    p.add_argument("--markdown", help="also write the result to this file")
    args = p.parse_args()
    text = scaling(args.scaling, args.profile, args.repeat) if args.scaling else report(compare(args.scale, args.profile, args.repeat, args.steps))
    print(text)
    if args.markdown:
        Path(args.markdown).write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
