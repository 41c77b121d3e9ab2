"""Personnummer, samordningsnummer, bankgiro and orgnr."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

import polars as pl

from lovkorning.core.ids import (
    format_bankgiro, luhn_complete, mask_personnummer, normalize_bankgiro, normalize_orgnr, normalize_personnummer, normalize_personnummer_series)

REF = date(2023, 9, 30)  # the end of the settled month 2023-09


# --- personnummer: examples ----------------------------------------------------------------

@pytest.mark.parametrize(
    "text",
    ["191212121212", "19121212-1212", "121212+1212", " 19121212-1212 ", "\t191212121212\n"],
)
def test_known_valid_personnummer_in_every_form(text):
    assert normalize_personnummer(text, REF) == "191212121212"


def test_ten_digit_forms_without_plus_take_the_latest_century():
    # 2012-12-12 is not after the reference date, so '-' and no separator mean 2012
    assert normalize_personnummer("121212-1212", REF) == "201212121212"
    assert normalize_personnummer("1212121212", REF) == "201212121212"


def test_samordningsnummer_day_plus_60():
    number = luhn_complete("121272121")
    assert number == "1212721219"
    assert normalize_personnummer("19121272-1219", REF) == "191212721219"
    assert normalize_personnummer("121272+1219", REF) == "191212721219"
    assert normalize_personnummer("19121272-1218", REF) is None


@pytest.mark.parametrize(
    "text",
    [
        "19121212-1213",  # wrong check digit
        "19121312-1212",  # month 13
        "19230230" + luhn_complete("230230123")[6:],  # 30 February
        "19230931" + luhn_complete("230931123")[6:],  # 31 September
        "19230992" + luhn_complete("230992123")[6:],  # samordningsnummer day 32
        "19230945" + luhn_complete("230945123")[6:],  # day 45: neither kind
        "19000229" + luhn_complete("000229123")[6:],  # 1900 is no leap year
        "19121212 1212",
        "19121212+1212",  # '+' only in the 10-digit form
        "121212--1212",
        "",
        "ABCDEF-1234",
        "١٢١٢١٢-١٢١٢",  # non-ASCII digits
    ],
)
def test_invalid_personnummer(text):
    assert normalize_personnummer(text, REF) is None


def test_born_after_reference_date_is_invalid():
    later = "20231001" + luhn_complete("231001123")[6:]
    assert normalize_personnummer(later, REF) is None
    assert normalize_personnummer(later, date(2023, 10, 1)) == later


def test_century_choice_relative_to_ref():
    pnr10 = luhn_complete("231001123")  # 2023-10-01 or 1923-10-01
    dash = f"{pnr10[:6]}-{pnr10[6:]}"
    assert normalize_personnummer(dash, date(2023, 9, 30)) == "19" + pnr10
    assert normalize_personnummer(dash, date(2023, 10, 1)) == "20" + pnr10
    assert normalize_personnummer(dash, date(2023, 12, 31)) == "20" + pnr10


def test_plus_means_a_hundred_years_more():
    pnr10 = luhn_complete("230501123")
    plus = f"{pnr10[:6]}+{pnr10[6:]}"
    dash = f"{pnr10[:6]}-{pnr10[6:]}"
    assert normalize_personnummer(dash, REF) == "20" + pnr10
    assert normalize_personnummer(plus, REF) == "19" + pnr10


def test_plus_from_the_year_of_the_hundredth_birthday():
    # Skatteverket switches '-' to '+' in the year the person turns 100: born 1923-12-01 is
    # written 231201+NNNN all through 2023, also before the birthday.
    pnr10 = luhn_complete("231201123")
    assert normalize_personnummer(f"{pnr10[:6]}+{pnr10[6:]}", REF) == "19" + pnr10
    assert normalize_personnummer(f"{pnr10[:6]}-{pnr10[6:]}", REF) == "19" + pnr10


def test_mask_personnummer():
    assert mask_personnummer("191212121212") == "19121212-****"
    assert mask_personnummer("19121212-1212") == "********-****"
    assert "1212" not in mask_personnummer("1212121212")


# --- personnummer: properties --------------------------------------------------------------

refs = st.dates(min_value=date(1950, 1, 1), max_value=date(2100, 12, 31))


@st.composite
def people(draw):
    """(ref, birth date, serial digits, samordning?) with birth within 199 years of ref."""
    ref = draw(refs)
    born = draw(st.dates(min_value=date(ref.year - 199, 1, 1), max_value=ref))
    serial = draw(st.text("0123456789", min_size=3, max_size=3))
    return ref, born, serial, draw(st.booleans())


def _texts(born: date, serial: str, samordning: bool, ref: date) -> tuple[str, list[str]]:
    day = born.day + (60 if samordning else 0)
    ten = luhn_complete(f"{born:%y%m}{day:02d}{serial}")
    twelve = f"{born.year // 100:02d}{ten}"
    sep = "+" if ref.year - born.year >= 100 else "-"
    forms = [twelve, f"{twelve[:8]}-{twelve[8:]}", f"{ten[:6]}{sep}{ten[6:]}"]
    forms += [ten] if sep == "-" else []
    return twelve, forms


@given(people())
def test_luhn_complete_round_trips_in_every_form(person):
    ref, born, serial, samordning = person
    twelve, forms = _texts(born, serial, samordning, ref)
    for text in forms:
        assert normalize_personnummer(text, ref) == twelve, text


@given(people(), st.integers(min_value=2, max_value=11), st.integers(min_value=1, max_value=9))
def test_changing_one_digit_invalidates(person, position, delta):
    ref, born, serial, samordning = person
    twelve, _ = _texts(born, serial, samordning, ref)
    digit = (int(twelve[position]) + delta) % 10
    changed = twelve[:position] + str(digit) + twelve[position + 1:]
    assert normalize_personnummer(changed, ref) is None


def test_plus_form_for_a_very_old_person():
    ref = date(2023, 9, 30)
    twelve, forms = _texts(date(1920, 2, 29), "123", False, ref)
    assert forms[2][6] == "+"
    assert all(normalize_personnummer(t, ref) == twelve for t in forms)


# --- bankgiro --------------------------------------------------------------------------------

@pytest.mark.parametrize(
    "text,digits",
    [("991-2346", "9912346"), ("123-4566", "1234566"), ("1234-5674", "12345674"),
     ("9912346", "9912346"), (" 12345674 ", "12345674")],
)
def test_valid_bankgiro(text, digits):
    assert normalize_bankgiro(text) == digits


@pytest.mark.parametrize(
    "text",
    ["123-4567", "012-3455", "0123-4566", "12-34566", "12345-674", "123456", "123456789",
     "123 4566", "", "abc-defg"],
)
def test_invalid_bankgiro(text):
    assert normalize_bankgiro(text) is None


def test_format_bankgiro():
    assert format_bankgiro("9912346") == "991-2346"
    assert format_bankgiro("12345674") == "1234-5674"
    with pytest.raises(ValueError):
        format_bankgiro("123456")


bankgiro_bodies = st.tuples(
    st.sampled_from("123456789"), st.text("0123456789", min_size=5, max_size=6)
).map("".join)  # 6-7 digits before the check digit, never a leading 0


@given(bankgiro_bodies)
def test_bankgiro_round_trip(body):
    digits = luhn_complete(body)
    assert normalize_bankgiro(digits) == digits
    assert normalize_bankgiro(format_bankgiro(digits)) == digits


@given(bankgiro_bodies, st.data())
def test_bankgiro_one_wrong_digit(body, data):
    digits = luhn_complete(body)
    i = data.draw(st.integers(min_value=0, max_value=len(digits) - 1))
    wrong = str((int(digits[i]) + data.draw(st.integers(1, 9))) % 10)
    assume(wrong != digits[i])
    assert normalize_bankgiro(digits[:i] + wrong + digits[i + 1:]) is None


# --- orgnr and luhn_complete ---------------------------------------------------------------

def test_orgnr():
    assert normalize_orgnr("556036-0793") == "556036-0793"
    assert normalize_orgnr("5560360793") == "556036-0793"
    assert normalize_orgnr("556036-0792") is None
    assert normalize_orgnr("nonsens") is None


def test_luhn_complete():
    assert luhn_complete("121212121") == "1212121212"
    assert luhn_complete("991234") == "9912346"
    with pytest.raises(ValueError):
        luhn_complete("12a")


def test_reference_date_not_today():
    # The same text means different people at different reference dates: nothing reads the clock.
    pnr10 = luhn_complete("240101123")
    dash = f"{pnr10[:6]}-{pnr10[6:]}"
    assert normalize_personnummer(dash, date(2023, 12, 31)) == "19" + pnr10
    assert normalize_personnummer(dash, date(2023, 12, 31) + timedelta(days=1)) == "20" + pnr10


# --- personnummer: many at once ---------------------------------------------------------------

PNR_TEXT = st.one_of(
    st.from_regex(r"\A\s?[0-9]{8}-?[0-9]{4}\s?\Z"),                     # the columnar path
    st.builds(lambda d, tail: d.strftime("%Y%m%d") + "-" + tail,             # real dates, any check digit
              st.dates(date(1, 1, 1), date(2030, 12, 31)), st.from_regex(r"\A[0-9]{4}\Z")),
    st.builds(lambda d, tail: d.strftime("%Y")[:2] + luhn_complete(d.strftime("%y%m%d") + tail),
              st.dates(date(1890, 1, 1), date(2023, 9, 30)),
              st.from_regex(r"\A[0-9]{3}\Z")),                             # valid ones, 12 digits
    st.from_regex(r"\A[0-9]{6}[-+]?[0-9]{4}\Z"),                          # 10 digits: the scalar path
    st.text(max_size=14),
)


@given(st.lists(st.one_of(st.none(), PNR_TEXT), max_size=30))
def test_many_personnummer_at_once_equal_one_at_a_time(values):
    got = normalize_personnummer_series(pl.Series(values, dtype=pl.String), REF).to_list()
    assert got == [normalize_personnummer(v, REF) if v is not None else None for v in values]
