"""Charts as server-side SVG (pygal): no script, no CDN, readable when printed.

Every chart of the site comes from here, so they share one look.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Sequence

import pygal
from markupsafe import Markup
from pygal.style import Style

# pygal appends a legacy import hook (for its map plugins, unused here) to sys.meta_path; it lacks
# find_spec, so every later importlib.util.find_spec of a missing module warns (an error in the tests).
sys.meta_path[:] = [finder for finder in sys.meta_path if type(finder).__name__ != "PluginImportFixer"]

STYLE = Style(
    background="transparent",
    plot_background="transparent",
    foreground="#212529",
    foreground_strong="#212529",
    foreground_subtle="#6c757d",
    colors=("#0f6b73", "#e0a800", "#6f42c1", "#d63384", "#198754", "#0d6efd"),
    font_family="system-ui, 'Noto Sans CJK SC', sans-serif",
    title_font_size=16,
    label_font_size=12,
    major_label_font_size=12,
    legend_font_size=12,
    value_font_size=11,
)

_COMMON = {
    "style": STYLE,
    "js": [],  # no script: the page's CSP allows none inline, and the chart needs none
    "disable_xml_declaration": True,
    "explicit_size": False,
    "width": 720,
    "height": 320,
    "print_values": False,
    "show_legend": True,
    "legend_at_bottom": True,
    "margin": 12,
}


# pygal writes its configuration into an inline <script> inside every SVG, even with js=[]; the site
# allows no inline script (CSP), and the chart needs none to draw.
_INLINE_SCRIPT = re.compile(r"<script\b[^>]*>.*?</script>", re.DOTALL | re.IGNORECASE)


def _render(chart) -> Markup:
    svg = _INLINE_SCRIPT.sub("", chart.render(is_unicode=True))
    return Markup(f'<div class="chart">{svg}</div>')  # noqa: S704 - pygal escapes the labels it draws


def bar_chart(title: str, labels: Sequence[str], values: Sequence[float | None], series: str = "",
              value_formatter=None) -> Markup:
    """A vertical bar chart of one series."""
    chart = pygal.Bar(title=title, show_legend=bool(series), **{k: v for k, v in _COMMON.items()
                                                                if k != "show_legend"})
    chart.x_labels = [str(label) for label in labels]
    if value_formatter:
        chart.value_formatter = value_formatter
    chart.add(series or title, list(values))
    return _render(chart)


def line_chart(title: str, x_labels: Sequence[str], series: dict[str, Sequence[float | None]],
               range_: tuple[float, float] | None = None) -> Markup:
    """A line chart of one or more series over ``x_labels`` (periods)."""
    options = dict(_COMMON)
    if range_:
        options["range"] = range_
    chart = pygal.Line(title=title, dots_size=3, **options)
    chart.x_labels = [str(label) for label in x_labels]
    for name, values in series.items():
        chart.add(name, list(values))
    return _render(chart)


def horizontal_bar_chart(title: str, items: Sequence[tuple[str, float]]) -> Markup:
    """Horizontal bars, one per item (for rankings and most-common lists)."""
    options = dict(_COMMON)
    options["height"] = max(160, 40 + 28 * len(items))
    options["show_legend"] = False
    chart = pygal.HorizontalBar(title=title, **options)
    chart.x_labels = [label for label, _value in items]
    chart.add(title, [value for _label, value in items])
    return _render(chart)
