"""The auxiliary-staff registry: validation of ID numbers and phones, masking, eligibility rules,
contracts ending soon, and the CSV import."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

import sqlalchemy as sa
from flask_babel import gettext as _

from .. import audit
from ..extensions import db
from ..people.models import StaffCategory, User
from ..people.services import ImportReport, RowResult, find_department, find_user, set_active
from ..tables import TableError, read_table, require_columns
from .models import (
    EDUCATION_LABELS,
    EDUCATION_ORDER,
    AuxiliaryStaff,
    Education,
    EligibilityRule,
    RuleKind,
    StaffStatus,
)

ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK_CHARS = "10X98765432"
_ID_PATTERN = re.compile(r"^\d{17}[\dX]$")
_MOBILE = re.compile(r"^1[3-9]\d{9}$")
_LANDLINE = re.compile(r"^0\d{2,3}-?\d{7,8}$")
CONTRACT_WARNING_DAYS = 60


# --- validation and masking -----------------------------------------------------------------------

def id_check_char(first17: str) -> str:
    """The GB 11643 check character (mod 11) of the first 17 digits of an ID number."""
    total = sum(int(digit) * weight for digit, weight in zip(first17, ID_WEIGHTS, strict=True))
    return ID_CHECK_CHARS[total % 11]


def normalise_id_number(value: str) -> str:
    """Upper-case X, no spaces."""
    return (value or "").strip().replace(" ", "").upper()


def id_birth_date(id_number: str) -> date | None:
    """The date of birth encoded in an 18-character ID number, or None when it is not a date."""
    try:
        return date(int(id_number[6:10]), int(id_number[10:12]), int(id_number[12:14]))
    except ValueError:
        return None


def id_number_problem(value: str) -> str | None:
    """Why ``value`` is not a valid resident ID number (None when it is)."""
    number = normalise_id_number(value)
    if not _ID_PATTERN.match(number):
        return _("An ID number has 17 digits and a final digit or X.")
    if id_birth_date(number) is None:
        return _("The ID number does not contain a valid date of birth.")
    if id_check_char(number[:17]) != number[17]:
        return _("The check digit of the ID number is wrong; please check the number.")
    return None


def normalise_phone(value: str) -> str:
    """Digits (and a landline's dash) only, without a +86 prefix."""
    phone = re.sub(r"[\s()]", "", (value or "").strip())
    return phone[3:] if phone.startswith("+86") else phone


def phone_problem(value: str) -> str | None:
    """Why ``value`` is not a mainland mobile (11 digits, 13x–19x) or landline number."""
    phone = normalise_phone(value)
    if _MOBILE.match(phone) or _LANDLINE.match(phone):
        return None
    return _("Enter an 11-digit mobile number or a landline number with its area code.")


def mask_id_number(value: str | None) -> str:
    """The first 6 and last 4 characters of an ID number, the rest hidden."""
    if not value:
        return ""
    return value[:6] + "*" * max(0, len(value) - 10) + value[-4:] if len(value) > 10 else "*" * len(value)


def mask_phone(value: str | None) -> str:
    """The first 3 and last 4 digits of a phone number, the rest hidden."""
    if not value:
        return ""
    return value[:3] + "*" * max(0, len(value) - 7) + value[-4:] if len(value) > 7 else "*" * len(value)


def sees_personal_data(viewer, record: AuxiliaryStaff | None = None) -> bool:
    """HR sees ID numbers and phones in full; so does the person on their own record."""
    from ..permissions import can

    if can(viewer, "people.view_personal_data"):
        return True
    return record is not None and record.user_id is not None and record.user_id == getattr(viewer, "id", None)


# --- eligibility -----------------------------------------------------------------------------------

@dataclass
class RuleResult:
    """One rule checked against one person."""

    rule: EligibilityRule
    passed: bool
    description: str


def age_on(birth: date, day: date) -> int:
    """Full years of age on ``day``."""
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def describe_rule(rule: EligibilityRule) -> str:
    """A readable statement of the rule."""
    if rule.kind == RuleKind.min_education:
        return _("Education at least %(level)s", level=EDUCATION_LABELS.get(Education(rule.value), rule.value))
    if rule.kind == RuleKind.min_age:
        return _("Aged at least %(years)s", years=rule.value)
    return _("Aged at most %(years)s", years=rule.value)


def check_rules(rules, id_number: str, education: Education, on: date) -> list[RuleResult]:
    """Each rule with whether the person meets it on ``on`` (age from the ID number)."""
    results = []
    birth = id_birth_date(id_number) if id_number and len(id_number) == 18 else None
    age = age_on(birth, on) if birth else None
    for rule in rules:
        if rule.kind == RuleKind.min_education:
            passed = EDUCATION_ORDER.index(Education(education)) >= EDUCATION_ORDER.index(Education(rule.value))
        elif rule.kind == RuleKind.min_age:
            passed = age is not None and age >= int(rule.value)
        else:
            passed = age is not None and age <= int(rule.value)
        results.append(RuleResult(rule, passed, describe_rule(rule)))
    return results


def registry_rules() -> list[EligibilityRule]:
    """The rules every registration is checked against."""
    return list(db.session.execute(sa.select(EligibilityRule).where(EligibilityRule.round_id.is_(None))
                                   .order_by(EligibilityRule.id)).scalars())


def add_rule(actor, kind: RuleKind, value: str, round_=None) -> EligibilityRule:
    """Add an eligibility rule to the registry (or to a recruitment round)."""
    rule = EligibilityRule(kind=kind, value=value.strip(), round=round_)
    db.session.add(rule)
    db.session.flush()
    audit.record(actor, "eligibility.rule_added", rule, after={"kind": str(kind), "value": rule.value,
                                                              "round": getattr(round_, "id", None)})
    return rule


def remove_rule(actor, rule: EligibilityRule) -> None:
    """Remove an eligibility rule."""
    audit.record(actor, "eligibility.rule_removed", rule, before={"kind": str(rule.kind), "value": rule.value})
    db.session.delete(rule)
    db.session.flush()


def rule_value_problem(kind: RuleKind, value: str) -> str | None:
    """Why ``value`` does not fit a rule of ``kind``."""
    if kind == RuleKind.min_education:
        return None if value in {level.value for level in Education} else _("Choose an education level.")
    if not value.strip().isdigit() or not 14 <= int(value) <= 70:
        return _("An age is a whole number from 14 to 70.")
    return None


# --- records ---------------------------------------------------------------------------------------

FIELDS = ("name", "gender", "id_number", "phone", "position", "department", "hired_on", "contract_ends_on",
          "education", "emergency_contact", "status", "left_on", "left_reason")


def snapshot(record: AuxiliaryStaff) -> dict:
    """The audited fields of a record (ID number and phone masked: the audit log is not for personal data)."""
    return {
        "name": record.name, "gender": record.gender, "id_number": mask_id_number(record.id_number),
        "phone": mask_phone(record.phone), "position": record.position,
        "department": record.department.code if record.department else None,
        "hired_on": record.hired_on, "contract_ends_on": record.contract_ends_on,
        "education": str(record.education), "status": str(record.status), "left_on": record.left_on,
        "left_reason": record.left_reason, "user": record.user.username if record.user else None,
    }


def problems(fields: dict, record: AuxiliaryStaff | None = None) -> list[str]:
    """What is wrong with the fields of a registration (an empty list when it can be saved)."""
    found = []
    if not (fields.get("name") or "").strip():
        found.append(_("The name is empty."))
    problem = id_number_problem(fields.get("id_number") or "")
    if problem:
        found.append(problem)
    else:
        clash = db.session.execute(sa.select(AuxiliaryStaff.id).where(
            AuxiliaryStaff.id_number == normalise_id_number(fields["id_number"]))).scalar_one_or_none()
        if clash is not None and (record is None or clash != record.id):
            found.append(_("Someone with this ID number is registered already."))
    problem = phone_problem(fields.get("phone") or "")
    if problem:
        found.append(problem)
    if not (fields.get("position") or "").strip():
        found.append(_("The position is empty."))
    if not fields.get("hired_on"):
        found.append(_("The hire date is missing."))
    ends = fields.get("contract_ends_on")
    if ends and fields.get("hired_on") and ends < fields["hired_on"]:
        found.append(_("The contract cannot end before the hire date."))
    if fields.get("status") == StaffStatus.left and not fields.get("left_on"):
        found.append(_("Give the date the person left."))
    return found


def register(actor, **fields) -> AuxiliaryStaff:
    """Register an auxiliary staff member (the caller has checked ``problems``)."""
    record = AuxiliaryStaff()
    _assign(record, fields)
    db.session.add(record)
    db.session.flush()
    _close_account_of_leaver(actor, record)
    audit.record(actor, "registry.created", record, after=snapshot(record))
    return record


def update(actor, record: AuxiliaryStaff, **fields) -> bool:
    """Change a registration; audited with before and after. Returns whether anything changed."""
    before = snapshot(record)
    _assign(record, fields)
    db.session.flush()
    _close_account_of_leaver(actor, record)
    after = snapshot(record)
    if before == after:
        return False
    audit.record(actor, "registry.updated", record, before=before, after=after)
    return True


def _assign(record: AuxiliaryStaff, fields: dict) -> None:
    for name, value in fields.items():
        if name == "id_number":
            value = normalise_id_number(value)
        elif name == "phone":
            value = normalise_phone(value)
        elif name in ("name", "position", "emergency_contact") and isinstance(value, str):
            value = value.strip()
        setattr(record, name, value)
    if record.status == StaffStatus.active:
        record.left_on = None
        record.left_reason = None


def _close_account_of_leaver(actor, record: AuxiliaryStaff) -> None:
    """Someone who has left can no longer sign in (through the people service: audited, sessions ended)."""
    if record.user is not None and record.status == StaffStatus.left and record.user.is_active_account:
        set_active(actor, record.user, False)


def registry_query(search: str = "", status: str | None = "active"):
    """The registry as the list filters it."""
    query = sa.select(AuxiliaryStaff).order_by(AuxiliaryStaff.name, AuxiliaryStaff.id)
    if search:
        query = query.where(sa.or_(AuxiliaryStaff.name.contains(search.strip()),
                                   AuxiliaryStaff.position.contains(search.strip())))
    if status:
        query = query.where(AuxiliaryStaff.status == StaffStatus(status))
    return query


def contracts_ending(today: date, days: int = CONTRACT_WARNING_DAYS):
    """Active staff whose contract ends within ``days`` from ``today`` (query, soonest first)."""
    return (sa.select(AuxiliaryStaff)
            .where(AuxiliaryStaff.status == StaffStatus.active, AuxiliaryStaff.contract_ends_on.is_not(None),
                   AuxiliaryStaff.contract_ends_on >= today,
                   AuxiliaryStaff.contract_ends_on <= today + timedelta(days=days))
            .order_by(AuxiliaryStaff.contract_ends_on))


def record_for_user(user_id: int) -> AuxiliaryStaff | None:
    """The registry record linked to an account."""
    return db.session.execute(sa.select(AuxiliaryStaff).where(AuxiliaryStaff.user_id == user_id)
                              ).scalar_one_or_none()


# --- import ----------------------------------------------------------------------------------------

REGISTRY_ALIASES = {
    "姓名": "name", "性别": "gender", "身份证号": "id_number", "身份证号码": "id_number", "手机": "phone",
    "电话": "phone", "手机号": "phone", "联系电话": "phone", "岗位": "position", "部门": "department",
    "中队": "department", "入职日期": "hired_on", "合同到期": "contract_ends_on", "合同到期日": "contract_ends_on",
    "学历": "education", "紧急联系人": "emergency_contact", "工号": "username",
}
_GENDER_WORDS = {"男": "male", "male": "male", "m": "male", "女": "female", "female": "female", "f": "female"}
_EDUCATION_WORDS = {
    "初中": Education.junior, "高中": Education.senior, "中专": Education.vocational, "职高": Education.vocational,
    "大专": Education.associate, "专科": Education.associate, "本科": Education.bachelor,
    "硕士": Education.master, "研究生": Education.master,
    **{level.value: level for level in Education},
}


def parse_date(value: str) -> date | None:
    """A date written 2026-05-01, 2026/5/1 or 2026.5.1 (None when empty; ValueError when unreadable)."""
    value = (value or "").strip()
    if not value:
        return None
    parts = re.split(r"[-/.年月日]", value)
    parts = [part for part in parts if part]
    if len(parts) != 3:
        raise ValueError(value)
    return date(int(parts[0]), int(parts[1]), int(parts[2]))


def parse_person_cells(cells: dict[str, str]) -> tuple[dict, list[str]]:
    """Validate the personal columns shared by the registry and applicant imports."""
    reasons = []
    gender = _GENDER_WORDS.get(cells.get("gender", "").strip().lower())
    if gender is None:
        reasons.append(_("Gender must be male or female (男/女)."))
    education = _EDUCATION_WORDS.get(cells.get("education", "").strip().lower())
    if education is None:
        reasons.append(_("Unknown education “%(value)s”.", value=cells.get("education", "").strip()))
    fields = {"name": cells.get("name", "").strip(), "gender": gender, "education": education,
              "id_number": normalise_id_number(cells.get("id_number", "")),
              "phone": normalise_phone(cells.get("phone", "")),
              "emergency_contact": cells.get("emergency_contact", "").strip()}
    return fields, reasons


def import_registry(actor, data: bytes, filename: str) -> ImportReport:
    """Register or update auxiliary staff from a CSV/.xlsx file, idempotent by ID number.

    A file that cannot be read, or lacks the required columns, writes nothing.
    """
    try:
        table = read_table(data, filename, REGISTRY_ALIASES)
        require_columns(table, ("name", "id_number", "phone", "position", "hired_on"))
    except TableError as exc:
        return ImportReport(error=str(exc))
    report = ImportReport()
    seen: set[str] = set()
    for line, cells in table.rows:
        fields, reasons = parse_person_cells(cells)
        fields["position"] = cells.get("position", "").strip()
        try:
            fields["hired_on"] = parse_date(cells.get("hired_on", ""))
            fields["contract_ends_on"] = parse_date(cells.get("contract_ends_on", ""))
        except ValueError:
            reasons.append(_("Dates are written like 2026-05-01."))
            fields["hired_on"] = fields["contract_ends_on"] = None
        department_word = cells.get("department", "").strip()
        fields["department"] = find_department(department_word) if department_word else None
        if department_word and fields["department"] is None:
            reasons.append(_("Unknown department “%(value)s”.", value=department_word))
        username = cells.get("username", "").strip()
        user = find_user(username) if username else None
        if username and user is None:
            reasons.append(_("No account with employee number %(username)s.", username=username))
        key = fields["id_number"]
        existing = db.session.execute(sa.select(AuxiliaryStaff).where(AuxiliaryStaff.id_number == key)
                                      ).scalar_one_or_none() if key else None
        reasons += problems(fields, existing)
        if key in seen:
            reasons.append(_("The ID number appears twice in the file."))
        seen.add(key)
        masked = mask_id_number(key)
        if reasons:
            report.rows.append(RowResult(line, masked, "rejected", reasons))
            continue
        if user is not None:
            fields["user"] = user
        if existing is None:
            register(actor, **fields)
            report.rows.append(RowResult(line, masked, "created"))
        else:
            changed = update(actor, existing, **fields)
            report.rows.append(RowResult(line, masked, "updated" if changed else "unchanged"))
    return report


def auxiliary_users_without_record():
    """Auxiliary accounts not yet in the registry (to link a new registration to)."""
    return (sa.select(User).where(User.staff_category == StaffCategory.auxiliary,
                                  ~sa.exists().where(AuxiliaryStaff.user_id == User.id))
            .order_by(User.username))
