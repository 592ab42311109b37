"""Forms of the reviews area: case files, import, rubric, cycles, scoring, errata and notices."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import (
    BooleanField,
    DateField,
    DecimalField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp

from .models import DELIVERY_LABELS, PAYMENT_LABELS, PROCEDURE_LABELS


class CaseForm(FlaskForm):
    """Enter or edit a case file."""

    case_number = StringField(_l("Case number"), validators=[DataRequired(), Length(max=64)])
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    case_type = SelectField(_l("Case type"))
    procedure = SelectField(_l("Procedure"), choices=[(key.value, label) for key, label in PROCEDURE_LABELS.items()])
    squad_id = SelectField(_l("Squad"), coerce=int)
    lead_id = SelectField(_l("Lead handler"), coerce=int)
    co_handler_ids = SelectMultipleField(_l("Co-handlers"), coerce=int, validators=[Optional()])
    parties = TextAreaField(_l("Parties"), validators=[Optional(), Length(max=4000)],
                            description=_l("One per line: name | ID number | phone | address | licence plate"),
                            render_kw={"rows": 3})
    facts = TextAreaField(_l("Facts"), validators=[Optional(), Length(max=8000)], render_kw={"rows": 4})
    legal_basis = TextAreaField(_l("Legal basis"), validators=[Optional(), Length(max=4000)], render_kw={"rows": 2})
    is_warning = BooleanField(_l("Warning"))
    fine_amount = DecimalField(_l("Fine (yuan)"), places=2, validators=[Optional(), NumberRange(min=0)])
    confiscation = StringField(_l("Confiscation"), validators=[Optional(), Length(max=200)])
    discovered_on = DateField(_l("Discovered on"), validators=[Optional()])
    filed_on = DateField(_l("Filed on"), validators=[Optional()])
    decided_on = DateField(_l("Decided on"), validators=[Optional()])
    delivered_on = DateField(_l("Delivered on"), validators=[Optional()])
    closed_on = DateField(_l("Closed on"), validators=[Optional()])
    delivery_channel = SelectField(_l("Delivery channel"),
                                   choices=[("", "—")] + [(k.value, v) for k, v in DELIVERY_LABELS.items()])
    payment_channel = SelectField(_l("Payment channel"),
                                  choices=[("", "—")] + [(k.value, v) for k, v in PAYMENT_LABELS.items()])
    submit = SubmitField(_l("Save"))


class ImportForm(FlaskForm):
    """Upload case files as CSV or .xlsx."""

    file = FileField(_l("File (.csv or .xlsx)"), validators=[
        FileRequired(), FileAllowed(["csv", "xlsx", "txt"], _l("Upload a .csv or .xlsx file."))])
    submit = SubmitField(_l("Import"))


class RubricForm(FlaskForm):
    """A new rubric version, written as YAML."""

    text = TextAreaField(_l("Rubric (YAML)"), validators=[DataRequired(), Length(max=40000)],
                         render_kw={"rows": 24, "class": "font-monospace"})
    submit = SubmitField(_l("Save as a new version"))


class CycleForm(FlaskForm):
    """Open the review of a month."""

    month = StringField(_l("Month (YYYY-MM)"), validators=[
        DataRequired(), Regexp(r"^\d{4}-(0[1-9]|1[0-2])$", message=_l("Write the month as YYYY-MM."))])
    sample_size = IntegerField(_l("Files per squad"), default=3, validators=[DataRequired(), NumberRange(1, 50)])
    reviewers_per_file = IntegerField(_l("Reviewers per file"), default=2,
                                      validators=[DataRequired(), NumberRange(1, 3)])
    seed = IntegerField(_l("Seed (to repeat a draw; empty: random)"), validators=[Optional(),
                                                                                 NumberRange(0, 2**31 - 1)])
    submit = SubmitField(_l("Open the cycle"))


class AssignForm(FlaskForm):
    """Assign a reviewer to a sampled file."""

    file_id = IntegerField(validators=[DataRequired()])
    reviewer_id = SelectField(_l("Reviewer"), coerce=int)
    submit = SubmitField(_l("Assign"))


class ScoreForm(FlaskForm):
    """The fixed part of the score form; veto items, deductions and tags are read from the rubric."""

    summary = TextAreaField(_l("Findings"), validators=[Optional(), Length(max=8000)], render_kw={"rows": 4})
    is_exemplary = BooleanField(_l("Exemplary file"))
    is_rectification_requested = BooleanField(_l("Send a rectification notice to the handlers"))
    submit = SubmitField(_l("Save the score"))


class ErratumForm(FlaskForm):
    """A correction to a published bulletin."""

    text = TextAreaField(_l("Correction"), validators=[DataRequired(), Length(max=4000)], render_kw={"rows": 3})
    reason = TextAreaField(_l("Reason"), validators=[DataRequired(), Length(max=2000)], render_kw={"rows": 2})
    submit = SubmitField(_l("Append the erratum"))


class AnswerForm(FlaskForm):
    """A handler's answer to a rectification notice."""

    response = TextAreaField(_l("What was corrected"), validators=[DataRequired(), Length(max=8000)],
                             render_kw={"rows": 4})
    submit = SubmitField(_l("Send the answer"))


class DecisionForm(FlaskForm):
    """The reviewer's decision on an answered notice."""

    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=4000)], render_kw={"rows": 2})
    accept = SubmitField(_l("Accept"))
    give_back = SubmitField(_l("Return for more work"))
