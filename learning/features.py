"""What each feature package plugs into the shell: navigation, dashboard panels, demo data, content.

Feature packages call these from their ``init_app(app)``; the registry lives on the app, so two apps
in one process (as in the tests) never see each other's entries.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask import Flask, current_app

FEATURES = ("people", "courses", "quizzes", "reviews", "mentorship", "integrity", "appraisal")
"""The feature packages, in the order they are wired (later ones may read from earlier ones)."""


@dataclass(frozen=True)
class NavItem:
    """A link in the top navigation, shown to users who hold ``permission`` (None: everyone signed in)."""

    endpoint: str
    label: Any
    permission: str | None = None
    order: int = 50


@dataclass(frozen=True)
class Panel:
    """A dashboard panel: ``context(user)`` returns the template's variables, or None to hide it."""

    name: str
    template: str
    context: Callable[[Any], dict | None]
    permission: str | None = None
    order: int = 50


@dataclass(frozen=True)
class Step:
    """A named step run by a CLI command (demo data, content sync), in ``order``."""

    name: str
    run: Callable[..., Any]
    order: int = 50


@dataclass
class Registry:
    """Everything the feature packages registered on one app."""

    nav: list[NavItem] = field(default_factory=list)
    admin_nav: list[NavItem] = field(default_factory=list)
    panels: list[Panel] = field(default_factory=list)
    demo_steps: list[Step] = field(default_factory=list)
    content_loaders: list[Step] = field(default_factory=list)
    banners: list[Callable[[Any], Any]] = field(default_factory=list)


def registry(app: Flask | None = None) -> Registry:
    """The registry of ``app`` (or the current app)."""
    app = app or current_app
    return app.extensions.setdefault("qinglan", Registry())


def add_nav(app: Flask, endpoint: str, label, permission: str | None = None, order: int = 50,
            admin: bool = False) -> None:
    """Show a navigation link to those who hold ``permission``; ``admin`` puts it in the manage menu."""
    items = registry(app).admin_nav if admin else registry(app).nav
    items.append(NavItem(endpoint, label, permission, order))
    items.sort(key=lambda item: item.order)


def add_panel(app: Flask, name: str, template: str, context, permission: str | None = None,
              order: int = 50) -> None:
    """Add a dashboard panel."""
    panels = registry(app).panels
    panels.append(Panel(name, template, context, permission, order))
    panels.sort(key=lambda panel: panel.order)


def add_demo_step(app: Flask, name: str, run, order: int = 50) -> None:
    """Add a step to ``flask demo``; ``run()`` creates this feature's demo data and flushes."""
    steps = registry(app).demo_steps
    steps.append(Step(name, run, order))
    steps.sort(key=lambda step: step.order)


def add_content_loader(app: Flask, name: str, run, order: int = 50) -> None:
    """Add a loader to ``flask content sync``; ``run(content_dir)`` returns a ``SyncReport``."""
    loaders = registry(app).content_loaders
    loaders.append(Step(name, run, order))
    loaders.sort(key=lambda step: step.order)


def add_banner(app: Flask, banner) -> None:
    """Add a banner source: ``banner(user)`` returns ``(category, message, url)`` or None."""
    registry(app).banners.append(banner)
