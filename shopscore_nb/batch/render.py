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
import tempfile
import time
from pathlib import Path

import nbformat

from ..privacy import mask_notebook
from .paths import atomic_write_text

KERNEL = "python3"


def notebooks_dir() -> Path:
    """The kit's notebooks folder (the repository checkout the package is installed from)."""
    return Path(__file__).resolve().parents[2] / "notebooks"


def list_notebooks(folder: Path | None = None) -> list[str]:
    folder = folder or notebooks_dir()
    return sorted(p.stem for p in Path(folder).glob("*.ipynb"))


def _ipc_kernel_manager():
    """Kernels over Unix sockets in a private directory: no TCP port race between workers."""
    from jupyter_client.manager import AsyncKernelManager

    class IPCKernelManager(AsyncKernelManager):
        def __init__(self, **kw):
            kw.setdefault("transport", "ipc")
            kw.setdefault("ip", os.path.join(tempfile.mkdtemp(prefix="shopscore-k-"), "kernel"))
            super().__init__(**kw)

        async def _async_launch_kernel(self, kernel_cmd, **kw):
            # the kernel's own stderr only carries shutdown noise ("KeyboardInterrupt caught in
            # kernel"); cell errors travel over the IOPub channel into the notebook
            kw.setdefault("stderr", subprocess.DEVNULL)
            return await super()._async_launch_kernel(kernel_cmd, **kw)

    return IPCKernelManager


def to_html(nb, html_path: Path) -> None:
    """HTML for managers: outputs only, code hidden."""
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True)
    body, _ = exporter.from_notebook_node(nb)
    atomic_write_text(html_path, body)




def _failure(err) -> dict:
    return {
        "cell": getattr(err, "cell_index", None),
        "error": f"{getattr(err, 'ename', type(err).__name__)}: {getattr(err, 'evalue', str(err))}".strip(),
    }


def render_notebook(
    source: Path, output: Path, parameters: dict, timeout: int = 600, buyer_ids=(), env: dict | None = None
) -> dict:
    """Execute ``source`` into ``output`` (+ ``.html``); never raises for a failing notebook."""
    import papermill as pm

    output.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=".render-", dir=output.parent))
    tmp_nb = work / output.name
    started = time.perf_counter()
    result = {"notebook": source.stem, "output": str(output), "status": "ok", "cell": None, "error": ""}
    old_env = {k: os.environ.get(k) for k in (env or {})}
    os.environ.update(env or {})
    try:
        pm.execute_notebook(
            str(source), str(tmp_nb), parameters=parameters, kernel_name=KERNEL, progress_bar=False,
            cwd=str(source.parent), execution_timeout=timeout, start_timeout=120,
            request_save_on_cell_execute=False, kernel_manager_class=_ipc_kernel_manager(),
        )
    except Exception as err:  # PapermillExecutionError, timeouts, dead kernels: recorded, not raised
        result.update(status="failed", **_failure(err))
    finally:
        for k, v in old_env.items():
            os.environ.pop(k, None) if v is None else os.environ.__setitem__(k, v)
    try:
        if tmp_nb.exists():
            nb = nbformat.read(tmp_nb, as_version=4)
            mask_notebook(nb, buyer_ids)
            nbformat.write(nb, tmp_nb)
            to_html(nb, work / output.with_suffix(".html").name)
            os.replace(work / output.with_suffix(".html").name, output.with_suffix(".html"))
            os.replace(tmp_nb, output)  # the .ipynb lands last: its presence means the report is whole
    finally:
        shutil.rmtree(work, ignore_errors=True)
    result["seconds"] = round(time.perf_counter() - started, 3)
    return result
