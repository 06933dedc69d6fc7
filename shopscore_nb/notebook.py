"""What the notebooks call, in one namespace: ``from shopscore_nb import notebook as nb``.

Nothing is defined here; each name comes from the presentation layer (:mod:`shopscore_nb.present`), which
formats and shows what the computing layers (metrics, scoring) produce. A section notebook runs::

    params = nb.validate_parameters(data_dir=data_dir, shop_id=shop_id, as_of=as_of,
                                    profile=profile, window_days=window_days, top_n=top_n)
    nb.setup()                       # CJK font, seaborn theme, display options
    rep = nb.load_report(params)     # cached per folder contents, as-of, profile and window
    nb.show_indicator(rep, "product.negative_review_rate")   # definition, value, trend
    nb.show_drilldowns(rep, nb.section_keys(rep, "product"), params.top_n)
    nb.data_quality(rep)

>>> from shopscore_nb import notebook as nb
>>> nb.validate_parameters("../data/demo", "flagship", "", "nosuch", 0)      # doctest: +SKIP
Traceback (most recent call last):
ParameterError: invalid notebook parameters:
  - profile: unknown profile 'nosuch'; known profiles: douyin_2022 ...
"""
from __future__ import annotations

from . import plots
from .errors import ParameterError
from .present.charts import daily_series, heatmaps, trend_figure
from .present.display import setup
from .present.formatting import fmt_value
from .present.headline import show_headline, show_section_head
from .present.html import to_html_file as to_html
from .present.params import Params, validate_parameters
from .present.sections import (
    overview_trends,
    section_keys,
    show_agents,
    show_consequences,
    show_forecast,
    show_indicator,
    show_others,
    show_scorecard,
    show_what_if,
)
from .present.session import cache_info, calibration_of, clear_cache, load_report, load_shop_cached
from .present.tables import (
    HIDDEN_COLUMNS,
    UNASSIGNED,
    agent_table,
    consequences_table,
    counted_rounds,
    data_quality,
    drilldown,
    drilldown_summary,
    failing_sessions,
    hour_weekday,
    indicator_table,
    show_drilldowns,
)
from .present.text import (
    definition,
    explain,
    explain_text,
    header,
    key_numbers,
    ruleset_of,
    score_numbers,
    show_notes,
    thresholds,
    tier_lines,
    value_text,
    window_text,
)
from .present.training import answer, check, examples_profile, rows_of, shop_cases, tiny_explain
from .tiny import tiny_result, tiny_shop

__all__ = [
    "HIDDEN_COLUMNS", "UNASSIGNED", "ParameterError", "Params", "agent_table", "answer", "examples_profile", "shop_cases", "cache_info", "calibration_of", "check", "clear_cache",
    "consequences_table", "counted_rounds", "daily_series", "data_quality", "definition", "drilldown", "drilldown_summary",
    "explain", "explain_text", "failing_sessions", "fmt_value", "header", "heatmaps", "hour_weekday", "indicator_table",
    "key_numbers", "load_report", "load_shop_cached", "overview_trends", "plots", "rows_of", "ruleset_of", "score_numbers",
    "section_keys", "setup", "show_agents", "show_headline", "show_notes", "show_section_head", "show_consequences", "show_drilldowns", "show_forecast", "show_indicator",
    "show_others", "show_scorecard", "show_what_if", "thresholds", "tier_lines", "tiny_explain", "tiny_result", "tiny_shop",
    "to_html", "trend_figure", "validate_parameters", "value_text", "window_text",
]
