"""Forms of the mentorship programme."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, DecimalField, IntegerField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from .models import PAIRING_STATUS_LABELS, TALK_KIND_LABELS, PairingStatus


class PairingForm(FlaskForm):
    """The programme owner pairs a mentor with an apprentice."""

    mentor_id = SelectField(_l("Mentor"), coerce=int, validators=[DataRequired()])
    apprentice_id = SelectField(_l("Apprentice"), coerce=int, validators=[DataRequired()])
    term_start = DateField(_l("Term starts"), validators=[DataRequired()])
    term_end = DateField(_l("Term ends"), validators=[DataRequired()])
    cadence_days = IntegerField(_l("Expected cadence (days between talks)"), default=30,
                                validators=[DataRequired(), NumberRange(min=7, max=365)])
    goals = TextAreaField(_l("Goals (Markdown)"), validators=[DataRequired(), Length(max=5000)],
                          render_kw={"rows": 5})
    submit = SubmitField(_l("Create pairing"))


class TalkForm(FlaskForm):
    """The mentor logs a session."""

    held_on = DateField(_l("Date"), validators=[DataRequired()])
    minutes = IntegerField(_l("Duration (minutes)"), validators=[DataRequired(), NumberRange(min=5, max=600)])
    kind = SelectField(_l("Kind"), choices=[(k.value, v) for k, v in TALK_KIND_LABELS.items()])
    topics = StringField(_l("Topics"), validators=[DataRequired(), Length(max=200)])
    summary = TextAreaField(_l("Summary the apprentice sees (Markdown)"),
                            validators=[DataRequired(), Length(max=5000)], render_kw={"rows": 5})
    private_note = TextAreaField(_l("Private note (only you will ever see it)"),
                                 validators=[Optional(), Length(max=5000)], render_kw={"rows": 3})
    submit = SubmitField(_l("Log talk"))


class NoteForm(FlaskForm):
    """A private note on a talk."""

    body = TextAreaField(_l("Private note (only you will ever see it)"),
                         validators=[DataRequired(), Length(max=5000)], render_kw={"rows": 4})
    submit = SubmitField(_l("Save note"))


class EvaluationForm(FlaskForm):
    """End of term: a rating from 1 to 5 and comments."""

    rating = SelectField(_l("Rating"), coerce=int, choices=[(n, str(n)) for n in range(5, 0, -1)])
    comments = TextAreaField(_l("Comments"), validators=[DataRequired(), Length(max=5000)], render_kw={"rows": 5})
    submit = SubmitField(_l("Submit evaluation"))


class CloseForm(FlaskForm):
    """The programme owner closes a pairing."""

    status = SelectField(_l("Outcome"), choices=[(s.value, PAIRING_STATUS_LABELS[s])
                                                 for s in (PairingStatus.completed, PairingStatus.ended_early)])
    reason = TextAreaField(_l("Reason (required when ended early)"), validators=[Optional(), Length(max=2000)],
                           render_kw={"rows": 2})
    submit = SubmitField(_l("Close pairing"))


class SharingForm(FlaskForm):
    """An experience-sharing event."""

    speaker_id = SelectField(_l("Speaker"), coerce=int, validators=[DataRequired()])
    topic = StringField(_l("Topic"), validators=[DataRequired(), Length(max=200)])
    held_on = DateField(_l("Date"), validators=[DataRequired()])
    place = StringField(_l("Place"), validators=[Optional(), Length(max=120)])
    hours = DecimalField(_l("Credit hours for attending"), default=1, places=1,
                         validators=[Optional(), NumberRange(min=0, max=24)])
    summary = TextAreaField(_l("Summary (Markdown)"), validators=[Optional(), Length(max=5000)],
                            render_kw={"rows": 4})
    submit = SubmitField(_l("Save event"))


class AttendanceForm(FlaskForm):
    """Employee numbers of those who attended, one per line or separated by spaces or commas."""

    usernames = TextAreaField(_l("Employee numbers of attendees"), validators=[DataRequired(), Length(max=10000)],
                              render_kw={"rows": 3})
    submit = SubmitField(_l("Record attendance"))
