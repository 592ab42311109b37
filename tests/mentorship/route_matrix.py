"""Every mentorship route, as every demo role."""

from __future__ import annotations

from learning.mentorship.models import Pairing, PrivateNote, SharingEvent, Talk

from ..route_matrix import Route, World, everyone, only


def _pairing(world: World) -> Pairing:
    return world.first(Pairing, Pairing.mentor_id == world.user("mentor").id)


def _p(suffix: str = ""):
    return lambda w: f"/mentorship/pairings/{_pairing(w).id}{suffix}"


def _open_talk(world: World) -> Talk:
    return world.first(Talk, Talk.pairing_id == _pairing(world).id, Talk.topics == "现场执法文书")


def _note(world: World) -> PrivateNote:
    return world.first(PrivateNote, PrivateNote.author_id == world.user("mentor").id)


def _event(world: World) -> str:
    return f"/mentorship/sharing/{world.first(SharingEvent).id}"


PARTIES = ("cadre", "mentor")  # the apprentice and the mentor of the demo pairing
OWNERS = ("hr", "admin")

ROUTES = [
    Route("mentorship.index", "/mentorship/", everyone()),
    Route("mentorship.pairings", "/mentorship/pairings", only(*OWNERS)),
    Route("mentorship.new_pairing", "/mentorship/pairings/new", only(*OWNERS)),
    Route("mentorship.new_pairing", "/mentorship/pairings/new", only(*OWNERS), method="POST"),
    Route("mentorship.pairing", _p(), only(*PARTIES, *OWNERS)),
    Route("mentorship.sign_agreement", _p("/sign"), only(*PARTIES, status=302), method="POST"),
    Route("mentorship.log_talk", _p("/talks/new"), only("mentor")),
    Route("mentorship.log_talk", _p("/talks/new"), only("mentor"), method="POST"),
    Route("mentorship.confirm_talk", lambda w: f"/mentorship/talks/{_open_talk(w).id}/confirm",
          only("cadre", status=302), method="POST"),
    Route("mentorship.add_note", lambda w: f"/mentorship/talks/{_open_talk(w).id}/notes/new", only("mentor")),
    Route("mentorship.add_note", lambda w: f"/mentorship/talks/{_open_talk(w).id}/notes/new", only("mentor"),
          method="POST"),
    # Nobody but its author learns that a private note is at this address: 404, not 403.
    Route("mentorship.note", lambda w: f"/mentorship/notes/{_note(w).id}", only("mentor"), denied=404),
    Route("mentorship.evaluate", _p("/evaluate"), only(*PARTIES)),
    Route("mentorship.evaluate", _p("/evaluate"), only(*PARTIES), method="POST"),
    Route("mentorship.close_pairing", _p("/close"), only(*OWNERS, status=302), method="POST"),
    Route("mentorship.report", "/mentorship/report", only(*OWNERS)),
    Route("mentorship.sharing_events", "/mentorship/sharing", everyone()),
    Route("mentorship.new_sharing", "/mentorship/sharing/new", only(*OWNERS)),
    Route("mentorship.new_sharing", "/mentorship/sharing/new", only(*OWNERS), method="POST"),
    Route("mentorship.sharing_event", _event, everyone()),
    Route("mentorship.record_attendance", lambda w: _event(w) + "/attendance", only(*OWNERS, status=302),
          method="POST"),
]
