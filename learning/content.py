"""Loading ``content/`` (courses, question banks, tests) and reporting what each file did.

Loaders registered by the feature packages share ``SyncReport`` and ``ContentError``, so that
``flask content sync`` reports every kind of file the same way.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml

STATUSES = ("created", "updated", "unchanged", "archived", "rejected")


class ContentError(ValueError):
    """A content file that cannot be loaded: its path, the line (when known) and why."""

    def __init__(self, path: Path | str, reason: str, line: int | None = None):
        self.path, self.reason, self.line = str(path), reason, line
        where = f"{self.path}:{line}" if line else self.path
        super().__init__(f"{where}: {reason}")


@dataclass
class SyncItem:
    """What happened to one item (course, lesson, question, test)."""

    kind: str
    key: str
    status: str
    detail: str = ""


@dataclass
class SyncReport:
    """Items created, updated, unchanged or archived, and files rejected."""

    items: list[SyncItem] = field(default_factory=list)
    errors: list[ContentError] = field(default_factory=list)

    def add(self, kind: str, key: str, status: str, detail: str = "") -> None:
        """Note what happened to one item."""
        self.items.append(SyncItem(kind, key, status, detail))

    def count(self, status: str) -> int:
        """How many items ended with ``status``."""
        return sum(1 for item in self.items if item.status == status)

    @property
    def changed(self) -> bool:
        """Whether the run created, updated or archived anything."""
        return any(item.status in ("created", "updated", "archived") for item in self.items)

    def merge(self, other: SyncReport) -> None:
        """Append another loader's report."""
        self.items.extend(other.items)
        self.errors.extend(other.errors)


def split_front_matter(path: Path) -> tuple[dict, str, int]:
    """Read a Markdown file with YAML front matter: ``(meta, body, line where the body starts)``."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ContentError(path, "the file is not UTF-8 text") from exc
    text = text.removeprefix("\ufeff")
    if not text.startswith("---"):
        raise ContentError(path, "the file must start with front matter between '---' lines", 1)
    lines = text.splitlines()
    try:
        end = next(index for index in range(1, len(lines)) if lines[index].strip() == "---")
    except StopIteration:
        raise ContentError(path, "the front matter is not closed by a '---' line", 1) from None
    meta = load_yaml_text("\n".join(lines[1:end]), path, first_line=2)
    if not isinstance(meta, dict):
        raise ContentError(path, "the front matter must be a mapping of names to values", 2)
    return meta, "\n".join(lines[end + 1:]).strip() + "\n", end + 2


def load_yaml_text(text: str, path: Path | str, first_line: int = 1):
    """Parse YAML, turning a syntax error into a ``ContentError`` with the file's line number."""
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + first_line if mark is not None else None
        problem = getattr(exc, "problem", None) or str(exc)
        raise ContentError(path, f"invalid YAML: {problem}", line) from exc


def load_yaml_file(path: Path):
    """Parse a YAML file (UTF-8)."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ContentError(path, "the file is not UTF-8 text") from exc
    return load_yaml_text(text, path)
