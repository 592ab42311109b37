"""Who may see and do what with one pairing, talk or private note.

A pairing is seen by its mentor, its apprentice and the programme owners. A private note is read by
the mentor who wrote it and nobody else: the programme owner learns only that a note exists.
"""

from __future__ import annotations

from ..permissions import can, object_rule, permissions_of
from .models import Pairing, PrivateNote, SharingEvent, Talk


def is_owner(user) -> bool:
    """Programme owners (hr, admin) hold ``mentorship.manage``."""
    return "mentorship.manage" in permissions_of(user)


def _pairing_of(obj) -> Pairing | None:
    if isinstance(obj, Pairing):
        return obj
    if isinstance(obj, Talk):
        return obj.pairing
    return None


@object_rule("mentorship.participate")
def can_view(user, obj) -> bool:
    """A pairing or talk: its mentor, its apprentice, programme owners. Sharing events: every participant."""
    if isinstance(obj, SharingEvent):
        return "mentorship.participate" in permissions_of(user)
    if isinstance(obj, PrivateNote):
        return can_read_note(user, obj)
    pairing = _pairing_of(obj)
    if pairing is None:
        return False
    return user.id in (pairing.mentor_id, pairing.apprentice_id) or is_owner(user)


@object_rule("mentorship.mentor")
def can_mentor(user, obj) -> bool:
    """Log talks and evaluate: only the mentor of the pairing. A private note: only its author."""
    if isinstance(obj, PrivateNote):
        return can_read_note(user, obj)
    pairing = _pairing_of(obj)
    return pairing is not None and pairing.mentor_id == user.id


def can_read_note(user, note: PrivateNote) -> bool:
    """Only the mentor who wrote the note reads it (not hr, not the apprentice, not other mentors)."""
    return note.author_id == user.id


def is_apprentice(user, obj) -> bool:
    """Confirm a talk, rate the mentorship: only the apprentice of the pairing."""
    pairing = _pairing_of(obj)
    return pairing is not None and pairing.apprentice_id == user.id


def sees_note_markers(user, pairing: Pairing) -> bool:
    """The mentor and the programme owners see that private notes exist; the apprentice sees nothing."""
    return user.id == pairing.mentor_id or is_owner(user)


def can_sign_agreement(user, pairing: Pairing) -> bool:
    """The mentor or the apprentice, while their own signature is missing."""
    return (user.id == pairing.mentor_id and pairing.mentor_signed_at is None) or \
        (user.id == pairing.apprentice_id and pairing.apprentice_signed_at is None)


def can_close(user, pairing: Pairing) -> bool:
    """The programme owner closes an active pairing."""
    return pairing.is_active and can(user, "mentorship.manage")
