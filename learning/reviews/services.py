"""Case-file reviews: case files and their import, the rubric, monthly cycles, scoring, publishing,
the bulletin, rectification and the per-officer record. Services flush; the caller commits."""

from __future__ import annotations

import importlib.util
import json
import re
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from itertools import zip_longest

import sqlalchemy as sa
import yaml
from flask import current_app, has_app_context
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import joinedload, selectinload

from .. import audit
from ..audit import utcnow
from ..extensions import db
from ..markup import plain_text
from ..people.models import Department, User, UserRole
from ..people.services import ImportReport, RowResult, find_department, find_user
from ..tables import TableError, read_table, require_columns
from . import scoring
from .models import (
    AssignmentKind,
    CaseFile,
    CaseHandler,
    CaseParty,
    CycleStatus,
    Deduction,
    DeliveryChannel,
    Erratum,
    FileStatus,
    Finding,
    Grade,
    NoticeStatus,
    PaymentChannel,
    ProblemTag,
    Procedure,
    RectificationNotice,
    ReviewAssignment,
    ReviewCycle,
    Rubric,
    RubricCriterion,
    RubricSection,
    SampledFile,
    VetoFailure,
    VetoItem,
)
from .redaction import Redactor


class ReviewError(ValueError):
    """A review action that the rules refuse; the message is for the user."""


# --- configuration --------------------------------------------------------------------------------

DEFAULT_CASE_TYPES = {
    "road_occupation": _l("Road-occupation business"),
    "garbage": _l("Garbage classification"),
    "illegal_construction": _l("Illegal construction"),
    "outdoor_ads": _l("Outdoor advertising"),
    "other": _l("Other"),
}
CASE_TYPE_WORDS = {"占道经营": "road_occupation", "垃圾分类": "garbage", "违法建设": "illegal_construction",
                   "违章建筑": "illegal_construction", "户外广告": "outdoor_ads", "其他": "other"}


def case_type_labels() -> dict[str, object]:
    """The case types in use: ``REVIEWS_CASE_TYPES`` (code → label) when configured, else the defaults."""
    configured = current_app.config.get("REVIEWS_CASE_TYPES") if has_app_context() else None
    return dict(configured) if configured else dict(DEFAULT_CASE_TYPES)


def case_type_label(code: str) -> str:
    """The label of a case type (its code when it is no longer configured)."""
    return str(case_type_labels().get(code, code))


def _setting(name: str, default):
    return current_app.config.get(name, default) if has_app_context() else default


# --- case files -----------------------------------------------------------------------------------

@dataclass
class PartyData:
    """A party as entered."""

    name: str
    id_number: str = ""
    phone: str = ""
    address: str = ""
    plate: str = ""


CASE_FIELDS = ("title", "case_type", "procedure", "facts", "legal_basis", "is_warning", "fine_amount",
               "confiscation", "discovered_on", "filed_on", "decided_on", "delivered_on", "closed_on",
               "delivery_channel", "payment_channel")


def case_snapshot(case: CaseFile) -> dict:
    """The audited state of a case file (parties' data is summarised, never copied into the log)."""
    data = {name: getattr(case, name) for name in CASE_FIELDS}
    data["fine_amount"] = f"{case.fine_amount:.2f}" if case.fine_amount is not None else None
    data.update({
        "case_number": case.case_number, "squad": case.squad.code if case.squad else None,
        "handlers": [(handler.user.username, handler.is_lead) for handler in case.handlers],
        "parties": len(case.parties),
        "party_data": [[party.name, party.id_number, party.phone, party.address, party.plate]
                       for party in case.parties],
    })
    return data


def _public_snapshot(data: dict) -> dict:
    return {key: value for key, value in data.items() if key != "party_data"}


def find_case(case_number: str) -> CaseFile | None:
    """The case file with this case number."""
    return db.session.execute(
        sa.select(CaseFile).where(CaseFile.case_number == case_number.strip())).scalar_one_or_none()


def save_case(actor: User | None, case: CaseFile | None, *, case_number: str, squad: Department,
              lead: User, co_handlers: Sequence[User], parties: Sequence[PartyData], **fields) -> tuple[CaseFile, str]:
    """Create or update a case file; returns it and what happened (created / updated / unchanged)."""
    if case is None:
        case = CaseFile(case_number=case_number.strip(), squad=squad)
        db.session.add(case)
        before = None
    else:
        before = case_snapshot(case)
        case.case_number = case_number.strip()
        case.squad = squad
    for name, value in fields.items():
        if name not in CASE_FIELDS:
            raise TypeError(f"unknown case field {name}")
        setattr(case, name, value)
    wanted = [(lead, True)] + [(user, False) for user in co_handlers if user.id != lead.id]
    current = [(handler.user_id, handler.is_lead) for handler in case.handlers]
    if current != [(user.id, is_lead) for user, is_lead in wanted]:
        case.handlers.clear()
        db.session.flush()
        case.handlers.extend(CaseHandler(user=user, is_lead=is_lead) for user, is_lead in wanted)
    current_parties = [[p.name, p.id_number, p.phone, p.address, p.plate] for p in case.parties]
    wanted_parties = [[p.name, p.id_number, p.phone, p.address, p.plate] for p in parties]
    if current_parties != wanted_parties:
        case.parties.clear()
        db.session.flush()
        case.parties.extend(CaseParty(**vars(party)) for party in parties)
    case.derive()
    db.session.flush()
    after = case_snapshot(case)
    if before is None:
        audit.record(actor, "case_file.created", case, after=_public_snapshot(after))
        return case, "created"
    if before == after:
        return case, "unchanged"
    case.updated_at = utcnow()
    audit.record(actor, "case_file.updated", case, before=_public_snapshot(before), after=_public_snapshot(after))
    return case, "updated"


def cases_query(search: str = "", squad_id: int | None = None, case_type: str | None = None):
    """The case list, newest closing first, filtered as the list screen asks."""
    query = (sa.select(CaseFile).options(joinedload(CaseFile.squad), selectinload(CaseFile.handlers))
             .order_by(CaseFile.closed_on.desc().nulls_last(), CaseFile.case_number.desc()))
    if search:
        pattern = f"%{search.strip()}%"
        query = query.where(sa.or_(CaseFile.case_number.like(pattern), CaseFile.title.like(pattern)))
    if squad_id:
        query = query.where(CaseFile.squad_id == squad_id)
    if case_type:
        query = query.where(CaseFile.case_type == case_type)
    return query


def squads() -> list[Department]:
    """Squads (the units whose files are reviewed), by code."""
    from ..people.models import DepartmentKind

    return list(db.session.execute(sa.select(Department).where(Department.kind == DepartmentKind.squad)
                                   .order_by(Department.code)).scalars())


def staff_choices() -> list[User]:
    """Active staff who may be named as handlers."""
    return list(db.session.execute(sa.select(User).where(User.is_active_account.is_(True))
                                   .order_by(User.username)).scalars())


