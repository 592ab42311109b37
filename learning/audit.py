"""The audit log: who did what, when (UTC), from where, with the state before and after.

Records are append-only: the ORM refuses to update or delete one.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from flask import has_request_context
from sqlalchemy import event
from sqlalchemy.orm import Mapped, mapped_column

from .extensions import client_address, db


def utcnow() -> datetime:
    """The current time in UTC, without tzinfo (as every ``*_at`` column stores it)."""
    return datetime.now(UTC).replace(tzinfo=None)


class AuditEvent(db.Model):
    """One audited action. Never updated, never deleted."""

    __tablename__ = "audit_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"), index=True)
    actor_name: Mapped[str | None] = mapped_column(sa.String(64))
    action: Mapped[str] = mapped_column(sa.String(64), index=True)
    target_type: Mapped[str | None] = mapped_column(sa.String(64))
    target_id: Mapped[str | None] = mapped_column(sa.String(64))
    address: Mapped[str | None] = mapped_column(sa.String(64))
    before: Mapped[str | None] = mapped_column(sa.Text)
    after: Mapped[str | None] = mapped_column(sa.Text)
    detail: Mapped[str | None] = mapped_column(sa.Text)

    __table_args__ = (sa.Index("ix_audit_event_target", "target_type", "target_id"),)

    @property
    def before_data(self) -> Any:
        """``before`` decoded from JSON."""
        return json.loads(self.before) if self.before else None

    @property
    def after_data(self) -> Any:
        """``after`` decoded from JSON."""
        return json.loads(self.after) if self.after else None


@event.listens_for(AuditEvent, "before_update")
@event.listens_for(AuditEvent, "before_delete")
def _refuse_change(_mapper, _connection, target):
    raise PermissionError(f"audit event {target.id} is append-only")


def _dump(value: Any) -> str | None:
    if value is None:
        return None
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


def record(actor, action: str, target=None, before: Any = None, after: Any = None,
           detail: str | None = None, address: str | None = None) -> AuditEvent:
    """Add an audit event to the session (the caller commits with the change it describes).

    ``actor`` is the acting user (or None for the system); ``target`` a model instance or a
    ``(type, id)`` pair.
    """
    if target is None:
        target_type = target_id = None
    elif isinstance(target, tuple):
        target_type, target_id = target[0], str(target[1])
    else:
        target_type, target_id = type(target).__name__, str(getattr(target, "id", ""))
    if address is None and has_request_context():
        address = client_address()
    actor_id = getattr(actor, "id", None) if actor is not None else None
    event_row = AuditEvent(
        at=utcnow(),
        actor_id=actor_id,
        actor_name=getattr(actor, "username", None) if actor is not None else None,
        action=action,
        target_type=target_type,
        target_id=target_id,
        address=address,
        before=_dump(before),
        after=_dump(after),
        detail=detail,
    )
    db.session.add(event_row)
    return event_row
