"""Sign-in, own account, and the administration of accounts and departments."""

from __future__ import annotations

from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from .. import audit
from ..auth import mark_authenticated, reauth_required
from ..database import begin_write, read_first
from ..extensions import client_address, db, limiter
from ..permissions import permission_required
from . import services
from .forms import (
    AccountForm,
    ChangePasswordForm,
    ConfirmForm,
    ConfirmPasswordForm,
    DepartmentForm,
    ImportForm,
    LoginForm,
)
from .models import Department, DepartmentKind, StaffCategory, User

bp = Blueprint("people", __name__, template_folder="templates")


def _login_account_key() -> str:
    """Rate-limit key for sign-in attempts against one account."""
    return "login-account:" + (request.form.get("username") or "").strip().lower()


def _safe_next(target: str | None) -> str:
    """Only same-site paths are followed after sign-in."""
    if target and target.startswith("/") and not target.startswith("//") and not urlsplit(target).netloc:
        return target
    return url_for("core.dashboard")


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_LIMIT_PER_ACCOUNT"], key_func=_login_account_key,
               methods=["POST"], exempt_when=lambda: not (request.form.get("username") or "").strip())
@limiter.limit(lambda: current_app.config["LOGIN_LIMIT_PER_ADDRESS"], methods=["POST"])
def login():
    """Sign in with employee number and password; any failure gets the same message."""
    if current_user.is_authenticated:
        return redirect(url_for("core.dashboard"))
    form = LoginForm()
    if form.validate_on_submit():
        read_first()  # the password check is slow: take SQLite's write lock only after it
        user = services.authenticate(form.username.data, form.password.data)
        begin_write()
        if user is None:
            audit.record(None, "auth.failed", ("User", form.username.data.strip()[:64]))
            db.session.commit()
            flash(_("The employee number or password is not correct, or the account is not active."),
                  "danger")
            return render_template("people/login.html", form=form), 200
        language = session.get("language")
        session.clear()  # a fresh session at sign-in: nothing carried over from before
        if language:
            session["language"] = language
        services.start_session(user, form.remember.data, client_address(), request.user_agent.string)
        login_user(user, remember=form.remember.data)
        mark_authenticated()
        audit.record(user, "auth.signed_in", user)
        db.session.commit()
        return redirect(_safe_next(request.args.get("next")))
    return render_template("people/login.html", form=form)


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    """Sign out: the session ends on the server too."""
    services.end_session(current_user.session_token)
    audit.record(current_user, "auth.signed_out", current_user)
    db.session.commit()
    logout_user()
    flash(_("You are signed out."), "info")
    return redirect(url_for("people.login"))


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password():
    """Change one's own password; other sessions of the account end."""
    form = ChangePasswordForm()
    form._username = current_user.username
    if form.validate_on_submit():
        if not current_user.check_password(form.current_password.data):
            form.current_password.errors.append(_("The current password is not correct."))
        else:
            services.change_password(current_user, form.new_password.data, current_user.session_token)
            db.session.commit()
            mark_authenticated()
            flash(_("Your password has been changed. Other devices have been signed out."), "success")
            return redirect(url_for("core.dashboard"))
    return render_template("people/change_password.html", form=form)


@bp.route("/account/confirm", methods=["GET", "POST"])
@login_required
@limiter.limit(lambda: current_app.config["LOGIN_LIMIT_PER_ACCOUNT"], methods=["POST"],
               key_func=lambda: f"confirm:{current_user.get_id()}")
def confirm_password():
    """Enter the password again before a sensitive action (role changes, full exports, publishing)."""
    form = ConfirmPasswordForm()
    if form.validate_on_submit():
        if current_user.check_password(form.password.data):
            mark_authenticated()
            return redirect(_safe_next(request.args.get("next")))
        audit.record(current_user, "auth.confirm_failed", current_user)
        db.session.commit()
        form.password.errors.append(_("The password is not correct."))
    return render_template("people/confirm_password.html", form=form)


