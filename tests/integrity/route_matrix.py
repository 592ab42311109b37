"""Every integrity route, as every demo role."""

from __future__ import annotations

from learning.integrity.models import Book, BookPresentation, CollectiveSigning, Letter, LetterVersion, Signature

from ..route_matrix import Route, World, everyone, only

OWNERS = ("hr", "admin")
UNSIGNED = ("cadre", "auxiliary")  # the demo people who have not signed the current letter


def _version(world: World) -> str:
    return f"/integrity/versions/{world.first(LetterVersion, LetterVersion.is_current.is_(True)).id}"


def _letter(world: World) -> str:
    return f"/integrity/letters/{world.first(Letter).id}"


def _presentation(world: World) -> str:
    presentation = world.first(BookPresentation, BookPresentation.recipient_id == world.user("cadre").id)
    return f"/integrity/presentations/{presentation.id}/reflection"


def _signed_elsewhere(status_unsigned: int) -> dict[str, int]:
    """Signing pages: the unsigned read and sign; those who signed are sent to their signed letter."""
    statuses = everyone(302)
    statuses.update({role: status_unsigned for role in UNSIGNED})
    return statuses


ROUTES = [
    Route("integrity.index", "/integrity/", everyone()),
    Route("integrity.sign", lambda w: _version(w) + "/sign", _signed_elsewhere(200)),
    Route("integrity.sign", lambda w: _version(w) + "/sign", _signed_elsewhere(200), method="POST",
          data={"full_name": "not my name"}),
    Route("integrity.signature",
          lambda w: f"/integrity/signatures/{w.first(Signature, Signature.user_id == w.user('admin').id).id}",
          only(*OWNERS)),
    Route("integrity.letters", "/integrity/letters", only(*OWNERS)),
    Route("integrity.new_letter", "/integrity/letters/new", only(*OWNERS)),
    Route("integrity.new_letter", "/integrity/letters/new", only(*OWNERS), method="POST"),
    Route("integrity.letter", _letter, only(*OWNERS)),
    Route("integrity.edit_draft", lambda w: _letter(w) + "/draft", only(*OWNERS)),
    Route("integrity.edit_draft", lambda w: _letter(w) + "/draft", only(*OWNERS), method="POST"),
    Route("integrity.publish", lambda w: _version(w) + "/publish", only(*OWNERS, status=302), method="POST"),
    Route("integrity.unsigned", lambda w: _version(w) + "/unsigned", only(*OWNERS)),
    Route("integrity.new_collective", lambda w: _version(w) + "/collective/new", only(*OWNERS)),
    Route("integrity.new_collective", lambda w: _version(w) + "/collective/new", only(*OWNERS), method="POST"),
    Route("integrity.collective", lambda w: f"/integrity/collective/{w.first(CollectiveSigning).id}", only(*OWNERS)),
    # Only the organiser (hr in the demo) records paper signatures.
    Route("integrity.collective", lambda w: f"/integrity/collective/{w.first(CollectiveSigning).id}", only("hr"),
          method="POST"),
    Route("integrity.books", "/integrity/books", everyone()),
    Route("integrity.new_book", "/integrity/books/new", only(*OWNERS)),
    Route("integrity.new_book", "/integrity/books/new", only(*OWNERS), method="POST"),
    Route("integrity.book", lambda w: f"/integrity/books/{w.first(Book).id}", everyone()),
    Route("integrity.present_book", lambda w: f"/integrity/books/{w.first(Book).id}/present",
          only(*OWNERS, status=302), method="POST"),
    Route("integrity.reflection", _presentation, only("cadre", *OWNERS)),
    Route("integrity.reflection", _presentation, only("cadre"), method="POST"),
]
