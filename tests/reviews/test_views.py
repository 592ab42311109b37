"""Review pages as people use them: scoring, publishing, the bulletin, import, case form, notices, panels."""

from __future__ import annotations

import io

import sqlalchemy as sa
from sqlalchemy import event

from learning.extensions import db
from learning.reviews.models import (
    CaseFile,
    CaseParty,
    Erratum,
    NoticeStatus,
    RectificationNotice,
    ReviewAssignment,
    ReviewCycle,
    SampledFile,
)


def _open_cycle(app):
    with app.app_context():
        return db.session.execute(sa.select(ReviewCycle).where(ReviewCycle.status == "open")).scalar_one().id


def _waiting_assignment(app) -> int:
    with app.app_context():
        return db.session.execute(sa.select(ReviewAssignment.id)
                                  .where(ReviewAssignment.submitted_at.is_(None))).scalar_one()


def _score_form(client, assignment_id: int, **extra) -> dict:
    """The score form's fields with one deduction on the first criterion."""
    page = client.get(f"/reviews/assignments/{assignment_id}").get_data(as_text=True)
    import re

    first = re.search(r'name="points-(\d+)"', page).group(1)
    return {f"points-{first}": "3", f"reason-{first}": "目录页码不连续", "summary": "整体规范", **extra}


def test_reviewer_scores_the_last_file_publishes_and_the_bulletin_appears(demo_app):
    """Score → the file is graded → publish → /reviews/<month>/ lists it; the cycle is then frozen."""
    client = demo_app.test_client()
    client.login("reviewer")
    assignment_id = _waiting_assignment(demo_app)
    response = client.post_form(f"/reviews/assignments/{assignment_id}", _score_form(client, assignment_id))
    assert response.status_code == 302
    with demo_app.app_context():
        assignment = db.session.get(ReviewAssignment, assignment_id)
        assert assignment.total == 97 and assignment.file.status.value == "final"
        month, number = assignment.file.cycle.month, assignment.file.case.case_number
    cycle_id = _open_cycle(demo_app)
    response = client.post_form(f"/reviews/cycles/{cycle_id}/publish")
    assert response.headers["Location"].endswith(f"/reviews/{month}/")
    page = client.get(f"/reviews/{month}/").get_data(as_text=True)
    assert number in page and "Squad ranking" in page and "<svg" in page
    changed = _score_form(client, assignment_id, summary="改分")
    refused = client.post_form(f"/reviews/assignments/{assignment_id}", changed, follow_redirects=True)
    assert "can no longer be changed" in refused.get_data(as_text=True)
    with demo_app.app_context():
        assert db.session.get(ReviewAssignment, assignment_id).summary == "整体规范"


def test_a_refused_score_keeps_what_the_reviewer_typed(demo_app):
    """A deduction without its reason is refused, and the form comes back with the points and notes typed."""
    client = demo_app.test_client()
    client.login("reviewer")
    assignment_id = _waiting_assignment(demo_app)
    data = _score_form(client, assignment_id, summary="卷面基本规范")
    reason_key = next(key for key in data if key.startswith("reason-"))
    data[reason_key] = ""
    page = client.post_form(f"/reviews/assignments/{assignment_id}", data).get_data(as_text=True)
    assert "Every deduction needs a reason." in page and "卷面基本规范" in page and 'value="3"' in page
    with demo_app.app_context():
        assert db.session.get(ReviewAssignment, assignment_id).submitted_at is None


def test_publishing_with_files_still_unscored_is_refused(demo_client):
    """The demo cycle in progress has one file waiting: publishing says so and changes nothing."""
    demo_client.login("reviewer")
    cycle_id = _open_cycle(demo_client.application)
    page = demo_client.post_form(f"/reviews/cycles/{cycle_id}/publish", follow_redirects=True).get_data(as_text=True)
    assert "no final grade yet" in page
    with demo_client.application.app_context():
        assert db.session.get(ReviewCycle, cycle_id).status.value == "open"


