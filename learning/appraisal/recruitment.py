"""Recruitment of auxiliary staff: rounds, positions and places, applicants checked against the round's
eligibility rules, ranking by the weighted total, hiring without retyping, and the purge of applicants."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import sqlalchemy as sa
from flask_babel import gettext as _

from .. import audit
from ..audit import utcnow
from ..extensions import db
from ..people.models import StaffCategory
from ..people.services import ImportReport, RowResult, create_account, find_user
from ..tables import TableError, read_table, require_columns
from . import registry
from .models import Applicant, RecruitmentPosition, RecruitmentRound, StaffStatus


def create_round(actor, *, title: str, opens_on: date, closes_on: date, written_weight: float,
                 interview_weight: float, retention_days: int) -> RecruitmentRound:
    """Open a recruitment round (weights are shares of the total and are stored as given)."""
    round_ = RecruitmentRound(title=title.strip(), opens_on=opens_on, closes_on=closes_on,
                              written_weight=written_weight, interview_weight=interview_weight,
                              retention_days=retention_days)
    db.session.add(round_)
    db.session.flush()
    audit.record(actor, "recruitment.round_created", round_,
                 after={"title": round_.title, "opens_on": opens_on, "closes_on": closes_on,
                        "written_weight": written_weight, "interview_weight": interview_weight})
    return round_


def add_position(actor, round_: RecruitmentRound, name: str, places: int, department=None) -> RecruitmentPosition:
    """Offer a position with a number of places."""
    position = RecruitmentPosition(round=round_, name=name.strip(), places=places, department=department)
    db.session.add(position)
    db.session.flush()
    audit.record(actor, "recruitment.position_added", position, after={"name": position.name, "places": places})
    return position


def applicant_problems(round_: RecruitmentRound, fields: dict, applicant: Applicant | None = None) -> list[str]:
    """What prevents saving an applicant (eligibility failures are shown, not refused)."""
    found = []
    if round_.is_closed:
        found.append(_("The round is closed."))
    if not fields.get("name"):
        found.append(_("The name is empty."))
    problem = registry.id_number_problem(fields.get("id_number") or "")
    if problem:
        found.append(problem)
    else:
        clash = db.session.execute(sa.select(Applicant.id).where(
            Applicant.round_id == round_.id,
            Applicant.id_number == registry.normalise_id_number(fields["id_number"]))).scalar_one_or_none()
        if clash is not None and (applicant is None or applicant.id != clash):
            found.append(_("This person has applied in this round already."))
    problem = registry.phone_problem(fields.get("phone") or "")
    if problem:
        found.append(problem)
    return found


def add_applicant(actor, round_: RecruitmentRound, position: RecruitmentPosition, **fields) -> Applicant:
    """Enter an applicant (the caller has checked ``applicant_problems``)."""
    applicant = Applicant(round_id=round_.id, position=position, name=fields["name"].strip(),
                          gender=fields["gender"], id_number=registry.normalise_id_number(fields["id_number"]),
                          phone=registry.normalise_phone(fields["phone"]), education=fields["education"],
                          emergency_contact=fields.get("emergency_contact", ""))
    db.session.add(applicant)
    db.session.flush()
    audit.record(actor, "recruitment.applicant_added", applicant, after={"round": round_.id,
                                                                         "position": position.name})
    return applicant


def eligibility(round_: RecruitmentRound, applicant: Applicant) -> list[registry.RuleResult]:
    """The round's rules checked against the applicant on the last day of the window."""
    return registry.check_rules(round_.rules, applicant.id_number, applicant.education, round_.closes_on)


def set_scores(actor, applicant: Applicant, written: float | None, interview: float | None) -> None:
    """Record the written-test and interview scores (0–100) entered by the panel."""
    before = {"written": applicant.written_score, "interview": applicant.interview_score}
    applicant.written_score, applicant.interview_score = written, interview
    db.session.flush()
    audit.record(actor, "recruitment.scores_entered", applicant, before=before,
                 after={"written": written, "interview": interview})


