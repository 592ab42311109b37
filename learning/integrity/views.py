"""Pages of the integrity commitments: signing, printable letters, letters and versions, collective
signings, the per-department unsigned list, and integrity books."""

from __future__ import annotations

import re

import sqlalchemy as sa
from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import joinedload

from .. import permissions
from ..audit import utcnow
from ..extensions import db
from ..people.models import Department
from ..permissions import permission_required
from ..tables import export_response
from . import services
from .forms import (
    BookForm,
    CollectiveForm,
    DraftForm,
    LetterForm,
    PaperSignaturesForm,
    PresentForm,
    ReflectionForm,
    SignForm,
)
from .models import (
    AUDIENCE_LABELS,
    METHOD_LABELS,
    Audience,
    Book,
    BookPresentation,
    CollectiveSigning,
    Letter,
    LetterVersion,
    Signature,
)

bp = Blueprint("integrity", __name__, url_prefix="/integrity", template_folder="templates")

SEPARATORS = re.compile(r"[\s,，;；、]+")


def _per_page() -> int:
    return current_app.config["PER_PAGE"]


@bp.app_context_processor
def _labels():
    """Labels of audiences and signing methods for the templates."""
    return {"audience_labels": AUDIENCE_LABELS, "method_labels": METHOD_LABELS}


@bp.route("/")
@permission_required("integrity.sign")
def index():
    """My current letters (signed or not), my signatures and the books given to me."""
    rows = services.current_versions_for(current_user)
    signatures = db.paginate(
        sa.select(Signature).where(Signature.user_id == current_user.id)
        .options(joinedload(Signature.version)).order_by(Signature.id.desc()), per_page=_per_page(), error_out=False)
    books = db.session.execute(
        sa.select(BookPresentation).options(joinedload(BookPresentation.book))
        .where(BookPresentation.recipient_id == current_user.id)
        .order_by(BookPresentation.presented_on.desc()).limit(20)).scalars().all()
    return render_template("integrity/index.html", rows=rows, signatures=signatures, books=books)


@bp.route("/versions/<int:version_id>/sign", methods=["GET", "POST"])
@permission_required("integrity.sign")
def sign(version_id: int):
    """Read the current text of a letter and sign it by typing one's full name."""
    version = permissions.get_checked(LetterVersion, version_id, "integrity.sign")
    existing = db.session.execute(sa.select(Signature).where(
        Signature.user_id == current_user.id, Signature.version_id == version.id)).scalar_one_or_none()
    if existing is not None:
        return redirect(url_for("integrity.signature", signature_id=existing.id))
    if not version.is_current or not services.in_audience(current_user, version.letter.audience):
        abort(404)  # a manager previewing a version that is not theirs to sign
    form = SignForm()
    if form.validate_on_submit():
        try:
            signature = services.sign_online(current_user, version, form.full_name.data)
        except services.IntegrityError as error:
            db.session.rollback()
            form.full_name.errors.append(str(error))
        else:
            db.session.commit()
            flash(_("Thank you. Your signature has been recorded."), "success")
            return redirect(url_for("integrity.signature", signature_id=signature.id))
    return render_template("integrity/sign.html", version=version, form=form,
                           text_sha256=services.text_hash(version.body))


@bp.route("/signatures/<int:signature_id>")
@permission_required("integrity.sign")
def signature(signature_id: int):
    """The signed letter, printable, with the hash of the text and of the record."""
    signature = permissions.get_checked(Signature, signature_id, "integrity.sign")
    return render_template("integrity/signature.html", signature=signature)


# --- managing letters ------------------------------------------------------------------------------

@bp.route("/letters")
@permission_required("integrity.manage")
def letters():
    """Every letter with its current version and number of signatures."""
    page = db.paginate(sa.select(Letter).order_by(Letter.year.desc(), Letter.id.desc()),
                       per_page=_per_page(), error_out=False)
    current = {v.letter_id: v for v in db.session.execute(sa.select(LetterVersion).where(
        LetterVersion.letter_id.in_([letter.id for letter in page.items]),
        LetterVersion.is_current.is_(True))).scalars()}
    counts = services.signature_counts([v.id for v in current.values()])
    return render_template("integrity/letters.html", page=page, current=current, counts=counts)


@bp.route("/letters/new", methods=["GET", "POST"])
@permission_required("integrity.manage")
def new_letter():
    """A new letter: its first version starts as a draft."""
    form = LetterForm()
    if request.method == "GET":
        form.year.data = utcnow().year
    if form.validate_on_submit():
        letter = services.create_letter(current_user, form.title.data, form.year.data,
                                        Audience(form.audience.data), form.body.data)
        db.session.commit()
        flash(_("The letter has been saved as a draft. Publish it when it is ready."), "success")
        return redirect(url_for("integrity.letter", letter_id=letter.id))
    return render_template("integrity/letter_form.html", form=form)