def parse_parties(text: str) -> tuple[list[PartyData], list[str]]:
    """Parties from lines of ``name | ID number | phone | address | plate``; returns them and problems."""
    parties, problems = [], []
    for number, line in enumerate((text or "").splitlines(), start=1):
        if not line.strip():
            continue
        cells = [cell.strip() for cell in line.replace("｜", "|").split("|")]
        if not cells[0]:
            problems.append(_("Party line %(n)d has no name.", n=number))
            continue
        cells += [""] * (5 - len(cells))
        parties.append(PartyData(*cells[:5]))
    return parties, problems


def parties_text(case: CaseFile) -> str:
    """The parties of a case in the form's line format."""
    return "\n".join(" | ".join([p.name, p.id_number, p.phone, p.address, p.plate]).rstrip(" |")
                     for p in case.parties)


# --- CSV import -----------------------------------------------------------------------------------

CASE_COLUMNS = ("case_number", "title", "case_type", "procedure", "squad", "lead_handler", "co_handlers",
                "party_name", "party_id_number", "party_phone", "party_address", "party_plate", "facts",
                "legal_basis", "warning", "fine_amount", "confiscation", "discovered_on", "filed_on",
                "decided_on", "delivered_on", "closed_on", "delivery_channel", "payment_channel")
REQUIRED_CASE_COLUMNS = ("case_number", "title", "case_type", "procedure", "squad", "lead_handler")
CASE_ALIASES = {
    "案号": "case_number", "案件编号": "case_number", "案由": "title", "案件名称": "title", "标题": "title",
    "案件类型": "case_type", "类型": "case_type", "程序": "procedure", "办案程序": "procedure",
    "中队": "squad", "办案单位": "squad", "主办人": "lead_handler", "主办": "lead_handler",
    "协办人": "co_handlers", "协办": "co_handlers", "当事人": "party_name", "当事人姓名": "party_name",
    "身份证号": "party_id_number", "证件号码": "party_id_number", "联系电话": "party_phone", "电话": "party_phone",
    "地址": "party_address", "住址": "party_address", "车牌": "party_plate", "车牌号": "party_plate",
    "违法事实": "facts", "事实": "facts", "法律依据": "legal_basis", "依据": "legal_basis", "警告": "warning",
    "罚款": "fine_amount", "罚款金额": "fine_amount", "没收": "confiscation", "发现日期": "discovered_on",
    "立案日期": "filed_on", "决定日期": "decided_on", "送达日期": "delivered_on", "结案日期": "closed_on",
    "送达方式": "delivery_channel", "缴款方式": "payment_channel", "缴费方式": "payment_channel",
}
PROCEDURE_WORDS = {"simple": Procedure.simple, "简易": Procedure.simple, "简易程序": Procedure.simple,
                   "quick": Procedure.quick, "快办": Procedure.quick, "简案快办": Procedure.quick,
                   "general": Procedure.general, "一般": Procedure.general, "一般程序": Procedure.general,
                   "普通程序": Procedure.general}
DELIVERY_WORDS = {"": None, "on_spot": DeliveryChannel.on_spot, "当场": DeliveryChannel.on_spot,
                  "直接送达": DeliveryChannel.on_spot, "electronic": DeliveryChannel.electronic,
                  "电子": DeliveryChannel.electronic, "电子送达": DeliveryChannel.electronic,
                  "post": DeliveryChannel.post, "邮寄": DeliveryChannel.post, "邮寄送达": DeliveryChannel.post}
PAYMENT_WORDS = {"": None, "electronic": PaymentChannel.electronic, "电子": PaymentChannel.electronic,
                 "网上缴款": PaymentChannel.electronic, "bank": PaymentChannel.bank, "银行": PaymentChannel.bank,
                 "on_spot": PaymentChannel.on_spot, "当场": PaymentChannel.on_spot, "当场缴纳": PaymentChannel.on_spot}
_YES = {"1", "yes", "y", "true", "是", "有"}
_NO = {"", "0", "no", "n", "false", "否", "无"}
_DATE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")


def parse_date(value: str) -> date | None:
    """A date written as 2026-10-05, 2026/10/05, 2026.10.05 or 2026年10月5日 (None when empty)."""
    value = (value or "").strip()
    if not value:
        return None
    match = _DATE.match(value)
    if not match:
        raise ValueError(value)
    return date(*(int(part) for part in match.groups()))


def date_problems(values: dict) -> list[str]:
    """What is wrong with the order of a case's dates."""
    problems = []
    order = ("discovered_on", "filed_on", "decided_on", "delivered_on", "closed_on")
    present = [(name, values.get(name)) for name in order if values.get(name)]
    for (first_name, first), (second_name, second) in zip(present, present[1:], strict=False):
        if second < first:
            problems.append(_("%(later)s is before %(earlier)s.", later=second_name, earlier=first_name))
    return problems


def _parse_case_row(cells: dict[str, str]) -> tuple[dict, list[str]]:
    """Validate one import row; returns the case's fields and the reasons it is rejected."""
    reasons: list[str] = []
    get = lambda name: (cells.get(name) or "").strip()  # noqa: E731 - a short local reader
    fields: dict = {"case_number": get("case_number"), "title": get("title")}
    if not fields["case_number"]:
        reasons.append(_("The case number is empty."))
    elif len(fields["case_number"]) > 64:
        reasons.append(_("The case number is longer than 64 characters."))
    if not fields["title"]:
        reasons.append(_("The title is empty."))
    type_word = get("case_type")
    labels = {str(label).lower(): code for code, label in case_type_labels().items()}
    case_type = type_word if type_word in case_type_labels() else CASE_TYPE_WORDS.get(type_word) or labels.get(
        type_word.lower())
    if case_type not in case_type_labels():
        reasons.append(_("Unknown case type “%(value)s”.", value=type_word))
    fields["case_type"] = case_type
    fields["procedure"] = PROCEDURE_WORDS.get(get("procedure").lower())
    if fields["procedure"] is None:
        reasons.append(_("Unknown procedure “%(value)s” (use simple, quick or general).", value=get("procedure")))
    fields["squad"] = find_department(get("squad")) if get("squad") else None
    if fields["squad"] is None:
        reasons.append(_("Unknown squad “%(value)s”.", value=get("squad")))
    fields["lead"] = find_user(get("lead_handler")) if get("lead_handler") else None
    if fields["lead"] is None:
        reasons.append(_("Unknown lead handler “%(value)s”.", value=get("lead_handler")))
    co_handlers = []
    for word in re.split(r"[;；,，、\s]+", get("co_handlers")):
        if word:
            user = find_user(word)
            if user is None:
                reasons.append(_("Unknown co-handler “%(value)s”.", value=word))
            else:
                co_handlers.append(user)
    fields["co_handlers"] = co_handlers
    columns = ("party_name", "party_id_number", "party_phone", "party_address", "party_plate")
    split = [[part.strip() for part in re.split(r"[;；]", get(column))] if get(column) else [] for column in columns]
    fields["parties"] = [PartyData(*(value or "" for value in values))
                         for values in zip_longest(*split, fillvalue="") if any(values)]
    if any(not party.name for party in fields["parties"]):
        reasons.append(_("Every party needs a name."))
    fields["facts"], fields["legal_basis"], fields["confiscation"] = get("facts"), get("legal_basis"), get(
        "confiscation")[:200]
    warning = get("warning").lower()
    if warning not in _YES | _NO:
        reasons.append(_("Warning must be yes or no, not “%(value)s”.", value=warning))
    fields["is_warning"] = warning in _YES
    fields["fine_amount"] = None
    if get("fine_amount"):
        try:
            fields["fine_amount"] = Decimal(get("fine_amount").replace(",", "").replace("元", "")).quantize(
                Decimal("0.01"))
            if fields["fine_amount"] < 0:
                raise InvalidOperation
        except InvalidOperation:
            reasons.append(_("The fine “%(value)s” is not an amount.", value=get("fine_amount")))
            fields["fine_amount"] = None
    for name in ("discovered_on", "filed_on", "decided_on", "delivered_on", "closed_on"):
        try:
            fields[name] = parse_date(get(name))
        except ValueError:
            fields[name] = None
            reasons.append(_("“%(value)s” in %(column)s is not a date (use YYYY-MM-DD).", value=get(name),
                             column=name))
    reasons.extend(date_problems(fields))
    for name, words in (("delivery_channel", DELIVERY_WORDS), ("payment_channel", PAYMENT_WORDS)):
        word = get(name).lower()
        if word not in words:
            reasons.append(_("Unknown %(column)s “%(value)s”.", column=name, value=word))
        fields[name] = words.get(word)
    return fields, reasons