def weighted_total(round_: RecruitmentRound, applicant: Applicant) -> float | None:
    """Written × its weight + interview × its weight, over the sum of the weights (None until both exist)."""
    if applicant.written_score is None or applicant.interview_score is None:
        return None
    weights = round_.written_weight + round_.interview_weight
    if not weights:
        return None
    total = applicant.written_score * round_.written_weight + applicant.interview_score * round_.interview_weight
    return round(total / weights, 2)


@dataclass
class RankedApplicant:
    """An applicant in the ranking of their position."""

    applicant: Applicant
    rank: int | None
    total: float | None
    failed_rules: list[str]
    within_places: bool


def ranking(round_: RecruitmentRound) -> dict[int, list[RankedApplicant]]:
    """Applicants of each position, eligible ones ranked by weighted total; ineligible ones last, unranked."""
    applicants = db.session.execute(sa.select(Applicant).where(Applicant.round_id == round_.id)
                                    .order_by(Applicant.id)).scalars().all()
    by_position: dict[int, list[RankedApplicant]] = {position.id: [] for position in round_.positions}
    places = {position.id: position.places for position in round_.positions}
    for applicant in applicants:
        failed = [result.description for result in eligibility(round_, applicant) if not result.passed]
        by_position.setdefault(applicant.position_id, []).append(
            RankedApplicant(applicant, None, weighted_total(round_, applicant), failed, False))
    for position_id, rows in by_position.items():
        rows.sort(key=lambda row: (bool(row.failed_rules), row.total is None, -(row.total or 0),
                                   row.applicant.id))
        rank = 0
        for row in rows:
            if row.failed_rules or row.total is None:
                continue
            rank += 1
            row.rank = rank
            row.within_places = rank <= places.get(position_id, 0)
    return by_position


def _username_for(applicant: Applicant) -> str:
    base = f"a{applicant.round_id}{applicant.id:04d}"
    candidate, suffix = base, 1
    while find_user(candidate) is not None:
        suffix += 1
        candidate = f"{base}-{suffix}"
    return candidate


@dataclass
class Hire:
    """A hire: the new account, its temporary password and the registry record."""

    applicant_name: str
    username: str
    password: str | None
    record_id: int


def confirm_hires(actor, round_: RecruitmentRound, applicant_ids: list[int], hired_on: date,
                  contract_years: int = 3) -> tuple[list[Hire], list[str]]:
    """Hire the chosen applicants: each becomes an auxiliary account plus a registry record, no retyping.

    Refuses applicants who fail a rule, lack scores, are hired already, or exceed their position's places.
    """
    rows = {row.applicant.id: row for rows in ranking(round_).values() for row in rows}
    hires, refused = [], []
    for applicant_id in applicant_ids:
        row = rows.get(applicant_id)
        if row is None:
            continue
        applicant = row.applicant
        if applicant.is_hired:
            refused.append(_("%(name)s is hired already.", name=applicant.name))
            continue
        if row.failed_rules or row.rank is None:
            refused.append(_("%(name)s is not eligible or has no scores yet.", name=applicant.name))
            continue
        taken = sum(1 for other in rows.values()
                    if other.applicant.position_id == applicant.position_id and other.applicant.is_hired)
        if taken >= applicant.position.places:
            refused.append(_("No place is left for %(name)s in %(position)s.", name=applicant.name,
                             position=applicant.position.name))
            continue
        if db.session.execute(sa.select(registry.AuxiliaryStaff.id).where(
                registry.AuxiliaryStaff.id_number == applicant.id_number)).scalar_one_or_none():
            refused.append(_("%(name)s is in the registry already.", name=applicant.name))
            continue
        user, password = create_account(
            actor, username=_username_for(applicant), display_name=applicant.name,
            staff_category=StaffCategory.auxiliary, department=applicant.position.department, roles=set())
        record = registry.register(
            actor, user=user, name=applicant.name, gender=applicant.gender, id_number=applicant.id_number,
            phone=applicant.phone, position=applicant.position.name, department=applicant.position.department,
            hired_on=hired_on, contract_ends_on=_years_later(hired_on, contract_years),
            education=applicant.education, emergency_contact=applicant.emergency_contact,
            status=StaffStatus.active)
        applicant.is_hired, applicant.hired_user_id = True, user.id
        audit.record(actor, "recruitment.hired", applicant, after={"user": user.username, "record": record.id})
        hires.append(Hire(applicant.name, user.username, password, record.id))
    db.session.flush()
    return hires, refused


