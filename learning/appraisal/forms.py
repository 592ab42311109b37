"""Forms of the registry, recruitment, schemes, evaluations, appeals and the scorecard."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import (
    DateField,
    FloatField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from .models import (
    AUDIENCE_LABELS,
    CRITERION_KIND_LABELS,
    EDUCATION_LABELS,
    GENDER_LABELS,
    PERIOD_TYPE_LABELS,
    RULE_KIND_LABELS,
    STATUS_LABELS,
)


def _choices(labels):
    return [(key.value if hasattr(key, "value") else key, label) for key, label in labels.items()]


class RecordForm(FlaskForm):
    """Register or edit an auxiliary staff member."""

    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=80)])
    gender = SelectField(_l("Gender"), choices=_choices(GENDER_LABELS))
    id_number = StringField(_l("ID-card number"), validators=[DataRequired(), Length(max=18)])
    phone = StringField(_l("Phone"), validators=[DataRequired(), Length(max=20)])
    position = StringField(_l("Position"), validators=[DataRequired(), Length(max=64)],
                           description=_l("For example patrol assistant or garbage-classification supervisor"))
    department_id = SelectField(_l("Squad"), coerce=int, validators=[Optional()])
    user_id = SelectField(_l("Account"), coerce=int, validators=[Optional()])
    hired_on = DateField(_l("Hire date"), validators=[DataRequired()])
    contract_ends_on = DateField(_l("Contract ends"), validators=[Optional()])
    education = SelectField(_l("Education"), choices=_choices(EDUCATION_LABELS))
    emergency_contact = StringField(_l("Emergency contact"), validators=[Optional(), Length(max=120)])
    status = SelectField(_l("Status"), choices=_choices(STATUS_LABELS))
    left_on = DateField(_l("Left on"), validators=[Optional()])
    left_reason = StringField(_l("Reason for leaving"), validators=[Optional(), Length(max=200)])
    submit = SubmitField(_l("Save"))


class RuleForm(FlaskForm):
    """Add an eligibility rule."""

    kind = SelectField(_l("Rule"), choices=_choices(RULE_KIND_LABELS))
    value = StringField(_l("Value"), validators=[DataRequired(), Length(max=32)],
                        description=_l("An age in years, or an education level: junior, senior, vocational, "
                                       "associate, bachelor, master"))
    submit = SubmitField(_l("Add rule"))


class UploadForm(FlaskForm):
    """Upload a CSV or .xlsx file."""

    file = FileField(_l("File (.csv or .xlsx)"), validators=[
        FileRequired(), FileAllowed(["csv", "xlsx", "txt"], _l("Upload a .csv or .xlsx file."))])
    submit = SubmitField(_l("Import"))


class RoundForm(FlaskForm):
    """Open a recruitment round."""

    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=120)])
    opens_on = DateField(_l("Applications open"), validators=[DataRequired()])
    closes_on = DateField(_l("Applications close"), validators=[DataRequired()])
    written_weight = FloatField(_l("Weight of the written test"), default=0.6,
                                validators=[InputRequired(), NumberRange(0, 1)])
    interview_weight = FloatField(_l("Weight of the interview"), default=0.4,
                                  validators=[InputRequired(), NumberRange(0, 1)])
    retention_days = IntegerField(_l("Delete applicants' data this many days after the round closes"),
                                  default=90, validators=[InputRequired(), NumberRange(1, 3650)])
    submit = SubmitField(_l("Open the round"))


class PositionForm(FlaskForm):
    """Offer a position in a round."""

    name = StringField(_l("Position"), validators=[DataRequired(), Length(max=64)])
    places = IntegerField(_l("Places"), default=1, validators=[InputRequired(), NumberRange(1, 500)])
    department_id = SelectField(_l("Squad"), coerce=int, validators=[Optional()])
    submit = SubmitField(_l("Add position"))


class ApplicantForm(FlaskForm):
    """Enter an applicant."""

    position_id = SelectField(_l("Position"), coerce=int)
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=80)])
    gender = SelectField(_l("Gender"), choices=_choices(GENDER_LABELS))
    id_number = StringField(_l("ID-card number"), validators=[DataRequired(), Length(max=18)])
    phone = StringField(_l("Phone"), validators=[DataRequired(), Length(max=20)])
    education = SelectField(_l("Education"), choices=_choices(EDUCATION_LABELS))
    emergency_contact = StringField(_l("Emergency contact"), validators=[Optional(), Length(max=120)])
    submit = SubmitField(_l("Add applicant"))


class ScoresForm(FlaskForm):
    """The panel's written-test and interview scores."""

    written_score = FloatField(_l("Written test"), validators=[Optional(), NumberRange(0, 100)])
    interview_score = FloatField(_l("Interview"), validators=[Optional(), NumberRange(0, 100)])
    submit = SubmitField(_l("Save scores"))