# --- administration -------------------------------------------------------------------------------

def _fill_choices(form: AccountForm | DepartmentForm) -> None:
    options = [(0, "—")] + [(d.id, d.name) for d in services.departments()]
    if isinstance(form, AccountForm):
        form.department_id.choices = options
        form.preferred_language.choices = [("", _("Follow the browser"))] + list(
            current_app.config["LANGUAGES"].items())
    else:
        form.parent_id.choices = options


@bp.route("/admin/users")
@permission_required("people.manage")
def users():
    """Accounts, searchable by employee number or name, filterable by department and role."""
    search = request.args.get("q", "").strip()
    department_id = request.args.get("department", type=int)
    role = request.args.get("role") or None
    page = db.paginate(services.users_query(search, department_id, role),
                       per_page=current_app.config["PER_PAGE"], error_out=False)
    return render_template("people/users.html", page=page, search=search, department_id=department_id,
                           role=role, departments=services.departments())


@bp.route("/admin/users/new", methods=["GET", "POST"])
@permission_required("people.manage")
@reauth_required
def create_user():
    """Create an account with a temporary password."""
    form = AccountForm()
    _fill_choices(form)
    if request.method == "GET":
        form.roles.data = ["learner"]
    if form.validate_on_submit():
        if services.find_user(form.username.data):
            form.username.errors.append(_("An account with this employee number exists already."))
        else:
            user, temporary = services.create_account(
                current_user, username=form.username.data, display_name=form.display_name.data,
                staff_category=StaffCategory(form.staff_category.data),
                department=db.session.get(Department, form.department_id.data or 0),
                roles=form.roles.data, preferred_language=form.preferred_language.data or None)
            user.is_active_account = form.is_active.data
            db.session.commit()
            return _show_temporary_password(user, temporary)
    return render_template("people/user_form.html", form=form, user=None)


def _show_temporary_password(user: User, password: str):
    response = current_app.make_response(
        render_template("people/temporary_password.html", user=user, password=password))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/admin/users/<int:user_id>/edit", methods=["GET", "POST"])
@permission_required("people.manage")
@reauth_required
def edit_user(user_id: int):
    """Edit an account's details and roles."""
    user = db.get_or_404(User, user_id)
    form = AccountForm(obj=user)
    _fill_choices(form)
    if request.method == "GET":
        form.roles.data = sorted(user.role_names)
        form.is_active.data = user.is_active_account
        form.staff_category.data = user.staff_category.value
        form.department_id.data = user.department_id or 0
        form.preferred_language.data = user.preferred_language or ""
    if form.validate_on_submit():
        other = services.find_user(form.username.data)
        if other is not None and other.id != user.id:
            form.username.errors.append(_("An account with this employee number exists already."))
        else:
            try:
                services.update_account(
                    current_user, user, username=form.username.data.strip(),
                    display_name=form.display_name.data.strip(),
                    staff_category=StaffCategory(form.staff_category.data),
                    department=db.session.get(Department, form.department_id.data or 0),
                    preferred_language=form.preferred_language.data or None,
                    is_active_account=form.is_active.data, roles=form.roles.data)
            except services.AccountError as error:
                flash(str(error), "warning")
                return render_template("people/user_form.html", form=form, user=user, confirm=ConfirmForm())
            db.session.commit()
            flash(_("The account has been saved."), "success")
            return redirect(url_for("people.users"))
    return render_template("people/user_form.html", form=form, user=user, confirm=ConfirmForm())


@bp.route("/admin/users/<int:user_id>/deactivate", methods=["POST"])
@permission_required("people.manage")
def deactivate_user(user_id: int):
    """Deactivate an account; its open sessions end at their next request."""
    user = db.get_or_404(User, user_id)
    if user.id == current_user.id:
        abort(400)
    services.set_active(current_user, user, False)
    db.session.commit()
    flash(_("%(name)s can no longer sign in.", name=user.display_name), "success")
    return redirect(url_for("people.users"))


