"""Who sees a pairing, and that a private note leaves no trace for anyone but the mentor who wrote it."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from learning.extensions import db
from learning.mentorship.models import Pairing, PrivateNote
from learning.people.models import User

NOTE_TEXT = "赵磊对夜间巡查有顾虑"  # the demo note of mentor on the pairing with cadre


def _ids(app):
    with app.app_context():
        mentor = db.session.execute(sa.select(User).where(User.username == "mentor")).scalar_one()
        pairing = db.session.execute(sa.select(Pairing).where(Pairing.mentor_id == mentor.id)).scalar_one()
        note = db.session.execute(sa.select(PrivateNote).where(PrivateNote.author_id == mentor.id)).scalar_one()
        return pairing.id, note.id


@pytest.mark.parametrize("username", ["cadre", "mentor2", "auxiliary", "c1001", "hr", "admin"])
def test_nobody_but_the_author_gets_a_private_note_by_direct_url(demo_app, username):
    """The apprentice, another mentor, a learner and even hr get 404 at the note's address, with no text."""
    pairing_id, note_id = _ids(demo_app)
    client = demo_app.test_client()
    client.login(username)
    response = client.get(f"/mentorship/notes/{note_id}")
    assert response.status_code == 404
    assert NOTE_TEXT not in response.get_data(as_text=True)
    # Nor by the note form of the talk, nor by guessing neighbouring ids.
    for other in (note_id + 1, note_id + 100):
        assert NOTE_TEXT not in client.get(f"/mentorship/notes/{other}").get_data(as_text=True)


def test_the_author_reads_the_note(demo_client, demo_app):
    """The mentor who wrote it reads it, and finds a link to it on the pairing page."""
    pairing_id, note_id = _ids(demo_app)
    demo_client.login("mentor")
    assert NOTE_TEXT in demo_client.get(f"/mentorship/notes/{note_id}").get_data(as_text=True)
    page = demo_client.get(f"/mentorship/pairings/{pairing_id}").get_data(as_text=True)
    assert f"/mentorship/notes/{note_id}" in page and NOTE_TEXT not in page


def test_the_apprentice_sees_no_trace_of_a_note_on_the_pairing_page(demo_client, demo_app):
    """The apprentice's pairing page neither shows the text nor says that a note exists."""
    pairing_id, note_id = _ids(demo_app)
    demo_client.login("cadre")
    page = demo_client.get(f"/mentorship/pairings/{pairing_id}").get_data(as_text=True)
    assert NOTE_TEXT not in page
    assert "private note" not in page.lower() and f"/notes/{note_id}" not in page
    assert 'data-testid="private-notes"' not in page


def test_hr_sees_that_a_note_exists_but_not_its_text(demo_client, demo_app):
    """The programme owner learns a note exists; no text, no link."""
    pairing_id, note_id = _ids(demo_app)
    demo_client.login("hr")
    page = demo_client.get(f"/mentorship/pairings/{pairing_id}").get_data(as_text=True)
    assert "The mentor keeps 1 private note(s) on this talk." in page
    assert NOTE_TEXT not in page and f"/notes/{note_id}" not in page


@pytest.mark.parametrize("username, status", [("mentor", 200), ("cadre", 200), ("hr", 200), ("admin", 200),
                                              ("mentor2", 403), ("auxiliary", 403), ("c1002", 403)])
def test_a_pairing_is_seen_by_its_mentor_apprentice_and_owners_only(demo_app, username, status):
    """Another mentor and other learners are refused."""
    pairing_id, _note = _ids(demo_app)
    client = demo_app.test_client()
    client.login(username)
    assert client.get(f"/mentorship/pairings/{pairing_id}").status_code == status


def test_another_mentor_cannot_log_talks_or_add_notes_on_a_pairing_not_theirs(demo_client, demo_app):
    """mentor2 is a mentor, but not this pairing's."""
    pairing_id, _note = _ids(demo_app)
    demo_client.login("mentor2")
    assert demo_client.get(f"/mentorship/pairings/{pairing_id}/talks/new").status_code == 403
    response = demo_client.post_form(f"/mentorship/pairings/{pairing_id}/talks/new",
                                     {"held_on": "2026-01-01", "minutes": "30", "kind": "coaching",
                                      "topics": "x", "summary": "x"})
    assert response.status_code == 403
