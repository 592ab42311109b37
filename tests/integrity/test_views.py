"""Integrity pages as people use them: banner, signing, printable letter, publishing, lists, books."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy import event

from learning.extensions import db
from learning.integrity.models import Book, BookPresentation, CollectiveSigning, Letter, LetterVersion, Signature
from learning.people.models import Department, User

BANNER = "integrity commitment letter(s) to sign"


def _current(app) -> int:
    with app.app_context():
        return db.session.execute(sa.select(LetterVersion.id).where(LetterVersion.is_current.is_(True))).scalar_one()


def test_banner_until_the_learner_signs_then_a_printable_letter_with_the_hash(demo_app):
    """cadre sees the banner, signs by typing the full name, gets the signed letter with its hash; no banner."""
    client = demo_app.test_client()
    client.login("cadre")
    assert BANNER in client.get("/").get_data(as_text=True)
    version_id = _current(demo_app)
    page = client.get(f"/integrity/versions/{version_id}/sign").get_data(as_text=True)
    assert "廉政承诺书" in page
    wrong = client.post_form(f"/integrity/versions/{version_id}/sign", {"full_name": "赵某"})
    assert wrong.status_code == 200 and "exactly as it is on record" in wrong.get_data(as_text=True)
    response = client.post_form(f"/integrity/versions/{version_id}/sign", {"full_name": "赵磊"})
    assert response.status_code == 302
    signed = client.get(response.headers["Location"]).get_data(as_text=True)
    with demo_app.app_context():
        signature = db.session.execute(sa.select(Signature).join(User, User.id == Signature.user_id)
                                       .where(User.username == "cadre")).scalar_one()
        assert signature.text_sha256 in signed and signature.record_hash in signed
    assert BANNER not in client.get("/").get_data(as_text=True)


def test_a_person_who_signed_sees_no_banner(demo_client):
    """hr signed online in the demo."""
    demo_client.login("hr")
    assert BANNER not in demo_client.get("/").get_data(as_text=True)


def test_publishing_a_new_version_brings_the_banner_back_for_everyone(demo_app):
    """hr writes and publishes version 2; hr, who had signed, is asked again, and so is mentor."""
    hr = demo_app.test_client()
    hr.login("hr")
    with demo_app.app_context():
        letter_id = db.session.execute(sa.select(Letter.id)).scalar_one()
    assert hr.post_form(f"/integrity/letters/{letter_id}/draft", {"body": "新的承诺内容"}).status_code == 302
    with demo_app.app_context():
        draft_id = db.session.execute(sa.select(LetterVersion.id).where(LetterVersion.number == 2)).scalar_one()
    assert BANNER not in hr.get("/").get_data(as_text=True)  # a draft asks nothing yet
    assert hr.post_form(f"/integrity/versions/{draft_id}/publish").status_code == 302
    assert BANNER in hr.get("/").get_data(as_text=True)
    mentor = demo_app.test_client()
    mentor.login("mentor")
    assert BANNER in mentor.get("/").get_data(as_text=True)
    unsigned = hr.get(f"/integrity/versions/{draft_id}/unsigned").get_data(as_text=True)
    assert unsigned.count('data-testid="unsigned-row"') == 16  # every demo account


def test_unsigned_list_by_department_and_export(demo_client, demo_app):
    """The list names who has not signed, filters by department and exports as CSV."""
    version_id = _current(demo_app)
    with demo_app.app_context():
        sq2 = db.session.execute(sa.select(Department.id).where(Department.code == "sq2")).scalar_one()
    demo_client.login("hr")
    page = demo_client.get(f"/integrity/versions/{version_id}/unsigned").get_data(as_text=True)
    assert "<td>cadre</td>" in page and "<td>auxiliary</td>" in page and "<td>hr</td>" not in page
    sq2_page = demo_client.get(f"/integrity/versions/{version_id}/unsigned?department={sq2}").get_data(as_text=True)
    assert "孙悦" in sq2_page and "赵磊" not in sq2_page
    export = demo_client.get(f"/integrity/versions/{version_id}/unsigned?fmt=csv")
    assert export.mimetype == "text/csv" and "赵磊" in export.get_data().decode("utf-8-sig")


def test_organiser_records_paper_signatures(demo_app):
    """hr, organiser of the demo signing, records two more; the letter page counts them."""
    with demo_app.app_context():
        signing_id = db.session.execute(sa.select(CollectiveSigning.id)).scalar_one()
    hr = demo_app.test_client()
    hr.login("hr")
    page = hr.post_form(f"/integrity/collective/{signing_id}", {"usernames": "c1004\nc1005 hr"}).get_data(as_text=True)
    assert "马超" in page and "朱婷" in page and "has signed this version already" in page
    with demo_app.app_context():
        count = db.session.execute(sa.select(sa.func.count(Signature.id))
                                   .where(Signature.collective_signing_id == signing_id)).scalar_one()
    assert count == 6


def test_another_persons_signed_letter_is_refused(demo_client, demo_app):
    """A learner cannot open someone else's signature."""
    with demo_app.app_context():
        signature_id = db.session.execute(sa.select(Signature.id).order_by(Signature.id).limit(1)).scalar_one()
    demo_client.login("cadre")
    assert demo_client.get(f"/integrity/signatures/{signature_id}").status_code == 403