def test_the_bulletin_and_print_view_show_no_party_data(demo_app):
    """Names, ID numbers, phones, plates and addresses of every demo case are absent from the bulletin."""
    with demo_app.app_context():
        month = db.session.execute(sa.select(ReviewCycle.month).where(ReviewCycle.status == "published")).scalar_one()
        terms = [t for p in db.session.execute(sa.select(CaseParty)).scalars() for t in p.terms()]
    client = demo_app.test_client()
    client.login("auxiliary")
    for url in (f"/reviews/{month}/", f"/reviews/{month}/print"):
        page = client.get(url).get_data(as_text=True)
        assert "＊＊" in page
        assert [term for term in terms if term in page] == []
    assert "navbar" not in client.get(f"/reviews/{month}/print").get_data(as_text=True)
    exported = client.get(f"/reviews/{month}/export?fmt=csv").get_data().decode("utf-8-sig")
    assert "综执罚" in exported and "＊＊" in exported
    assert [term for term in terms if term in exported] == []
    assert client.get(f"/reviews/{month}/export?fmt=xlsx").mimetype.endswith("spreadsheetml.sheet")


def test_the_bulletin_page_runs_a_fixed_number_of_queries(demo_app):
    """At most 15 statements, however many files the bulletin holds."""
    client = demo_app.test_client()
    client.login("cadre")
    with demo_app.app_context():
        month = db.session.execute(sa.select(ReviewCycle.month).where(ReviewCycle.status == "published")).scalar_one()
        engine = db.engine
    statements = []

    def count(*_args):
        statements.append(1)

    event.listen(engine, "before_cursor_execute", count)
    try:
        assert client.get(f"/reviews/{month}/").status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert len(statements) <= 15


def test_an_erratum_is_appended_below_the_bulletin(demo_app):
    """The reviewer appends a correction with its reason; party data typed into it is masked too."""
    client = demo_app.test_client()
    client.login("reviewer")
    with demo_app.app_context():
        cycle = db.session.execute(sa.select(ReviewCycle).where(ReviewCycle.status == "published")).scalar_one()
        month = cycle.month
        party = db.session.execute(sa.select(CaseParty).join(SampledFile, SampledFile.case_id == CaseParty.case_id)
                                   .where(SampledFile.cycle_id == cycle.id).limit(1)).scalar_one()
        name = party.name
    client.post_form(f"/reviews/{month}/errata", {"text": f"第三行当事人{name}的得分应为85", "reason": "复核更正"})
    page = client.get(f"/reviews/{month}/").get_data(as_text=True)
    assert "复核更正" in page and "得分应为85" in page and name not in page
    with demo_app.app_context():
        assert db.session.execute(sa.select(sa.func.count(Erratum.id))).scalar_one() == 1


def test_a_learner_cannot_score_or_manage(demo_client):
    """The cadre gets 403 on a reviewer's assignment and on the case list."""
    demo_client.login("cadre")
    assignment_id = _waiting_assignment(demo_client.application)
    assert demo_client.get(f"/reviews/assignments/{assignment_id}").status_code == 403
    assert demo_client.post_form(f"/reviews/assignments/{assignment_id}", {}).status_code == 403
    assert demo_client.get("/reviews/cases").status_code == 403


def test_a_reviewer_cannot_open_someone_elses_assignment(demo_app):
    """reviewer2's assignment is not reviewer's to score."""
    with demo_app.app_context():
        from learning.people.models import User

        other = db.session.execute(sa.select(ReviewAssignment.id).join(User, ReviewAssignment.reviewer_id == User.id)
                                   .where(User.username == "reviewer2").limit(1)).scalar_one()
    client = demo_app.test_client()
    client.login("reviewer")
    assert client.get(f"/reviews/assignments/{other}").status_code == 403


def test_case_import_page_reports_rows_and_refuses_unreadable_files(demo_client):
    """A good and a bad row are reported; a binary file writes nothing."""
    demo_client.login("reviewer")
    data = ("case_number,title,case_type,procedure,squad,lead_handler,co_handlers,closed_on\n"
            "T-1,某某占道经营案,占道经营,快办,sq1,cadre,c1001,2026-09-09\n"
            "T-2,某某案,unknown,快办,sq1,cadre,,2026-09-09\n").encode()
    page = demo_client.post_form("/reviews/cases/import", {"file": (io.BytesIO(data), "cases.csv")},
                                 content_type="multipart/form-data").get_data(as_text=True)
    assert "Created 1" in page and "Rejected 1" in page and "Unknown case type" in page
    page = demo_client.post_form("/reviews/cases/import", {"file": (io.BytesIO(data), "cases.csv")},
                                 content_type="multipart/form-data").get_data(as_text=True)
    assert "Created 0" in page and "Unchanged 1" in page
    page = demo_client.post_form("/reviews/cases/import", {"file": (io.BytesIO(b"\x00\xff" * 40), "cases.csv")},
                                 content_type="multipart/form-data").get_data(as_text=True)
    assert "binary" in page or "neither" in page


