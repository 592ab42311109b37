"""The shell of the site: dashboard, health check, language switch, error pages and security headers."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import sqlalchemy as sa
from flask import Blueprint, Flask, current_app, jsonify, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from . import audit, features
from .database import reset_write_intent
from .extensions import db, limiter
from .markup import render_markdown
from .permissions import can, permission_required

bp = Blueprint("core", __name__)

IMPORT_STATUS_LABELS = {
    "created": _l("Created"), "updated": _l("Updated"), "unchanged": _l("Unchanged"),
    "archived": _l("Archived"), "rejected": _l("Rejected"),
}


@bp.route("/")
@login_required
def dashboard():
    """The signed-in user's start page: one panel per feature they can use, with real data."""
    panels = []
    for panel in features.registry().panels:
        if panel.permission and not can(current_user, panel.permission):
            continue
        context = panel.context(current_user)
        if context is not None:
            panels.append((panel, context))
    return render_template("dashboard.html", panels=panels)


@bp.route("/healthz")
@limiter.exempt
def healthz():
    """Liveness and database reachability, as JSON (503 when the database does not answer)."""
    try:
        db.session.execute(sa.text("SELECT 1"))
        db.session.rollback()
    except Exception:  # any failure to reach the database is the answer here
        db.session.rollback()
        return jsonify(status="degraded", database="error"), 503
    return jsonify(status="ok", database="ok")


@bp.route("/language", methods=["POST"])
def set_language():
    """Switch the interface language; remembered on the account, or in the session when signed out."""
    code = request.form.get("language", "")
    if code in current_app.config["LANGUAGES"]:
        session["language"] = code
        if current_user.is_authenticated:
            current_user.preferred_language = code
            db.session.commit()
    target = request.form.get("next") or request.referrer or url_for("core.dashboard")
    if not target.startswith("/") or target.startswith("//"):
        target = url_for("core.dashboard")
    return redirect(target)


@bp.route("/admin/audit")
@permission_required("audit.view")
def audit_log():
    """The audit log, newest first, filtered by action, account and date."""
    action = request.args.get("action", "").strip()
    actor = request.args.get("actor", "").strip()
    since = _parse_date(request.args.get("since"))
    until = _parse_date(request.args.get("until"))
    query = sa.select(audit.AuditEvent).order_by(audit.AuditEvent.at.desc(), audit.AuditEvent.id.desc())
    if action:
        query = query.where(audit.AuditEvent.action.startswith(action))
    if actor:
        query = query.where(audit.AuditEvent.actor_name == actor)
    if since:
        query = query.where(audit.AuditEvent.at >= datetime.combine(since, time.min))
    if until:
        query = query.where(audit.AuditEvent.at < datetime.combine(until + timedelta(days=1), time.min))
    page = db.paginate(query, per_page=50, error_out=False)
    return render_template("audit.html", page=page, action=action, actor=actor,
                           since=request.args.get("since", ""), until=request.args.get("until", ""))


def _parse_date(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _error_page(status: int, title: str, message: str):
    if request.accept_mimetypes.best == "application/json" or request.path.startswith("/api/"):
        return jsonify(error=title, message=message), status
    return render_template("errors/error.html", status=status, title=title, message=message), status


def register_error_pages(app: Flask) -> None:
    """Error pages in the user's language; a failed request leaves nothing half-written."""

    @app.errorhandler(CSRFError)
    def csrf_error(error):
        db.session.rollback()
        return _error_page(400, _("The form has expired"),
                           _("The page was open too long or the form was sent from elsewhere. "
                             "Go back, reload the page and try again."))

    @app.errorhandler(400)
    def bad_request(error):
        db.session.rollback()
        return _error_page(400, _("Bad request"), _("The request could not be understood."))

    @app.errorhandler(403)
    def forbidden(error):
        db.session.rollback()
        if current_user.is_authenticated:
            audit.record(current_user, "permission.refused", ("path", request.path[:64]),
                         detail=request.method)
            db.session.commit()
        return _error_page(403, _("Not allowed"), _("You do not have permission to see this page."))

    @app.errorhandler(404)
    def not_found(error):
        db.session.rollback()
        return _error_page(404, _("Page not found"), _("There is nothing at this address."))

    @app.errorhandler(405)
    def method_not_allowed(error):
        db.session.rollback()
        return _error_page(405, _("Not allowed"), _("This address does not accept that kind of request."))

    @app.errorhandler(413)
    def too_large(error):
        db.session.rollback()
        return _error_page(413, _("File too large"),
                           _("The upload is larger than %(size)d MB.",
                             size=current_app.config["MAX_CONTENT_LENGTH"] // (1024 * 1024)))

    @app.errorhandler(429)
    def too_many(error):
        db.session.rollback()
        return _error_page(429, _("Too many attempts"),
                           _("Too many attempts in a short time. Wait a minute and try again."))

    @app.errorhandler(500)
    def server_error(error):
        db.session.rollback()
        return _error_page(500, _("Something went wrong"),
                           _("The page could not be shown. Nothing was saved. Try again in a moment."))

    @app.errorhandler(sa.exc.OperationalError)
    def database_error(error):
        db.session.rollback()
        current_app.logger.exception("database error")
        return _error_page(503, _("The database is not available"),
                           _("The site cannot reach its database just now. Nothing was saved. "
                             "Try again in a moment."))

    @app.errorhandler(HTTPException)
    def other_http_error(error):
        db.session.rollback()
        return _error_page(error.code or 500, error.name, error.description or "")


CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "font-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; "
    "frame-ancestors 'none'"
)


def register_security_headers(app: Flask) -> None:
    """Headers every response carries; personal pages are never cached."""

    @app.after_request
    def _headers(response):
        headers = response.headers
        headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Referrer-Policy", "same-origin")
        headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        if current_user and current_user.is_authenticated and request.endpoint not in ("static",
                                                                                       "bootstrap.static"):
            headers["Cache-Control"] = "no-store"
        if current_app.config["HTTPS"]:
            headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        return response

    @app.teardown_request
    def _reset(_exc):
        reset_write_intent()


def register_template_helpers(app: Flask) -> None:
    """Functions and filters every template may use."""
    app.add_template_filter(render_markdown, "markdown")

    @app.context_processor
    def _helpers():
        registry = features.registry()
        user = current_user if current_user.is_authenticated else None
        banners = []
        if user is not None:
            for source in registry.banners:
                banner = source(user)
                if banner:
                    banners.append(banner)
        return {
            "can": lambda permission, obj=None: can(current_user, permission, obj),
            "nav_items": [item for item in registry.nav if user is not None
                          and (item.permission is None or can(user, item.permission))],
            "admin_nav_items": [item for item in registry.admin_nav if user is not None
                                and can(user, item.permission)],
            "banners": banners,
            "languages": current_app.config["LANGUAGES"],
            "status_labels": IMPORT_STATUS_LABELS,
        }


def init_app(app: Flask) -> None:
    """Wire the shell into the app."""
    app.register_blueprint(bp)
    features.add_nav(app, "core.audit_log", _l("Audit log"), "audit.view", order=90, admin=True)
    register_error_pages(app)
    register_security_headers(app)
    register_template_helpers(app)