@bp.route("/letters/<int:letter_id>")
@permission_required("integrity.manage")
def letter(letter_id: int):
    """A letter's versions, with signatures per version and the signing progress per department."""
    letter = db.get_or_404(Letter, letter_id)
    versions = db.paginate(sa.select(LetterVersion).where(LetterVersion.letter_id == letter.id)
                           .order_by(LetterVersion.number.desc()), per_page=_per_page(), error_out=False)
    counts = services.signature_counts([v.id for v in versions.items])
    current = next((v for v in versions.items if v.is_current), None)
    signings = db.session.execute(sa.select(CollectiveSigning).options(joinedload(CollectiveSigning.organiser))
                                  .where(CollectiveSigning.version_id == current.id)
                                  .order_by(CollectiveSigning.held_on.desc()).limit(20)).scalars().all() \
        if current else []
    return render_template("integrity/letter.html", letter=letter, versions=versions, counts=counts,
                           current=current, signings=signings,
                           departments=services.department_counts(current) if current else [])


@bp.route("/letters/<int:letter_id>/draft", methods=["GET", "POST"])
@permission_required("integrity.manage")
def edit_draft(letter_id: int):
    """Write the next version of a letter (starting from the current text)."""
    letter = db.get_or_404(Letter, letter_id)
    draft = services.draft_of(letter)
    form = DraftForm()
    if request.method == "GET":
        if draft is not None:
            form.body.data = draft.body
        else:
            current = db.session.execute(sa.select(LetterVersion).where(
                LetterVersion.letter_id == letter.id, LetterVersion.is_current.is_(True))).scalar_one_or_none()
            form.body.data = current.body if current else ""
    if form.validate_on_submit():
        services.save_draft(current_user, letter, form.body.data)
        db.session.commit()
        flash(_("The draft has been saved."), "success")
        return redirect(url_for("integrity.letter", letter_id=letter.id))
    return render_template("integrity/draft_form.html", form=form, letter=letter, draft=draft)


@bp.route("/versions/<int:version_id>/publish", methods=["POST"])
@permission_required("integrity.manage")
def publish(version_id: int):
    """Publish a draft: everyone in the audience is asked to sign it."""
    version = db.get_or_404(LetterVersion, version_id)
    try:
        services.publish_version(current_user, version)
    except services.IntegrityError as error:
        db.session.rollback()
        flash(str(error), "danger")
    else:
        db.session.commit()
        flash(_("Version %(n)d is published; everyone it is addressed to is asked to sign it.", n=version.number),
              "success")
    return redirect(url_for("integrity.letter", letter_id=version.letter_id))


@bp.route("/versions/<int:version_id>/unsigned")
@permission_required("integrity.manage")
def unsigned(version_id: int):
    """Who has not signed a version, by department; exportable."""
    version = db.get_or_404(LetterVersion, version_id)
    if not version.is_published:
        abort(404)
    department_id = request.args.get("department", type=int)
    query = services.unsigned_query(version, department_id)
    fmt = request.args.get("fmt")
    if fmt in ("xlsx", "csv"):
        people = db.session.execute(query).scalars().all()
        return export_response(
            [_("Employee number"), _("Name"), _("Department")],
            [(u.username, u.display_name, u.department.name if u.department else "") for u in people],
            f"unsigned-{version.letter_id}-v{version.number}", fmt)
    page = db.paginate(query, per_page=_per_page(), error_out=False)
    departments = db.session.execute(sa.select(Department).order_by(Department.code)).scalars().all()
    return render_template("integrity/unsigned.html", version=version, page=page, department_id=department_id,
                           departments=departments, counts=services.department_counts(version))


@bp.route("/versions/<int:version_id>/collective/new", methods=["GET", "POST"])
@permission_required("integrity.manage")
def new_collective(version_id: int):
    """Arrange a collective signing of the current version; the acting user is its organiser."""
    version = db.get_or_404(LetterVersion, version_id)
    form = CollectiveForm()
    if form.validate_on_submit():
        try:
            signing = services.create_collective_signing(current_user, version, form.held_on.data, form.place.data)
        except services.IntegrityError as error:
            db.session.rollback()
            flash(str(error), "danger")
        else:
            db.session.commit()
            return redirect(url_for("integrity.collective", signing_id=signing.id))
    return render_template("integrity/collective_form.html", form=form, version=version)