def test_a_case_file_is_entered_by_form_with_handling_days(demo_app):
    """The form saves handlers, parties and dates; handling days follow; one officer is flagged."""
    client = demo_app.test_client()
    client.login("reviewer")
    with demo_app.app_context():
        from learning.people.models import Department, User

        squad = db.session.execute(sa.select(Department.id).where(Department.code == "sq1")).scalar_one()
        lead = db.session.execute(sa.select(User.id).where(User.username == "cadre")).scalar_one()
    response = client.post_form("/reviews/cases/new", {
        "case_number": "F-1", "title": "张某占道经营案", "case_type": "road_occupation", "procedure": "general",
        "squad_id": squad, "lead_id": lead, "parties": "张某 | 330100199001010011 | 13900009999 | 示例路9号 | 浙A99999",
        "filed_on": "2026-09-01", "closed_on": "2026-09-11", "delivery_channel": "electronic",
        "payment_channel": ""})
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "fewer than two enforcement officers" in page
    with demo_app.app_context():
        case = db.session.execute(sa.select(CaseFile).where(CaseFile.case_number == "F-1")).scalar_one()
        assert case.handling_days == 10 and case.parties[0].plate == "浙A99999"


def test_handlers_answer_and_the_reviewer_decides_a_notice(demo_app):
    """The cadre answers the open notice; the reviewer returns it; it shows as returned."""
    with demo_app.app_context():
        notice_id = db.session.execute(sa.select(RectificationNotice.id).where(
            RectificationNotice.status == NoticeStatus.open)).scalar_one()
    cadre = demo_app.test_client()
    cadre.login("cadre")
    assert "Overdue" in cadre.get("/reviews/notices").get_data(as_text=True)
    assert cadre.post_form(f"/reviews/notices/{notice_id}", {"response": "已补正告知书"}).status_code == 302
    reviewer = demo_app.test_client()
    reviewer.login("reviewer")
    assert reviewer.post_form(f"/reviews/notices/{notice_id}/decide",
                              {"note": "缺少送达回证", "give_back": "1"}).status_code == 302
    with demo_app.app_context():
        assert db.session.get(RectificationNotice, notice_id).status == NoticeStatus.returned
    assert "缺少送达回证" in cadre.get(f"/reviews/notices/{notice_id}").get_data(as_text=True)
    overdue = reviewer.get("/reviews/notices/all?overdue=1").get_data(as_text=True)
    assert "Overdue" in overdue


def test_dashboard_panels_show_bulletin_notices_and_queue(demo_app):
    """The cadre sees the latest bulletin and their notice; the reviewer sees their queue."""
    cadre = demo_app.test_client()
    cadre.login("cadre")
    page = cadre.get("/").get_data(as_text=True)
    assert 'data-panel="reviews.bulletin"' in page and 'data-panel="reviews.notices"' in page
    reviewer = demo_app.test_client()
    reviewer.login("reviewer")
    page = reviewer.get("/").get_data(as_text=True)
    assert 'data-panel="reviews.queue"' in page and "1 files to score" in page


def test_my_record_lists_reviewed_files_i_handled(demo_client):
    """The cadre's record shows their reviewed files with score and grade, and the weighted average."""
    demo_client.login("cadre")
    page = demo_client.get("/reviews/my-record").get_data(as_text=True)
    assert "综执罚" in page and "Weighted average score" in page and "Unqualified" in page


def test_opening_a_cycle_and_saving_a_rubric_version_by_form(demo_client):
    """A month without a cycle opens with its sample; a new rubric version becomes current."""
    demo_client.login("reviewer")
    response = demo_client.post_form("/reviews/cycles/new", {"month": "2026-01", "sample_size": 2,
                                                             "reviewers_per_file": 1, "seed": 5})
    assert response.status_code == 302
    text = demo_client.get("/reviews/rubric/new").get_data(as_text=True)
    assert "veto_items" in text
    with demo_client.application.app_context():
        from learning.reviews import services

        yaml_text = services.rubric_text(services.current_rubric()).replace("excellent: 90.0", "excellent: 92.0")
    assert demo_client.post_form("/reviews/rubric/new", {"text": yaml_text}).status_code == 302
    assert "≥ 92" in demo_client.get("/reviews/rubric").get_data(as_text=True)


