"""Letters, versions, signatures and their hash chain, collective signings, books and the contract."""

from __future__ import annotations

import hashlib
from datetime import date

import pytest
import sqlalchemy as sa
from hypothesis import given
from hypothesis import strategies as st

from learning.extensions import db
from learning.integrity import services
from learning.integrity.models import Audience, Signature, SigningMethod
from learning.integrity.services import IntegrityError

from ..conftest import make_user
from .conftest import publish_letter


def test_online_signature_stores_the_hash_of_the_exact_text_and_links_to_the_one_before(people, letter):
    """Each signature holds the text's SHA-256 and the previous record's hash."""
    _letter, version = letter
    first = services.sign_online(people["cadre"], version, "张某")
    second = services.sign_online(people["aux"], version, " 赵某 ")
    expected = hashlib.sha256(b"I promise to act with integrity.").hexdigest()
    assert first.text_sha256 == second.text_sha256 == expected
    assert first.previous_hash == services.GENESIS_HASH
    assert second.previous_hash == first.record_hash
    assert first.method == SigningMethod.online and first.signed_name == "张某"
    assert services.verify_chain().ok


@pytest.mark.parametrize("typed", ["张", "王某", "", "张某某"])
def test_the_typed_name_must_match_the_name_on_record(people, letter, typed):
    """A name that differs from the display name is refused."""
    with pytest.raises(IntegrityError, match="exactly as it is on record"):
        services.sign_online(people["cadre"], letter[1], typed)


def test_spaces_inside_a_name_do_not_matter(people, letter):
    """'李 某某' may be typed with or without the space."""
    assert services.sign_online(people["cadre2"], letter[1], "李某某").id


def test_a_person_signs_a_version_once(people, letter):
    """A second signature of the same version is refused."""
    services.sign_online(people["cadre"], letter[1], "张某")
    with pytest.raises(IntegrityError, match="already"):
        services.sign_online(people["cadre"], letter[1], "张某")


def test_signatures_cannot_be_edited_or_deleted_through_the_orm(people, letter):
    """Updating or deleting a signature raises; the stored record stays as it was."""
    services.sign_online(people["cadre"], letter[1], "张某")
    db.session.commit()
    signature = db.session.execute(sa.select(Signature)).scalar_one()
    signature.signed_name = "someone else"
    with pytest.raises(PermissionError):
        db.session.flush()
    db.session.rollback()
    signature = db.session.execute(sa.select(Signature)).scalar_one()
    db.session.delete(signature)
    with pytest.raises(PermissionError):
        db.session.flush()
    db.session.rollback()
    assert db.session.execute(sa.select(Signature.signed_name)).scalar_one() == "张某"


def _sign_several(people, version):
    for key, name in (("cadre", "张某"), ("cadre2", "李某某"), ("aux", "赵某"), ("manager", "王某")):
        services.sign_online(people[key], version, name)
    ids = db.session.execute(sa.select(Signature.id).order_by(Signature.id)).scalars().all()
    db.session.commit()  # no read transaction left open: the tampering below must be seen
    return ids


@pytest.mark.parametrize("column, value", [
    ("signed_name", "冒名"), ("signed_at", "2020-01-01 00:00:00.000000"), ("method", "collective"),
    ("text_sha256", "0" * 64), ("user_id", None), ("previous_hash", "f" * 64), ("record_hash", "e" * 64),
])
def test_changing_one_stored_signature_breaks_the_chain_at_that_record(app, runner, people, letter, column, value):
    """Any field altered behind the application's back is found, and the command names the record."""
    if column == "user_id":  # moved onto someone who never signed
        value = make_user("x9").id
    ids = _sign_several(people, letter[1])
    assert runner.invoke(args=["integrity", "verify"]).exit_code == 0
    db.session.rollback()  # the command ran in this context: end its read transaction
    target = ids[2]
    with db.engine.begin() as connection:
        connection.execute(sa.text(f"UPDATE signature SET {column} = :v WHERE id = :id"),  # noqa: S608
                           {"v": value, "id": target})
    report = services.verify_chain()
    assert (report.ok, report.bad_id) == (False, target)
    result = runner.invoke(args=["integrity", "verify"])
    assert result.exit_code != 0
    assert f"signature {target} is bad" in result.output


def test_an_untouched_chain_passes_verify(runner, people, letter):
    """The command succeeds and says how many records it checked."""
    _sign_several(people, letter[1])
    result = runner.invoke(args=["integrity", "verify"])
    assert result.exit_code == 0 and "4 signature(s) checked" in result.output


def test_editing_the_published_text_behind_the_apps_back_is_found(runner, people, letter):
    """A signature whose letter text no longer hashes the same fails verification."""
    version_id = letter[1].id
    ids = _sign_several(people, letter[1])
    with db.engine.begin() as connection:
        connection.execute(sa.text("UPDATE letter_version SET body = 'softer text' WHERE id = :id"),
                           {"id": version_id})
    result = runner.invoke(args=["integrity", "verify"])
    assert result.exit_code == 1 and f"signature {ids[0]} is bad" in result.output


def test_removing_a_record_breaks_the_link_of_the_next(runner, people, letter):
    """Deleting a signature row with SQL leaves the next one pointing at a missing hash."""
    ids = _sign_several(people, letter[1])
    with db.engine.begin() as connection:
        connection.execute(sa.text("DELETE FROM signature WHERE id = :id"), {"id": ids[1]})
    result = runner.invoke(args=["integrity", "verify"])
    assert result.exit_code == 1 and f"signature {ids[2]} is bad" in result.output


