"""Configuration: defaults in code, then ``instance/config.py``, then the environment."""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path

from flask import Flask

DEFAULTS = {
    "SQLALCHEMY_TRACK_MODIFICATIONS": False,
    "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
    "SQLITE_BUSY_TIMEOUT_MS": 15000,
    # Languages: the bureau works in Chinese; English is the second language.
    "LANGUAGES": {"zh_Hans_CN": "中文", "en": "English"},
    "BABEL_DEFAULT_LOCALE": "zh_Hans_CN",
    "BABEL_DEFAULT_TIMEZONE": "Asia/Shanghai",
    # Sessions and cookies.
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "SESSION_COOKIE_SECURE": False,
    "REMEMBER_COOKIE_DURATION": timedelta(days=14),
    "REMEMBER_COOKIE_HTTPONLY": True,
    "REMEMBER_COOKIE_SAMESITE": "Lax",
    "PERMANENT_SESSION_LIFETIME": timedelta(hours=12),
    # A CSRF token outlives the longest timed test with room to spare.
    "WTF_CSRF_TIME_LIMIT": 6 * 3600,
    "WTF_CSRF_SSL_STRICT": True,
    # Rate limits.
    "RATELIMIT_STORAGE_URI": "memory://",
    "RATELIMIT_HEADERS_ENABLED": False,
    "RATELIMIT_STRATEGY": "moving-window",
    "LOGIN_LIMIT_PER_ACCOUNT": "5 per minute",
    "LOGIN_LIMIT_PER_ADDRESS": "30 per minute",
    # Static assets come from the installed packages, never from a CDN.
    "BOOTSTRAP_SERVE_LOCAL": True,
    "BOOTSTRAP_BTN_SIZE": "md",
    # Uploads (roster, case files, registry) are refused by size before they are read.
    "MAX_CONTENT_LENGTH": 5 * 1024 * 1024,
    "PER_PAGE": 25,
    "ANNUAL_TRAINING_HOURS": 80,
    "CONTENT_DIR": None,
    "DEMO_LOADED": False,
    "HTTPS": False,
}


def _instance_secret_key(instance_path: str) -> str:
    """The secret key kept in ``instance/secret_key``, generated on first use."""
    path = Path(instance_path) / "secret_key"
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(key)
    return key


def load_config(app: Flask, test_config: dict | None) -> None:
    """Fill ``app.config`` from the defaults, the instance file, the environment and the test mapping."""
    app.config.from_mapping(DEFAULTS)
    app.config["SQLALCHEMY_DATABASE_URI"] = "sqlite:///" + os.path.join(
        app.instance_path, "learning.sqlite3"
    )
    app.config["CONTENT_DIR"] = str(Path(app.root_path).parent / "content")
    app.config.from_pyfile("config.py", silent=True)

    env = os.environ
    if env.get("DATABASE_URL"):
        app.config["SQLALCHEMY_DATABASE_URI"] = normalise_database_url(env["DATABASE_URL"])
    if env.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = env["SECRET_KEY"]
    if env.get("RATELIMIT_STORAGE_URI"):
        app.config["RATELIMIT_STORAGE_URI"] = env["RATELIMIT_STORAGE_URI"]
    app.config.from_prefixed_env("LEARNING")

    if test_config:
        app.config.from_mapping(test_config)

    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _instance_secret_key(app.instance_path)
    if app.config["HTTPS"]:
        app.config["SESSION_COOKIE_SECURE"] = True
        app.config["REMEMBER_COOKIE_SECURE"] = True
        app.config["PREFERRED_URL_SCHEME"] = "https"


def normalise_database_url(url: str) -> str:
    """Accept ``postgres://`` and ``postgresql://`` URLs and use psycopg 3 for them."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url
