"""Forms of the integrity commitments and books."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, IntegerField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from .models import AUDIENCE_LABELS


class LetterForm(FlaskForm):
    """A new letter: title, year, audience and the text of its first version."""

    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    year = IntegerField(_l("Year"), validators=[DataRequired(), NumberRange(min=2000, max=2100)])
    audience = SelectField(_l("Who signs"), choices=[(k.value, v) for k, v in AUDIENCE_LABELS.items()])
    body = TextAreaField(_l("Text (Markdown)"), validators=[DataRequired(), Length(max=20000)],
                         render_kw={"rows": 12})
    submit = SubmitField(_l("Save draft"))


class DraftForm(FlaskForm):
    """The text of the next version."""

    body = TextAreaField(_l("Text (Markdown)"), validators=[DataRequired(), Length(max=20000)],
                         render_kw={"rows": 14})
    submit = SubmitField(_l("Save draft"))


class SignForm(FlaskForm):
    """Sign online by typing one's full name."""

    full_name = StringField(_l("Type your full name to sign"), validators=[DataRequired(), Length(max=80)],
                            render_kw={"autocomplete": "off"})
    submit = SubmitField(_l("Sign the letter"))


class CollectiveForm(FlaskForm):
    """A collective signing session."""

    held_on = DateField(_l("Date"), validators=[DataRequired()])
    place = StringField(_l("Place"), validators=[DataRequired(), Length(max=120)])
    submit = SubmitField(_l("Create collective signing"))


class PaperSignaturesForm(FlaskForm):
    """Employee numbers of those who signed on paper."""

    usernames = TextAreaField(_l("Employee numbers of those who signed on paper"),
                              validators=[DataRequired(), Length(max=20000)], render_kw={"rows": 4})
    submit = SubmitField(_l("Record signatures"))


class BookForm(FlaskForm):
    """A title of the integrity-books catalogue."""

    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    author = StringField(_l("Author"), validators=[Optional(), Length(max=120)])
    publisher = StringField(_l("Publisher"), validators=[Optional(), Length(max=120)])
    description = TextAreaField(_l("Description (Markdown)"), validators=[Optional(), Length(max=5000)],
                                render_kw={"rows": 4})
    submit = SubmitField(_l("Save book"))


class PresentForm(FlaskForm):
    """Give the book to people on an occasion."""

    usernames = TextAreaField(_l("Employee numbers of recipients"), validators=[DataRequired(), Length(max=5000)],
                              render_kw={"rows": 2})
    presented_on = DateField(_l("Date"), validators=[DataRequired()])
    occasion = StringField(_l("Occasion"), validators=[DataRequired(), Length(max=200)])
    submit = SubmitField(_l("Record presentation"))


class ReflectionForm(FlaskForm):
    """A short reading reflection."""

    body = TextAreaField(_l("Your reading reflection (Markdown)"), validators=[DataRequired(), Length(max=5000)],
                         render_kw={"rows": 6})
    submit = SubmitField(_l("Save reflection"))
