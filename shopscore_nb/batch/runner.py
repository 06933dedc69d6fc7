"""The batch runner: every selected notebook for every shop, in parallel, failures isolated.

Local runs use a process pool (papermill changes the working directory, so no threads); with a
scheduler address the same jobs go to a Dask distributed cluster (``client.map``, retries).

>>> from shopscore_nb.batch import run_batch
>>> res = run_batch("data/demo", out="reports", workers=2)     # doctest: +SKIP
>>> res.failed                                                 # doctest: +SKIP
[]
"""
from __future__ import annotations

import json
import multiprocessing
import tempfile
import threading
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

from tqdm.auto import tqdm

from ..loading import LoadError
from ..paths import atomic_write_text, inside, remove_stale, safe_name, writable_dir
from ..privacy import buyer_ids_of
from ..shop import list_shops, shop_folder
from ..store import ENV as CACHE_ENV
from ..store import default_cache_dir, fingerprint, open_shop
from .render import KERNEL_DIR_PREFIX, RENDER_DIR_PREFIX, WarmKernel, list_notebooks, notebooks_dir, render_notebook


@dataclass
class ShopJob:
    data_root: str
    shop_id: str
    out: str
    notebooks: list[str]
    as_of: str = ""
    profile: str = ""
    window_days: int = 0
    timeout: int = 600
    force: bool = False
    cache_dir: str = ""
    notebooks_dir: str = ""
    warm_kernel: bool = True  # one kernel per worker, kept across its shops; namespace reset between notebooks
    kernel_max_shops: int = 0  # a fresh kernel after this many shops (0: KERNEL_MAX_SHOPS)

    @property
    def parameters(self) -> dict:
        return {
            "data_dir": str(Path(self.data_root).resolve()),
            "shop_id": self.shop_id,
            "as_of": self.as_of,
            "profile": self.profile or "douyin_2022",
            "window_days": int(self.window_days),
            "export_dir": str(inside(Path(self.out), safe_name(self.shop_id))),  # drill-down downloads beside the HTML
        }


@dataclass
class BatchResult:
    shops: list[dict] = field(default_factory=list)
    out: str = ""
    seconds: float = 0.0
    skipped_folders: list[dict] = field(default_factory=list)  # folders under the data root that are not shops
    metrics_only: bool = False  # no notebook was rendered (a backfill, or --metrics-only)
    history: str = ""  # the history store written (OUT/history.sqlite)
    history_rows: int = 0  # rows upserted by this run
    alerts: dict = field(default_factory=dict)  # {"file", "shops", "crossed", "warnings"}
    delivery: list[dict] = field(default_factory=list)  # one record per alert URL: target (secrets hidden), ok, error

    @property
    def failed(self) -> list[dict]:
        return [s for s in self.shops if s["status"] != "ok"]


def _up_to_date(output: Path, source: Path, stamp: dict) -> bool:
    sidecar = output.with_suffix(".params.json")
    if not (output.exists() and output.with_suffix(".html").exists() and sidecar.exists()):
        return False
    try:
        same = json.loads(sidecar.read_text(encoding="utf-8")) == stamp
    except ValueError:
        return False
    return same and output.stat().st_mtime >= source.stat().st_mtime


KERNEL_MAX_SHOPS = 50  # shops one warm kernel renders before it is replaced (bounds what a long-lived kernel holds)
_KERNELS = threading.local()  # this worker's warm kernel (per thread: a Dask worker may run tasks in threads)
_ALL_KERNELS: list[WarmKernel] = []


def worker_kernel() -> WarmKernel:
    """This worker's warm kernel, kept across the shops the worker renders (closed when the worker exits)."""
    warm = getattr(_KERNELS, "warm", None)
    if warm is None:
        warm = _KERNELS.warm = WarmKernel(KERNEL_MAX_SHOPS)
        if not _ALL_KERNELS:
            import atexit

            atexit.register(close_worker_kernels)
            multiprocessing.util.Finalize(None, close_worker_kernels, exitpriority=10)  # pool workers skip atexit
        _ALL_KERNELS.append(warm)
    return warm


def close_worker_kernels() -> None:
    """Shut down the warm kernels of this process (end of an in-process batch, or a worker's exit)."""
    for warm in _ALL_KERNELS:
        warm.close()


