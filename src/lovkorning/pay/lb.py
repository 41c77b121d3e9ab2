"""Bankgirot Leverantörsbetalningar (LB): the payment file.

Layout per ../shared/spec/bankgirot-lb.md: one section TK11, payment records (TK14 payment,
TK15 deduction, TK16 credit), TK29 totals. Records of 80 characters, CR LF after every record,
ISO-8859-1. The writer only formats what it is given; `parse_lb_totals` reads a file back for
the run's reconciliation without using any of the writer's helpers.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime

from ..core.ids import normalize_bankgiro

RECORD_LEN = 80
EOL = b"\r\n"
ENCODING = "iso-8859-1"
OPENING_TEXT = "LEVERANTÖRSBETALNINGAR"
PAYMENT_KINDS = ("14", "15", "16")  # payment, deduction, credit invoice

_EXTRA_ALLOWED = frozenset("ÅÄÖÉÜåäöéü")
# letters Unicode does not decompose into a base letter and a mark get their usual Latin spelling
_SUBSTITUTES = {"ø": "ö", "Ø": "Ö", "æ": "ä", "Æ": "Ä", "&": "OCH", "ß": "ss", "Ł": "L", "ł": "l",
                "Œ": "OE", "œ": "oe", "Đ": "D", "đ": "d", "Ð": "D", "ð": "d", "Þ": "TH", "þ": "th",
                "ı": "i", "Ħ": "H", "ħ": "h"}
_SIX_DIGITS = re.compile(r"[0-9]{6}")


@dataclass(frozen=True)
class Payment:
    """One payment record. `amount_ore` is positive for every kind; a TK15/TK16 is
    subtracted in the totals. `payment_date` is the 6-character field (YYMMDD or GENAST), or
    "" when the section's TK11 carries the date."""

    bankgiro: str
    amount_ore: int
    reference: str
    payment_date: str
    info: str = ""
    kind: str = "14"


# --- text ------------------------------------------------------------------------------------


def _allowed(ch: str) -> bool:
    return (" " <= ch <= "~" and ch != "&") or ch in _EXTRA_ALLOWED


def _transliterate_char(ch: str) -> str:
    """One character in the allowed set: substitutes, then the base letter, else a blank."""
    if ch in _SUBSTITUTES:
        return _SUBSTITUTES[ch]
    if _allowed(ch):
        return ch
    decomposed = unicodedata.normalize("NFKD", ch)
    base = "".join(_SUBSTITUTES.get(c, c) for c in decomposed if not unicodedata.combining(c))
    return base if base and all(_allowed(c) for c in base) else " "


def transliterate(text: str) -> str:
    """Text restricted to printable ASCII and ÅÄÖÉÜåäöéü (ø→ö, æ→ä, &→OCH, é stays, ñ→n …)."""
    return "".join(_transliterate_char(ch) for ch in unicodedata.normalize("NFC", text))


# --- fields ----------------------------------------------------------------------------------


def _text_field(value: str, width: int) -> str:
    """Left-aligned, blank-filled, truncated to width after transliteration."""
    return transliterate(value or "")[:width].ljust(width)