@bp.route("/admin/users/<int:user_id>/reactivate", methods=["POST"])
@permission_required("people.manage")
def reactivate_user(user_id: int):
    """Let a deactivated account sign in again."""
    user = db.get_or_404(User, user_id)
    services.set_active(current_user, user, True)
    db.session.commit()
    flash(_("%(name)s can sign in again.", name=user.display_name), "success")
    return redirect(url_for("people.users"))


@bp.route("/admin/users/<int:user_id>/reset-password", methods=["POST"])
@permission_required("people.manage")
def reset_password(user_id: int):
    """Give the account a temporary password; it must be changed at the next sign-in."""
    user = db.get_or_404(User, user_id)
    password = services.reset_password(current_user, user)
    db.session.commit()
    return _show_temporary_password(user, password)


@bp.route("/admin/users/import", methods=["GET", "POST"])
@permission_required("people.manage")
def import_users():
    """Import the roster from CSV or .xlsx; shows what happened to every row."""
    form = ImportForm()
    report = None
    if form.validate_on_submit():
        upload = form.file.data
        report = services.import_roster(current_user, upload.read(), upload.filename or "roster.csv")
        if report.error:
            db.session.rollback()
            flash(report.error, "danger")
        else:
            db.session.commit()
    response = current_app.make_response(render_template("people/import.html", form=form, report=report))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/admin/departments")
@permission_required("people.manage")
def department_list():
    """Departments with their number of active accounts."""
    page = db.paginate(sa.select(Department).order_by(Department.kind.desc(), Department.code),
                       per_page=current_app.config["PER_PAGE"], error_out=False)
    ids = [department.id for department in page.items]
    counts = dict(db.session.execute(
        sa.select(User.department_id, sa.func.count(User.id))
        .where(User.department_id.in_(ids), User.is_active_account.is_(True))
        .group_by(User.department_id)).all())
    rows = [(department, counts.get(department.id, 0)) for department in page.items]
    return render_template("people/departments.html", page=page, rows=rows)


@bp.route("/admin/departments/new", methods=["GET", "POST"])
@bp.route("/admin/departments/<int:department_id>/edit", methods=["GET", "POST"])
@permission_required("people.manage")
def edit_department(department_id: int | None = None):
    """Create or edit a department."""
    department = db.get_or_404(Department, department_id) if department_id else None
    form = DepartmentForm(obj=department)
    _fill_choices(form)
    if request.method == "GET" and department:
        form.kind.data = department.kind.value
        form.parent_id.data = department.parent_id or 0
    if form.validate_on_submit():
        clash = db.session.execute(sa.select(Department).where(Department.code == form.code.data.strip())
                                   ).scalar_one_or_none()
        parent = db.session.get(Department, form.parent_id.data or 0)
        if clash is not None and clash is not department:
            form.code.errors.append(_("Another department has this code."))
        elif department is not None and parent is department:
            form.parent_id.errors.append(_("A department cannot be its own parent."))
        else:
            if department is None:
                services.create_department(current_user, form.code.data, form.name.data,
                                           DepartmentKind(form.kind.data), parent)
            else:
                before = {"code": department.code, "name": department.name}
                department.code, department.name = form.code.data.strip(), form.name.data.strip()
                department.kind, department.parent = DepartmentKind(form.kind.data), parent
                audit.record(current_user, "department.updated", department, before=before,
                             after={"code": department.code, "name": department.name})
            db.session.commit()
            flash(_("The department has been saved."), "success")
            return redirect(url_for("people.department_list"))
    return render_template("people/department_form.html", form=form, department=department)


@bp.app_context_processor
def _labels():
    """Translated labels of roles, staff categories and department kinds, for every template."""
    from ..permissions import ROLE_LABELS
    from .models import DEPARTMENT_KIND_LABELS, STAFF_CATEGORY_LABELS

    return {"role_labels": ROLE_LABELS, "category_labels": STAFF_CATEGORY_LABELS,
            "kind_labels": DEPARTMENT_KIND_LABELS}