def import_cases(actor: User | None, data: bytes, filename: str) -> ImportReport:
    """Create or update case files from CSV/.xlsx, row by row; idempotent by case number.

    A file that cannot be read, or lacks a required column, writes nothing and says why.
    """
    try:
        table = read_table(data, filename, CASE_ALIASES)
        require_columns(table, REQUIRED_CASE_COLUMNS)
    except TableError as exc:
        return ImportReport(error=str(exc))
    report = ImportReport()
    seen: set[str] = set()
    for line, cells in table.rows:
        fields, reasons = _parse_case_row(cells)
        key = fields["case_number"]
        if key in seen:
            reasons.append(_("The case number appears twice in the file."))
        seen.add(key)
        if reasons:
            report.rows.append(RowResult(line, key, "rejected", reasons))
            continue
        number, squad, lead = fields.pop("case_number"), fields.pop("squad"), fields.pop("lead")
        co, parties = fields.pop("co_handlers"), fields.pop("parties")
        _case, status = save_case(actor, find_case(number), case_number=number, squad=squad, lead=lead,
                                  co_handlers=co, parties=parties, **fields)
        report.rows.append(RowResult(line, number, status))
    return report


# --- rubric ---------------------------------------------------------------------------------------

def default_rubric_text() -> str:
    """The shipped default rubric, as YAML."""
    from importlib import resources

    return resources.files(__package__).joinpath("default_rubric.yaml").read_text(encoding="utf-8")


def _label_pair(item: dict, where: str) -> tuple[str, str | None]:
    label = str(item.get("label") or "").strip()
    if not label:
        raise ReviewError(_("%(where)s needs a label.", where=where))
    english = str(item.get("label_en") or "").strip() or None
    return label[:200], english[:200] if english else None


def parse_rubric(text: str) -> dict:
    """Read and check a rubric written as YAML; raises ``ReviewError`` saying what is wrong."""
    try:
        spec = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ReviewError(_("The rubric is not valid YAML: %(error)s", error=str(exc))) from exc
    if not isinstance(spec, dict):
        raise ReviewError(_("The rubric must be a mapping with name, bands, veto_items, sections."))
    bands = spec.get("bands") or {}
    try:
        scoring.Bands(float(bands.get("excellent", 90)), float(bands.get("good", 80)),
                      float(bands.get("qualified", 60)))
        margin = float(spec.get("recheck_margin", 10))
    except (TypeError, ValueError) as exc:
        raise ReviewError(_("Grade bands must be numbers with excellent ≥ good ≥ qualified ≥ 0.")) from exc
    if margin < 0:
        raise ReviewError(_("The recheck margin cannot be negative."))
    sections = spec.get("sections") or []
    if not isinstance(sections, list) or not sections:
        raise ReviewError(_("The rubric needs at least one scored section."))
    for index, section in enumerate(sections, start=1):
        if not isinstance(section, dict):
            raise ReviewError(_("Section %(n)d is not a mapping.", n=index))
        _label_pair(section, _l("Section %(n)d", n=index))
        criteria = section.get("criteria") or []
        try:
            maximum = float(section.get("max_points"))
            criteria_max = [float(criterion.get("max_points")) for criterion in criteria]
        except (TypeError, ValueError, AttributeError) as exc:
            raise ReviewError(_("Section %(n)d and its criteria need max_points.", n=index)) from exc
        if not criteria or maximum <= 0 or min(criteria_max) <= 0:
            raise ReviewError(_("Section %(n)d needs criteria with positive max_points.", n=index))
        for number, criterion in enumerate(criteria, start=1):
            _label_pair(criterion, _l("Criterion %(n)d of section %(s)d", n=number, s=index))
    for key in ("veto_items", "problem_tags"):
        items = spec.get(key) or []
        if not isinstance(items, list):
            raise ReviewError(_("%(key)s must be a list.", key=key))
        codes = []
        for number, item in enumerate(items, start=1):
            if not isinstance(item, dict) or not str(item.get("code") or "").strip():
                raise ReviewError(_("Item %(n)d of %(key)s needs a code.", n=number, key=key))
            _label_pair(item, f"{key} {number}")
            codes.append(str(item["code"]).strip())
        if len(set(codes)) != len(codes):
            raise ReviewError(_("The codes of %(key)s must be unique.", key=key))
    return spec


def current_rubric() -> Rubric | None:
    """The rubric version new cycles use."""
    return db.session.execute(sa.select(Rubric).where(Rubric.is_current.is_(True))
                              .order_by(Rubric.version.desc()).limit(1)).scalar_one_or_none()


def create_rubric(actor: User | None, text: str) -> Rubric:
    """Make a new rubric version from YAML and make it current; earlier cycles keep their version."""
    spec = parse_rubric(text)
    latest = db.session.execute(sa.select(sa.func.max(Rubric.version))).scalar_one() or 0
    db.session.execute(sa.update(Rubric).values(is_current=False))
    bands = spec.get("bands") or {}
    rubric = Rubric(version=latest + 1, name=str(spec.get("name") or _("Rubric"))[:120],
                    excellent_min=float(bands.get("excellent", 90)), good_min=float(bands.get("good", 80)),
                    qualified_min=float(bands.get("qualified", 60)),
                    recheck_margin=float(spec.get("recheck_margin", 10)), is_current=True,
                    created_by_id=getattr(actor, "id", None))
    for position, item in enumerate(spec.get("veto_items") or []):
        label, english = _label_pair(item, "")
        rubric.veto_items.append(VetoItem(position=position, code=str(item["code"]).strip()[:48], label=label,
                                          label_en=english))
    for position, section in enumerate(spec["sections"]):
        label, english = _label_pair(section, "")
        row = RubricSection(position=position, label=label, label_en=english,
                            max_points=float(section["max_points"]))
        for number, criterion in enumerate(section["criteria"]):
            c_label, c_english = _label_pair(criterion, "")
            row.criteria.append(RubricCriterion(position=number, label=c_label, label_en=c_english,
                                          max_points=float(criterion["max_points"])))
        rubric.sections.append(row)
    for position, item in enumerate(spec.get("problem_tags") or []):
        label, english = _label_pair(item, "")
        rubric.problem_tags.append(ProblemTag(
            position=position, code=str(item["code"]).strip()[:48], label=label, label_en=english,
            course_slugs=_joined(item.get("courses")), question_tags=_joined(item.get("question_tags"))))
    db.session.add(rubric)
    db.session.flush()
    audit.record(actor, "rubric.created", rubric, after={"version": rubric.version, "name": rubric.name})
    return rubric


