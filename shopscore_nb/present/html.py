"""The HTML export of a rendered notebook, for managers: outputs only, code and parameter cells hidden,
Markdown outputs sanitised, written atomically. The batch and ``notebook.to_html`` both use it.

The page uses the project's own template (``templates/shopscore``): ``lang="zh-CN"``, a ``<title>`` naming
the shop, the page and the as-of date (read from the page header's output metadata, see
:func:`shopscore_nb.present.text.header`), a navigation bar across the shop's pages and back to the
portfolio, and nothing loaded from outside the machine (no require.js, MathJax or mermaid CDN).

>>> to_html_file("out/flagship/00_overview.ipynb", "out/flagship/00_overview.html")   # doctest: +SKIP
"""
from __future__ import annotations

import re
from functools import cache
from pathlib import Path

from ..paths import atomic_write_text


class _SanitizeMarkdownOutputs:
    """A last line of defence for Markdown outputs (where report text and data meet): any HTML tag not
    on a short list of formatting tags is escaped before nbconvert renders it. Data is escaped at the
    source too (:func:`shopscore_nb.escaping.md_text`); pandas tables are escaped by pandas."""

    TAGS = frozenset({"b", "strong", "i", "em", "code", "br", "p", "ul", "ol", "li", "sub", "sup", "span", "small",
                      "details", "summary", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "blockquote", "kbd", "mark"})

    @staticmethod
    @cache
    def _cleaner():
        import bleach

        return bleach.Cleaner(tags=_SanitizeMarkdownOutputs.TAGS, attributes={}, protocols=[], strip=False, strip_comments=True)

    def __call__(self, nb, resources):
        clean = self._cleaner()
        for cell in nb.cells:
            for out in cell.get("outputs", []):
                data = out.get("data", {})
                if "text/markdown" in data:
                    text = data["text/markdown"]
                    data["text/markdown"] = clean.clean("".join(text) if isinstance(text, list) else text)
        return nb, resources


TEMPLATES = Path(__file__).parent / "templates"
PAGE_META = "shopscore"  # output metadata key the page header carries: shop, shop_id, as_of, profile


def page_info(nb) -> dict:
    """The shop / as-of / profile the page header recorded in its output metadata ({} when absent)."""
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            meta = out.get("metadata", {}).get(PAGE_META)
            if meta:
                return dict(meta)
    return {}


def page_title(nb, page: str) -> str:
    """``shop · page · as-of`` for the ``<title>``."""
    from .sections import page_name

    info = page_info(nb)
    parts = [info.get("shop") or info.get("shop_id") or "", page_name(page), info.get("as_of", "")]
    return " · ".join(p for p in parts if p)


def navigation(nb, page: str, pages: list[str], home: str | None = "../index.html") -> dict:
    """The nav bar of a shop's page: its sibling pages (``<name>.html``) and the portfolio page."""
    from .sections import page_name

    info = page_info(nb)
    return {"shop": info.get("shop") or info.get("shop_id") or "", "as_of": info.get("as_of", ""), "home": home,
            "pages": [{"title": page_name(p), "href": f"{p}.html", "current": p == page} for p in pages]}


@cache
def _exporter():
    """The page exporter, built once per process (template lookup and Jinja compilation are most of an export's cost);
    it keeps no state between pages."""
    from nbconvert import HTMLExporter
    from nbconvert.preprocessors import TagRemovePreprocessor

    exporter = HTMLExporter(template_name="shopscore", extra_template_basedirs=[str(TEMPLATES)],
                            exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True)
    remover = TagRemovePreprocessor(remove_cell_tags={"parameters", "injected-parameters", "remove-cell"}, enabled=True)
    exporter.register_preprocessor(remover, enabled=True)
    exporter.register_preprocessor(_SanitizeMarkdownOutputs(), enabled=True)
    return exporter


def to_html(nb, html_path: Path, page: str | None = None, pages: list[str] | None = None, home: str | None = "../index.html") -> None:
    """HTML for managers: outputs only, code and parameters cells hidden, Markdown outputs sanitised; written atomically.

    ``page`` (the notebook's name) titles the page; ``pages`` (the shop's rendered notebooks) make the nav bar."""
    page = page or Path(html_path).stem
    nb.metadata["title"] = page_title(nb, page)
    if pages:
        nb.metadata["shopscore_nav"] = navigation(nb, page, pages, home)
    exporter = _exporter()
    body, _ = exporter.from_notebook_node(nb)
    body = re.sub(r'<html lang="[^"]*">', '<html lang="zh-CN">', body, count=1)  # nbconvert accepts ISO 639-1 codes only
    atomic_write_text(Path(html_path), body)


def to_html_file(ipynb_path, html_path) -> Path:
    """:func:`to_html` of a notebook file."""
    import nbformat

    html_path = Path(html_path)
    html_path.parent.mkdir(parents=True, exist_ok=True)
    to_html(nbformat.read(str(ipynb_path), as_version=4), html_path)
    return html_path
