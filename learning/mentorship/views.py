"""Pages of the Blue and Green Project: pairings, talks, private notes, evaluations, sharing events."""

from __future__ import annotations

import re
from datetime import date

import sqlalchemy as sa
from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from .. import permissions
from ..audit import utcnow
from ..extensions import db
from ..people.models import User, UserRole
from ..permissions import permission_required
from ..tables import export_response
from . import policy, services
from .forms import AttendanceForm, CloseForm, EvaluationForm, NoteForm, PairingForm, SharingForm, TalkForm
from .models import (
    PAIRING_STATUS_LABELS,
    TALK_KIND_LABELS,
    Pairing,
    PairingStatus,
    PrivateNote,
    SharingAttendance,
    SharingEvent,
    Talk,
    TalkKind,
)

bp = Blueprint("mentorship", __name__, url_prefix="/mentorship", template_folder="templates")


def _per_page() -> int:
    return current_app.config["PER_PAGE"]


def _refuse(error: services.MentorshipError) -> None:
    flash(str(error), "danger")
    db.session.rollback()


@bp.app_context_processor
def _labels():
    """Labels of statuses and talk kinds for the templates."""
    return {"pairing_status_labels": PAIRING_STATUS_LABELS, "talk_kind_labels": TALK_KIND_LABELS}


@bp.route("/")
@permission_required("mentorship.participate")
def index():
    """My pairings, as mentor or apprentice."""
    page = db.paginate(services.pairings_of(current_user.id), per_page=_per_page(), error_out=False)
    stats = services.talk_stats([p.id for p in page.items])
    return render_template("mentorship/index.html", page=page, stats=stats, today=utcnow().date())


@bp.route("/pairings")
@permission_required("mentorship.manage")
def pairings():
    """The programme: every pairing, filterable by status or by being behind the cadence."""
    status = request.args.get("status") or None
    page = db.paginate(services.all_pairings(status), per_page=_per_page(), error_out=False)
    stats = services.talk_stats([p.id for p in page.items])
    overdue = db.session.execute(sa.select(sa.func.count(Pairing.id)).where(
        Pairing.status == PairingStatus.active, Pairing.next_talk_due_on < utcnow().date())).scalar_one()
    return render_template("mentorship/pairings.html", page=page, stats=stats, status=status,
                           overdue=overdue, today=utcnow().date())


def _fill_pairing_choices(form: PairingForm) -> None:
    mentors = db.session.execute(
        sa.select(User).join(UserRole, UserRole.user_id == User.id)
        .where(UserRole.role == "mentor", User.is_active_account.is_(True)).order_by(User.username)).scalars()
    everyone = db.session.execute(sa.select(User).where(User.is_active_account.is_(True))
                                  .order_by(User.username)).scalars()
    form.mentor_id.choices = [(u.id, f"{u.display_name} ({u.username})") for u in mentors]
    form.apprentice_id.choices = [(u.id, f"{u.display_name} ({u.username})") for u in everyone]


@bp.route("/pairings/new", methods=["GET", "POST"])
@permission_required("mentorship.manage")
def new_pairing():
    """Pair a mentor with an apprentice for a term."""
    form = PairingForm()
    _fill_pairing_choices(form)
    if form.validate_on_submit():
        try:
            pairing = services.create_pairing(
                current_user, db.get_or_404(User, form.mentor_id.data), db.get_or_404(User, form.apprentice_id.data),
                form.term_start.data, form.term_end.data, form.goals.data, form.cadence_days.data)
        except services.MentorshipError as error:
            _refuse(error)
        else:
            db.session.commit()
            flash(_("The pairing has been created. Mentor and apprentice now sign the agreement."), "success")
            return redirect(url_for("mentorship.pairing", pairing_id=pairing.id))
    return render_template("mentorship/pairing_form.html", form=form)


@bp.route("/pairings/<int:pairing_id>")
@permission_required("mentorship.participate")
def pairing(pairing_id: int):
    """One pairing: agreement, goals, cadence, talks, evaluations and the apprentice's record."""
    # As permissions.get_checked (404, then 403), but the pairing comes with both people in one query.
    pairing = services.pairing_with_people(pairing_id) or abort(404)
    permissions.require("mentorship.participate", pairing)
    page = db.paginate(services.talks_of(pairing.id), per_page=_per_page(), error_out=False)
    talk_ids = [talk.id for talk in page.items]
    notes = {}
    if policy.sees_note_markers(current_user, pairing):
        # The mentor gets links to their own notes; the programme owner only learns that notes exist.
        author = current_user.id if current_user.id == pairing.mentor_id else None
        notes = services.notes_by_talk(talk_ids, author)
    stats = services.talk_stats([pairing.id])[pairing.id]
    return render_template(
        "mentorship/pairing.html", pairing=pairing, page=page, notes=notes, stats=stats,
        record=services.apprentice_record(pairing.apprentice_id), today=utcnow().date(),
        is_mentor=current_user.id == pairing.mentor_id, is_apprentice=policy.is_apprentice(current_user, pairing),
        can_sign=policy.can_sign_agreement(current_user, pairing),
        close_form=CloseForm() if policy.can_close(current_user, pairing) else None)