def render_shop(job: ShopJob) -> dict:
    """Render every notebook of one shop; returns a status record (never raises)."""
    started = time.perf_counter()
    record = {"shop_id": job.shop_id, "folder": safe_name(job.shop_id), "status": "ok", "notebooks": [], "error": "", "cell": None,
              "stale": []}
    remove_stale(tempfile.gettempdir(), KERNEL_DIR_PREFIX)  # kernel sockets of a killed run (on this worker's machine)
    try:
        shop = open_shop(job.data_root, job.shop_id, job.cache_dir or None)  # parse once, cache for the kernels
    except LoadError as exc:
        record.update(status="failed", error=str(exc), seconds=round(time.perf_counter() - started, 3))
        record["stale"] = _stale_reports(job, record)
        return record
    warm = worker_kernel() if job.warm_kernel else None
    if warm is not None:
        warm.max_shops = job.kernel_max_shops or KERNEL_MAX_SHOPS
        warm.begin_shop(_kernel_env(job))  # the previous shop's namespace and data are dropped before this shop's first page
    try:
        src_dir = Path(job.notebooks_dir) if job.notebooks_dir else notebooks_dir()
        shop_out = inside(Path(job.out), record["folder"])
        stamp = {**job.parameters, "fingerprint": _data_stamp(job)}
        _render_all(job, record, src_dir, shop_out, stamp, buyer_ids_of(shop), warm)
    except Exception as exc:  # e.g. an output folder that resolves outside --out: this shop fails, the batch goes on
        record.update(status="failed", error=f"{type(exc).__name__}: {exc}")
        if warm is not None:
            warm.close()  # whatever state the kernel is in, the next shop does not inherit it
    record["stale"] = _stale_reports(job, record)
    record["seconds"] = round(time.perf_counter() - started, 3)
    return record


def _stale_reports(job: ShopJob, record: dict) -> list[dict]:
    """Reports left from an earlier run for notebooks that did not render this time: listed as stale."""
    shop_out = Path(job.out) / record["folder"]
    fresh = {n["notebook"] for n in record["notebooks"] if n["status"] in ("ok", "skipped")}
    return [{"notebook": name, "output": str(shop_out / f"{safe_name(name)}.ipynb")}
            for name in job.notebooks if name not in fresh and (shop_out / f"{safe_name(name)}.html").exists()]


def _render_all(job: ShopJob, record: dict, src_dir: Path, shop_out: Path, stamp: dict, buyer_ids, warm) -> None:
    remove_stale(shop_out, RENDER_DIR_PREFIX)  # half-rendered notebooks of a killed run
    for name in job.notebooks:
        source = src_dir / f"{name}.ipynb"
        output = inside(shop_out, f"{safe_name(name)}.ipynb")
        if not job.force and _up_to_date(output, source, stamp):
            record["notebooks"].append({"notebook": name, "status": "skipped", "output": str(output), "seconds": 0.0})
            continue
        env = _kernel_env(job)
        output.with_suffix(".params.json").unlink(missing_ok=True)  # stale until this render succeeds
        res = render_notebook(source, output, job.parameters, job.timeout, buyer_ids, env=env, km=warm.manager() if warm else None)
        record["notebooks"].append(res)
        if res["status"] == "ok":
            atomic_write_text(output.with_suffix(".params.json"), json.dumps(stamp, ensure_ascii=False))
            continue
        if warm is not None:
            warm.close()  # the next notebook starts from a fresh kernel, not from a failed one's state
        if record["status"] == "ok":
            record.update(status="failed", error=f"{name}: {res['error']}", cell=res["cell"])


def _kernel_env(job: ShopJob) -> dict:
    return {CACHE_ENV: job.cache_dir} if job.cache_dir else {}


def _data_stamp(job: ShopJob) -> str:
    return fingerprint(shop_folder(job.data_root, job.shop_id))


def _status_line(rec: dict) -> str:
    done = sum(n["status"] == "ok" for n in rec["notebooks"])
    skipped = sum(n["status"] == "skipped" for n in rec["notebooks"])
    tail = f"  FAILED: {rec['error']}" + (f" (cell {rec['cell']})" if rec.get("cell") is not None else "") if rec["status"] != "ok" else ""
    return f"{rec['shop_id']}: {done} rendered, {skipped} up to date, {rec.get('seconds', 0):.1f}s{tail}"


def _run_local(func, jobs: list, workers: int, bar=None) -> list:
    """``func`` over ``jobs`` in a process pool (in-process for one worker), in completion order."""
    if workers <= 1:
        return [_tick(func(j), bar) for j in jobs]
    ctx = multiprocessing.get_context("spawn")  # fresh interpreters: no inherited kernel state or locks
    with ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
        futures = [pool.submit(func, j) for j in jobs]
        return [_tick(f.result(), bar) for f in as_completed(futures)]


