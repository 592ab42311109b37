"""Forms of courses: assignments, weekend classes, check-in and the small post buttons."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    DateTimeLocalField,
    FloatField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from .models import AUDIENCE_LABELS


class AssignForm(FlaskForm):
    """Assign a course to a department, a staff category or named people, with a due date."""

    course = SelectField(_l("Course"), validators=[DataRequired()])
    scope = RadioField(_l("Assign to"), default="department", choices=[
        ("department", _l("A department")), ("category", _l("A staff category")),
        ("people", _l("Named people"))])
    department_id = SelectField(_l("Department"), coerce=int, validators=[Optional()])
    category = SelectField(_l("Staff category"), choices=[("cadre", _l("Cadres")),
                                                          ("auxiliary", _l("Auxiliary staff"))])
    usernames = StringField(_l("Employee numbers"), validators=[Optional(), Length(max=2000)],
                            description=_l("Separated by commas or spaces."))
    due_on = DateField(_l("Due date"), validators=[DataRequired()])
    reason = StringField(_l("Reason"), validators=[Optional(), Length(max=200)])
    submit = SubmitField(_l("Assign"))


class ClassForm(FlaskForm):
    """Schedule or edit a weekend class."""

    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    description = TextAreaField(_l("Description (Markdown)"), validators=[Optional(), Length(max=5000)])
    course_id = SelectField(_l("Course"), coerce=int, validators=[Optional()])
    starts_at = DateTimeLocalField(_l("Starts"), format="%Y-%m-%dT%H:%M", validators=[DataRequired()])
    ends_at = DateTimeLocalField(_l("Ends"), format="%Y-%m-%dT%H:%M", validators=[DataRequired()])
    place = StringField(_l("Place"), validators=[DataRequired(), Length(max=200)])
    instructor_id = SelectField(_l("Instructor"), coerce=int, validators=[DataRequired()])
    capacity = IntegerField(_l("Capacity"), default=30, validators=[DataRequired(), NumberRange(1, 1000)])
    audience = SelectField(_l("Audience"), choices=[(key.value, label) for key, label in AUDIENCE_LABELS.items()])
    credit_hours = FloatField(_l("Training hours credited"), validators=[Optional(), NumberRange(0, 24)],
                              description=_l("Leave empty to credit the class's duration."))
    submit = SubmitField(_l("Save"))


class CheckInForm(FlaskForm):
    """The check-in code shown in class."""

    code = StringField(_l("Check-in code"), validators=[DataRequired(), Length(max=12)],
                       render_kw={"inputmode": "numeric", "autocomplete": "off", "autofocus": True})
    submit = SubmitField(_l("Check in"))


class OpenCheckInForm(FlaskForm):
    """Show a check-in code valid for some minutes."""

    minutes = IntegerField(_l("Valid for (minutes)"), default=15, validators=[DataRequired(), NumberRange(1, 240)])
    submit = SubmitField(_l("Show check-in code"))


class ConfirmForm(FlaskForm):
    """A button that posts with a CSRF token."""

    submit = SubmitField(_l("Confirm"))