def test_new_letter_starts_as_a_draft_and_asks_nobody(demo_client):
    """Creating a letter publishes nothing."""
    demo_client.login("admin")
    response = demo_client.post_form("/integrity/letters/new", {"title": "辅助人员承诺书", "year": "2026",
                                                                "audience": "auxiliary", "body": "承诺"})
    assert response.status_code == 302
    assert "draft" in demo_client.get(response.headers["Location"]).get_data(as_text=True)


def test_book_presentation_and_reflection(demo_app):
    """hr gives a book to auxiliary, who writes a reflection that hr then reads."""
    with demo_app.app_context():
        book_id = db.session.execute(sa.select(Book.id).order_by(Book.id).limit(1)).scalar_one()
    hr = demo_app.test_client()
    hr.login("hr")
    hr.post_form(f"/integrity/books/{book_id}/present",
                 {"usernames": "auxiliary", "presented_on": "2026-06-01", "occasion": "廉政教育月"})
    with demo_app.app_context():
        presentation_id = db.session.execute(
            sa.select(BookPresentation.id).join(User, User.id == BookPresentation.recipient_id)
            .where(User.username == "auxiliary")).scalar_one()
    aux = demo_app.test_client()
    aux.login("auxiliary")
    assert "廉政教育月" in aux.get("/integrity/").get_data(as_text=True)
    aux.post_form(f"/integrity/presentations/{presentation_id}/reflection", {"body": "守住底线"})
    assert "守住底线" in hr.get(f"/integrity/presentations/{presentation_id}/reflection").get_data(as_text=True)
    other = demo_app.test_client()
    other.login("cadre")
    assert other.get(f"/integrity/presentations/{presentation_id}/reflection").status_code == 403


def test_pages_run_a_fixed_small_number_of_queries(demo_app):
    """Each of integrity's own pages runs at most 15 statements (the dashboard as a whole is covered by
    tests/test_query_budget.py, integrity's share of it by test_dashboard_budget.py)."""
    version_id = _current(demo_app)
    with demo_app.app_context():
        letter_id = db.session.execute(sa.select(Letter.id)).scalar_one()
        book_id = db.session.execute(sa.select(Book.id).order_by(Book.id).limit(1)).scalar_one()
        signing_id = db.session.execute(sa.select(CollectiveSigning.id)).scalar_one()
    pages = {"cadre": ["/integrity/", f"/integrity/versions/{version_id}/sign", "/integrity/books",
                       f"/integrity/books/{book_id}"],
             "hr": ["/integrity/letters", f"/integrity/letters/{letter_id}",
                    f"/integrity/versions/{version_id}/unsigned", f"/integrity/collective/{signing_id}",
                    f"/integrity/books/{book_id}"]}
    for username, urls in pages.items():
        client = demo_app.test_client()
        client.login(username)
        for url in urls:
            statements = []
            with demo_app.app_context():
                engine = db.engine

            def count(*_args, _statements=statements):
                _statements.append(1)

            event.listen(engine, "before_cursor_execute", count)
            try:
                assert client.get(url).status_code == 200, url
            finally:
                event.remove(engine, "before_cursor_execute", count)
            assert len(statements) <= 15, f"{url} as {username}: {len(statements)} statements"


def test_integrity_pages_render_in_chinese(demo_app):
    """A learner's banner and signing page read in Chinese."""
    client = demo_app.test_client()
    client.login("cadre")
    client.post_form("/language", {"language": "zh_Hans_CN"})
    assert "份廉政承诺书待签署" in client.get("/").get_data(as_text=True)
    assert "输入您的姓名以签署" in client.get(f"/integrity/versions/{_current(demo_app)}/sign").get_data(as_text=True)
    assert "廉政书籍" in client.get("/integrity/books").get_data(as_text=True)
