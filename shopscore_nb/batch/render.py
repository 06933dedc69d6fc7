"""Render one notebook for one shop with papermill: IPC kernels, a timeout, PII masking, atomic writes.

>>> from shopscore_nb.batch.render import render_notebook
>>> render_notebook(Path("notebooks/00_overview.ipynb"), Path("out/flagship/00_overview.ipynb"),
...                 {"data_dir": "/abs/data/demo", "shop_id": "flagship"})      # doctest: +SKIP
{'notebook': '00_overview', 'status': 'ok', 'seconds': 3.1, ...}
"""
from __future__ import annotations

import os
import shutil
import subprocess
import time
from functools import cache
from pathlib import Path

import nbformat

from ..paths import owned_temp_dir
from ..present.html import to_html
from ..privacy import mask_notebook

KERNEL = "python3"
KERNEL_DIR_PREFIX = "shopscore-k-"  # private kernel socket folders in the temp directory
RENDER_DIR_PREFIX = ".render-"  # a notebook being rendered, beside its final output


def notebooks_dir() -> Path:
    """The kit's notebooks, shipped inside the package (``shopscore_nb/notebooks``, in a checkout a link to
    the repository's ``notebooks/``), so an installed wheel renders from any folder."""
    return Path(__file__).resolve().parents[1] / "notebooks"


def list_notebooks(folder: Path | None = None) -> list[str]:
    folder = folder or notebooks_dir()
    return sorted(p.stem for p in Path(folder).glob("*.ipynb"))


def _ipc_kernel_manager():
    """Kernels over Unix sockets in a private directory: no TCP port race between workers."""
    from jupyter_client.manager import AsyncKernelManager

    class IPCKernelManager(AsyncKernelManager):
        def __init__(self, **kw):
            self._socket_dir = str(owned_temp_dir(KERNEL_DIR_PREFIX))
            kw.setdefault("transport", "ipc")
            kw.setdefault("ip", os.path.join(self._socket_dir, "kernel"))
            super().__init__(**kw)

        async def _async_cleanup_resources(self, restart: bool = False) -> None:
            await super()._async_cleanup_resources(restart=restart)
            if not restart:  # the private socket folder goes with the kernel
                shutil.rmtree(self._socket_dir, ignore_errors=True)

        async def _async_launch_kernel(self, kernel_cmd, **kw):
            # the kernel's own stderr only carries shutdown noise ("KeyboardInterrupt caught in
            # kernel"); cell errors travel over the IOPub channel into the notebook
            kw.setdefault("stderr", subprocess.DEVNULL)
            return await super()._async_launch_kernel(kernel_cmd, **kw)

    return IPCKernelManager


class WarmKernel:
    """One kernel reused across notebooks — of one shop, and across the shops a batch worker renders — so that
    imports (pandas, matplotlib …) stay in memory; the user namespace is reset between notebooks.

    Between shops (:meth:`begin_shop`) the kernel also forgets the previous shop's tables and reports (the
    in-kernel caches of :mod:`shopscore_nb.present.session`, keyed by folder anyway), so no data of one shop
    is in memory when the next one's page runs. A fresh kernel is started when the kernel died, when a reset
    fails, after ``max_shops`` shops (bounds the memory a long-lived kernel collects) and when a shop needs
    another environment (cache folder) than the one the kernel started under.

    >>> warm = WarmKernel(max_shops=20)
    >>> for shop in shops:                                                # doctest: +SKIP
    ...     warm.begin_shop(env)
    ...     for name in notebooks:
    ...         render_notebook(src / f"{name}.ipynb", out / shop / f"{name}.ipynb", params, env=env, km=warm.manager())
    >>> warm.close()                                                      # doctest: +SKIP
    """

    RESET = "get_ipython().run_line_magic('reset', '-f')\nimport matplotlib.pyplot as _plt\n_plt.close('all')\ndel _plt\n"
    FORGET_SHOP = ("import sys as _sys\n"
                   "_s = _sys.modules.get('shopscore_nb.present.session')\n"
                   "if _s is not None:\n    _s.forget_shops()\n"
                   "del _s, _sys\nimport gc as _gc\n_gc.collect()\ndel _gc\n")

    def __init__(self, max_shops: int = 0):
        self.km = None
        self.max_shops = max_shops  # 0: no limit
        self.shops = 0  # shops begun on the current kernel
        self.started = 0  # kernels started by this object (tests, benchmarks)
        self.env: dict | None = None
        self._forget = False

    def begin_shop(self, env: dict | None = None) -> None:
        """Before a shop's first notebook: restart when the kernel served ``max_shops`` or ran under another
        environment; otherwise the next :meth:`manager` resets the namespace and forgets the previous shop."""
        env = dict(env or {})
        if self.km is not None and (env != self.env or (self.max_shops and self.shops >= self.max_shops)):
            self.close()
        self.env = env
        self.shops += 1
        self._forget = self.km is not None

    def manager(self):
        from jupyter_core.utils import run_sync

        if self.km is not None and not run_sync(self.km.is_alive)():
            self.close()
        if self.km is not None and self.km.has_kernel:
            try:
                self._reset(self.RESET + (self.FORGET_SHOP if self._forget else ""))
            except Exception:  # a hung or dying kernel: replaced, never reused
                self.close()
        self._forget = False
        if self.km is None:
            self.km = _ipc_kernel_manager()(kernel_name=KERNEL)
            self.started += 1
            self.shops = max(self.shops, 1)
        return self.km

    def _reset(self, code: str) -> None:
        from jupyter_core.utils import run_sync

        kc = self.km.client()
        kc.start_channels()
        try:
            reply = run_sync(kc.execute_interactive)(code, timeout=60, store_history=False, output_hook=lambda msg: None)
            if reply.get("content", {}).get("status") != "ok":
                raise RuntimeError(f"kernel reset failed: {reply.get('content', {}).get('evalue', '')}")
        finally:
            kc.stop_channels()

    def close(self) -> None:
        from jupyter_core.utils import run_sync

        if self.km is not None and self.km.has_kernel:
            try:
                run_sync(self.km.shutdown_kernel)(now=True)
            except Exception:  # a dead kernel has nothing left to shut down
                pass
        self.km = None
        self.shops = 0
        self._forget = False


