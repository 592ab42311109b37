"""``flask bench``: fill an empty database with benchmark data quickly, for bench/ and for sizing.

Each kind of data is a *seed*: a function registered with :func:`register_seed`, run in order by
``flask bench seed``. The people seed (departments and staff) comes first; feature packages register
theirs (tests and attempts, case files, ...) from their ``init_app`` and read the staff it made.
Seeds insert in batches with one statement per batch (``executemany``), never row by row through
the ORM, so a province's worth of rows takes minutes, not hours.

Every seeded account has the password :data:`SEED_PASSWORD`: it is hashed ONCE and that one hash is
stored on every account (hashing 100,000 passwords would take longer than everything else together).
Benchmark data is for a throw-away database, so the command refuses one that has accounts already.
"""

from __future__ import annotations

import json
import math
import random
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from itertools import islice
from typing import Any

import click
import sqlalchemy as sa
from flask import Flask, current_app
from flask.cli import AppGroup
from werkzeug.security import generate_password_hash

from .extensions import db

SEED_PASSWORD = "bench-seed-password"  # noqa: S105 - documented: shared by every seeded account, bench only
"""The password of every account ``flask bench seed`` makes (one precomputed hash shared by all)."""

STAFF_PER_SQUAD = 50
"""Seeded staff are spread over squads of about this many people (plus a legal and a personnel section)."""

DEFAULT_BATCH_SIZE = 5000

SURNAMES = "张王李赵刘陈杨黄周吴徐孙马朱胡郭何林罗高"

bench_cli = AppGroup("bench", help="Benchmark data: bulk seeding of a throw-away database, and row counts.")


def staff_username(number: int) -> str:
    """The employee number of the ``number``-th seeded account (1-based): s000001, s000002, ..."""
    return f"s{number:06d}"


@dataclass
class SeedContext:
    """What a seed function gets: the requested sizes, a seeded random generator and batch inserts.

    ``data`` carries values from one seed to the next (the people seed leaves ``staff_ids`` and
    ``department_ids`` there). ``advance(n)`` moves the seed's progress bar.
    """

    sizes: dict[str, int]
    batch_size: int = DEFAULT_BATCH_SIZE
    random: random.Random = field(default_factory=lambda: random.Random(20260101))  # noqa: S311 - test data
    data: dict[str, Any] = field(default_factory=dict)
    advance: Callable[[int], None] = lambda _n: None

    def insert(self, table: sa.Table, rows: Iterable[dict], returning: sa.Column | None = None,
               progress: bool = True) -> Any:
        """Insert ``rows`` in batches, one executemany statement per batch.

        Returns the ``returning`` column's values in insertion order, or without it the number of rows.
        ``progress`` advances the seed's bar by each batch.
        """
        statement = sa.insert(table)
        if returning is not None:
            statement = statement.returning(returning, sort_by_parameter_order=True)
        values: list = []
        count = 0
        for batch in batched(rows, self.batch_size):
            result = db.session.execute(statement, batch)
            if returning is not None:
                values.extend(result.scalars().all())
            count += len(batch)
            if progress:
                self.advance(len(batch))
        return values if returning is not None else count


@dataclass(frozen=True)
class Seed:
    """A registered seed: ``run(context)`` inserts its rows and returns ``{table: rows inserted}``.

    ``option`` names the ``flask bench seed`` option that gives its size (``--staff``, ``--attempts``);
    the seed runs only when that size is above zero.
    """

    name: str
    run: Callable[[SeedContext], dict[str, int]]
    option: str | None = None
    order: int = 50


_SEEDS: dict[str, Seed] = {}


def register_seed(name: str, fn: Callable[[SeedContext], dict[str, int]], *, option: str | None = None,
                  help: str = "", order: int = 50) -> None:  # noqa: A002 - click's word for it
    """Register (or replace) the seed ``name``; with ``option`` it gets ``--<option> N`` on ``bench seed``.

    Feature packages call this from their ``init_app``; registering the same name again replaces the
    entry, so building several apps in one process (as the tests do) adds nothing twice.
    """
    _SEEDS[name] = Seed(name, fn, option, order)
    if option and not any(param.name == option.replace("-", "_") for param in seed_command.params):
        seed_command.params.append(click.Option([f"--{option}"], type=click.IntRange(min=0), default=0,
                                                show_default=True, help=help or f"How many {option} to make."))


def registered_seeds() -> list[Seed]:
    """The registered seeds, in the order they run."""
    return sorted(_SEEDS.values(), key=lambda seed: (seed.order, seed.name))


def batched(rows: Iterable[dict], size: int) -> Iterator[list[dict]]:
    """Lists of up to ``size`` rows."""
    iterator = iter(rows)
    while batch := list(islice(iterator, size)):
        yield batch


# --- the people seed --------------------------------------------------------------------------------

