"""``shopscore render``, ``shopscore batch`` and ``shopscore demo`` (wired into :mod:`shopscore_nb.cli`)."""
from __future__ import annotations

import argparse
import os
from dataclasses import replace
from pathlib import Path

from ..arguments import as_of_arg, shop_id_arg, window_days_arg
from ..errors import LoadError


def default_workers() -> int:
    return max(1, min(4, os.cpu_count() or 1))


def run_batch(*args, **kwargs):
    from .runner import run_batch as run  # heavy imports only when rendering

    return run(*args, **kwargs)


def _common(p, many: bool) -> None:
    p.add_argument("--notebooks", nargs="+", help="notebook names (default: all), e.g. 00_overview 04_customer_service")
    p.add_argument("--as-of", default="", type=_as_of_text, help="report date YYYY-MM-DD (default: each shop's latest day + 1)")
    p.add_argument("--profile", default="", help="rule profile name or path (default: douyin_2022)")
    p.add_argument("--window-days", type=window_days_arg, default=None, help="override the profile's window length (1–3660 days)")
    p.add_argument("--out", required=not many, default="reports", help="output directory")
    p.add_argument("--force", action="store_true", help="parse the exports again and re-render even when outputs are up to date")
    _cache_options(p)
    p.add_argument("--timeout", type=int, default=600, help="per-cell timeout in seconds")
    p.add_argument("--fresh-kernels", action="store_true", help="a new kernel per notebook (default: one warm kernel per worker, reset between notebooks and shops)")


def _cache_options(p) -> None:
    p.add_argument("--cache-dir", help="where parsed exports are cached (default: the per-user cache directory, "
                                       "never inside --out: the cache holds unmasked data)")
    p.add_argument("--no-cache", action="store_true", help="parse every shop's exports afresh and keep no cache")


def demo_root() -> Path:
    """The demo data root: ``data/demo`` of a repository checkout, else generated once (seeded, so always the
    same shops) into the per-user data directory of an installed kit."""
    checkout = Path(__file__).resolve().parents[2] / "data" / "demo"
    if checkout.is_dir() and any(checkout.iterdir()):
        return checkout
    from platformdirs import user_data_dir

    root = Path(user_data_dir("shopscore", appauthor=False)) / "demo"
    if not (root.is_dir() and any(p.is_dir() for p in root.iterdir())):
        from ..demo import make_demo

        print(f"generating the demo shops into {root} …")
        make_demo(root)
    return root


def _report(result) -> int:
    """Print the outcome; exit status 0 when every shop is fine, 1 when some shop failed (2, bad input, is raised earlier)."""
    pages = sum(n["status"] in ("ok", "skipped") for r in result.shops for n in r["notebooks"])
    if result.metrics_only:
        ok = len(result.shops) - len(result.failed)
        print(f"{ok}/{len(result.shops)} shops computed (metrics only) into {result.out} in {result.seconds:.1f}s; "
              f"{result.history_rows} history rows; summary: {result.out}/index.html")
        _alerts_lines(result)
        for rec in result.failed:
            print(f"FAILED {rec['shop_id']}: {rec['error']}")
        return 1 if result.failed else 0
    if result.shops and not pages:  # a run that produced no page never reports success
        print(f"nothing rendered into {result.out}: no notebook produced a page.")
        for rec in result.failed:
            print(f"FAILED {rec['shop_id']}: {rec['error']}")
        return 1
    ok = len(result.shops) - len(result.failed)
    print(f"{ok}/{len(result.shops)} shops rendered into {result.out} in {result.seconds:.1f}s; summary: {result.out}/index.html")
    _alerts_lines(result)
    for rec in result.failed:
        cell = f" (cell {rec['cell']})" if rec.get("cell") is not None else ""
        print(f"FAILED {rec['shop_id']}: {rec['error']}{cell}")
    return 1 if result.failed else 0


def _alerts_lines(result) -> None:
    a = result.alerts or {}
    if a:
        print(f"alerts: {a.get('crossed', 0)} line(s) newly crossed, {a.get('warnings', 0)} early warning(s) in {a.get('shops', 0)} shop(s): "
              f"{a.get('file')}")
    for d in result.delivery:
        if not d["ok"]:
            print(f"alert delivery FAILED to {d['target']}: {d['error']} (the batch goes on)")
        elif d.get("sent"):
            print(f"alerts delivered to {d['target']} ({d['sent']} message(s))")


