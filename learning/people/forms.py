"""Forms for signing in, passwords, accounts, departments and the roster import."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import BooleanField, PasswordField, SelectField, SelectMultipleField, StringField, SubmitField
from wtforms.validators import DataRequired, EqualTo, Length, Optional, Regexp, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from ..permissions import ROLE_LABELS, ROLES
from .models import DEPARTMENT_KIND_LABELS, STAFF_CATEGORY_LABELS
from .services import password_problems


class LoginForm(FlaskForm):
    """Employee number and password."""

    username = StringField(_l("Employee number"), validators=[DataRequired(), Length(max=32)],
                           render_kw={"autocomplete": "username", "autofocus": True})
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=256)],
                             render_kw={"autocomplete": "current-password"})
    remember = BooleanField(_l("Keep me signed in on this device (14 days)"))
    submit = SubmitField(_l("Sign in"))


class StrongPassword:
    """Validator: the password policy of ``password_problems``."""

    def __call__(self, form, field):
        username = getattr(form, "_username", "")
        problems = password_problems(field.data or "", username)
        if problems:
            raise ValidationError(" ".join(problems))


class ChangePasswordForm(FlaskForm):
    """The current password, then the new one twice."""

    current_password = PasswordField(_l("Current password"), validators=[DataRequired()],
                                     render_kw={"autocomplete": "current-password"})
    new_password = PasswordField(_l("New password"), validators=[DataRequired(), StrongPassword()],
                                 render_kw={"autocomplete": "new-password"})
    confirm = PasswordField(_l("Repeat the new password"),
                            validators=[DataRequired(), EqualTo("new_password", _l("The passwords differ."))],
                            render_kw={"autocomplete": "new-password"})
    submit = SubmitField(_l("Change password"))


class MultiCheckboxField(SelectMultipleField):
    """A list of checkboxes."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def role_choices():
    """Role choices with their translated labels."""
    return [(role, ROLE_LABELS[role]) for role in ROLES]


class AccountForm(FlaskForm):
    """Create or edit an account."""

    username = StringField(_l("Employee number"), validators=[
        DataRequired(), Length(max=32), Regexp(r"^\S+$", message=_l("No spaces, please."))])
    display_name = StringField(_l("Name"), validators=[DataRequired(), Length(max=80)])
    staff_category = SelectField(_l("Staff category"),
                                 choices=[(key.value, label) for key, label in STAFF_CATEGORY_LABELS.items()])
    department_id = SelectField(_l("Department"), coerce=int, validators=[Optional()])
    preferred_language = SelectField(_l("Language"), validators=[Optional()])
    roles = MultiCheckboxField(_l("Roles"), choices=role_choices)
    is_active = BooleanField(_l("Active"), default=True)
    submit = SubmitField(_l("Save"))


class DepartmentForm(FlaskForm):
    """Create or edit a department."""

    code = StringField(_l("Code"), validators=[DataRequired(), Length(max=32)])
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    kind = SelectField(_l("Kind"), choices=[(key.value, label) for key, label in DEPARTMENT_KIND_LABELS.items()])
    parent_id = SelectField(_l("Parent department"), coerce=int, validators=[Optional()])
    submit = SubmitField(_l("Save"))


class ImportForm(FlaskForm):
    """Upload a CSV or .xlsx file."""

    file = FileField(_l("File (.csv or .xlsx)"), validators=[
        FileRequired(), FileAllowed(["csv", "xlsx", "txt"], _l("Upload a .csv or .xlsx file."))])
    submit = SubmitField(_l("Import"))


class ConfirmForm(FlaskForm):
    """An empty form: a button that posts with a CSRF token."""

    submit = SubmitField(_l("Confirm"))


class ConfirmPasswordForm(FlaskForm):
    """The password again, before a sensitive action."""

    password = PasswordField(_l("Password"), validators=[DataRequired()],
                             render_kw={"autocomplete": "current-password", "autofocus": True})
    submit = SubmitField(_l("Confirm"))
