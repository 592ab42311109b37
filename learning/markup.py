"""The one way user and content text becomes HTML: Markdown, then a strict sanitiser.

Every lesson body, question, comment, finding and talk note is shown through ``render_markdown``
(in templates: the ``markdown`` filter). Raw HTML in the source is escaped or stripped, links may only
use http(s), mailto or relative URLs, and no attribute can carry script.
"""

from __future__ import annotations

import html

import markdown as md
import nh3
from markupsafe import Markup

ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "dd", "del", "div", "dl", "dt", "em", "h2", "h3",
    "h4", "h5", "h6", "hr", "i", "li", "ol", "p", "pre", "s", "strong", "sub", "sup", "table",
    "tbody", "td", "th", "thead", "tr", "ul",
}
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "abbr": {"title"},
    "td": {"align"},
    "th": {"align"},
}
ALLOWED_SCHEMES = {"http", "https", "mailto"}

_EXTENSIONS = ["tables", "fenced_code", "sane_lists", "nl2br"]


def render_markdown(text: str | None) -> Markup:
    """Render Markdown ``text`` to sanitised HTML, safe to put in a page as it is."""
    if not text:
        return Markup("")
    html = md.markdown(text, extensions=_EXTENSIONS, output_format="html")
    clean = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=ALLOWED_SCHEMES,
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    )
    return Markup(clean)  # noqa: S704 - the output of nh3 is the sanitised HTML


def plain_text(text: str | None, limit: int | None = None) -> str:
    """Text with all markup removed (for summaries, exports and titles)."""
    if not text:
        return ""
    stripped = nh3.clean(md.markdown(text), tags=set())
    stripped = " ".join(html.unescape(stripped).split())
    if limit and len(stripped) > limit:
        return stripped[: limit - 1] + "…"
    return stripped
