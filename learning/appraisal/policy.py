"""Who may see which appraisal record: an evaluation or scorecard belongs to its person and to HR."""

from __future__ import annotations

from .. import permissions
from .models import AuxiliaryStaff, Evaluation, EvaluationStatus


@permissions.object_rule("appraisal.view_own")
def view_appraisal(user, record) -> bool:
    """HR sees every evaluation and scorecard; a person sees their own, once HR has finalised it."""
    if permissions.can(user, "appraisal.manage"):
        return True
    if getattr(record, "user_id", None) != user.id:
        return False
    return not (isinstance(record, Evaluation) and record.status == EvaluationStatus.draft)


def is_subject(user, evaluation: Evaluation) -> bool:
    """Only the person evaluated acknowledges or appeals (HR answers, it does not appeal for them)."""
    return evaluation.user_id == getattr(user, "id", None)


def can_view_record(user, record: AuxiliaryStaff) -> bool:
    """A registry record is seen by those who see all staff (HR, administrators) and by its person."""
    if permissions.can(user, "people.view_all"):
        return True
    return record.user_id is not None and record.user_id == getattr(user, "id", None)