def _as_of_or_range(text: str) -> str:
    """argparse type of ``batch --as-of``: YYYY-MM-DD, or START..END (a backfill with --metrics-only)."""
    if ".." not in text:
        return _as_of_text(text)
    start, end = (as_of_arg(part).strftime("%Y-%m-%d") for part in text.split("..", 1))
    if end < start:
        raise argparse.ArgumentTypeError(f"'{text}': the range ends before it starts")
    return f"{start}..{end}"


def _as_of_text(text: str) -> str:
    """argparse type: a YYYY-MM-DD date, kept as text for the notebooks' parameters ('' = each shop's default)."""
    return as_of_arg(text).strftime("%Y-%m-%d") if text else ""


def add_batch_commands(sub, command) -> None:
    r = sub.add_parser("render", help="render the notebooks of one shop (.ipynb + HTML)")
    r.add_argument("data_root")
    r.add_argument("--shop", required=True, type=shop_id_arg)
    _common(r, many=False)

    b = sub.add_parser("batch", help="render every shop under DATA_ROOT, with a portfolio summary")
    b.add_argument("data_root")
    b.add_argument("--shops", nargs="+", type=shop_id_arg, help="shop folders (default: all)")
    _common(b, many=True)
    b.set_defaults(as_of="")
    for action in b._actions:  # batch alone takes a range START..END (a backfill)
        if action.dest == "as_of":
            action.type = _as_of_or_range
            action.help = "report date YYYY-MM-DD, or START..END with --metrics-only to backfill the history (default: each shop's latest day + 1)"
    b.add_argument("--workers", type=int, default=default_workers(), help="parallel shops (local process pool)")
    b.add_argument("--scheduler", help="Dask scheduler address, e.g. tcp://10.0.0.5:8786")
    b.add_argument("--triage", action="store_true", help="overview for every shop, full set only for shops below the alert line")
    b.add_argument("--alert-below", type=float, help="flag shops whose total is below this line")
    b.add_argument("--metrics-only", action="store_true",
                   help="no notebooks: metrics, history, summary and alerts only (with --as-of START..END: backfill the history)")
    b.add_argument("--alerts", metavar="CONFIG.yaml", help="deliver alerts.json through Apprise to the URLs of this config "
                                                            "(企业微信 / 钉钉 / 飞书 robots, e-mail, webhooks; ${VAR} read from the environment)")
    b.add_argument("--warn-days", type=int, default=None, help="early warning: lines the forecast sees crossed within N days "
                                                                  "(default: the alerts config's warn_days, else 7; 0 = no forecast)")
    b.add_argument("--no-history", action="store_true", help="do not record the results in OUT/history.sqlite")

    d = sub.add_parser("demo", help="render the demo shops' reports (generates data/demo if missing)")
    d.add_argument("--out", default="reports")
    d.add_argument("--workers", type=int, default=default_workers())
    d.add_argument("--force", action="store_true")
    _cache_options(d)

    @command("render")
    def cmd_render(args) -> int:
        return _report(run_batch(args.data_root, args.out, _options(args, shops=[args.shop], workers=1)))

    @command("batch")
    def cmd_batch(args) -> int:
        start, _, until = args.as_of.partition("..")
        if args.warn_days is not None and not 0 <= args.warn_days <= 366:
            raise LoadError(f"--warn-days {args.warn_days}: expected 0–366 days.")
        opts = _options(args, shops=args.shops, workers=args.workers, scheduler=args.scheduler, triage=args.triage,
                        alert_below=args.alert_below, metrics_only=args.metrics_only, alerts=args.alerts, warn_days=args.warn_days,
                        history=not args.no_history)
        return _report(run_batch(args.data_root, args.out, replace(opts, as_of=start, as_of_until=until)))

    @command("demo")
    def cmd_demo(args) -> int:
        return _report(run_batch(demo_root(), args.out, workers=args.workers, force=args.force, cache_dir=args.cache_dir,
                                 use_cache=not args.no_cache))


def _options(args, **fields):
    """The :class:`BatchOptions` of a ``render`` / ``batch`` command line."""
    from .runner import BatchOptions

    return BatchOptions(notebooks=args.notebooks, as_of=args.as_of, profile=args.profile, window_days=args.window_days or 0,
                        force=args.force, timeout=args.timeout, warm_kernel=not args.fresh_kernels, cache_dir=args.cache_dir,
                        use_cache=not args.no_cache, **fields)