def _run_dask(func, jobs: list, scheduler: str, bar=None) -> list:
    from dask.distributed import Client
    from dask.distributed import as_completed as dask_completed

    with Client(scheduler) as client:
        futures = client.map(func, jobs, pure=False, retries=1)
        return [_tick(f.result(), bar) for f in dask_completed(futures)]


def skipped_folders(data_root) -> list[dict]:
    """Folders under the data root that are not read as shops (names starting with ``_`` or ``.``), with the reason."""
    root = Path(data_root)
    return [{"folder": p.name, "reason": f"{p.name}: starts with '{p.name[0]}', so it is not read as a shop (rename it to include it)."}
            for p in sorted(root.iterdir()) if p.is_dir() and p.name.startswith((".", "_"))]


def _metrics_job(args: tuple) -> tuple[str, dict]:
    from .summary import shop_metrics

    *positional, dates, warn_days = args
    return args[1], shop_metrics(*positional, dates=dates, warn_days=warn_days)


def _dates(o) -> tuple[str, list[str]]:
    """The as-of date of the run and every date to record (START..END for a backfill)."""
    if not o.as_of_until:
        return o.as_of, []
    if not o.as_of:
        raise LoadError("--as-of START..END: a range needs a start date.")
    if not o.metrics_only:
        raise LoadError(f"--as-of {o.as_of}..{o.as_of_until}: a date range backfills the history; add --metrics-only "
                        "(reports are rendered for one as-of date per run).")
    import pandas as pd

    days = [d.strftime("%Y-%m-%d") for d in pd.date_range(o.as_of, o.as_of_until, freq="D")]
    if not days:
        raise LoadError(f"--as-of {o.as_of}..{o.as_of_until}: the range ends before it starts.")
    return days[-1], days


def _kept_pages(out: Path, shop_id: str, chosen: list[str], metrics: dict) -> dict:
    """A metrics-only record: the shop's status from the metrics pass, its pages from earlier runs (if any) linked."""
    folder = safe_name(shop_id)
    error = metrics.get(shop_id, {}).get("error", "")
    pages = [{"notebook": n, "status": "kept", "output": str(out / folder / f"{safe_name(n)}.ipynb"), "seconds": 0.0}
             for n in chosen if (out / folder / f"{safe_name(n)}.html").exists()]
    return {"shop_id": shop_id, "folder": folder, "status": "failed" if error else "ok", "notebooks": [] if error else pages,
            "error": error, "cell": None, "stale": pages if error else [], "seconds": 0.0}


def _tick(rec, bar):
    if bar is not None:
        bar.update(1)
        bar.write(_status_line(rec))
    return rec


@dataclass(frozen=True)
class BatchOptions:
    """Everything a batch run can be told, passed as one object (``run_batch(root, out, options)``) or as keywords.

    >>> BatchOptions(workers=2, as_of="2026-10-01").workers
    2
    """

    shops: list[str] | None = None  # shop folders (default: every shop under the data root)
    notebooks: list[str] | None = None  # notebook names (default: all)
    as_of: str = ""  # YYYY-MM-DD ('' = each shop's default)
    profile: str = ""  # rule profile name or path ('' = douyin_2022)
    window_days: int = 0  # 0 = the profile's window
    workers: int = 1  # shops in parallel (local process pool)
    scheduler: str | None = None  # Dask scheduler address: run on a cluster instead
    force: bool = False  # parse again and re-render even when outputs are up to date
    timeout: int = 600  # per-cell timeout, seconds
    triage: bool = False  # every notebook only for shops below the alert line, the overview for the others
    alert_below: float | None = None  # alert on the total instead of the profile's alert line
    notebooks_folder: str | Path | None = None  # another folder of notebooks (tests)
    progress: bool = True  # tqdm progress bar
    warm_kernel: bool = True  # one kernel per worker, kept across its shops, reset between notebooks and shops
    cache_dir: str | Path | None = None  # parse cache (default: the per-user cache directory)
    use_cache: bool = True  # False: parse every shop's exports afresh, keep no cache
    as_of_until: str = ""  # with as_of: the last date of a range START..END (a backfill: needs metrics_only)
    metrics_only: bool = False  # no notebooks: metrics, history, summary and alerts only (fast backfills)
    history: bool = True  # record every shop's result in OUT/history.sqlite
    alerts: str | Path | None = None  # alerts YAML: deliver alerts.json through Apprise
    warn_days: int | None = None  # early-warning horizon in days (default: the alerts config's warn_days, else 7)