def _joined(value) -> str:
    if not value:
        return ""
    if isinstance(value, str):
        return ";".join(part.strip() for part in re.split(r"[;,]", value) if part.strip())[:400]
    return ";".join(str(part).strip() for part in value)[:400]


def ensure_rubric(actor: User | None) -> Rubric:
    """The current rubric, creating the shipped default when there is none yet."""
    return current_rubric() or create_rubric(actor, default_rubric_text())


def rubric_text(rubric: Rubric) -> str:
    """A rubric version written back as YAML (the starting point of the next version)."""
    def pair(item):
        data = {"label": item.label}
        if item.label_en:
            data["label_en"] = item.label_en
        return data

    spec = {
        "name": rubric.name,
        "bands": {"excellent": rubric.excellent_min, "good": rubric.good_min, "qualified": rubric.qualified_min},
        "recheck_margin": rubric.recheck_margin,
        "veto_items": [{"code": item.code, **pair(item)} for item in rubric.veto_items],
        "sections": [{**pair(section), "max_points": section.max_points,
                      "criteria": [{**pair(c), "max_points": c.max_points} for c in section.criteria]}
                     for section in rubric.sections],
        "problem_tags": [{"code": tag.code, **pair(tag),
                          **({"courses": tag.course_slugs} if tag.course_slugs else {}),
                          **({"question_tags": tag.question_tags} if tag.question_tags else {})}
                         for tag in rubric.problem_tags],
    }
    return yaml.safe_dump(spec, allow_unicode=True, sort_keys=False, width=100)


def load_rubric(rubric_id: int) -> Rubric:
    """A rubric with its items, sections and criteria loaded in a fixed number of queries."""
    return db.session.execute(
        sa.select(Rubric).where(Rubric.id == rubric_id).options(
            selectinload(Rubric.veto_items), selectinload(Rubric.problem_tags),
            joinedload(Rubric.sections).joinedload(RubricSection.criteria))).unique().scalar_one()


def bands_of(rubric: Rubric) -> scoring.Bands:
    """The grade bands of a rubric version."""
    return scoring.Bands(rubric.excellent_min, rubric.good_min, rubric.qualified_min)


def section_specs(rubric: Rubric) -> list[scoring.SectionSpec]:
    """The rubric's sections as the scoring rules read them (criteria by id)."""
    return [scoring.SectionSpec(section.id, section.max_points,
                                {criterion.id: criterion.max_points for criterion in section.criteria})
            for section in rubric.sections]


# --- cycles ---------------------------------------------------------------------------------------

MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


def find_cycle(month: str) -> ReviewCycle | None:
    """The cycle of a month (``YYYY-MM``)."""
    return db.session.execute(sa.select(ReviewCycle).where(ReviewCycle.month == month)).scalar_one_or_none()


def reviewer_pool() -> list[User]:
    """Active accounts holding the reviewer role: the people cycles assign files to."""
    return list(db.session.execute(
        sa.select(User).join(UserRole).where(UserRole.role == "reviewer", User.is_active_account.is_(True))
        .order_by(User.username)).scalars())


def eligibility_problem(reviewer: User, case: CaseFile) -> str | None:
    """Why ``reviewer`` may not review ``case`` (own squad, or a case they handled), else None."""
    if reviewer.department_id is not None and reviewer.department_id == case.squad_id:
        return _("%(name)s belongs to the squad that handled this file.", name=reviewer.display_name)
    if any(handler.user_id == reviewer.id for handler in case.handlers):
        return _("%(name)s handled this case.", name=reviewer.display_name)
    return None


def open_cycle(actor: User | None, month: str, sample_size: int, reviewers_per_file: int = 2,
               seed: int | None = None) -> ReviewCycle:
    """Open the review of ``month``: draw the sample of closed files per squad and assign reviewers.

    The seed is stored, so the same draw can be repeated and checked later.
    """
    if not MONTH.match(month or ""):
        raise ReviewError(_("The month must be written YYYY-MM."))
    if find_cycle(month) is not None:
        raise ReviewError(_("A cycle for %(month)s exists already.", month=month))
    if sample_size < 1 or reviewers_per_file < 1:
        raise ReviewError(_("The sample size and reviewers per file must be at least 1."))
    rubric = ensure_rubric(actor)
    seed = seed if seed is not None else secrets.randbelow(2**31)
    cycle = ReviewCycle(month=month, rubric=rubric, seed=seed, sample_size=sample_size,
                        reviewers_per_file=reviewers_per_file, opened_by_id=getattr(actor, "id", None))
    db.session.add(cycle)
    rows = db.session.execute(
        sa.select(CaseFile).where(CaseFile.closed_month == month).options(
            joinedload(CaseFile.squad), selectinload(CaseFile.handlers))).scalars().all()
    by_squad: dict[str, list[str]] = {}
    cases = {}
    for case in rows:
        by_squad.setdefault(case.squad.code, []).append(case.case_number)
        cases[case.case_number] = case
    sample = scoring.draw_sample(seed, by_squad, sample_size)
    for squad_code in sorted(sample):
        for number in sample[squad_code]:
            cycle.files.append(SampledFile(case=cases[number]))
    db.session.flush()
    _assign_all(cycle, reviewer_pool(), seed)
    audit.record(actor, "cycle.opened", cycle, after={"month": month, "seed": seed, "sample_size": sample_size,
                                                       "files": len(cycle.files)})
    return cycle


def _assign_all(cycle: ReviewCycle, pool: list[User], seed: int) -> None:
    """Give each file its reviewers: eligible ones only, the least loaded first (ties by the seed)."""
    import random

    rng = random.Random(f"{seed}:assign")
    load = {user.id: 0 for user in pool}
    tiebreak = {user.id: rng.random() for user in pool}
    for file in cycle.files:
        eligible = [user for user in pool if eligibility_problem(user, file.case) is None]
        eligible.sort(key=lambda user: (load[user.id], tiebreak[user.id]))
        for reviewer in eligible[: cycle.reviewers_per_file]:
            file.assignments.append(ReviewAssignment(reviewer=reviewer, kind=AssignmentKind.primary))
            load[reviewer.id] += 1
    db.session.flush()


def assign_reviewer(actor: User | None, file: SampledFile, reviewer: User,
                    kind: AssignmentKind = AssignmentKind.primary) -> ReviewAssignment:
    """Assign ``reviewer`` to a sampled file; refused for their own squad, their own cases, twice,
    or in a published cycle."""
    if file.cycle.is_published:
        raise ReviewError(_("The cycle is published; its assignments are frozen."))
    problem = eligibility_problem(reviewer, file.case)
    if problem:
        raise ReviewError(problem)
    if any(assignment.reviewer_id == reviewer.id for assignment in file.assignments):
        raise ReviewError(_("%(name)s is assigned to this file already.", name=reviewer.display_name))
    assignment = ReviewAssignment(reviewer=reviewer, kind=kind)
    file.assignments.append(assignment)
    db.session.flush()
    audit.record(actor, "review.assigned", assignment, after={"file": file.case.case_number,
                                                              "reviewer": reviewer.username, "kind": str(kind)})
    return assignment


