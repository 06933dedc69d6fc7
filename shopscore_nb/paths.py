"""Safe output paths: shop IDs and names never escape the output directory.

>>> safe_name("../evil")
'evil-8bf37120c7'
>>> safe_name("flagship")
'flagship'
"""
from __future__ import annotations

import hashlib
import os
import re
import shutil
import tempfile
import unicodedata
from pathlib import Path

_UNSAFE = re.compile(r"[\x00-\x1f\x7f/\\:*?\"<>|]+")
MAX_LEN = 80
HASH_LEN = 10
_HASHED = re.compile(rf"-[0-9a-f]{{{HASH_LEN}}}$")


def safe_name(text: str) -> str:
    """A file-name-safe version of ``text``, injective: two different IDs never share a folder.

    A name is kept as it is only when it is already safe, lower-case (case-insensitive file systems
    would merge ``Shop`` and ``shop``) and does not end like a hashed name; every other name is
    cleaned and gets ``-`` + 10 hex digits of its SHA-1. Kept names never end in such a suffix and
    hashed names always do, so the two kinds cannot collide.
    """
    raw = str(text)
    cleaned = unicodedata.normalize("NFC", raw)
    cleaned = "".join(ch for ch in cleaned if unicodedata.category(ch) not in ("Cc", "Cf", "Cs"))
    cleaned = _UNSAFE.sub("_", cleaned).replace("..", "_").strip(" ._")[:MAX_LEN] or "shop"
    if cleaned != raw or raw != raw.lower() or _HASHED.search(raw):
        cleaned = f"{cleaned}-{hashlib.sha1(raw.encode('utf-8', 'surrogatepass')).hexdigest()[:HASH_LEN]}"
    return cleaned


def inside(root: Path, *parts: str) -> Path:
    """``root / parts`` resolved, refusing anything that would land outside ``root``."""
    root = Path(root).resolve()
    target = root.joinpath(*parts).resolve()
    if target != root and root not in target.parents:
        raise ValueError(f"refusing to write outside the output directory: {target}")
    return target


def atomic_write_text(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file in the same folder, so a reader never
    sees a half-written file under the final name."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.chmod(tmp, 0o644)  # mkstemp creates 0600; reports are meant to be shared
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's live process
        return True
    return True


def owned_temp_dir(prefix: str, parent: str | Path | None = None) -> Path:
    """``mkdtemp`` whose name carries this process id (``<prefix><pid>-…``), so that a later run can tell
    a folder left by a killed process from one still in use (:func:`remove_stale`)."""
    return Path(tempfile.mkdtemp(prefix=f"{prefix}{os.getpid()}-", dir=parent))


def remove_stale(parent: str | Path, prefix: str) -> int:
    """Remove folders ``<parent>/<prefix><pid>-…`` whose process no longer runs (a killed batch); returns how many."""
    parent = Path(parent)
    removed = 0
    if not parent.is_dir():
        return 0
    for p in parent.glob(f"{prefix}*"):
        pid = p.name[len(prefix):].split("-", 1)[0]
        if p.is_dir() and pid.isdigit() and not _pid_alive(int(pid)):
            shutil.rmtree(p, ignore_errors=True)
            removed += 1
    return removed


def writable_dir(path: str | Path, what: str = "--out") -> Path:
    """``path`` created if needed and checked writable; a clear ``LoadError`` (exit 2) otherwise."""
    from .errors import LoadError

    path = Path(path).expanduser()
    try:
        path.mkdir(parents=True, exist_ok=True)
        probe = tempfile.NamedTemporaryFile(dir=path, prefix=".write-test-", delete=True)
        probe.close()
    except FileExistsError:
        raise LoadError(f"{what} {path}: exists and is not a folder; choose a folder for the reports.") from None
    except NotADirectoryError:
        raise LoadError(f"{what} {path}: a part of this path is a file, not a folder.") from None
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise LoadError(f"{what} {path}: cannot write there ({reason}); choose a folder you can write to.") from None
    return path.resolve()
