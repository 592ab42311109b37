"""Two languages: the locale of each request, and the message catalogs.

Each feature package that has its own ``translations/`` folder owns the messages of its code and
templates; the top-level ``learning/translations`` catalog owns the rest. Flask-Babel merges them.

Run as a module to maintain the catalogs::

    python -m learning.i18n update    # extract messages; English filled in, new Chinese left empty
    python -m learning.i18n compile   # .po -> .mo (build output, not committed)
    python -m learning.i18n check     # list messages that lack a translation
"""

from __future__ import annotations

import io
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po
from flask import Flask, current_app, has_request_context, request, session
from flask_login import current_user

from .extensions import babel

PACKAGE_DIR = Path(__file__).resolve().parent
LOCALES = ("zh_Hans_CN", "en")
KEYWORDS = {
    "_": None, "gettext": None, "ngettext": (1, 2), "lazy_gettext": None, "_l": None,
    "lazy_ngettext": (1, 2), "pgettext": ((1, "c"), 2), "npgettext": ((1, "c"), 2, 3),
}
METHOD_MAP = [("**.py", "python"), ("**/templates/**.html", "jinja2"), ("**/templates/**.txt", "jinja2")]


def select_locale() -> str:
    """The account's language, else the session's, else the browser's best match, else Chinese."""
    languages = current_app.config["LANGUAGES"]
    if not has_request_context():  # CLI commands speak the configured default language
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    if current_user and current_user.is_authenticated and current_user.preferred_language in languages:
        return current_user.preferred_language
    if session.get("language") in languages:
        return session["language"]
    best = request.accept_languages.best_match(["zh", "zh-CN", "en"]) if request else None
    if best and best.startswith("en"):
        return "en"
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def catalog_roots() -> list[Path]:
    """Every folder that owns a catalog (has a ``translations/`` folder), the package first."""
    roots = [PACKAGE_DIR]
    roots += sorted(path.parent for path in PACKAGE_DIR.glob("*/translations") if path.is_dir())
    return roots


def init_app(app: Flask) -> None:
    """Set up Flask-Babel with every catalog folder."""
    directories = ";".join(str(root / "translations") for root in catalog_roots())
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", directories)
    babel.init_app(app, locale_selector=select_locale)

    @app.context_processor
    def _locale():
        from flask_babel import get_locale

        locale = get_locale()
        return {"current_language": str(locale), "html_lang": "zh-CN" if locale.language == "zh" else "en"}


def extract(root: Path) -> Catalog:
    """Messages found in the code and templates that ``root``'s catalog owns."""
    others = [other for other in catalog_roots() if other != root and root in other.parents]
    template = Catalog(project="qinglan", charset="utf-8")

    def callback(filename, method, options):
        return None

    def owned(dirname: str) -> bool:
        path = (root / dirname).resolve()
        if path.name.startswith((".", "_")):
            return False
        return not any(path == other or other in path.parents for other in others) and \
            "migrations" not in path.parts and "translations" not in path.parts

    for filename, lineno, message, comments, context in extract_from_dir(
            root, METHOD_MAP, keywords=KEYWORDS, comment_tags=("TRANSLATORS:",),
            callback=callback, strip_comment_tags=True,
            directory_filter=owned):
        template.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    return template


def _po_path(root: Path, locale: str) -> Path:
    return root / "translations" / locale / "LC_MESSAGES" / "messages.po"


def _read(path: Path, locale: str) -> Catalog:
    if not path.exists():
        return Catalog(locale=locale, project="qinglan", charset="utf-8")
    with path.open("rb") as handle:
        return read_po(handle, locale=locale)


def update() -> None:
    """Bring every catalog up to date with the code; English messages translate to themselves."""
    for root in catalog_roots():
        template = extract(root)
        for locale in LOCALES:
            path = _po_path(root, locale)
            catalog = _read(path, locale)
            catalog.update(template, no_fuzzy_matching=True)
            catalog.obsolete.clear()
            if locale == "en":
                for message in catalog:
                    if message.id and not _translated(message):
                        message.string = message.id if isinstance(message.id, str) else tuple(message.id)
            path.parent.mkdir(parents=True, exist_ok=True)
            buffer = io.BytesIO()
            write_po(buffer, catalog, width=100, omit_header=False, sort_output=True)
            path.write_bytes(buffer.getvalue())


def compile_all() -> None:
    """Write the .mo file next to every .po file."""
    for root in catalog_roots():
        for locale in LOCALES:
            path = _po_path(root, locale)
            if path.exists():
                catalog = _read(path, locale)
                with path.with_suffix(".mo").open("wb") as handle:
                    write_mo(handle, catalog, use_fuzzy=False)


def _translated(message) -> bool:
    if isinstance(message.string, tuple):
        return all(part.strip() for part in message.string)
    return bool(message.string and message.string.strip())


def problems() -> list[str]:
    """Every message the code uses that some catalog lacks, leaves empty or marks fuzzy."""
    found = []
    for root in catalog_roots():
        template = extract(root)
        for locale in LOCALES:
            path = _po_path(root, locale)
            catalog = _read(path, locale)
            for message in template:
                if not message.id:
                    continue
                entry = catalog.get(message.id, context=message.context)
                where = f"{path.relative_to(PACKAGE_DIR.parent)}"
                label = message.id if isinstance(message.id, str) else message.id[0]
                if entry is None:
                    found.append(f"{where}: missing {label!r}")
                elif entry.fuzzy or not _translated(entry):
                    found.append(f"{where}: untranslated {label!r}")
    return found


def main(argv: list[str]) -> int:
    """Command-line entry point."""
    command = argv[1] if len(argv) > 1 else "check"
    if command == "update":
        update()
    elif command == "compile":
        compile_all()
    elif command == "check":
        missing = problems()
        for line in missing:
            print(line)
        print(f"{len(missing)} messages lack a translation")
        return 1 if missing else 0
    else:
        print(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