def _number_field(value: int, width: int, what: str) -> str:
    """Right-aligned, zero-filled; ValueError if negative or too wide."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{what} måste vara ett heltal (öre), inte {value!r}.")
    if value < 0 or len(str(value)) > width:
        raise ValueError(f"{what} får inte plats i {width} siffror: {value}.")
    return str(value).zfill(width)


def _bankgiro_field(bankgiro: str) -> str:
    digits = normalize_bankgiro(bankgiro)
    if digits is None:
        raise ValueError(f"Ogiltigt bankgironummer: '{bankgiro}'.")
    return digits.zfill(10)


def _date_field(value: str) -> str:
    """'' (blank), 'GENAST' or an existing YYMMDD date."""
    if value in ("", "GENAST"):
        return value.ljust(6)
    if isinstance(value, str) and _SIX_DIGITS.fullmatch(value):
        try:
            datetime.strptime(value, "%y%m%d")
            return value
        except ValueError:
            pass
    raise ValueError(f"Ogiltigt betalningsdatum '{value}': ange ÅÅMMDD, GENAST eller tomt.")


# --- records ---------------------------------------------------------------------------------


def _opening_record(payer_bankgiro: str, file_date: date, section_date_field: str) -> str:
    return (
        "11" + _bankgiro_field(payer_bankgiro) + file_date.strftime("%y%m%d") + OPENING_TEXT
        + _date_field(section_date_field) + " " * 13 + "SEK" + " " * 18
    )


def _payment_record(p: Payment, section_has_date: bool) -> str:
    if p.kind not in PAYMENT_KINDS:
        raise ValueError(f"Okänd posttyp '{p.kind}': använd 14, 15 eller 16.")
    if isinstance(p.amount_ore, int) and p.amount_ore <= 0:
        raise ValueError(f"Beloppet måste vara större än noll, inte {p.amount_ore} öre.")
    amount = _number_field(p.amount_ore, 12, "Beloppet")
    if not p.payment_date and not section_has_date:
        raise ValueError("Betalningsdatum saknas både i betalningsposten och i TK11.")
    return (
        p.kind + _bankgiro_field(p.bankgiro) + _text_field(p.reference, 25) + amount
        + _date_field(p.payment_date) + " " * 5 + _text_field(p.info, 20)
    )


def _signed(p: Payment) -> int:
    return p.amount_ore if p.kind == "14" else -p.amount_ore


def _totals_record(payer_bankgiro: str, count: int, net_ore: int) -> str:
    return (
        "29" + _bankgiro_field(payer_bankgiro) + _number_field(count, 8, "Antalet poster")
        + _number_field(abs(net_ore), 12, "Totalbeloppet") + ("-" if net_ore < 0 else " ")
        + " " * 47
    )


def _encode(records: list[str]) -> bytes:
    out = bytearray()
    for record in records:
        raw = record.encode(ENCODING)
        if len(raw) != RECORD_LEN:  # a bug in this module, never bad input
            raise AssertionError(f"LB record of {len(raw)} bytes: {record!r}")
        out += raw + EOL
    return bytes(out)


def render_lb(
    payer_bankgiro: str, file_date: date, section_date_field: str, payments: list[Payment]
) -> bytes:
    """One LB section: TK11, the payment records in the given order, TK29; as file bytes."""
    section_has_date = bool(section_date_field)
    records = [_opening_record(payer_bankgiro, file_date, section_date_field)]
    records += [_payment_record(p, section_has_date) for p in payments]
    net = sum(_signed(p) for p in payments)
    records.append(_totals_record(payer_bankgiro, len(payments), net))
    return _encode(records)


# --- reading back (independent of the writer above) -----------------------------------------


def _split_records(data: bytes) -> list[str]:
    """The records of a file, each exactly 80 bytes and ended by CR LF."""
    if not data.endswith(EOL):
        raise ValueError("Betalfilen slutar inte med CR LF.")
    chunks = bytes(data).split(EOL)[:-1]
    for n, chunk in enumerate(chunks, 1):
        if len(chunk) != RECORD_LEN or b"\r" in chunk or b"\n" in chunk:
            raise ValueError(f"Post {n} i betalfilen är inte 80 tecken följda av CR LF.")
    return [chunk.decode(ENCODING) for chunk in chunks]


def _digits(record: str, start: int, end: int, n: int) -> int:
    """The number in 1-based inclusive positions start..end; ValueError if not all digits."""
    field = record[start - 1:end]
    if not re.fullmatch(r"[0-9]+", field):
        raise ValueError(f"Post {n}: positionerna {start}–{end} är inte siffror: '{field}'.")
    return int(field)


class _Tally:
    """Counts and sums per section while reading a file record by record."""

    def __init__(self) -> None:
        self.count = self.net = self.stated = 0
        self.open: list[int] | None = None  # [count, net] of the open section
        self.payer = ""
        self.previous = ""

    def opening(self, record: str, n: int) -> None:
        if self.open is not None:
            raise ValueError(f"Post {n}: TK11 innan föregående sektion avslutats med TK29.")
        _digits(record, 3, 12, n)
        self.open, self.payer = [0, 0], record[2:12]

    def payment(self, record: str, n: int) -> None:
        _digits(record, 3, 12, n)
        amount = _digits(record, 38, 49, n)
        if amount == 0:
            raise ValueError(f"Post {n}: beloppet är noll.")
        self.open[0] += 1
        self.open[1] += amount if record[:2] == "14" else -amount

    def information(self, record: str, n: int) -> None:
        if self.previous not in ("14", "15", "16", "25"):
            raise ValueError(f"Post {n}: TK25 utan föregående betalningspost.")

    def totals(self, record: str, n: int) -> None:
        count, total = _digits(record, 13, 20, n), _digits(record, 21, 32, n)
        if record[2:12] != self.payer:
            raise ValueError(f"Post {n}: TK29 har ett annat bankgironummer än TK11.")
        if record[32] not in " -":
            raise ValueError(f"Post {n}: tecken i position 33 ska vara blank eller '-'.")
        if count != self.open[0]:
            raise ValueError(f"Post {n}: TK29 anger {count} poster, filen har {self.open[0]}.")
        self.count += self.open[0]
        self.net += self.open[1]
        self.stated += -total if record[32] == "-" else total
        self.open = None


def _read_record(tally: _Tally, record: str, n: int) -> None:
    kind = record[:2]
    if kind != "11" and tally.open is None:
        raise ValueError(f"Post {n}: posttyp '{kind}' utanför en sektion (TK11 … TK29).")
    handlers = {"11": tally.opening, "14": tally.payment, "15": tally.payment,
                "16": tally.payment, "25": tally.information, "29": tally.totals}
    if kind not in handlers:
        raise ValueError(f"Post {n}: okänd posttyp '{kind}'.")
    handlers[kind](record, n)
    tally.previous = kind


def parse_lb_totals(data: bytes) -> tuple[int, int, int]:
    """(payment records TK14+TK15+TK16, their net sum in öre, the TK29 totals signed).

    ValueError on a malformed file: record length, CR LF, unknown record type, records
    outside a section, a TK29 count that does not match. The two sums are returned, not
    compared: the reconciliation compares them (and with the sheets and manifest).
    """
    tally = _Tally()
    records = _split_records(data)
    for n, record in enumerate(records, 1):
        _read_record(tally, record, n)
    if not records or tally.open is not None:
        raise ValueError("Betalfilen saknar TK11 eller avslutande TK29.")
    return tally.count, tally.net, tally.stated