@dataclass
class ScoreInput:
    """What a reviewer enters for one file."""

    failed_veto_ids: Sequence[int] = ()
    deductions: Sequence[tuple[int, float, str]] = ()  # criterion id, points, reason
    findings: Sequence[tuple[int | None, str]] = ()  # problem tag id (or None), text
    summary: str = ""
    is_exemplary: bool = False
    is_rectification_requested: bool = False


def submit_score(actor: User, assignment: ReviewAssignment, entry: ScoreInput) -> ReviewAssignment:
    """Record (or replace) a reviewer's score of a file, then settle the file's grade.

    Refused once the cycle is published, for anyone but the assigned reviewer, and for a file of the
    reviewer's own squad or one they handled.
    """
    file = assignment.file
    cycle = file.cycle
    if cycle.is_published:
        raise ReviewError(_("The cycle %(month)s is published; its scores can no longer be changed.",
                            month=cycle.month))
    if actor is None or actor.id != assignment.reviewer_id:
        raise ReviewError(_("Only the assigned reviewer can score this file."))
    problem = eligibility_problem(actor, file.case)
    if problem:
        raise ReviewError(problem)
    rubric = load_rubric(cycle.rubric_id)
    veto_ids = {item.id for item in rubric.veto_items}
    criterion_ids = {c.id for section in rubric.sections for c in section.criteria}
    tag_ids = {tag.id for tag in rubric.problem_tags}
    if not set(entry.failed_veto_ids) <= veto_ids:
        raise ReviewError(_("Unknown veto item."))
    deductions = []
    for criterion_id, points, reason in entry.deductions:
        if criterion_id not in criterion_ids:
            raise ReviewError(_("Unknown criterion."))
        if points < 0:
            raise ReviewError(_("A deduction cannot be negative."))
        if points > 0 and not (reason or "").strip():
            raise ReviewError(_("Every deduction needs a reason."))
        if points > 0:
            deductions.append((criterion_id, float(points), reason.strip()))
    for tag_id, _text in entry.findings:
        if tag_id is not None and tag_id not in tag_ids:
            raise ReviewError(_("Unknown problem tag."))
    before = _score_snapshot(assignment) if assignment.submitted_at else None
    result = scoring.score_file(section_specs(rubric), [(c, p) for c, p, _r in deductions],
                                bool(entry.failed_veto_ids), bands_of(rubric))
    assignment.veto_failures = [VetoFailure(veto_item_id=item_id) for item_id in sorted(set(entry.failed_veto_ids))]
    assignment.deductions = [Deduction(criterion_id=c, points=p, reason=r) for c, p, r in deductions]
    assignment.findings = [Finding(tag_id=tag_id, text=(text or "").strip()) for tag_id, text in entry.findings
                           if tag_id is not None or (text or "").strip()]
    assignment.total, assignment.grade = result.total, Grade(result.grade)
    assignment.is_vetoed = result.is_vetoed
    assignment.summary = (entry.summary or "").strip()
    assignment.is_exemplary = entry.is_exemplary
    assignment.is_rectification_requested = entry.is_rectification_requested
    assignment.submitted_at = utcnow()
    db.session.flush()
    audit.record(actor, "review.scored" if before is None else "review.rescored", assignment, before=before,
                 after=_score_snapshot(assignment))
    settle_file(actor, file, rubric)
    return assignment


def _score_snapshot(assignment: ReviewAssignment) -> dict:
    return {"total": assignment.total, "grade": str(assignment.grade) if assignment.grade else None,
            "vetoed": assignment.is_vetoed, "deductions": [(d.criterion_id, d.points, d.reason)
                                                           for d in assignment.deductions],
            "veto_failures": sorted(v.veto_item_id for v in assignment.veto_failures),
            "findings": [(f.tag_id, f.text) for f in assignment.findings], "summary": assignment.summary}


def settle_file(actor: User | None, file: SampledFile, rubric: Rubric) -> None:
    """Work out a file's status and final grade; a disagreement beyond the margin asks a third reviewer."""
    first = [(a.total, a.is_vetoed) for a in file.assignments
             if a.kind == AssignmentKind.primary and a.submitted_at is not None]
    primaries = [a for a in file.assignments if a.kind == AssignmentKind.primary]
    rechecks = [a for a in file.assignments if a.kind == AssignmentKind.recheck]
    done_recheck = next(((a.total, a.is_vetoed) for a in rechecks if a.submitted_at is not None), None)
    if len(first) < len(primaries):
        status, total, grade, vetoed = "pending", None, None, False
    else:
        status, total, grade, vetoed = scoring.settle(first, done_recheck, rubric.recheck_margin, bands_of(rubric))
    file.status = FileStatus(status)
    file.final_total = total
    file.final_grade = Grade(grade) if grade else None
    file.is_vetoed = vetoed
    deciding = rechecks if status == "final" and done_recheck is not None else primaries
    file.is_exemplary = status == "final" and any(a.is_exemplary for a in deciding if a.submitted_at)
    if status == "recheck" and not rechecks:
        taken = {a.reviewer_id for a in file.assignments}
        candidates = [user for user in reviewer_pool()
                      if user.id not in taken and eligibility_problem(user, file.case) is None]
        if candidates:
            candidates.sort(key=lambda user: user.username)
            assign_reviewer(actor, file, candidates[0], AssignmentKind.recheck)
    db.session.flush()


def cycle_files(cycle: ReviewCycle):
    """The sampled files of a cycle with their case, squad, handlers and assignments (fixed queries)."""
    return db.session.execute(
        sa.select(SampledFile).where(SampledFile.cycle_id == cycle.id).options(
            joinedload(SampledFile.case).options(joinedload(CaseFile.squad), selectinload(CaseFile.handlers),
                                                 selectinload(CaseFile.parties)),
            selectinload(SampledFile.assignments))
        .join(CaseFile, SampledFile.case_id == CaseFile.id).order_by(CaseFile.squad_id, CaseFile.case_number)
    ).scalars().unique().all()


def queue_query(user: User, include_done: bool = False):
    """The assignments of ``user`` in open cycles, oldest first."""
    query = (sa.select(ReviewAssignment).join(SampledFile).join(ReviewCycle)
             .where(ReviewAssignment.reviewer_id == user.id, ReviewCycle.status == CycleStatus.open)
             .options(joinedload(ReviewAssignment.file).joinedload(SampledFile.case).joinedload(CaseFile.squad),
                      joinedload(ReviewAssignment.file).joinedload(SampledFile.cycle))
             .order_by(ReviewAssignment.submitted_at.is_not(None), ReviewCycle.month, ReviewAssignment.id))
    if not include_done:
        query = query.where(ReviewAssignment.submitted_at.is_(None))
    return query


# --- publishing and the bulletin ------------------------------------------------------------------

