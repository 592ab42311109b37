"""The scenario registry: every module in this folder whose name does not start with ``_`` is one.

A scenario is a Locust locustfile (its ``User`` classes drive the site) with a few more names the
harness reads. A feature adds its scenario by dropping a module here; nothing else changes:

``DESCRIPTION``
    one line for the summary and the results file.
``USERS``, ``DURATION``, ``SPAWN_SECONDS``, ``WAIT_TIME``
    defaults: simulated people, seconds of load, seconds over which they all start, and the think
    time ``(min, max)`` in seconds between two requests of one person (the baseline uses the same).
``prepare(app_cli)``
    loads the scenario's data into the fresh database through the real command line, e.g.
    ``app_cli("bench", "seed", "--staff", str(app_cli.users))``; ``app_cli.users`` is the number of
    simulated people of this run.
``check(app_cli) -> dict[str, bool]`` (optional)
    correctness checks in the database after the run (``app_cli.json("bench", "counts")`` gives the
    row count of every table); any False fails the run.

The locustfile side learns the run's size from the ``BENCH_USERS`` environment variable.
"""

from __future__ import annotations

import importlib
import pkgutil
from types import ModuleType

REQUIRED = ("DESCRIPTION", "USERS", "DURATION", "SPAWN_SECONDS", "WAIT_TIME", "prepare")


def available() -> list[str]:
    """The names of the scenarios, found without importing them (importing one loads Locust)."""
    return sorted(info.name for info in pkgutil.iter_modules(__path__) if not info.name.startswith("_"))


def load(name: str) -> ModuleType:
    """Import the scenario ``name`` and check that it offers what the harness needs."""
    if name not in available():
        raise LookupError(f"no scenario {name!r}; there are: {', '.join(available())}")
    module = importlib.import_module(f"{__name__}.{name}")
    missing = [attribute for attribute in REQUIRED if not hasattr(module, attribute)]
    if missing:
        raise LookupError(f"scenario {name!r} lacks {', '.join(missing)}")
    return module
