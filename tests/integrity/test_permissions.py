"""Who may see signatures, versions and book presentations, by the object rules."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from learning.extensions import db
from learning.integrity.models import LetterVersion, Signature
from learning.people.models import User
from learning.permissions import can


def _user(username):
    return db.session.execute(sa.select(User).where(User.username == username)).scalar_one()


@pytest.mark.parametrize("username, allowed", [("admin", True), ("hr", True), ("reviewer", False),
                                               ("cadre", False), ("mentor", False)])
def test_a_signature_is_seen_by_its_signer_and_the_managers(demo_app, username, allowed):
    """admin's own signature: admin and hr see it; others do not."""
    with demo_app.app_context():
        admin = _user("admin")
        signature = db.session.execute(sa.select(Signature).where(Signature.user_id == admin.id)).scalar_one()
        assert can(_user(username), "integrity.sign", signature) is allowed


def test_a_draft_version_is_only_for_managers(demo_app):
    """A learner cannot open a draft to sign it; the signing page answers 403."""
    client = demo_app.test_client()
    client.login("hr")
    with demo_app.app_context():
        letter_id = db.session.execute(sa.select(LetterVersion.letter_id)).scalar_one()
    client.post_form(f"/integrity/letters/{letter_id}/draft", {"body": "草稿"})
    with demo_app.app_context():
        draft = db.session.execute(sa.select(LetterVersion).where(LetterVersion.published_at.is_(None))).scalar_one()
        assert not can(_user("cadre"), "integrity.sign", draft)
        assert can(_user("hr"), "integrity.sign", draft)
        draft_id = draft.id
    learner = demo_app.test_client()
    learner.login("cadre")
    assert learner.get(f"/integrity/versions/{draft_id}/sign").status_code == 403
    assert learner.post_form(f"/integrity/versions/{draft_id}/sign", {"full_name": "赵磊"}).status_code == 403


def test_managers_cannot_sign_a_draft_either(demo_app):
    """hr may look at a draft, but signing it is not possible (404)."""
    client = demo_app.test_client()
    client.login("hr")
    with demo_app.app_context():
        letter_id = db.session.execute(sa.select(LetterVersion.letter_id)).scalar_one()
    client.post_form(f"/integrity/letters/{letter_id}/draft", {"body": "草稿"})
    with demo_app.app_context():
        draft_id = db.session.execute(sa.select(LetterVersion.id).where(LetterVersion.published_at.is_(None))
                                      ).scalar_one()
    assert client.post_form(f"/integrity/versions/{draft_id}/sign", {"full_name": "李静"}).status_code == 404


def test_learners_cannot_manage_letters(demo_client, demo_app):
    """Publishing and the unsigned list are for integrity managers."""
    demo_client.login("cadre")
    with demo_app.app_context():
        version_id = db.session.execute(sa.select(LetterVersion.id)).scalar_one()
    assert demo_client.post_form(f"/integrity/versions/{version_id}/publish").status_code == 403
    assert demo_client.get(f"/integrity/versions/{version_id}/unsigned").status_code == 403
