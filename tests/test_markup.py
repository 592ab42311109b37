"""The one sanitising Markdown function: hostile text never becomes script."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import urlsplit

from hypothesis import given
from hypothesis import strategies as st

from learning.markup import plain_text, render_markdown

from .security.xss_corpus import PAYLOADS

DANGEROUS_TAGS = {"script", "style", "iframe", "object", "embed", "svg", "math", "form", "input", "link",
                  "meta", "base", "img", "video", "audio", "source", "textarea", "select", "template",
                  "details", "marquee", "body", "noscript", "xmp"}
SAFE_SCHEMES = ("", "http", "https", "mailto")  # "": a relative URL


class _Collector(HTMLParser):
    def __init__(self):
        super().__init__()
        self.problems = []

    def handle_starttag(self, tag, attrs):
        if tag in DANGEROUS_TAGS:
            self.problems.append(f"<{tag}>")
        for name, value in attrs:
            if name.startswith("on") or name in {"style", "srcdoc", "background", "formaction"}:
                self.problems.append(f"{tag}[{name}]")
            if (name in {"href", "src", "action", "xlink:href"} and value is not None
                    and urlsplit("".join(value.split()).lower()).scheme not in SAFE_SCHEMES):
                self.problems.append(f"{tag}[{name}={value}]")


def surviving_problems(html: str) -> list[str]:
    """Script-capable tags, handler attributes and unsafe URLs left in ``html``."""
    collector = _Collector()
    collector.feed(html)
    return collector.problems


def test_corpus_has_at_least_sixty_payloads():
    """The corpus is as large as the security promise says."""
    assert len(PAYLOADS) >= 60


def test_no_payload_survives_rendering():
    """Every payload, alone and inside ordinary Markdown, renders without a way to run script."""
    for payload in PAYLOADS:
        for text in (payload, f"## Title\n\nSome *text* {payload} more\n\n- item {payload}"):
            html = str(render_markdown(text))
            assert not surviving_problems(html), (payload, html)


@given(st.lists(st.sampled_from(PAYLOADS), min_size=1, max_size=4), st.text(max_size=40))
def test_mixed_payloads_never_survive(payloads, filler):
    """Payloads mixed with arbitrary text never leave a handler or a script URL behind."""
    html = str(render_markdown(filler.join(payloads)))
    assert not surviving_problems(html)


def test_ordinary_markdown_still_renders():
    """Headings, lists, tables, emphasis and safe links survive."""
    html = str(render_markdown("## 要点\n\n- **一** 项\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n[法规](https://example.org)"))
    assert "<h2>要点</h2>" in html and "<strong>一</strong>" in html and "<table>" in html
    assert re.search(r'<a href="https://example.org"[^>]*rel="noopener noreferrer nofollow"', html)


def test_plain_text_strips_all_markup():
    """Summaries and exports get text only."""
    assert plain_text("**粗体** <b>x</b> & y") == "粗体 x & y"
    assert plain_text("a " * 50, limit=10).endswith("…")


def test_charts_carry_no_inline_script():
    """Server-side charts are plain SVG: the CSP allows no inline script and they need none."""
    from learning.charts import bar_chart, horizontal_bar_chart, line_chart

    for chart in (bar_chart("t", ["<b>a</b>"], [1]), line_chart("t", ["1", "2"], {"s": [1, 2]}),
                  horizontal_bar_chart("t", [("a", 1.0)])):
        assert "<script" not in str(chart).lower()
        assert "<svg" in str(chart)
