"""The analyst's charts: a spike against its expected range, per-unit trends, a heat map of 办结率.

Plain functions over the canonical case table that return matplotlib Figures (not managed by
pyplot: display them with ``IPython.display.display(fig)`` or save them). Every number drawn is
computed from case rows by kwstats.investigate, the same functions the analyst tables use, so a
chart and its table never disagree. Print-friendly: white background, fonts of 7 pt and more,
meaning carried by shape and hatching as well as colour. Chinese text uses the CJK font that
kwstats.fonts resolves (the bulletin's chart does the same).

Artists that carry data have a ``gid`` (``kw-series``, ``kw-accepted:<unit>`` …) so tests and
tools can read back exactly what was drawn.
"""

from kwstats.analyst_charts.layout import SCREEN_DPI, WIDTH
from kwstats.analyst_charts.rates import month_columns, rate_heatmap, unit_trends
from kwstats.analyst_charts.spike import poisson_upper, spike_chart, spike_series

__all__ = [
    "SCREEN_DPI",
    "WIDTH",
    "month_columns",
    "poisson_upper",
    "rate_heatmap",
    "spike_chart",
    "spike_series",
    "unit_trends",
]