def test_publishing_a_new_version_returns_everyone_to_unsigned(people, letter):
    """After version 2 is published, everyone who signed version 1 must sign again."""
    the_letter, version = letter
    _sign_several(people, version)
    everyone = [p.id for p in people.values()]
    assert set(services.signed_current_letters(everyone).values()) == {True}
    draft = services.save_draft(people["manager"], the_letter, "I promise, and more.")
    assert set(services.signed_current_letters(everyone).values()) == {True}  # a draft asks nothing
    services.publish_version(people["manager"], draft)
    assert services.signed_current_letters(everyone) == dict.fromkeys(everyone, False)
    assert all(services.unsigned_count(p) == 1 for p in people.values())
    with pytest.raises(IntegrityError, match="not the current"):
        services.sign_online(people["cadre"], version, "张某")
    services.sign_online(people["cadre"], draft, "张某")
    assert services.signed_current_letters([people["cadre"].id]) == {people["cadre"].id: True}


def test_a_published_version_is_not_published_twice(people, letter):
    """Publishing is once per version."""
    with pytest.raises(IntegrityError):
        services.publish_version(people["manager"], letter[1])


def test_a_cadre_letter_asks_only_cadres(people):
    """Auxiliary staff are outside a cadres' letter: never asked, and counted as signed for it."""
    _letter, version = publish_letter(people["manager"], audience=Audience.cadre)
    assert services.unsigned_count(people["aux"]) == 0 and services.unsigned_count(people["cadre"]) == 1
    with pytest.raises(IntegrityError, match="not addressed"):
        services.sign_online(people["aux"], version, "赵某")
    result = services.signed_current_letters([people["aux"].id, people["cadre"].id])
    assert result == {people["aux"].id: True, people["cadre"].id: False}


def test_collective_signing_records_paper_signatures_and_skips_the_rest(people, letter):
    """The organiser records who signed; unknown, repeated and already-signed numbers are skipped."""
    version = letter[1]
    services.sign_online(people["cadre"], version, "张某")
    signing = services.create_collective_signing(people["manager"], version, date(2026, 3, 1), "Hall")
    report = services.record_paper_signatures(people["manager"], signing, ["c1", "c2", "a1", "c2", "ghost"])
    assert report.signed == ["c2", "a1"]
    assert [name for name, _reason in report.skipped] == ["c1", "ghost"]
    stored = db.session.execute(sa.select(Signature).where(Signature.collective_signing_id == signing.id)
                                ).scalars().all()
    assert {s.method for s in stored} == {SigningMethod.collective}
    assert {s.recorded_by_id for s in stored} == {people["manager"].id}
    with pytest.raises(IntegrityError, match="organiser"):
        services.record_paper_signatures(people["cadre"], signing, ["boss"])
    assert services.verify_chain().ok


def test_per_department_counts_and_unsigned_list(people, letter):
    """Counts of signed and unsigned per department; the unsigned list filters by department."""
    version = letter[1]
    services.sign_online(people["cadre"], version, "张某")
    counts = {row["name"]: (row["signed"], row["unsigned"]) for row in services.department_counts(version)}
    assert counts == {"Squad sq7": (1, 1), "Squad sq8": (0, 2)}
    unsigned = db.session.execute(services.unsigned_query(version)).scalars().all()
    assert {u.username for u in unsigned} == {"boss", "c2", "a1"}
    sq8 = people["aux"].department_id
    assert {u.username for u in db.session.execute(services.unsigned_query(version, sq8)).scalars()} == {"c2", "a1"}


def test_signed_current_letters_with_no_letters_and_unknown_people(people):
    """With nothing published everyone is in order; an empty list gives an empty answer."""
    assert services.signed_current_letters([people["cadre"].id]) == {people["cadre"].id: True}
    assert services.signed_current_letters([]) == {}


def test_book_presentations_and_one_reflection(people):
    """A book is given on an occasion; its recipient writes one reflection; others cannot."""
    book = services.create_book(people["manager"], "示例读本")
    made, unknown = services.present_book(people["manager"], book, ["c1", "nobody"], date(2026, 5, 4), "入职")
    assert [p.recipient.username for p in made] == ["c1"] and unknown == ["nobody"]
    with pytest.raises(IntegrityError):
        services.write_reflection(people["cadre2"], made[0], "not mine")
    services.write_reflection(people["cadre"], made[0], "读后有感")
    with pytest.raises(IntegrityError, match="already"):
        services.write_reflection(people["cadre"], made[0], "again")


FIELDS = dict(previous_hash="a" * 64, user_id=1, version_id=2, text_sha256="b" * 64,
              signed_at=__import__("datetime").datetime(2026, 1, 2, 3, 4, 5, 6), method="online",
              signed_name="张某", collective_signing_id=None, recorded_by_id=1)


@given(field=st.sampled_from(sorted(FIELDS)), salt=st.text(min_size=1, max_size=5))
def test_every_field_is_covered_by_the_record_hash(field, salt):
    """Changing any one field of a signature changes its hash."""
    original = services.record_hash(**FIELDS)
    changed = dict(FIELDS)
    value = FIELDS[field]
    if isinstance(value, str):
        changed[field] = value + salt
    elif isinstance(value, int):
        changed[field] = value + len(salt)
    elif value is None:
        changed[field] = len(salt)
    else:
        changed[field] = value.replace(microsecond=value.microsecond + len(salt))
    assert services.record_hash(**changed) != original