class HireForm(FlaskForm):
    """Confirm the hires of a round."""

    hired_on = DateField(_l("Hire date"), validators=[DataRequired()])
    contract_years = IntegerField(_l("Contract length (years)"), default=3,
                                  validators=[InputRequired(), NumberRange(1, 10)])
    submit = SubmitField(_l("Confirm the hires"))


class SchemeForm(FlaskForm):
    """Name, audience, position and period type of a scheme."""

    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    audience = SelectField(_l("Assesses"), choices=_choices(AUDIENCE_LABELS))
    position = StringField(_l("Position (auxiliary staff; empty: every position)"),
                           validators=[Optional(), Length(max=64)])
    period_type = SelectField(_l("Period"), choices=_choices(PERIOD_TYPE_LABELS))
    gate_cap = SelectField(_l("Best grade when the integrity gate fails"), validators=[Optional()],
                           description=_l("Choose among the scheme's grade bands once they are added."))
    submit = SubmitField(_l("Save"))


class CriterionForm(FlaskForm):
    """Add a criterion."""

    name = StringField(_l("Criterion"), validators=[DataRequired(), Length(max=120)])
    max_points = FloatField(_l("Maximum points"), validators=[Optional(), NumberRange(0, 1000)])
    kind = SelectField(_l("Scored"), choices=_choices(CRITERION_KIND_LABELS))
    source = SelectField(_l("Platform figure"), validators=[Optional()])
    target = FloatField(_l("Target (hours or count for full marks)"), validators=[Optional(), NumberRange(0)])
    guidance = TextAreaField(_l("Guidance for the scorer"), validators=[Optional(), Length(max=2000)])
    submit = SubmitField(_l("Add criterion"))


class BandForm(FlaskForm):
    """Add a grade band."""

    name = StringField(_l("Grade"), validators=[DataRequired(), Length(max=40)])
    min_points = FloatField(_l("From points"), validators=[InputRequired(), NumberRange(0)])
    submit = SubmitField(_l("Add band"))


class OpenPeriodForm(FlaskForm):
    """Open evaluations for a period."""

    year = IntegerField(_l("Year"), validators=[InputRequired(), NumberRange(2000, 2100)])
    number = IntegerField(_l("Month or quarter"), default=1, validators=[InputRequired(), NumberRange(1, 12)])
    submit = SubmitField(_l("Open evaluations"))


class AppealForm(FlaskForm):
    """A person's appeal."""

    reason = TextAreaField(_l("Why do you appeal?"), validators=[DataRequired(), Length(max=4000)])
    submit = SubmitField(_l("Appeal"))


class AnswerForm(FlaskForm):
    """HR's answer to an appeal."""

    decision = RadioField(_l("Decision"), choices=[("upheld", _l("Uphold: open a corrected version")),
                                                   ("rejected", _l("Reject"))], validators=[DataRequired()])
    answer = TextAreaField(_l("Answer"), validators=[DataRequired(), Length(max=4000)])
    submit = SubmitField(_l("Send the answer"))


class PeriodForm(FlaskForm):
    """A scorecard period and its weights."""

    label = StringField(_l("Period"), validators=[DataRequired(), Length(max=16)])
    start = DateField(_l("From"), validators=[DataRequired()])
    end = DateField(_l("To"), validators=[DataRequired()])
    weight_quality = FloatField(_l("Weight: case-handling quality"), default=30, validators=[InputRequired(),
                                                                                            NumberRange(0, 100)])
    weight_development = FloatField(_l("Weight: development capabilities"), default=25,
                                    validators=[InputRequired(), NumberRange(0, 100)])
    weight_theory = FloatField(_l("Weight: theoretical level"), default=25,
                               validators=[InputRequired(), NumberRange(0, 100)])
    weight_legal = FloatField(_l("Weight: legal-system evaluation"), default=20,
                              validators=[InputRequired(), NumberRange(0, 100)])
    training_target_hours = FloatField(_l("Training-hours target for the period"), default=20,
                                       validators=[InputRequired(), NumberRange(1, 1000)])
    submit = SubmitField(_l("Save"))


class LegalRatingForm(FlaskForm):
    """The legal-affairs rating; the rubric fields are added by the view."""

    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=2000)])
    submit = SubmitField(_l("Save the rating"))