def _previous_months(month: str, count: int) -> list[str]:
    year, number = int(month[:4]), int(month[5:])
    months = []
    for _index in range(count):
        months.append(f"{year:04d}-{number:02d}")
        number -= 1
        if number == 0:
            year, number = year - 1, 12
    return list(reversed(months))


def handling_figures(month: str, months_back: int = 6) -> dict:
    """Handling time of the files closed in ``month``: average days by type and by procedure, the
    count of quick-handled cases, and the monthly average over the months before (aggregated in SQL)."""
    closed = CaseFile.closed_month == month
    by_type = db.session.execute(
        sa.select(CaseFile.case_type, sa.func.avg(CaseFile.handling_days), sa.func.count(CaseFile.id))
        .where(closed).group_by(CaseFile.case_type).order_by(CaseFile.case_type)).all()
    by_procedure = db.session.execute(
        sa.select(CaseFile.procedure, sa.func.avg(CaseFile.handling_days), sa.func.count(CaseFile.id))
        .where(closed).group_by(CaseFile.procedure).order_by(CaseFile.procedure)).all()
    months = _previous_months(month, months_back)
    trend = dict((row[0], (row[1], row[2])) for row in db.session.execute(
        sa.select(CaseFile.closed_month, sa.func.avg(CaseFile.handling_days), sa.func.count(CaseFile.id))
        .where(CaseFile.closed_month.in_(months)).group_by(CaseFile.closed_month)).all())
    def rounded(value):
        return round(float(value), 1) if value is not None else None

    this_month = trend.get(month, (None, 0))
    previous = trend.get(months[-2], (None, 0)) if len(months) > 1 else (None, 0)
    change = (round(float(this_month[0]) - float(previous[0]), 1)
              if this_month[0] is not None and previous[0] is not None else None)
    return {
        "by_type": [{"code": code, "average": rounded(avg), "count": count} for code, avg, count in by_type],
        "by_procedure": [{"code": str(proc), "average": rounded(avg), "count": count}
                         for proc, avg, count in by_procedure],
        "quick_count": next((count for proc, _avg, count in by_procedure if proc == Procedure.quick), 0),
        "total": sum(count for _code, _avg, count in by_type),
        "average": rounded(this_month[0]),
        "change": change,
        "trend": [{"month": m, "average": rounded(trend.get(m, (None, 0))[0]), "count": trend.get(m, (None, 0))[1]}
                  for m in months],
    }


def party_terms(case_ids: Iterable[int]) -> list[str]:
    """Every party datum of these cases, as entered (one query)."""
    ids = list(case_ids)
    if not ids:
        return []
    rows = db.session.execute(sa.select(CaseParty).where(CaseParty.case_id.in_(ids))).scalars()
    return [term for party in rows for term in party.terms()]


def build_bulletin(cycle: ReviewCycle) -> dict:
    """The bulletin of a cycle as plain data, every text already through the redaction function."""
    files = cycle_files(cycle)
    redact = Redactor(party_terms(file.case_id for file in files))
    assignment_ids = [a.id for file in files for a in file.assignments if a.submitted_at is not None]
    findings = db.session.execute(
        sa.select(Finding).where(Finding.assignment_id.in_(assignment_ids)).options(joinedload(Finding.tag))
        .order_by(Finding.id)).scalars().all() if assignment_ids else []
    by_assignment: dict[int, list[Finding]] = {}
    for finding in findings:
        by_assignment.setdefault(finding.assignment_id, []).append(finding)
    rows = []
    for file in files:
        case = file.case
        texts: list[dict] = []
        for assignment in file.assignments:
            if assignment.submitted_at is None:
                continue
            found = [(f.tag.label if f.tag else "", (f.tag.label_en or f.tag.label) if f.tag else "",
                      plain_text(f.text)) for f in by_assignment.get(assignment.id, [])]
            if assignment.summary:
                found.append(("", "", plain_text(assignment.summary)))
            for label, english, text in found:
                entry = {"label": redact(label), "label_en": redact(english), "text": redact(text)}
                if (label or text) and entry not in texts:
                    texts.append(entry)
        rows.append({
            "case_number": redact(case.case_number), "title": redact(plain_text(case.title)),
            "squad": redact(case.squad.name), "case_type": case.case_type, "procedure": str(case.procedure),
            "handlers": [redact(h.user.display_name) for h in case.handlers],
            "total": file.final_total, "grade": str(file.final_grade) if file.final_grade else None,
            "is_vetoed": file.is_vetoed, "is_exemplary": file.is_exemplary,
            "findings": texts[:5],
            "handling_days": case.handling_days,
        })
    rows.sort(key=lambda row: (-(row["total"] or 0), row["case_number"]))
    problem_rows = db.session.execute(
        sa.select(ProblemTag.label, ProblemTag.label_en, sa.func.count(sa.distinct(ReviewAssignment.file_id)))
        .select_from(Finding).join(ProblemTag, Finding.tag_id == ProblemTag.id)
        .join(ReviewAssignment, Finding.assignment_id == ReviewAssignment.id).join(SampledFile)
        .where(SampledFile.cycle_id == cycle.id, ReviewAssignment.submitted_at.is_not(None))
        .group_by(ProblemTag.id, ProblemTag.label, ProblemTag.label_en)
        .order_by(sa.func.count(sa.distinct(ReviewAssignment.file_id)).desc(), ProblemTag.label)).all()
    ranking_rows = db.session.execute(
        sa.select(Department.name, sa.func.count(SampledFile.id), sa.func.avg(SampledFile.final_total),
                  sa.func.sum(sa.case((SampledFile.final_grade == Grade.excellent, 1), else_=0)),
                  sa.func.sum(sa.case((SampledFile.final_grade == Grade.unqualified, 1), else_=0)))
        .select_from(SampledFile).join(CaseFile, SampledFile.case_id == CaseFile.id)
        .join(Department, CaseFile.squad_id == Department.id)
        .where(SampledFile.cycle_id == cycle.id, SampledFile.status == FileStatus.final)
        .group_by(Department.id, Department.name)
        .order_by(sa.func.avg(SampledFile.final_total).desc(), Department.name)).all()
    grades = {grade.value: 0 for grade in Grade}
    for row in rows:
        if row["grade"]:
            grades[row["grade"]] += 1
    return {
        "month": cycle.month,
        "rubric": {"version": cycle.rubric.version, "name": redact(cycle.rubric.name)},
        "files": rows,
        "grades": grades,
        "average": round(sum(r["total"] for r in rows if r["total"] is not None) / len(rows), 1) if rows else None,
        "problems": [{"label": redact(label), "label_en": redact(english or label), "count": count}
                     for label, english, count in problem_rows],
        "ranking": [{"rank": index, "squad": redact(name), "files": count,
                     "average": round(float(avg), 1) if avg is not None else None,
                     "excellent": int(excellent or 0), "unqualified": int(unqualified or 0)}
                    for index, (name, count, avg, excellent, unqualified) in enumerate(ranking_rows, start=1)],
        "handling": handling_figures(cycle.month),
    }


