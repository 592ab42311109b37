"""Sign-in plumbing: the login manager loads users from server-side sessions."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Flask, redirect, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy.orm import joinedload

from .audit import utcnow
from .extensions import db, login_manager

# Endpoints a user who must change their password may still reach.
_PASSWORD_CHANGE_EXEMPT = {"people.change_password", "people.logout", "core.set_language", "static",
                           "bootstrap.static", "core.healthz"}


def init_app(app: Flask) -> None:
    """Configure Flask-Login for the app."""
    login_manager.login_view = "people.login"
    login_manager.login_message = _l("Please sign in to see this page.")
    login_manager.login_message_category = "info"
    login_manager.session_protection = "strong"

    @app.before_request
    def _force_password_change():
        if (current_user.is_authenticated and current_user.must_change_password
                and request.endpoint not in _PASSWORD_CHANGE_EXEMPT):
            return redirect(url_for("people.change_password"))
        return None


@login_manager.user_loader
def load_user(token: str):
    """The user of a live session token, or None when the session ended or the account is inactive."""
    from .people.models import LoginSession, User

    row = db.session.execute(
        sa.select(LoginSession)
        .options(joinedload(LoginSession.user).joinedload(User.roles))
        .where(LoginSession.token == token)
    ).unique().scalar_one_or_none()
    if row is None or row.revoked_at is not None or row.expires_at < utcnow() or not row.user.is_active:
        return None
    row.user.session_token = row.token
    return row.user


REAUTH_WINDOW_SECONDS = 10 * 60


def mark_authenticated() -> None:
    """Note that the user has just proved their password (at sign-in or when confirming it)."""
    from flask import session

    session["auth_at"] = int(utcnow().timestamp())


def recently_authenticated() -> bool:
    """Whether the password was entered within the re-authentication window."""
    from flask import session

    return int(utcnow().timestamp()) - int(session.get("auth_at", 0)) <= REAUTH_WINDOW_SECONDS


def confirm_password_first():
    """A redirect to the password confirmation when it is due (None when the password is fresh).

    After confirming, a GET comes back to the same address; a POST cannot be replayed, so the user
    returns to the page the form was on and repeats the action.
    """
    from flask import flash
    from flask_babel import gettext as _

    if not current_user.is_authenticated or recently_authenticated():
        return None
    if request.method == "GET":
        target = request.full_path
    else:
        referrer = request.referrer or "/"
        target = referrer.split(request.host, 1)[-1] if request.host in referrer else "/"
        flash(_("Confirm your password, then repeat the action."), "warning")
    return redirect(url_for("people.confirm_password", next=target))


def reauth_required(view):
    """View decorator for the most sensitive actions: the password must have been entered lately."""
    from functools import wraps

    @wraps(view)
    def wrapped(*args, **kwargs):
        return confirm_password_first() or view(*args, **kwargs)

    return wrapped