def run_batch(data_root, out, options: BatchOptions | None = None, **overrides) -> BatchResult:
    """Render reports for every shop, record the results in the history and write the portfolio summary
    (``summary.csv``, ``summary.xlsx``, ``index.html``) and ``alerts.json`` (delivered when ``alerts`` names a config).

    Parsed exports are cached in ``cache_dir`` (default: the per-user cache directory, never inside
    ``out``: the cache holds unmasked data); ``use_cache=False`` parses each time; ``force`` re-parses
    and re-renders. Keyword ``overrides`` replace fields of ``options`` (see :class:`BatchOptions`)."""
    from ..history import History
    from .alerts import DEFAULT_WARN_DAYS, build_alerts, deliver, load_config
    from .summary import portfolio_rows, write_summary

    o = replace(options or BatchOptions(), **overrides)
    started = time.perf_counter()
    out = writable_dir(out)
    shops = o.shops or list_shops(data_root)
    skipped = skipped_folders(data_root)
    src = Path(o.notebooks_folder) if o.notebooks_folder else notebooks_dir()
    chosen = o.notebooks or list_notebooks(src)
    if not chosen:
        raise LoadError(f"{src}: no notebooks (*.ipynb) to render; the kit's notebooks are missing from this installation.")
    unknown = sorted(set(chosen) - set(list_notebooks(src)))
    if unknown:
        raise LoadError(f"unknown notebook(s) {unknown}; available: {', '.join(list_notebooks(src))}.")
    cache_dir = str(writable_dir(o.cache_dir or default_cache_dir(), "--cache-dir")) if o.use_cache else ""
    as_of, dates = _dates(o)
    alert_config = load_config(o.alerts) if o.alerts else None  # a bad config is bad input: before any work
    warn_days = o.warn_days if o.warn_days is not None else (alert_config or {}).get("warn_days", DEFAULT_WARN_DAYS)
    # one metrics pass per shop, spread over the same workers (it also fills each shop's Parquet cache); a backfill
    # computes every date of the range from one load of the shop
    metric_jobs = [(str(data_root), s, as_of or None, o.profile or None, o.window_days or None, cache_dir, o.alert_below, o.force,
                    dates, warn_days) for s in shops]
    workers = min(o.workers, len(shops)) or 1
    if o.scheduler:
        def run(f, js, bar=None):
            return _run_dask(f, js, o.scheduler, bar)
    else:
        def run(f, js, bar=None):
            return _run_local(f, js, workers, bar)
    metrics = dict(run(_metrics_job, metric_jobs))
    if o.metrics_only:
        records = [_kept_pages(out, s, chosen, metrics) for s in shops]
    else:
        jobs = []
        for shop_id in shops:
            selection = chosen
            if o.triage and not metrics.get(shop_id, {}).get("alert", True):
                selection = [n for n in chosen if n.startswith("00_")] or chosen[:1]
            jobs.append(ShopJob(str(data_root), shop_id, str(out), selection, as_of, o.profile, o.window_days, o.timeout, o.force,
                                cache_dir, str(src), o.warm_kernel))
        with tqdm(total=len(jobs), desc="shops", unit="shop", disable=not o.progress) as bar:
            try:
                records = run(render_shop, jobs, bar)
            finally:
                if not o.scheduler and workers <= 1:
                    close_worker_kernels()  # rendered in this process: its kernel goes with the run
    order = {s: i for i, s in enumerate(shops)}
    records.sort(key=lambda r: order[r["shop_id"]])
    result = BatchResult(records, str(out), 0.0, skipped, metrics_only=o.metrics_only)
    history = None
    if o.history:
        history = History.open(out)
        names = {s: m.get("name") for s, m in metrics.items()}
        result.history = str(history.path)
        result.history_rows = history.record([j for m in metrics.values() for j in (*m.get("series", []), m.get("report")) if j], names)
    rows = portfolio_rows(records, metrics, history)
    alerts = build_alerts(rows, out, warn_days, (alert_config or {}).get("report_base_url"))
    atomic_write_text(out / "alerts.json", json.dumps(alerts, ensure_ascii=False, indent=1, default=str))
    result.alerts = {"file": str(out / "alerts.json"), "shops": len(alerts["shops"]), "warn_days": warn_days,
                     "crossed": sum(len(s["crossed"]) for s in alerts["shops"]), "warnings": sum(len(s["warnings"]) for s in alerts["shops"])}
    if alert_config is not None:
        result.delivery = deliver(alerts, alert_config)
    write_summary(out, records, metrics, skipped, history, alerts, rows)
    result.seconds = round(time.perf_counter() - started, 3)
    atomic_write_text(out / "batch.json", json.dumps(asdict(result), ensure_ascii=False, indent=1, default=str))
    return result