@bp.route("/pairings/<int:pairing_id>/sign", methods=["POST"])
@permission_required("mentorship.participate")
def sign_agreement(pairing_id: int):
    """The mentor or apprentice signs the pairing's agreement."""
    pairing = permissions.get_checked(Pairing, pairing_id, "mentorship.participate")
    if current_user.id not in (pairing.mentor_id, pairing.apprentice_id):
        abort(403)
    try:
        services.sign_agreement(current_user, pairing)
    except services.MentorshipError as error:
        _refuse(error)
    else:
        db.session.commit()
        flash(_("You have signed the agreement."), "success")
    return redirect(url_for("mentorship.pairing", pairing_id=pairing.id))


@bp.route("/pairings/<int:pairing_id>/talks/new", methods=["GET", "POST"])
@permission_required("mentorship.participate")
def log_talk(pairing_id: int):
    """The mentor logs a talk (with an optional private note)."""
    pairing = permissions.get_checked(Pairing, pairing_id, "mentorship.mentor")
    form = TalkForm()
    if request.method == "GET":
        form.held_on.data = utcnow().date()
    if form.validate_on_submit():
        try:
            services.log_talk(current_user, pairing, form.held_on.data, form.minutes.data, TalkKind(form.kind.data),
                              form.topics.data, form.summary.data, form.private_note.data)
        except services.MentorshipError as error:
            _refuse(error)
        else:
            db.session.commit()
            flash(_("The talk has been logged. The apprentice is asked to confirm the summary."), "success")
            return redirect(url_for("mentorship.pairing", pairing_id=pairing.id))
    return render_template("mentorship/talk_form.html", form=form, pairing=pairing)


@bp.route("/talks/<int:talk_id>/confirm", methods=["POST"])
@permission_required("mentorship.participate")
def confirm_talk(talk_id: int):
    """The apprentice confirms a talk's shared summary."""
    talk = permissions.get_checked(Talk, talk_id, "mentorship.participate")
    if not policy.is_apprentice(current_user, talk):
        abort(403)
    try:
        services.confirm_talk(current_user, talk)
    except services.MentorshipError as error:
        _refuse(error)
    else:
        db.session.commit()
        flash(_("You have confirmed the talk."), "success")
    return redirect(url_for("mentorship.pairing", pairing_id=talk.pairing_id))


@bp.route("/talks/<int:talk_id>/notes/new", methods=["GET", "POST"])
@permission_required("mentorship.participate")
def add_note(talk_id: int):
    """The mentor adds a private note to a talk."""
    talk = permissions.get_checked(Talk, talk_id, "mentorship.mentor")
    form = NoteForm()
    if form.validate_on_submit():
        note = services.add_private_note(current_user, talk, form.body.data)
        db.session.commit()
        flash(_("Your private note has been saved."), "success")
        return redirect(url_for("mentorship.note", note_id=note.id))
    return render_template("mentorship/note_form.html", form=form, talk=talk)


@bp.route("/notes/<int:note_id>")
@permission_required("mentorship.participate")
def note(note_id: int):
    """A private note, for the mentor who wrote it; to anyone else the address does not exist."""
    note = db.session.get(PrivateNote, note_id)
    if note is None or not permissions.can(current_user, "mentorship.mentor", note):
        abort(404)  # not 403: no trace that a note exists at this address
    return render_template("mentorship/note.html", note=note)


@bp.route("/pairings/<int:pairing_id>/evaluate", methods=["GET", "POST"])
@permission_required("mentorship.participate")
def evaluate(pairing_id: int):
    """End of term: the mentor rates the apprentice, the apprentice rates the mentorship."""
    pairing = permissions.get_checked(Pairing, pairing_id, "mentorship.participate")
    if current_user.id not in (pairing.mentor_id, pairing.apprentice_id):
        abort(403)
    form = EvaluationForm()
    if form.validate_on_submit():
        try:
            services.evaluate(current_user, pairing, form.rating.data, form.comments.data)
        except services.MentorshipError as error:
            _refuse(error)
        else:
            db.session.commit()
            flash(_("Your evaluation has been recorded."), "success")
        return redirect(url_for("mentorship.pairing", pairing_id=pairing.id))
    return render_template("mentorship/evaluate.html", form=form, pairing=pairing,
                           is_mentor=current_user.id == pairing.mentor_id)


@bp.route("/pairings/<int:pairing_id>/close", methods=["POST"])
@permission_required("mentorship.manage")
def close_pairing(pairing_id: int):
    """The programme owner closes a pairing as completed or ended early (with the reason)."""
    pairing = db.get_or_404(Pairing, pairing_id)
    form = CloseForm()
    if form.validate_on_submit():
        try:
            services.close_pairing(current_user, pairing, PairingStatus(form.status.data), form.reason.data or "")
        except services.MentorshipError as error:
            _refuse(error)
        else:
            db.session.commit()
            flash(_("The pairing has been closed."), "success")
    return redirect(url_for("mentorship.pairing", pairing_id=pairing.id))


