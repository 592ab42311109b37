"""Certificates as PDF (fpdf2), with Chinese text drawn in a CJK font installed on the machine.

The font is looked up at run time: ``COURSES_CERTIFICATE_FONT`` (a .ttf/.otf/.ttc path) when set,
else Debian's fonts-noto-cjk, else fonts-wqy. Without any of them ``certificate_pdf`` raises
``FontMissing`` and the site tells the user to print the certificate page instead.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from flask import current_app
from flask_babel import format_date
from flask_babel import gettext as _

from .models import Certificate

FONT_CANDIDATES = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc",
    "/usr/share/fonts/truetype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
)


class FontMissing(RuntimeError):
    """No font able to draw Chinese is installed."""


@cache
def _collection_index(path: str) -> int:
    """In a font collection (.ttc), the index of the Simplified Chinese face (0 when unsure)."""
    if not path.lower().endswith(".ttc"):
        return 0
    from fontTools.ttLib import TTCollection

    collection = TTCollection(path, lazy=True)
    try:
        for index, font in enumerate(collection.fonts):
            name = font["name"].getDebugName(4) or ""
            if name.endswith(" SC") or "WenQuanYi" in name:
                return index
    finally:
        collection.close()
    return 0


def find_font() -> tuple[str, int]:
    """The CJK font to use, as (path, index in its collection); raises ``FontMissing``."""
    configured = current_app.config.get("COURSES_CERTIFICATE_FONT")
    candidates = [configured] if configured else list(FONT_CANDIDATES)
    for path in candidates:
        if path and Path(path).is_file():
            return path, _collection_index(path)
    raise FontMissing(_("No Chinese font is installed on the server (fonts-noto-cjk or fonts-wqy)."))


def certificate_pdf(certificate: Certificate, verify_url: str) -> bytes:
    """An A4 landscape certificate: holder, course, hours, date and the verification code."""
    from fpdf import FPDF

    path, index = find_font()
    pdf = FPDF(orientation="L", unit="mm", format="A4")
    pdf.set_title(_("Certificate of completion"))
    pdf.set_author(_("Qinglan"))
    pdf.add_page()
    pdf.add_font("cjk", fname=path, collection_font_number=index)
    pdf.set_draw_color(15, 107, 115)
    pdf.set_line_width(1.2)
    pdf.rect(10, 10, 277, 190)
    pdf.set_line_width(0.4)
    pdf.rect(14, 14, 269, 182)
    width = 277 - 40

    def line(text: str, size: int, gap: float = 4, color=(33, 37, 41)) -> None:

        """One centred line (or more, wrapped) of the certificate."""
        pdf.set_font("cjk", size=size)
        pdf.set_text_color(*color)
        pdf.set_x(30)
        pdf.multi_cell(width, size * 0.5, text, align="C")
        pdf.ln(gap)

    pdf.set_y(32)
    line(_("Qinglan · city comprehensive administrative law-enforcement bureau"), 13, 10, (15, 107, 115))
    line(_("Certificate of completion"), 30, 14)
    line(certificate.holder_name, 24, 6)
    line(_("has completed the course"), 14, 6)
    line(f"“{certificate.course_title}”", 20, 8)
    hours = f"{certificate.hours:g}"
    line(_("%(hours)s training hours · completed on %(date)s",
           hours=hours, date=format_date(certificate.completed_on, "long")), 14, 18)
    line(_("Verification code: %(code)s", code=certificate.code), 12, 2, (108, 117, 125))
    line(verify_url, 10, 0, (108, 117, 125))
    return bytes(pdf.output())