def _failure(err) -> dict:
    return {
        "cell": getattr(err, "cell_index", None),
        "error": f"{getattr(err, 'ename', type(err).__name__)}: {getattr(err, 'evalue', str(err))}".strip(),
    }


@cache
def declared_parameters(source: Path) -> frozenset[str]:
    """The names in a notebook's ``parameters`` cell (papermill's own reading of it)."""
    import papermill as pm

    return frozenset(pm.inspect_notebook(str(source)))


def render_notebook(
    source: Path, output: Path, parameters: dict, timeout: int = 600, buyer_ids=(), env: dict | None = None, km=None,
    pages: list[str] | None = None,
) -> dict:
    """Execute ``source`` into ``output`` (+ ``.html``); never raises for a failing notebook.

    ``km``: a running kernel manager to reuse (see :class:`WarmKernel`); by default each notebook
    gets a fresh kernel. ``pages``: the shop's pages for the nav bar (default: every notebook beside ``source``)."""
    import papermill as pm

    declared = declared_parameters(source)
    if declared:  # a page that does not take a parameter (export_dir) is not handed it: no "unknown parameter" noise
        parameters = {k: v for k, v in parameters.items() if k in declared}
    output.parent.mkdir(parents=True, exist_ok=True)
    work = owned_temp_dir(RENDER_DIR_PREFIX, output.parent)
    tmp_nb = work / output.name
    started = time.perf_counter()
    result = {"notebook": source.stem, "output": str(output), "status": "ok", "cell": None, "error": ""}
    old_env = {k: os.environ.get(k) for k in (env or {})}
    os.environ.update(env or {})
    executed = None
    try:
        kernel = {"km": km} if km is not None else {"kernel_manager_class": _ipc_kernel_manager()}
        executed = pm.execute_notebook(
            str(source), str(tmp_nb), parameters=parameters, kernel_name=KERNEL, progress_bar=False,
            cwd=str(source.parent), execution_timeout=timeout, start_timeout=120,
            request_save_on_cell_execute=False, **kernel,
        )
    except Exception as err:  # PapermillExecutionError, timeouts, dead kernels: recorded, not raised
        result.update(status="failed", **_failure(err))
    finally:
        for k, v in old_env.items():
            os.environ.pop(k, None) if v is None else os.environ.__setitem__(k, v)
    try:
        if tmp_nb.exists():
            nb = executed if executed is not None else nbformat.read(tmp_nb, as_version=4)  # as written: no second parse
            mask_notebook(nb, buyer_ids)
            nbformat.write(nb, tmp_nb)
            to_html(nb, work / output.with_suffix(".html").name, page=source.stem, pages=pages or list_notebooks(source.parent))
            output.unlink(missing_ok=True)  # never a new HTML beside an old notebook
            os.replace(work / output.with_suffix(".html").name, output.with_suffix(".html"))
            os.replace(tmp_nb, output)  # the .ipynb lands last: its presence means the report is whole
    finally:
        shutil.rmtree(work, ignore_errors=True)
    result["seconds"] = round(time.perf_counter() - started, 3)
    return result