def seed_people(context: SeedContext) -> dict[str, int]:
    """Departments (squads of ~50, a legal and a personnel section) and ``staff`` accounts.

    Account n is ``s{n:06d}`` with a fictional name (张某1, 王某2, ...); every fourth is auxiliary staff.
    Roles: all learners; s000001 is the administrator; every 25th a mentor, every 200th a reviewer and
    an instructor (in the legal section), every 500th HR (in the personnel section).
    """
    from .people.models import Department, DepartmentKind, StaffCategory, User, UserRole

    staff = context.sizes["staff"]
    squads = max(1, math.ceil(staff / STAFF_PER_SQUAD))
    departments = [{"code": f"b-sq{n:04d}", "name": f"第{n:04d}中队", "kind": DepartmentKind.squad}
                   for n in range(1, squads + 1)]
    departments += [{"code": "b-legal", "name": "法制科（基准）", "kind": DepartmentKind.section},
                    {"code": "b-personnel", "name": "人事科（基准）", "kind": DepartmentKind.section}]
    department_ids = context.insert(Department.__table__, departments, returning=Department.__table__.c.id,
                                    progress=False)  # the bar counts accounts
    squad_ids, legal_id, personnel_id = department_ids[:-2], department_ids[-2], department_ids[-1]

    method = current_app.config.get("PASSWORD_HASH_METHOD")
    password_hash = generate_password_hash(SEED_PASSWORD, **({"method": method} if method else {}))

    def roles_of(n: int) -> set[str]:
        roles = {"learner"}
        if n == 1:
            roles.add("admin")
        if n % 25 == 0:
            roles.add("mentor")
        if n % 200 == 0:
            roles.update({"reviewer", "instructor"})
        if n % 500 == 0:
            roles.add("hr")
        return roles

    def department_of(n: int, roles: set[str]) -> int:
        if roles & {"admin", "hr"}:
            return personnel_id
        if roles & {"reviewer", "instructor"}:
            return legal_id
        return squad_ids[(n - 1) % len(squad_ids)]

    def accounts() -> Iterator[dict]:
        for n in range(1, staff + 1):
            yield {
                "username": staff_username(n),
                "display_name": f"{SURNAMES[n % len(SURNAMES)]}某{n}",
                "staff_category": StaffCategory.auxiliary if n % 4 == 0 else StaffCategory.cadre,
                "department_id": department_of(n, roles_of(n)),
                "password_hash": password_hash,
            }

    staff_ids = context.insert(User.__table__, accounts(), returning=User.__table__.c.id)
    role_rows = ({"user_id": user_id, "role": role}
                 for n, user_id in enumerate(staff_ids, start=1) for role in sorted(roles_of(n)))
    role_count = context.insert(UserRole.__table__, role_rows, progress=False)
    context.data.update(staff_ids=staff_ids, department_ids=department_ids)
    return {"department": len(departments), "user": len(staff_ids), "user_role": role_count}


# --- commands ------------------------------------------------------------------------------------

@bench_cli.command("seed")
@click.option("--batch-size", type=click.IntRange(min=1), default=DEFAULT_BATCH_SIZE, show_default=True,
              help="Rows per insert statement.")
def seed_command(batch_size: int, **sizes: int) -> None:
    """Bulk-insert benchmark data into an EMPTY database (every account's password: bench-seed-password)."""
    from .people.models import User

    if db.session.execute(sa.select(sa.func.count(User.id))).scalar_one():
        raise click.ClickException("The database has accounts already; benchmark data is only for an empty, "
                                   "throw-away database.")
    context = SeedContext(sizes=sizes, batch_size=batch_size)
    totals: dict[str, int] = {}
    started = time.perf_counter()
    for seed in registered_seeds():
        size = sizes.get(seed.option.replace("-", "_"), 0) if seed.option else 1
        if not size:
            continue
        with click.progressbar(length=size, label=f"Seeding {seed.name:<10}", show_pos=True) as bar:
            context.advance = bar.update
            counts = seed.run(context)
        db.session.commit()
        for table, count in counts.items():
            totals[table] = totals.get(table, 0) + count
    elapsed = time.perf_counter() - started
    rows = sum(totals.values())
    click.echo(", ".join(f"{table} {count}" for table, count in totals.items()) or "Nothing to seed.")
    click.echo(f"{rows} rows in {elapsed:.1f} s ({rows / elapsed if elapsed else 0:,.0f} rows/s). "
               f"Every seeded account signs in with the password '{SEED_PASSWORD}'.")


@bench_cli.command("counts")
def counts_command() -> None:
    """Print the number of rows of every table, as JSON (for the harness's checks after a run)."""
    counts = {table.name: db.session.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()
              for table in db.metadata.sorted_tables}
    click.echo(json.dumps(counts, sort_keys=True))


register_seed("people", seed_people, option="staff", order=10,
              help="How many staff accounts to make (with departments of about 50).")


def init_app(app: Flask) -> None:
    """Register ``flask bench``."""
    app.cli.add_command(bench_cli)