def publish_cycle(actor: User, cycle: ReviewCycle, today: date | None = None) -> ReviewCycle:
    """Publish a cycle: freeze it, store the redacted bulletin, send rectification notices and
    assign follow-up training. Refused while any file lacks its final grade."""
    if cycle.is_published:
        raise ReviewError(_("The cycle %(month)s is published already.", month=cycle.month))
    files = cycle_files(cycle)
    if not files:
        raise ReviewError(_("The cycle has no files to publish."))
    waiting = [file for file in files if file.status != FileStatus.final]
    if waiting:
        raise ReviewError(_("%(n)d files have no final grade yet.", n=len(waiting)))
    today = today or date.today()
    cycle.bulletin = json.dumps(build_bulletin(cycle), ensure_ascii=False, sort_keys=True)
    cycle.status = CycleStatus.published
    cycle.published_at = utcnow()
    cycle.published_by_id = actor.id
    notices = issue_notices(actor, cycle, files, today)
    db.session.flush()
    audit.record(actor, "cycle.published", cycle, after={"month": cycle.month, "files": len(files),
                                                         "notices": notices})
    return cycle


def issue_notices(actor: User, cycle: ReviewCycle, files: Sequence[SampledFile], today: date) -> int:
    """A rectification notice for each file graded below qualified or marked by a reviewer; handlers
    of files whose problem tags name courses are assigned those courses (when courses exist)."""
    due_on = today + timedelta(days=int(_setting("REVIEWS_RECTIFICATION_DAYS", 15)))
    assignment_ids = [a.id for file in files for a in file.assignments if a.submitted_at is not None]
    findings = db.session.execute(
        sa.select(Finding).where(Finding.assignment_id.in_(assignment_ids)).options(joinedload(Finding.tag))
    ).scalars().all() if assignment_ids else []
    by_assignment: dict[int, list[Finding]] = {}
    for finding in findings:
        by_assignment.setdefault(finding.assignment_id, []).append(finding)
    deductions = db.session.execute(
        sa.select(Deduction).where(Deduction.assignment_id.in_(assignment_ids)).options(
            joinedload(Deduction.criterion))).scalars().all() if assignment_ids else []
    deductions_of: dict[int, list[Deduction]] = {}
    for deduction in deductions:
        deductions_of.setdefault(deduction.assignment_id, []).append(deduction)
    count = 0
    for file in files:
        submitted = [a for a in file.assignments if a.submitted_at is not None]
        marked = any(a.is_rectification_requested for a in submitted)
        if file.final_grade != Grade.unqualified and not marked:
            continue
        lines, tags = [], []
        for assignment in submitted:
            for finding in by_assignment.get(assignment.id, []):
                if finding.tag is not None:
                    tags.append(finding.tag)
                label = finding.tag.title if finding.tag else ""
                lines.append("- " + " — ".join(part for part in (label, finding.text) if part))
            for deduction in deductions_of.get(assignment.id, []):
                lines.append(f"- {deduction.criterion.title} (−{deduction.points:g}): {deduction.reason}")
            if assignment.summary:
                lines.append("- " + assignment.summary)
        practice = sorted({word for tag in tags for word in tag.question_tags.split(";") if word})
        if practice:
            lines.append(_("Practise the questions tagged: %(tags)s", tags="、".join(practice)))
        text = "\n".join(dict.fromkeys(lines)) or _("The file was graded unqualified.")
        db.session.add(RectificationNotice(file=file, case=file.case, text=text, due_on=due_on,
                                           issued_by_id=actor.id))
        count += 1
        _assign_training(actor, file.case, tags, due_on, cycle.month)
    return count


def _assign_training(actor: User, case: CaseFile, tags: Sequence[ProblemTag], due_on: date, month: str) -> None:
    """Assign the courses the problem tags name to the file's handlers (only once courses exist)."""
    slugs = list(dict.fromkeys(slug for tag in tags for slug in tag.courses))
    if not slugs or importlib.util.find_spec("learning.courses") is None:
        return
    from learning.courses import services as courses  # imported only when the courses feature exists

    handlers = [handler.user for handler in case.handlers]
    for slug in slugs:
        reason = _("Case-file review %(month)s, %(case)s", month=month, case=case.case_number)
        try:
            assigned = courses.assign_course(actor, slug, handlers, due_on, reason)
        except (LookupError, ValueError) as exc:
            audit.record(actor, "review.training_not_assigned", case, detail=f"{slug}: {exc}")
            continue
        audit.record(actor, "review.training_assigned", case, after={"course": slug, "assigned": assigned})


def bulletin_data(cycle: ReviewCycle) -> dict:
    """The frozen bulletin of a published cycle with its errata, every text (again) redacted."""
    if not cycle.bulletin:
        raise ReviewError(_("The cycle is not published."))
    data = json.loads(cycle.bulletin)
    case_ids = db.session.execute(sa.select(SampledFile.case_id).where(SampledFile.cycle_id == cycle.id)).scalars()
    redact = Redactor(party_terms(case_ids))
    data = _redact_all(data, redact)
    errata = db.session.execute(sa.select(Erratum).where(Erratum.cycle_id == cycle.id).order_by(Erratum.id)
                                ).scalars().all()
    data["errata"] = [{"text": redact(plain_text(e.text)), "reason": redact(plain_text(e.reason)),
                       "created_at": e.created_at} for e in errata]
    return data


def _redact_all(value, redact):
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, list):
        return [_redact_all(item, redact) for item in value]
    if isinstance(value, dict):
        return {key: _redact_all(item, redact) for key, item in value.items()}
    return value


def add_erratum(actor: User, cycle: ReviewCycle, text: str, reason: str) -> Erratum:
    """Append a correction, with its reason, to a published bulletin (the bulletin itself stays as it was)."""
    if not cycle.is_published:
        raise ReviewError(_("Errata are for published bulletins; change the scores instead."))
    if not (text or "").strip() or not (reason or "").strip():
        raise ReviewError(_("An erratum needs the correction and its reason."))
    erratum = Erratum(cycle=cycle, text=text.strip(), reason=reason.strip(), created_by_id=actor.id)
    db.session.add(erratum)
    db.session.flush()
    audit.record(actor, "bulletin.erratum", cycle, after={"text": erratum.text, "reason": erratum.reason})
    return erratum


def monthly_averages(limit: int = 12) -> list[tuple[str, float]]:
    """Average final score of each of the last ``limit`` published months, oldest first (one query)."""
    rows = db.session.execute(
        sa.select(ReviewCycle.month, sa.func.avg(SampledFile.final_total))
        .join(SampledFile, SampledFile.cycle_id == ReviewCycle.id)
        .where(ReviewCycle.status == CycleStatus.published, SampledFile.final_total.is_not(None))
        .group_by(ReviewCycle.month).order_by(ReviewCycle.month.desc()).limit(limit)).all()
    return [(month, round(float(average), 1)) for month, average in reversed(rows)]


def published_cycles_query():
    """Published cycles, newest month first."""
    return (sa.select(ReviewCycle).where(ReviewCycle.status == CycleStatus.published)
            .order_by(ReviewCycle.month.desc()))


# --- rectification --------------------------------------------------------------------------------

def is_handler(user: User, case_id: int) -> bool:
    """Whether ``user`` handled the case (one query)."""
    return db.session.execute(sa.select(sa.func.count(CaseHandler.id)).where(
        CaseHandler.case_id == case_id, CaseHandler.user_id == user.id)).scalar_one() > 0


