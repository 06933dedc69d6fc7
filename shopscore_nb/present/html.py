"""The HTML export of a rendered notebook, for managers: outputs only, code and parameter cells hidden,
Markdown outputs sanitised, written atomically. The batch and ``notebook.to_html`` both use it.

>>> to_html_file("out/flagship/00_overview.ipynb", "out/flagship/00_overview.html")   # doctest: +SKIP
"""
from __future__ import annotations

from pathlib import Path

from ..paths import atomic_write_text


class _SanitizeMarkdownOutputs:
    """A last line of defence for Markdown outputs (where report text and data meet): any HTML tag not
    on a short list of formatting tags is escaped before nbconvert renders it. Data is escaped at the
    source too (:func:`shopscore_nb.escaping.md_text`); pandas tables are escaped by pandas."""

    TAGS = frozenset({"b", "strong", "i", "em", "code", "br", "p", "ul", "ol", "li", "sub", "sup", "span", "small",
                      "details", "summary", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "blockquote", "kbd", "mark"})

    def __call__(self, nb, resources):
        import bleach

        clean = bleach.Cleaner(tags=self.TAGS, attributes={}, protocols=[], strip=False, strip_comments=True)
        for cell in nb.cells:
            for out in cell.get("outputs", []):
                data = out.get("data", {})
                if "text/markdown" in data:
                    text = data["text/markdown"]
                    data["text/markdown"] = clean.clean("".join(text) if isinstance(text, list) else text)
        return nb, resources


def to_html(nb, html_path: Path) -> None:
    """HTML for managers: outputs only, code and parameters cells hidden, Markdown outputs sanitised; written atomically."""
    from nbconvert import HTMLExporter
    from nbconvert.preprocessors import TagRemovePreprocessor

    exporter = HTMLExporter(exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True)
    remover = TagRemovePreprocessor(remove_cell_tags={"parameters", "injected-parameters", "remove-cell"}, enabled=True)
    exporter.register_preprocessor(remover, enabled=True)
    exporter.register_preprocessor(_SanitizeMarkdownOutputs(), enabled=True)
    body, _ = exporter.from_notebook_node(nb)
    atomic_write_text(Path(html_path), body)


def to_html_file(ipynb_path, html_path) -> Path:
    """:func:`to_html` of a notebook file."""
    import nbformat

    html_path = Path(html_path)
    html_path.parent.mkdir(parents=True, exist_ok=True)
    to_html(nbformat.read(str(ipynb_path), as_version=4), html_path)
    return html_path
