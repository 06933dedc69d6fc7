"""Safe output paths: shop IDs and names never escape the output directory.

>>> safe_name("../evil")
'evil-8bf371'
>>> safe_name("flagship")
'flagship'
"""
from __future__ import annotations

import hashlib
import os
import re
import tempfile
import unicodedata
from pathlib import Path

_UNSAFE = re.compile(r"[\x00-\x1f\x7f/\\:*?\"<>|]+")
MAX_LEN = 80


def safe_name(text: str) -> str:
    """A file-name-safe version of ``text``; a short hash is appended whenever anything was changed,
    so that two different IDs can never map to the same folder."""
    raw = str(text)
    cleaned = unicodedata.normalize("NFC", raw)
    cleaned = "".join(ch for ch in cleaned if unicodedata.category(ch) not in ("Cc", "Cf", "Cs"))
    cleaned = _UNSAFE.sub("_", cleaned).replace("..", "_").strip(" ._")[:MAX_LEN] or "shop"
    if cleaned != raw:
        cleaned = f"{cleaned}-{hashlib.sha1(raw.encode('utf-8', 'surrogatepass')).hexdigest()[:6]}"
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
