"""The presentation layer: everything the notebooks show, formatted for the reader; nothing is computed here.

- :mod:`.params`   — the notebook parameters, checked with one clear message;
- :mod:`.session`  — a shop's report, loaded once per kernel;
- :mod:`.display`  — set-up (CJK font, theme) and showing Markdown / tables / figures;
- :mod:`.formatting` — numbers as the reader reads them (%, h, s, ¥) and as golden cells print them;
- :mod:`.text`     — definitions, value lines, headers;
- :mod:`.tables`   — indicator, drill-down and data-quality tables;
- :mod:`.charts`   — figures built from a report (drawn by :mod:`shopscore_nb.plots`);
- :mod:`.sections` — what each notebook section shows (``reference/sections.yaml``);
- :mod:`.training` — tiny hand-checkable shops for the training notebook;
- :mod:`.html`     — the HTML export of a rendered notebook.

Notebooks import the whole layer as ``from shopscore_nb import notebook as nb``.
"""
