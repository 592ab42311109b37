"""Who may see one letter version, signature or book presentation.

A signature and its printable letter belong to the signer and the integrity managers; a current
version is open to everyone in its audience; a book presentation to its recipient and the managers.
"""

from __future__ import annotations

from ..permissions import object_rule, permissions_of
from .models import BookPresentation, LetterVersion, Signature
from .services import in_audience


def is_manager(user) -> bool:
    """Integrity managers (hr, admin) hold ``integrity.manage``."""
    return "integrity.manage" in permissions_of(user)


@object_rule("integrity.sign")
def can_see(user, obj) -> bool:
    """Signer or manager for a signature; audience for a current version; recipient for a book given."""
    if "integrity.sign" not in permissions_of(user):
        return False
    if isinstance(obj, Signature):
        return obj.user_id == user.id or is_manager(user)
    if isinstance(obj, LetterVersion):
        return (obj.is_current and in_audience(user, obj.letter.audience)) or is_manager(user)
    if isinstance(obj, BookPresentation):
        return obj.recipient_id == user.id or is_manager(user)
    return False