@bp.route("/collective/<int:signing_id>", methods=["GET", "POST"])
@permission_required("integrity.manage")
def collective(signing_id: int):
    """A collective signing: its organiser records who signed on paper; shows everyone recorded so far."""
    signing = db.get_or_404(CollectiveSigning, signing_id)
    form = PaperSignaturesForm() if signing.organiser_id == current_user.id and signing.version.is_current else None
    report = None
    if form is not None and form.validate_on_submit():
        try:
            report = services.record_paper_signatures(current_user, signing, SEPARATORS.split(form.usernames.data))
        except services.IntegrityError as error:
            db.session.rollback()
            flash(str(error), "danger")
        else:
            db.session.commit()
            flash(_("%(n)d signature(s) recorded.", n=len(report.signed)), "success")
    elif request.method == "POST" and form is None:
        abort(403)  # only the organiser records, and only while the version is current
    page = db.paginate(sa.select(Signature).options(joinedload(Signature.user))
                       .where(Signature.collective_signing_id == signing.id).order_by(Signature.id),
                       per_page=_per_page(), error_out=False)
    return render_template("integrity/collective.html", signing=signing, form=form, report=report, page=page)


# --- books ----------------------------------------------------------------------------------------

@bp.route("/books")
@permission_required("integrity.sign")
def books():
    """The integrity-books catalogue, with how often each title was given."""
    page = db.paginate(sa.select(Book).order_by(Book.title), per_page=_per_page(), error_out=False)
    given = dict(db.session.execute(
        sa.select(BookPresentation.book_id, sa.func.count(BookPresentation.id))
        .where(BookPresentation.book_id.in_([b.id for b in page.items])).group_by(BookPresentation.book_id)).all())
    return render_template("integrity/books.html", page=page, given=given)


@bp.route("/books/new", methods=["GET", "POST"])
@permission_required("integrity.manage")
def new_book():
    """Add a book to the catalogue."""
    form = BookForm()
    if form.validate_on_submit():
        book = services.create_book(current_user, form.title.data, form.author.data or "",
                                    form.publisher.data or "", form.description.data or "")
        db.session.commit()
        return redirect(url_for("integrity.book", book_id=book.id))
    return render_template("integrity/book_form.html", form=form)


@bp.route("/books/<int:book_id>")
@permission_required("integrity.sign")
def book(book_id: int):
    """A book; managers see every presentation (with reflections), others their own."""
    book = db.get_or_404(Book, book_id)
    query = sa.select(BookPresentation).options(joinedload(BookPresentation.recipient)) \
        .where(BookPresentation.book_id == book.id).order_by(BookPresentation.presented_on.desc())
    is_manager = permissions.can(current_user, "integrity.manage")
    if not is_manager:
        query = query.where(BookPresentation.recipient_id == current_user.id)
    page = db.paginate(query, per_page=_per_page(), error_out=False)
    form = PresentForm() if is_manager else None
    if form is not None and request.method == "GET":
        form.presented_on.data = utcnow().date()
    return render_template("integrity/book.html", book=book, page=page, form=form)


@bp.route("/books/<int:book_id>/present", methods=["POST"])
@permission_required("integrity.manage")
def present_book(book_id: int):
    """Record that the book was given to people on an occasion."""
    book = db.get_or_404(Book, book_id)
    form = PresentForm()
    if form.validate_on_submit():
        made, unknown = services.present_book(current_user, book, SEPARATORS.split(form.usernames.data),
                                              form.presented_on.data, form.occasion.data)
        db.session.commit()
        flash(_("%(n)d presentation(s) recorded.", n=len(made)), "success")
        if unknown:
            flash(_("Unknown employee numbers: %(names)s", names=", ".join(unknown)), "warning")
    else:
        flash(_("Fill in the recipients, the date and the occasion."), "danger")
    return redirect(url_for("integrity.book", book_id=book.id))


@bp.route("/presentations/<int:presentation_id>/reflection", methods=["GET", "POST"])
@permission_required("integrity.sign")
def reflection(presentation_id: int):
    """The recipient writes a short reading reflection once; managers read it."""
    presentation = permissions.get_checked(BookPresentation, presentation_id, "integrity.sign")
    can_write = presentation.recipient_id == current_user.id and presentation.reflection_at is None
    form = ReflectionForm() if can_write else None
    if request.method == "POST":
        if form is None:
            abort(403)
        if form.validate_on_submit():
            services.write_reflection(current_user, presentation, form.body.data)
            db.session.commit()
            flash(_("Your reflection has been saved."), "success")
            return redirect(url_for("integrity.reflection", presentation_id=presentation.id))
    return render_template("integrity/reflection.html", presentation=presentation, form=form)