def test_the_bulletin_reads_in_chinese(demo_app):
    """With 中文 chosen the bulletin's headings are Chinese."""
    client = demo_app.test_client()
    client.login("mentor")
    client.post_form("/language", {"language": "zh_Hans_CN"})
    with demo_app.app_context():
        month = db.session.execute(sa.select(ReviewCycle.month).where(ReviewCycle.status == "published")).scalar_one()
    page = client.get(f"/reviews/{month}/").get_data(as_text=True)
    assert "评查通报" in page and "中队排名" in page


def test_every_review_page_runs_a_fixed_number_of_queries(demo_app):
    """Reviews' own lists and pages stay within 15 statements for the reviewer and the cadre (the dashboard
    as a whole is covered by tests/test_query_budget.py, reviews' share of it by test_dashboard_budget.py)."""
    with demo_app.app_context():
        cycle_id = db.session.execute(sa.select(ReviewCycle.id).where(ReviewCycle.status == "open")).scalar_one()
        case_id = db.session.execute(sa.select(CaseFile.id).limit(1)).scalar_one()
        notice_id = db.session.execute(sa.select(RectificationNotice.id).limit(1)).scalar_one()
        engine = db.engine
    pages = {"reviewer": ["/reviews/", "/reviews/cases", f"/reviews/cases/{case_id}", f"/reviews/cycles/{cycle_id}",
                          "/reviews/queue", "/reviews/notices/all", f"/reviews/notices/{notice_id}", "/reviews/rubric",
                          f"/reviews/assignments/{_waiting_assignment(demo_app)}"],
             "cadre": ["/reviews/my-record", "/reviews/notices"]}
    for username, urls in pages.items():
        client = demo_app.test_client()
        client.login(username)
        for url in urls:
            statements = []

            def count(*_args, bucket=statements):
                bucket.append(1)

            event.listen(engine, "before_cursor_execute", count)
            try:
                assert client.get(url).status_code == 200, url
            finally:
                event.remove(engine, "before_cursor_execute", count)
            assert len(statements) <= 15, (url, len(statements))


def test_the_assign_page_refuses_a_reviewer_of_the_files_own_squad(app):
    """Through the page too: a sq1 reviewer cannot be assigned a sq1 file."""
    from learning.reviews import services
    from tests.conftest import make_department, make_user

    from .conftest import make_case

    with app.test_request_context():
        sq1, legal = make_department("sq1"), make_department("legal", kind="section")
        officer, partner = make_user("a1", department=sq1), make_user("a2", department=sq1)
        make_user("r1", roles={"reviewer"}, department=legal)
        squad_reviewer = make_user("rs1", roles={"reviewer"}, department=sq1)
        make_case("A-1", sq1, officer, [partner])
        cycle = services.open_cycle(None, "2026-09", 3, 1, seed=1)
        file_id, cycle_id, rs1 = cycle.files[0].id, cycle.id, squad_reviewer.id
        db.session.commit()
    client = app.test_client()
    assert client.login("r1", "correct horse battery").status_code == 302
    page = client.post_form(f"/reviews/cycles/{cycle_id}/assign", {"file_id": file_id, "reviewer_id": rs1},
                            follow_redirects=True).get_data(as_text=True)
    assert "belongs to the squad" in page
    with app.app_context():
        assert db.session.execute(sa.select(sa.func.count(ReviewAssignment.id)).where(
            ReviewAssignment.reviewer_id == rs1)).scalar_one() == 0


def test_the_index_charts_the_average_score_once_two_months_are_published(demo_app):
    """After publishing the month in progress, the bulletin list shows the monthly trend chart."""
    client = demo_app.test_client()
    client.login("reviewer")
    assert "<svg" not in client.get("/reviews/").get_data(as_text=True)
    assignment_id = _waiting_assignment(demo_app)
    client.post_form(f"/reviews/assignments/{assignment_id}", _score_form(client, assignment_id))
    client.post_form(f"/reviews/cycles/{_open_cycle(demo_app)}/publish")
    cadre = demo_app.test_client()
    cadre.login("cadre")
    page = cadre.get("/reviews/").get_data(as_text=True)
    assert "<svg" in page and "Average score by month" in page