def notices_for(user: User):
    """The rectification notices of the files ``user`` handled, open ones first."""
    return (sa.select(RectificationNotice)
            .join(CaseHandler, CaseHandler.case_id == RectificationNotice.case_id)
            .where(CaseHandler.user_id == user.id)
            .options(joinedload(RectificationNotice.case), joinedload(RectificationNotice.file)
                     .joinedload(SampledFile.cycle))
            .order_by(RectificationNotice.status.in_([NoticeStatus.accepted, NoticeStatus.answered]),
                      RectificationNotice.due_on))


def notices_query(status: str | None = None, overdue_on: date | None = None):
    """All notices for the reviewers; ``overdue_on`` keeps only those past due on that day."""
    query = (sa.select(RectificationNotice)
             .options(joinedload(RectificationNotice.case).joinedload(CaseFile.squad),
                      joinedload(RectificationNotice.file).joinedload(SampledFile.cycle))
             .order_by(RectificationNotice.due_on, RectificationNotice.id))
    if status:
        query = query.where(RectificationNotice.status == NoticeStatus(status))
    if overdue_on is not None:
        query = query.where(RectificationNotice.status.in_([NoticeStatus.open, NoticeStatus.returned]),
                            RectificationNotice.due_on < overdue_on)
    return query


def answer_notice(actor: User, notice: RectificationNotice, response: str) -> RectificationNotice:
    """A handler says what they corrected; the notice waits for the reviewer."""
    if notice.status not in (NoticeStatus.open, NoticeStatus.returned):
        raise ReviewError(_("This notice is not waiting for an answer."))
    if not is_handler(actor, notice.case_id):
        raise ReviewError(_("Only the handlers of the case can answer its notice."))
    if not (response or "").strip():
        raise ReviewError(_("Say what was corrected."))
    before = {"status": str(notice.status), "response": notice.response}
    notice.response = response.strip()
    notice.status = NoticeStatus.answered
    notice.answered_at, notice.answered_by_id = utcnow(), actor.id
    db.session.flush()
    audit.record(actor, "notice.answered", notice, before=before, after={"status": "answered",
                                                                          "response": notice.response})
    return notice


def decide_notice(actor: User, notice: RectificationNotice, accept: bool, note: str = "") -> RectificationNotice:
    """The reviewer accepts the rectification, or returns it with a note for more work."""
    if notice.status != NoticeStatus.answered:
        raise ReviewError(_("Only an answered notice can be accepted or returned."))
    if not accept and not (note or "").strip():
        raise ReviewError(_("Say why the rectification is returned."))
    before = {"status": str(notice.status)}
    notice.status = NoticeStatus.accepted if accept else NoticeStatus.returned
    notice.decision_note = (note or "").strip()
    notice.decided_at, notice.decided_by_id = utcnow(), actor.id
    db.session.flush()
    audit.record(actor, "notice.accepted" if accept else "notice.returned", notice, before=before,
                 after={"status": str(notice.status), "note": notice.decision_note})
    return notice


# --- per-officer record and the contracts ---------------------------------------------------------

def _published_handled(user_id: int):
    return (sa.select(SampledFile, ReviewCycle.month, CaseFile.case_number, CaseHandler.is_lead)
            .join(ReviewCycle, SampledFile.cycle_id == ReviewCycle.id)
            .join(CaseFile, SampledFile.case_id == CaseFile.id)
            .join(CaseHandler, CaseHandler.case_id == CaseFile.id)
            .where(CaseHandler.user_id == user_id, ReviewCycle.status == CycleStatus.published,
                   SampledFile.status == FileStatus.final)
            .order_by(ReviewCycle.month.desc(), CaseFile.case_number))


def handled_files_query(user_id: int):
    """The graded files of published cycles that ``user_id`` handled, newest month first (for paging)."""
    return (sa.select(SampledFile)
            .join(ReviewCycle, SampledFile.cycle_id == ReviewCycle.id)
            .join(CaseFile, SampledFile.case_id == CaseFile.id)
            .join(CaseHandler, CaseHandler.case_id == CaseFile.id)
            .where(CaseHandler.user_id == user_id, ReviewCycle.status == CycleStatus.published,
                   SampledFile.status == FileStatus.final)
            .options(joinedload(SampledFile.cycle), joinedload(SampledFile.case).joinedload(CaseFile.squad))
            .order_by(ReviewCycle.month.desc(), CaseFile.case_number))


def officer_record(user_id: int, limit: int = 10) -> list[dict]:
    """The reviewed files an officer handled, newest month first: case number, month, score, grade."""
    rows = db.session.execute(_published_handled(user_id).limit(limit)).all()
    return [{"case_number": number, "month": month, "score": file.final_total,
             "grade": str(file.final_grade) if file.final_grade else None, "is_lead": is_lead}
            for file, month, number, is_lead in rows]


def record_findings(file_ids: Sequence[int]) -> dict[int, list[str]]:
    """The findings of each file (tag labels and texts, redacted), for the per-officer record."""
    if not file_ids:
        return {}
    rows = db.session.execute(
        sa.select(ReviewAssignment.file_id, Finding).join(Finding, Finding.assignment_id == ReviewAssignment.id)
        .where(ReviewAssignment.file_id.in_(file_ids), ReviewAssignment.submitted_at.is_not(None))
        .options(joinedload(Finding.tag)).order_by(Finding.id)).all()
    case_ids = db.session.execute(sa.select(SampledFile.case_id).where(SampledFile.id.in_(file_ids))).scalars()
    redact = Redactor(party_terms(case_ids))
    found: dict[int, list[str]] = {}
    for file_id, finding in rows:
        text = " — ".join(part for part in (finding.tag.title if finding.tag else "", plain_text(finding.text))
                          if part)
        if text and redact(text) not in found.setdefault(file_id, []):
            found[file_id].append(redact(text))
    return found


def review_scores(user_ids: Sequence[int], start: date, end: date) -> dict[int, float | None]:
    """Weighted mean final score (0–100) of the files each user handled in published cycles whose month
    falls in the period: a lead handler's files weigh 1, a co-handler's 0.5 (None when there are none)."""
    result: dict[int, float | None] = {user_id: None for user_id in user_ids}
    if not result:
        return result
    weight = sa.case((CaseHandler.is_lead.is_(True), 1.0), else_=0.5)
    rows = db.session.execute(
        sa.select(CaseHandler.user_id, sa.func.sum(SampledFile.final_total * weight), sa.func.sum(weight))
        .select_from(SampledFile)
        .join(ReviewCycle, SampledFile.cycle_id == ReviewCycle.id)
        .join(CaseHandler, CaseHandler.case_id == SampledFile.case_id)
        .where(CaseHandler.user_id.in_(list(result)), ReviewCycle.status == CycleStatus.published,
               SampledFile.status == FileStatus.final, SampledFile.final_total.is_not(None),
               ReviewCycle.month >= start.strftime("%Y-%m"), ReviewCycle.month <= end.strftime("%Y-%m"))
        .group_by(CaseHandler.user_id)).all()
    for user_id, weighted, weights in rows:
        if weights:
            result[user_id] = round(float(weighted) / float(weights), 2)
    return result
