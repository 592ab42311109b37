"""Reading tables out of pages, as a person reading the page would."""

from __future__ import annotations

from html.parser import HTMLParser


class _TableParser(HTMLParser):
    def __init__(self, testid: str):
        super().__init__()
        self.testid, self.depth, self.rows, self.row, self.cell = testid, 0, [], None, None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "table" and attrs.get("data-testid") == self.testid:
            self.depth = 1
        elif self.depth and tag == "tbody":
            self.depth = 2
        elif self.depth == 2 and tag == "tr":
            self.row = []
        elif self.row is not None and tag == "td":
            self.cell = []

    def handle_endtag(self, tag):
        if self.depth and tag == "table":
            self.depth = 0
        elif self.cell is not None and tag == "td":
            self.row.append(" ".join("".join(self.cell).split()))
            self.cell = None
        elif self.row is not None and tag == "tr":
            self.rows.append(self.row)
            self.row = None

    def handle_data(self, data):
        if self.cell is not None:
            self.cell.append(data)


def table_rows(html: str, testid: str) -> list[list[str]]:
    """The body rows of the table marked ``data-testid=testid``, as lists of cell texts."""
    parser = _TableParser(testid)
    parser.feed(html)
    return parser.rows
