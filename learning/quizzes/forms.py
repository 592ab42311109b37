"""Forms of the question bank, grading, test windows, assignments and overrides."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    DateTimeLocalField,
    FloatField,
    IntegerField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, Regexp

from .models import QUESTION_TYPE_LABELS, QuestionType

KEY_RULE = Regexp(r"^[a-z0-9][a-z0-9_-]{0,63}$", message=_l("Lower-case letters, digits and dashes only."))


class QuestionForm(FlaskForm):
    """A question of the bank; saving an existing one makes a new version."""

    bank = StringField(_l("Bank"), validators=[DataRequired(), KEY_RULE])
    key = StringField(_l("Key"), validators=[DataRequired(), KEY_RULE])
    language = SelectField(_l("Language"), choices=[("zh", "中文"), ("en", "English")])
    type = SelectField(_l("Type"), choices=[(kind.value, label) for kind, label in QUESTION_TYPE_LABELS.items()])
    difficulty = SelectField(_l("Difficulty"), coerce=int,
                             choices=[(1, _l("Easy")), (2, _l("Medium")), (3, _l("Hard"))])
    points = FloatField(_l("Points"), default=1, validators=[DataRequired(), NumberRange(min=0.5, max=100)])
    tags = StringField(_l("Tags"), description=_l("Separated by commas."), validators=[Length(max=300)])
    text = TextAreaField(_l("Question (Markdown)"), validators=[DataRequired(), Length(max=5000)],
                         render_kw={"rows": 4})
    options = TextAreaField(_l("Options"), render_kw={"rows": 5},
                            description=_l("Single and multiple choice: one option per line; start a correct "
                                           "option with *."))
    scoring = SelectField(_l("Multiple-choice scoring"),
                          choices=[("all_or_nothing", _l("All or nothing")),
                                   ("partial", _l("Partial credit, wrong choices deduct"))])
    answer = SelectField(_l("True or false: the answer"), choices=[("true", _l("True")), ("false", _l("False"))])
    answers = TextAreaField(_l("Accepted answers"), render_kw={"rows": 3},
                            description=_l("Fill in the blank: one accepted answer per line."))
    rubric = TextAreaField(_l("Rubric"), render_kw={"rows": 4},
                           description=_l("Short answer: what the grader looks for, with points."))
    explanation = TextAreaField(_l("Explanation"), render_kw={"rows": 3}, validators=[Length(max=5000)])
    source = StringField(_l("Legal source (law and article)"), validators=[Length(max=500)])
    submit = SubmitField(_l("Save as a new version"))

    def question_data(self) -> dict:
        """The form as the question data that ``loader.validate_question`` accepts."""
        options = []
        for line in (self.options.data or "").splitlines():
            line = line.strip()
            if line:
                correct = line.startswith("*")
                options.append({"text": line.lstrip("*").strip(), "correct": correct})
        raw = {
            "key": self.key.data.strip(), "type": self.type.data, "difficulty": self.difficulty.data,
            "points": self.points.data, "text": self.text.data,
            "tags": [tag.strip() for tag in (self.tags.data or "").split(",") if tag.strip()],
            "explanation": self.explanation.data, "source": self.source.data,
        }
        kind = QuestionType(self.type.data)
        if kind in (QuestionType.single, QuestionType.multiple):
            raw["options"] = options
            if kind == QuestionType.multiple:
                raw["scoring"] = self.scoring.data
        elif kind == QuestionType.truefalse:
            raw["answer"] = self.answer.data == "true"
        elif kind == QuestionType.fill:
            raw["answers"] = [line.strip() for line in (self.answers.data or "").splitlines() if line.strip()]
        else:
            raw["rubric"] = self.rubric.data
        return raw


class GradeForm(FlaskForm):
    """A grader's points and feedback for one short answer."""

    points = FloatField(_l("Points given"), validators=[InputRequired(message=_l("Give the points (0 is allowed).")),
                                                  NumberRange(min=0)])
    feedback = TextAreaField(_l("Feedback to the learner"), validators=[Length(max=2000)], render_kw={"rows": 3})
    submit = SubmitField(_l("Save the grade"))


class WindowForm(FlaskForm):
    """When a test opens and closes (local time)."""

    opens_at = DateTimeLocalField(_l("Opens"), validators=[Optional()], format="%Y-%m-%dT%H:%M")
    closes_at = DateTimeLocalField(_l("Closes"), validators=[Optional()], format="%Y-%m-%dT%H:%M")
    submit = SubmitField(_l("Save the window"))


class AssignForm(FlaskForm):
    """Assign a test to a department, a staff category or named people."""

    department_id = SelectField(_l("Department"), coerce=int)
    staff_category = SelectField(_l("Staff category"), choices=[("", "—"), ("cadre", _l("Cadres")),
                                                                ("auxiliary", _l("Auxiliary staff"))])
    usernames = StringField(_l("Employee numbers"), description=_l("Separated by commas or spaces."),
                            validators=[Length(max=1000)])
    due_on = DateField(_l("Due date"), validators=[Optional()])
    reason = StringField(_l("Reason"), validators=[Length(max=300)])
    submit = SubmitField(_l("Assign"))


class OverrideForm(FlaskForm):
    """Other rules for one person, with the reason."""

    username = StringField(_l("Employee number"), validators=[DataRequired(), Length(max=32)])
    extra_minutes = IntegerField(_l("Extra minutes"), default=0, validators=[Optional(), NumberRange(min=0, max=600)])
    extra_attempts = IntegerField(_l("Extra attempts"), default=0,
                                  validators=[Optional(), NumberRange(min=0, max=20)])
    opens_at = DateTimeLocalField(_l("Own window opens"), validators=[Optional()], format="%Y-%m-%dT%H:%M")
    closes_at = DateTimeLocalField(_l("Own window closes"), validators=[Optional()], format="%Y-%m-%dT%H:%M")
    reason = StringField(_l("Reason"), validators=[DataRequired(), Length(max=300)])
    submit = SubmitField(_l("Save the override"))
