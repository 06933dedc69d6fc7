"""Set-up for a notebook kernel and the two ways the layer shows things: an object, or Markdown text.

>>> setup()                          # doctest: +SKIP
'Noto Sans CJK SC'
>>> show(md("**体验分** 4.78"))      # doctest: +SKIP
"""
from __future__ import annotations

import pandas as pd

from .. import plots

_SETUP_DONE = False


def setup(figure_format: str = "retina") -> str:
    """CJK font + seaborn theme, pandas display options, figures in Jupyter sharp on HiDPI screens.
    Returns the font name.

    ``figure_format``: ``retina`` (default: PNG at twice the dpi shown at the same size, on an adaptive
    256-colour palette — :func:`shopscore_nb.plots.png_2x`) or ``svg`` (vector; glyphs embedded as
    outlines, ``svg.fonttype = path``, so Chinese renders where the page is read, offline — about twice
    the bytes of the PNG on these charts; docs/DECISIONS.md has the measurements).
    """
    global _SETUP_DONE
    if figure_format not in ("retina", "svg"):
        raise ValueError(f"figure_format must be 'retina' or 'svg', not {figure_format!r}")
    name = plots.set_theme()
    import matplotlib

    matplotlib.rcParams["svg.fonttype"] = "path"  # outlines: no font needed where the page is read
    matplotlib.rcParams["svg.hashsalt"] = "shopscore"  # stable element ids: the same figure, the same SVG
    if not _SETUP_DONE:
        pd.set_option("display.max_columns", 40)
        pd.set_option("display.max_colwidth", 60)
        pd.set_option("display.width", 200)
        pd.set_option("display.precision", 4)
        _SETUP_DONE = True
    try:
        from IPython import get_ipython

        ip = get_ipython()
        if ip is not None:
            from matplotlib.figure import Figure
            from matplotlib_inline.backend_inline import set_matplotlib_formats

            set_matplotlib_formats(figure_format, bbox_inches=None)  # our figures use constrained layout: one draw, not two
            if figure_format == "retina":  # the same 2× PNG, on a palette
                ip.display_formatter.formatters["image/png"].for_type(Figure, plots.png_2x)
    except ImportError:  # plain Python: figures are saved, not displayed
        pass
    return name


def show(*objs) -> None:
    """IPython's ``display`` (``print`` outside IPython)."""
    try:
        from IPython.display import display
    except ImportError:  # pragma: no cover - IPython is a dependency of ipykernel
        for o in objs:
            print(o)
        return
    display(*objs)


def md(text: str):
    """Markdown to show. Values from the data must pass :func:`shopscore_nb.escaping.md_text` first."""
    from IPython.display import Markdown

    return Markdown(text)
