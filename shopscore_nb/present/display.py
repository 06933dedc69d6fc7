"""Set-up for a notebook kernel and the two ways the layer shows things: an object, or Markdown text.

>>> setup()                          # doctest: +SKIP
'Noto Sans CJK SC'
>>> show(md("**体验分** 4.78"))      # doctest: +SKIP
"""
from __future__ import annotations

import pandas as pd

from .. import plots

_SETUP_DONE = False


def setup() -> str:
    """CJK font + seaborn theme, pandas display options, PNG figures in Jupyter. Returns the font name."""
    global _SETUP_DONE
    name = plots.set_theme()
    if not _SETUP_DONE:
        pd.set_option("display.max_columns", 40)
        pd.set_option("display.max_colwidth", 60)
        pd.set_option("display.width", 200)
        pd.set_option("display.precision", 4)
        _SETUP_DONE = True
    try:
        from IPython import get_ipython

        if get_ipython() is not None:
            from matplotlib_inline.backend_inline import set_matplotlib_formats

            set_matplotlib_formats("png", bbox_inches=None)  # our figures use constrained layout: one draw, not two
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
