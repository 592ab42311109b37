"""The one redaction function: no party name, ID number, phone, plate or address survives it."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from learning.reviews.redaction import MASK, Redactor, redact

CJK = st.characters(min_codepoint=0x4E00, max_codepoint=0x9FA5)
names = st.text(CJK, min_size=2, max_size=4)
id_numbers = st.tuples(st.text("0123456789", min_size=17, max_size=17), st.sampled_from("0123456789X")).map(
    "".join)
phones = st.tuples(st.sampled_from("3456789"), st.text("0123456789", min_size=9, max_size=9)).map(
    lambda parts: "1" + parts[0] + parts[1])
plates = st.tuples(st.sampled_from("浙京沪粤苏"), st.sampled_from("ABCDEFG"),
                   st.text("0123456789ABCDEFGHJK", min_size=5, max_size=5)).map("".join)
addresses = st.tuples(names, st.text(CJK, min_size=1, max_size=6), st.integers(1, 999)).map(
    lambda parts: f"{parts[0]}市{parts[1]}路{parts[2]}号")
filler = st.text(st.one_of(CJK, st.sampled_from(" ，。,.()（）:：-—abcXYZ\n")), max_size=20)


def _typed(value: str, style: int) -> str:
    """A value as a reviewer might type it: plain, with spaces, or with dashes (3-4-4 for phones)."""
    if style == 1 and re.fullmatch(r"1\d{10}", value):
        return f"{value[:3]} {value[3:7]} {value[7:]}"
    if style == 2 and re.fullmatch(r"1\d{10}", value):
        return f"{value[:3]}-{value[3:7]}-{value[7:]}"
    return value


@given(st.lists(st.tuples(names, id_numbers, phones, plates, addresses), min_size=1, max_size=3),
       st.lists(filler, min_size=5, max_size=5), st.integers(0, 2))
def test_no_party_datum_survives_even_typed_into_a_finding(parties, fill, style):
    """A finding that mentions every datum of the case's parties comes out with none of them."""
    terms = [term for party in parties for term in party]
    finding = fill[0] + "".join(f"{fill[1]}{_typed(term, style)}{fill[2]}" for term in terms) + fill[3]
    out = Redactor(terms)(finding)
    for term in terms:
        assert term not in out
        assert _typed(term, style) not in out
    digits = re.sub(r"[\s-]", "", out)
    for _name, id_number, phone, _plate, _address in parties:
        assert id_number not in digits and phone not in digits


@given(id_numbers, phones, plates, filler)
def test_id_numbers_phones_and_plates_are_masked_without_case_data(id_number, phone, plate, text):
    """Any 18-digit ID number, mobile number or plate is masked even when it is not a party's."""
    out = redact(f"{text}身份证{id_number}，电话{phone}，车牌{plate}{text}")
    assert id_number not in out and phone not in out and plate not in out


def test_examples_from_the_issue():
    """The forms named in the issue: trailing X, spaces and dashes in phones, plates with and without a dot."""
    text = "当事人张某某，身份证33010219900101123X，电话138 0000 1234 / 139-0000-5678，车辆浙G·12345和浙A12345D"
    out = redact(text, ["张某某"])
    for leak in ("张某某", "33010219900101123X", "138 0000 1234", "139-0000-5678", "浙G·12345", "浙A12345D"):
        assert leak not in out
    assert out.count(MASK) == 6
    assert "当事人" in out and "身份证" in out


def test_names_are_masked_even_with_separators_typed_between_the_characters():
    """"王 某 某" or "王-某某" still hides the name as entered."""
    assert "王" not in redact("当事人王 某 某与王-某某到场", ["王某某"])


def test_ordinary_text_is_left_alone():
    """Text without party data or numbers passes unchanged; empty text stays empty."""
    assert redact("现场照片未标注拍摄时间", ["王某某"]) == "现场照片未标注拍摄时间"
    assert redact(None) == "" and redact("") == ""
