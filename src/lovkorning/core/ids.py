"""Swedish identity numbers: personnummer, samordningsnummer, bankgiro and orgnr.

Pure functions: they return the normalised form or None, never raise on bad input. The
reference date for a personnummer's century is passed in (the settled month's end), never
read from the clock, so a run is reproducible.
"""

from __future__ import annotations

import re
from datetime import date

import polars as pl
from stdnum import luhn
from stdnum.exceptions import ValidationError
from stdnum.se import orgnr as _orgnr

_PNR12 = re.compile(r"(\d{8})-?(\d{4})", re.ASCII)
_PNR10 = re.compile(r"(\d{6})([-+]?)(\d{4})", re.ASCII)
_BANKGIRO = re.compile(r"[1-9]\d{2,3}-\d{4}|[1-9]\d{6,7}", re.ASCII)  # never a leading 0
_DIGITS = re.compile(r"[0-9]+")
_SAMORDNING_OFFSET = 60


def luhn_complete(digits: str) -> str:
    """digits followed by their Luhn (mod 10) check digit."""
    if not _DIGITS.fullmatch(digits):
        raise ValueError(f"Inte bara siffror: '{digits}'")
    return digits + luhn.calc_check_digit(digits)


def _luhn_ok(digits: str) -> bool:
    return bool(_DIGITS.fullmatch(digits)) and luhn.is_valid(digits)


def _birth_date(year: int, month: int, day: int) -> date | None:
    """The birth date, with a samordningsnummer's day (+60) taken back; None if no such day."""
    if day > _SAMORDNING_OFFSET:
        day -= _SAMORDNING_OFFSET
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _century_year(yy: int, month: int, day: int, plus: bool, ref: date) -> int:
    """The full birth year of a 10-digit number.

    `-` (or none): the latest year ending in yy whose (month, day) is not after ref.
    `+`: the person turns 100 in ref's year or earlier (Skatteverket switches the separator in
    the year of the 100th birthday), so the latest year ending in yy at most ref.year - 100.
    """
    if plus:
        limit = ref.year - 100
        return limit - (limit - yy) % 100
    day = day - _SAMORDNING_OFFSET if day > _SAMORDNING_OFFSET else day
    year = ref.year - (ref.year - yy) % 100
    after_ref = year == ref.year and (month, day) > (ref.month, ref.day)
    return year - 100 if after_ref else year


def _split(text: str, ref: date) -> str | None:
    """The 12 digits of any accepted textual form (unchecked), or None if no form matches."""
    text = text.strip()
    if m := _PNR12.fullmatch(text):
        return m.group(1) + m.group(2)
    if m := _PNR10.fullmatch(text):
        yymmdd, sep, tail = m.groups()
        yy, mm, dd = int(yymmdd[:2]), int(yymmdd[2:4]), int(yymmdd[4:])
        return f"{_century_year(yy, mm, dd, sep == '+', ref):04d}{yymmdd[2:]}{tail}"
    return None


def normalize_personnummer(text: str, ref: date) -> str | None:
    """A personnummer or samordningsnummer as 12 digits (YYYYMMDDNNNN), or None if invalid.

    Valid means: one of the accepted forms, Luhn over YYMMDDNNNC, an existing date (day - 60
    for a samordningsnummer), and a birth date not after ref.
    """
    if not isinstance(text, str):
        return None
    digits = _split(text, ref)
    if digits is None or not _luhn_ok(digits[2:]):
        return None
    born = _birth_date(int(digits[:4]), int(digits[4:6]), int(digits[6:8]))
    if born is None or born > ref:
        return None
    return digits


def normalize_personnummer_series(values: pl.Series, ref: date) -> pl.Series:
    """normalize_personnummer for many values at once (a tag log's distinct brukare: a quarter of
    a million for all of Sweden). The common form, 12 digits with or without '-', is checked
    columnar: the same Luhn sum, birth date (day - 60 for a samordningsnummer) and ref test;
    every other form goes through normalize_personnummer itself."""
    text = values.cast(pl.String).str.strip_chars()
    parts = text.str.extract_groups(r"^([0-9]{8})-?([0-9]{4})$")
    d12 = parts.struct.field("1") + parts.struct.field("2")
    digit = [d12.str.slice(i, 1).cast(pl.Int32) for i in range(2, 12)]
    twice = [d * 2 - 9 * (d * 2 > 9).cast(pl.Int32) for d in digit[0::2]]
    luhn_ok = (sum(twice) + sum(digit[1::2])) % 10 == 0
    year, month, day = (d12.str.slice(a, n).cast(pl.Int32) for a, n in ((0, 4), (4, 2), (6, 2)))
    day = day - _SAMORDNING_OFFSET * (day > _SAMORDNING_OFFSET).cast(pl.Int32)
    born = pl.DataFrame({"y": year, "m": month, "d": day}).select(
        pl.when(pl.col("y") >= 1).then(pl.format("{}-{}-{}", pl.col("y").cast(pl.String).str.pad_start(4, "0"),
                                                   pl.col("m").cast(pl.String).str.pad_start(2, "0"),
                                                   pl.col("d").cast(pl.String).str.pad_start(2, "0")))
        .str.to_date("%Y-%m-%d", strict=False).alias("born"))["born"]
    ok = luhn_ok & born.is_not_null() & (born <= ref)
    fast = pl.select(pl.when(ok.fill_null(False)).then(d12)).to_series()
    other = d12.is_null() & values.is_not_null()
    if other.any():
        rows = other.arg_true()
        fast = fast.scatter(rows, pl.Series([normalize_personnummer(x, ref) for x in values.gather(rows).to_list()],
                                            dtype=pl.String))
    return fast.alias(values.name)


def mask_personnummer(pnr12: str) -> str:
    """'YYYYMMDD-****': what a terminal or log may show. Anything else is masked entirely."""
    if isinstance(pnr12, str) and len(pnr12) == 12 and _DIGITS.fullmatch(pnr12):
        return f"{pnr12[:8]}-****"
    return "********-****"


def normalize_bankgiro(text: str) -> str | None:
    """A bankgiro number (NNN-NNNN, NNNN-NNNN or 7-8 digits) as digits, or None if invalid.

    A leading 0 is refused: no bankgiro number has one, and 0123-4566 would be the same
    zero-filled LB field (and Luhn sum) as 123-4566.
    """
    if not isinstance(text, str):
        return None
    text = text.strip()
    if not _BANKGIRO.fullmatch(text):
        return None
    digits = text.replace("-", "")
    return digits if _luhn_ok(digits) else None


def format_bankgiro(digits: str) -> str:
    """7 or 8 bankgiro digits as NNN-NNNN / NNNN-NNNN."""
    if not (isinstance(digits, str) and _DIGITS.fullmatch(digits) and len(digits) in (7, 8)):
        raise ValueError(f"Ogiltigt bankgironummer: '{digits}'")
    return f"{digits[:-4]}-{digits[-4:]}"


def normalize_orgnr(text: str) -> str | None:
    """A Swedish organisationsnummer as NNNNNN-NNNN, or None if invalid."""
    if not isinstance(text, str):
        return None
    try:
        return _orgnr.format(_orgnr.validate(text.strip()))
    except ValidationError:
        return None
