"""An independent checker of Bankgirot Leverantörsbetalningar files.

Written from ../shared/spec/bankgirot-lb.md only; it deliberately imports nothing from
lovkorning, so a bug in the writer cannot hide in a shared helper. Fields are sliced as bytes
(1-based inclusive positions, as in the spec), never as decoded characters.

    info = check_lb_file(data)   # AssertionError naming the record and field on any fault
"""

from __future__ import annotations

from datetime import datetime

RECORD_LEN = 80
ALLOWED_EXTRA = "ÅÄÖÉÜåäöéü"
PAYMENT_TYPES = (b"14", b"15", b"16")


def field(record: bytes, start: int, end: int) -> bytes:
    """Positions start..end, 1-based and inclusive, as in the spec."""
    return record[start - 1:end]


def luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch) * (2 if i % 2 else 1)
        total += d - 9 if d > 9 else d
    return total % 10 == 0


def split_records(data: bytes) -> list[bytes]:
    assert isinstance(data, bytes), "the file must be bytes"
    assert data.endswith(b"\r\n"), "the last record must end with CR LF"
    records = data.split(b"\r\n")[:-1]
    for n, rec in enumerate(records, 1):
        assert b"\r" not in rec and b"\n" not in rec, f"record {n}: stray CR or LF"
        assert len(rec) == RECORD_LEN, f"record {n}: {len(rec)} bytes, not 80"
    return records


def check_characters(record: bytes, n: int) -> None:
    text = record.decode("iso-8859-1")
    bad = [ch for ch in text if not (" " <= ch <= "~" or ch in ALLOWED_EXTRA)]
    assert not bad, f"record {n}: characters outside the allowed set: {bad!r}"


def is_blank(value: bytes) -> bool:
    return value == b" " * len(value)


def digits(record: bytes, start: int, end: int, n: int) -> int:
    value = field(record, start, end)
    assert value.isdigit() and len(value) == end - start + 1, (
        f"record {n}: positions {start}-{end} not zero-filled digits: {value!r}"
    )
    return int(value)


def bankgiro(record: bytes, n: int) -> str:
    value = str(digits(record, 3, 12, n))
    assert len(value) in (7, 8) and luhn_ok(value), f"record {n}: bad bankgiro {value}"
    return value


def yymmdd(value: bytes, n: int) -> str:
    try:
        datetime.strptime(value.decode("ascii"), "%y%m%d")
    except (UnicodeDecodeError, ValueError):
        raise AssertionError(f"record {n}: not a YYMMDD date: {value!r}") from None
    return value.decode("ascii")


def check_opening(record: bytes, n: int) -> dict:
    assert field(record, 1, 2) == b"11", f"record {n}: the file must start with TK11"
    assert field(record, 19, 40) == "LEVERANTÖRSBETALNINGAR".encode("iso-8859-1"), (
        f"record {n}: positions 19-40 must read LEVERANTÖRSBETALNINGAR"
    )
    section_date = field(record, 41, 46)
    if not is_blank(section_date) and section_date != b"GENAST":
        yymmdd(section_date, n)
    assert is_blank(field(record, 47, 59)), f"record {n}: positions 47-59 must be blank"
    assert field(record, 60, 62) == b"SEK", f"record {n}: positions 60-62 must be SEK"
    assert is_blank(field(record, 63, 80)), f"record {n}: positions 63-80 must be blank"
    return {"payer_bankgiro": bankgiro(record, n), "file_date": yymmdd(field(record, 13, 18), n),
            "section_date": section_date.decode("ascii").strip()}


def check_payment_date(value: bytes, opening: dict, n: int) -> str:
    if is_blank(value):
        assert opening["section_date"], f"record {n}: no payment date here nor in TK11"
        return ""
    if value == b"GENAST":
        return "GENAST"
    date = yymmdd(value, n)
    assert date >= opening["file_date"], f"record {n}: payment date {date} before the file date"
    return date


def check_payment(record: bytes, opening: dict, n: int) -> dict:
    amount = digits(record, 38, 49, n)
    assert amount > 0, f"record {n}: amount must be above zero"
    assert is_blank(field(record, 56, 60)), f"record {n}: positions 56-60 must be blank"
    return {
        "kind": field(record, 1, 2).decode("ascii"),
        "bankgiro": bankgiro(record, n),
        "reference": field(record, 13, 37).decode("iso-8859-1"),
        "amount_ore": amount,
        "date": check_payment_date(field(record, 50, 55), opening, n),
        "info": field(record, 61, 80).decode("iso-8859-1"),
        "tk25": [],
    }


def check_information(record: bytes, payment: dict | None, n: int) -> str:
    assert payment is not None, f"record {n}: TK25 must follow a payment record"
    assert bankgiro(record, n) == payment["bankgiro"], f"record {n}: TK25 names another bankgiro"
    assert is_blank(field(record, 63, 80)), f"record {n}: positions 63-80 must be blank"
    return field(record, 13, 62).decode("iso-8859-1")


def signed(payment: dict) -> int:
    return payment["amount_ore"] if payment["kind"] == "14" else -payment["amount_ore"]


def check_totals(record: bytes, opening: dict, payments: list[dict], n: int) -> dict:
    assert field(record, 1, 2) == b"29", f"record {n}: the file must end with TK29"
    assert bankgiro(record, n) == opening["payer_bankgiro"], f"record {n}: TK29 payer differs"
    count, total = digits(record, 13, 20, n), digits(record, 21, 32, n)
    sign = field(record, 33, 33)
    assert sign in (b" ", b"-"), f"record {n}: position 33 must be blank or '-'"
    assert not (sign == b"-" and total == 0), f"record {n}: a negative zero total"
    assert is_blank(field(record, 34, 80)), f"record {n}: positions 34-80 must be blank"
    assert count == len(payments), f"record {n}: TK29 count {count}, records {len(payments)}"
    net = sum(signed(p) for p in payments)
    stated = -total if sign == b"-" else total
    assert stated == net, f"record {n}: TK29 total {stated}, records sum to {net}"
    return {"count": count, "total_ore": stated}


def check_body(records: list[bytes], opening: dict) -> list[dict]:
    """The records between TK11 and TK29: payment records, each optionally followed by TK25."""
    payments: list[dict] = []
    for n, record in enumerate(records, 2):
        kind = field(record, 1, 2)
        if kind in PAYMENT_TYPES:
            payments.append(check_payment(record, opening, n))
        elif kind == b"25":
            # only payment records and TK25 reach here, so a TK25 always follows one of them
            last = payments[-1] if payments else None
            text = check_information(record, last, n)
            last["tk25"].append(text)
        else:
            raise AssertionError(f"record {n}: record type {kind!r} not allowed here")
    return payments


def check_lb_file(data: bytes) -> dict:
    """Check a whole file (one section); return what it says, for further assertions."""
    records = split_records(data)
    assert len(records) >= 2, "a file needs at least TK11 and TK29"
    for n, record in enumerate(records, 1):
        check_characters(record, n)
    opening = check_opening(records[0], 1)
    payments = check_body(records[1:-1], opening)
    totals = check_totals(records[-1], opening, payments, len(records))
    return {**opening, **totals, "payments": payments, "records": len(records)}