def _years_later(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years) - timedelta(days=1)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def close_round(actor, round_: RecruitmentRound) -> None:
    """Close a round: no more applicants; applicants' data is purged ``retention_days`` later."""
    round_.is_closed, round_.closed_at = True, utcnow()
    audit.record(actor, "recruitment.round_closed", round_)


def purge_due(today: date) -> list[RecruitmentRound]:
    """Closed rounds whose retention period has passed and whose applicants are still stored."""
    rounds = db.session.execute(sa.select(RecruitmentRound).where(
        RecruitmentRound.is_closed.is_(True), RecruitmentRound.purged_at.is_(None))).scalars().all()
    return [round_ for round_ in rounds
            if round_.closes_on + timedelta(days=round_.retention_days) < today]


def purge_applicants(actor, round_: RecruitmentRound) -> int:
    """Delete the round's applicants, keeping per-position counts of applicants and hires."""
    counts = dict(db.session.execute(
        sa.select(Applicant.position_id, sa.func.count(Applicant.id)).where(Applicant.round_id == round_.id)
        .group_by(Applicant.position_id)).all())
    hired = dict(db.session.execute(
        sa.select(Applicant.position_id, sa.func.count(Applicant.id))
        .where(Applicant.round_id == round_.id, Applicant.is_hired.is_(True))
        .group_by(Applicant.position_id)).all())
    for position in round_.positions:
        position.applicant_count = counts.get(position.id, 0)
        position.hired_count = hired.get(position.id, 0)
    deleted = db.session.execute(sa.delete(Applicant).where(Applicant.round_id == round_.id)).rowcount
    round_.purged_at = utcnow()
    audit.record(actor, "recruitment.applicants_purged", round_, after={"deleted": deleted})
    db.session.flush()
    return deleted


APPLICANT_ALIASES = {**registry.REGISTRY_ALIASES, "报考岗位": "position", "岗位": "position"}


def import_applicants(actor, round_: RecruitmentRound, data: bytes, filename: str) -> ImportReport:
    """Enter applicants from a CSV/.xlsx file; each row names its position. Unreadable files write nothing."""
    try:
        table = read_table(data, filename, APPLICANT_ALIASES)
        require_columns(table, ("name", "id_number", "phone", "position"))
    except TableError as exc:
        return ImportReport(error=str(exc))
    positions = {position.name: position for position in round_.positions}
    report = ImportReport()
    for line, cells in table.rows:
        fields, reasons = registry.parse_person_cells(cells)
        position = positions.get(cells.get("position", "").strip())
        if position is None:
            reasons.append(_("Unknown position “%(value)s”.", value=cells.get("position", "").strip()))
        reasons += applicant_problems(round_, fields)
        key = registry.mask_id_number(fields["id_number"])
        if reasons:
            report.rows.append(RowResult(line, key, "rejected", reasons))
            continue
        applicant = add_applicant(actor, round_, position, **fields)
        failed = [result.description for result in eligibility(round_, applicant) if not result.passed]
        note = _("Fails: %(rules)s", rules="; ".join(failed)) if failed else ""
        report.rows.append(RowResult(line, key, "created", note=note))
    return report
