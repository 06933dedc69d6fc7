"""``shopscore`` command line: validate, metrics, reconcile, calibrate (and, with the batch module, render / batch / demo).

    shopscore validate DATA_ROOT [--shop S] [--json]
    shopscore metrics DATA_ROOT --shop S [--as-of YYYY-MM-DD] [--profile NAME] [--window-days N] [--json]
    shopscore reconcile DATA_ROOT --shop S [--backend FILE] [--profile P] [--as-of D | START..END] [--window-days N] [--json]
    shopscore history OUT [--shop S] [--profile P] [--json]
    shopscore calibrate DATA_ROOT [--shops A B ...] [--backend FILE] --base-profile P --out calibrated.yaml [--json]

Exit status: 0 usable, 1 some shop failed (batch) or an internal error, 2 a fatal problem with the input (message on stderr, no traceback).
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from .arguments import as_of_arg, shop_id_arg, window_days_arg
from .errors import LoadError, ShopscoreError
from .shop import list_shops, load_shop

EXIT_BAD_INPUT = 2
COMMANDS: dict[str, Callable] = {}


def command(name: str):
    def wrap(func):
        COMMANDS[name] = func
        return func

    return wrap


def _print_json(obj) -> None:
    print(json.dumps(obj, ensure_ascii=False, indent=2, default=str))


@command("validate")
def cmd_validate(args) -> int:
    shops = [args.shop] if args.shop is not None else list_shops(args.data_root)
    out, fatal = {}, False
    for shop_id in shops:
        try:
            shop = load_shop(args.data_root, shop_id)
        except LoadError as exc:
            out[shop_id] = {"usable": False, "error": str(exc)}
            fatal = True
            continue
        out[shop_id] = {
            "usable": True,
            "files": shop.files,
            "ignored_files": shop.ignored,
            "tables": shop.quality_summary().to_dict("records"),
            "data_quality": shop.quality_counts(),
            "clock": shop.clock_note(),
        }
        out[shop_id]["quarantine_sample"] = shop.quarantine.head(20).to_dict("records")
    if args.json:
        _print_json(out)
    else:
        for shop_id, rep in out.items():
            print(f"== {shop_id}")
            if not rep["usable"]:
                print(f"   ERROR: {rep['error']}")
                continue
            print(pd.DataFrame(rep["tables"]).to_string(index=False))
            for f in rep["ignored_files"]:  # each reason starts with the file's name
                print(f"   not loaded: {f['reason']}")
            if rep.get("clock"):
                print(f"   note: {rep['clock']}")
            print()
    return EXIT_BAD_INPUT if fatal else 0


@command("metrics")
def cmd_metrics(args) -> int:
    from .report import shop_report

    rep = shop_report(args.data_root, args.shop, as_of=args.as_of, profile=args.profile, window_days=args.window_days)
    if args.as_of is None and rep.shop.clock_note():  # the default as-of depends on the clock: say so
        print(f"shopscore metrics: note: {rep.shop.clock_note()}", file=sys.stderr)
    if args.history:  # record this result in DIR/history.sqlite (one row per shop × as-of × profile)
        from .history import History

        try:
            History.open(args.history).record([rep.to_json()], {args.shop: (rep.shop.config or {}).get("name")})
        except (OSError, __import__("sqlite3").Error) as exc:
            raise LoadError(f"--history {args.history}: cannot write the history ({exc}).") from None
    if args.json:
        _print_json(rep.to_json())
        return 0
    j = rep.to_json()
    print(f"shop {j['shop_id']}  as of {j['as_of']}  profile {j['profile']}  window [{j['window']['start']}, {j['window']['end']})")
    with pd.option_context("display.max_rows", 200, "display.width", 200, "display.float_format", "{:.6g}".format):
        print(rep.table().to_string(index=False))
    print(f"\ntotal {j['total']}  stage {j['stage']}  dimensions {j['dimensions']}  display {j['display']} {j['stars'] or ''}")
    print(f"profile file: {j['profile_source']}")
    for line in j["assumptions"]:  # a calibrated profile's numbers come first, marked "calibrated: "
        print(f"  {line}" if line.startswith("calibrated: ") else f"  assumption: {line}")
    for line in j["overrides"]:
        print(f"  override: {line}")
    if j["data_quality"]:
        print(f"data quality: {j['data_quality']}")
    for f in j.get("skipped_files", []):
        print(f"  not loaded: {f['reason']}")
    return 0


@command("history")
def cmd_history(args) -> int:
    from .history import History, history_path

    if not history_path(args.out).is_file():
        raise LoadError(f"{args.out}: no history here ({history_path(args.out).name} is written by `shopscore batch --out {args.out}`).")
    h = History(history_path(args.out))
    shops = [args.shop] if args.shop is not None else h.shops()
    series = {s: h.series(s, args.profile) for s in shops}
    if args.shop is not None and not series[args.shop]:
        raise LoadError(f"{args.out}: no history for shop {args.shop!r}; shops recorded: {', '.join(h.shops()) or 'none'}.")
    if args.json:
        _print_json(series if args.shop is None else series[args.shop])
        return 0
    for shop_id, rows in series.items():
        name = next((r["name"] for r in reversed(rows) if r["name"]), "")
        print(f"== {shop_id} {name}".rstrip())
        table = pd.DataFrame([{
            "as_of": r["as_of"], "profile": r["profile"], "total": r["total"], "stage": r["stage"],
            "missed": sum(ln.get("met") is False for ln in r["lines"]),
            "first_missed": next((f"{ln['name']} ({ln['gap']:+.4g})" for ln in r["lines"] if ln.get("met") is False and ln.get("gap") is not None), ""),
            "costs_most": next((f"{d['name']} -{d['points_lost']:g}" for d in r["drag"] if d.get("points_lost")), ""),
        } for r in rows])
        if not table.empty:
            table.insert(3, "change", table.groupby("profile")["total"].diff().round(4))
        with pd.option_context("display.max_rows", 400, "display.width", 200, "display.max_colwidth", 80):
            print(table.to_string(index=False))
        print()
    return 0


@command("reconcile")
def cmd_reconcile(args) -> int:
    from .reconcile.reconcile import run_reconciliation
    from .reconcile.text import text_table

    rec = run_reconciliation(args.data_root, args.shop, backend=args.backend, profile=args.profile, as_of=args.as_of,
                             window_days=args.window_days)
    if args.json:
        _print_json(rec.to_json())
        return 0
    days = rec.days()
    span = f"{days[0]:%Y-%m-%d}" + (f" … {days[-1]:%Y-%m-%d}" if len(days) > 1 else "")
    print(f"shop {args.shop}  profile {rec.profile.get('name')}  {len(rec.table)} readings on {len(days)} day(s): {span}")
    if rec.profile_note:
        print(f"note: {rec.profile_note}")
    for day in days:
        print(f"\n== as of {day:%Y-%m-%d}")
        print(text_table(rec.page(day)))
    print("\nper indicator:")
    print(text_table(rec.per_key()))
    counts = rec.counts
    print(f"\nverdicts: match {counts['match']}, explained {counts['explained']}, unexplained {counts['unexplained']}")
    return 0


@command("calibrate")
def cmd_calibrate(args) -> int:
    from .reconcile.calibrate import calibrate_folder

    out = Path(args.out)
    base = Path(args.base_profile)
    if base.suffix in (".yaml", ".yml") and base.exists() and out.exists() and out.resolve() == base.resolve():
        raise LoadError(f"--out {out}: is the base profile itself; write the calibrated copy to another file.")
    if not out.parent.is_dir():
        raise LoadError(f"--out {out}: folder {out.parent} does not exist.")
    cal = calibrate_folder(args.data_root, args.base_profile, shops=args.shops, backend=args.backend)
    try:
        cal.write(out)
    except OSError as exc:
        raise LoadError(f"--out {out}: cannot write the calibrated profile ({exc.strerror or exc}).") from None
    if args.json:
        _print_json({"out": str(out), **cal.to_json()})
        return 0
    print(cal.text())
    print(f"\nwrote {out}: use it with --profile {out} (metrics, reconcile, render, batch)")
    return 0


def _as_of_range(text: str):
    """argparse type for ``reconcile --as-of``: one date ``YYYY-MM-DD`` or a range ``START..END``."""
    if ".." in str(text):
        start, end = (as_of_arg(part) for part in str(text).split("..", 1))
        if end < start:
            raise argparse.ArgumentTypeError(f"'{text}': the range ends before it starts")
        return start, end
    return as_of_arg(text)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="shopscore", description="Recompute a Douyin shop's 商家体验分 from its exports.")
    sub = p.add_subparsers(dest="command", required=True)

    v = sub.add_parser("validate", help="load every export and print the data-quality report")
    v.add_argument("data_root")
    v.add_argument("--shop", type=shop_id_arg, help="one shop folder under DATA_ROOT (default: all)")
    v.add_argument("--json", action="store_true", help="machine-readable output")

    m = sub.add_parser("metrics", help="every indicator and score for one shop")
    m.add_argument("data_root")
    m.add_argument("--shop", required=True, type=shop_id_arg)
    m.add_argument("--as-of", type=as_of_arg, help="report date D (default: the day after the latest timestamp)")
    m.add_argument("--profile", help="rule profile name or path to a .yaml copy (default: shop.yaml's, else douyin_2022)")
    m.add_argument("--window-days", type=window_days_arg, help="override the profile's window length (1–3660 days)")
    m.add_argument("--json", action="store_true", help="print the SPEC §8 JSON object")
    m.add_argument("--history", metavar="DIR", help="also record the result in DIR/history.sqlite (as `batch --out DIR` does)")

    h = sub.add_parser("history", help="a shop's recorded results over time (the history of `batch --out OUT`)")
    h.add_argument("out", metavar="OUT", help="the batch output folder holding history.sqlite")
    h.add_argument("--shop", type=shop_id_arg, help="one shop (default: every shop recorded)")
    h.add_argument("--profile", help="only this profile's rows")
    h.add_argument("--json", action="store_true", help="the rows as JSON (total, dimensions, indicator values and scores, lines, drag)")

    r = sub.add_parser("reconcile", help="the backend page's readings beside the recomputed values, with the reason for each difference")
    r.add_argument("data_root")
    r.add_argument("--shop", required=True, type=shop_id_arg)
    r.add_argument("--backend", metavar="FILE", help="readings file (default: backend.csv in the shop folder)")
    r.add_argument("--profile", help="rule profile name or .yaml path (default: shop.yaml's, else the shipped profile whose indicators the readings name)")
    r.add_argument("--as-of", type=_as_of_range, help="only the readings of this as-of date YYYY-MM-DD, or of START..END")
    r.add_argument("--window-days", type=window_days_arg, help="override the profile's window length (1–3660 days)")
    r.add_argument("--json", action="store_true", help="verdict counts, per-indicator summary and every reading as JSON")

    c = sub.add_parser("calibrate", help="fit the numbers the platform does not publish from pooled backend readings")
    c.add_argument("data_root")
    c.add_argument("--shops", nargs="+", type=shop_id_arg, help="shop folders to pool, of one industry and shop type (default: every shop with readings)")
    c.add_argument("--backend", metavar="FILE", help="one readings file with a shop_id column (default: each shop folder's backend.csv)")
    c.add_argument("--base-profile", required=True, help="profile name or .yaml path to calibrate")
    c.add_argument("--out", required=True, help="where to write the calibrated copy of the profile (.yaml)")
    c.add_argument("--json", action="store_true", help="every number, its interval and status, the problems and contradictions as JSON")

    from .batch.cli import add_batch_commands  # render, batch, demo (their heavy imports load lazily)

    add_batch_commands(sub, command)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except ShopscoreError as exc:  # bad input: load, profile, output folder, parameters
        print(f"shopscore {args.command}: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except Exception as exc:  # a bug, not bad input: one line unless SHOPSCORE_DEBUG asks for the traceback
        if os.environ.get("SHOPSCORE_DEBUG"):
            raise
        print(f"shopscore {args.command}: internal error {type(exc).__name__}: {exc} (set SHOPSCORE_DEBUG=1 for details)", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