def _period() -> tuple[date, date]:
    today = utcnow().date()
    try:
        start = date.fromisoformat(request.args.get("start") or f"{today.year}-01-01")
        end = date.fromisoformat(request.args.get("end") or f"{today.year}-12-31")
    except ValueError:
        abort(400)
    if end < start:
        start, end = end, start
    return start, end


@bp.route("/report")
@permission_required("mentorship.manage")
def report():
    """The term report: pairings, talks logged, cadence kept and outcomes; exportable."""
    start, end = _period()
    fmt = request.args.get("fmt")
    if fmt in ("xlsx", "csv"):
        pairings = list(db.session.execute(services.term_report_query(start, end)).scalars().unique())
        rows = services.term_report_rows(pairings, start, end)
        headers = [_("Mentor"), _("Apprentice"), _("Term starts"), _("Term ends"), _("Status"), _("Talks logged"),
                   _("Talks confirmed"), _("Talks expected"), _("Cadence kept"), _("Mentor's rating"),
                   _("Apprentice's rating")]
        body = [(r.pairing.mentor.display_name, r.pairing.apprentice.display_name, r.pairing.term_start,
                 r.pairing.term_end, str(PAIRING_STATUS_LABELS[r.pairing.status]), r.talks, r.confirmed,
                 r.expected, r.cadence_kept, r.pairing.mentor_rating, r.pairing.apprentice_rating) for r in rows]
        return export_response(headers, body, f"mentorship-{start}-{end}", fmt)
    page = db.paginate(services.term_report_query(start, end), per_page=_per_page(), error_out=False)
    rows = services.term_report_rows(page.items, start, end)
    return render_template("mentorship/report.html", page=page, rows=rows, start=start, end=end,
                           summary=services.term_report_summary(start, end))


# --- experience sharing ------------------------------------------------------------------------------

@bp.route("/sharing")
@permission_required("mentorship.participate")
def sharing_events():
    """Experience-sharing events, newest first."""
    query = sa.select(SharingEvent).options(sa.orm.joinedload(SharingEvent.speaker)) \
        .order_by(SharingEvent.held_on.desc(), SharingEvent.id.desc())
    page = db.paginate(query, per_page=_per_page(), error_out=False)
    return render_template("mentorship/sharing_events.html", page=page,
                           counts=services.attendance_counts([e.id for e in page.items]))


@bp.route("/sharing/new", methods=["GET", "POST"])
@permission_required("mentorship.manage")
def new_sharing():
    """Record an experience-sharing event."""
    form = SharingForm()
    form.speaker_id.choices = [(u.id, f"{u.display_name} ({u.username})") for u in db.session.execute(
        sa.select(User).where(User.is_active_account.is_(True)).order_by(User.username)).scalars()]
    if form.validate_on_submit():
        try:
            sharing = services.create_sharing_event(
                current_user, db.get_or_404(User, form.speaker_id.data), form.topic.data, form.held_on.data,
                form.place.data or "", float(form.hours.data or 0), form.summary.data or "")
        except services.MentorshipError as error:
            _refuse(error)
        else:
            db.session.commit()
            return redirect(url_for("mentorship.sharing_event", event_id=sharing.id))
    return render_template("mentorship/sharing_form.html", form=form)


@bp.route("/sharing/<int:event_id>")
@permission_required("mentorship.participate")
def sharing_event(event_id: int):
    """One event with its attendance list."""
    sharing = permissions.get_checked(SharingEvent, event_id, "mentorship.participate")
    query = sa.select(SharingAttendance).options(sa.orm.joinedload(SharingAttendance.user)) \
        .where(SharingAttendance.event_id == sharing.id).order_by(SharingAttendance.recorded_at)
    page = db.paginate(query, per_page=_per_page(), error_out=False)
    form = AttendanceForm() if permissions.can(current_user, "mentorship.manage") else None
    return render_template("mentorship/sharing_event.html", event=sharing, page=page, form=form)


@bp.route("/sharing/<int:event_id>/attendance", methods=["POST"])
@permission_required("mentorship.manage")
def record_attendance(event_id: int):
    """Record attendees by employee number; unknown numbers are reported back."""
    sharing = db.get_or_404(SharingEvent, event_id)
    form = AttendanceForm()
    if form.validate_on_submit():
        result = services.record_attendance(current_user, sharing, re.split(r"[\s,，;；]+", form.usernames.data))
        db.session.commit()
        flash(_("Attendance recorded: %(added)d added, %(already)d already there.",
                added=len(result.added), already=len(result.already)), "success")
        if result.credited:
            hours = f"{sharing.hours:g}"
            flash(_("%(count)d attendee(s) credited with %(hours)s training hours each.",
                    count=result.credited, hours=hours), "success")
        if result.unknown:
            flash(_("Unknown employee numbers: %(names)s", names=", ".join(result.unknown)), "warning")
    return redirect(url_for("mentorship.sharing_event", event_id=sharing.id))
