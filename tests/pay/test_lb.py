"""The Bankgirot Leverantörsbetalningar writer and reader, against the spec's example and the
independent checker in lbcheck.py."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from support.lbcheck import check_lb_file, field
from lovkorning.core.ids import luhn_complete
from lovkorning.pay.lb import Payment, parse_lb_totals, render_lb, transliterate

# The example of bankgirot-lb.md, column 80 marked by '|' there.
SPEC_EXAMPLE = [
    "110009912346260520LEVERANTÖRSBETALNINGAR                   SEK                  ",
    "14000123456626050013                 000001234567260525     HT MAJ 2026 LEV 001 ",
    "140012345674FAKTURA 2026-117         000008500000260525     HT MAJ 2026 LEV 002 ",
    "160012345674KREDIT 2026-098          000000150000260630     KREDIT LEV 002      ",
    "29000991234600000003000009584567                                                ",
]
EXAMPLE_BYTES = b"".join(line.encode("iso-8859-1") + b"\r\n" for line in SPEC_EXAMPLE)
FILE_DATE = date(2026, 5, 20)


def example_payments() -> list[Payment]:
    return [
        Payment("1234566", 1234567, "26050013", "260525", "HT MAJ 2026 LEV 001"),
        Payment("1234-5674", 8500000, "FAKTURA 2026-117", "260525", "HT MAJ 2026 LEV 002"),
        Payment("12345674", 150000, "KREDIT 2026-098", "260630", "KREDIT LEV 002", kind="16"),
    ]


def render(payments: list[Payment], section_date: str = "") -> bytes:
    return render_lb("991-2346", FILE_DATE, section_date, payments)


def records(data: bytes) -> list[bytes]:
    return data.split(b"\r\n")[:-1]


# --- the spec's example ----------------------------------------------------------------------

def test_spec_example_byte_for_byte():
    assert render(example_payments()) == EXAMPLE_BYTES
    assert render_lb("9912346", FILE_DATE, "", example_payments()) == EXAMPLE_BYTES


def test_spec_example_passes_the_checker_and_the_reader():
    info = check_lb_file(EXAMPLE_BYTES)
    assert (info["count"], info["total_ore"], info["records"]) == (3, 9584567, 5)
    assert parse_lb_totals(EXAMPLE_BYTES) == (3, 9584567, 9584567)


# --- field positions, by byte slicing ------------------------------------------------------

def test_opening_record_positions():
    tk11 = records(render(example_payments()))[0]
    assert len(tk11) == 80
    assert field(tk11, 1, 2) == b"11"
    assert field(tk11, 3, 12) == b"0009912346"
    assert field(tk11, 13, 18) == b"260520"
    assert field(tk11, 19, 40) == "LEVERANTÖRSBETALNINGAR".encode("iso-8859-1")
    assert field(tk11, 41, 46) == b" " * 6
    assert field(tk11, 47, 59) == b" " * 13
    assert field(tk11, 60, 62) == b"SEK"
    assert field(tk11, 63, 80) == b" " * 18


def test_payment_record_positions():
    tk14 = records(render(example_payments()))[2]
    assert field(tk14, 1, 2) == b"14"
    assert field(tk14, 3, 12) == b"0012345674"
    assert field(tk14, 13, 37) == b"FAKTURA 2026-117".ljust(25)
    assert field(tk14, 38, 49) == b"000008500000"
    assert field(tk14, 50, 55) == b"260525"
    assert field(tk14, 56, 60) == b" " * 5
    assert field(tk14, 61, 80) == b"HT MAJ 2026 LEV 002".ljust(20)


def test_credit_record_positions():
    tk16 = records(render(example_payments()))[3]
    assert field(tk16, 1, 2) == b"16"
    assert field(tk16, 38, 49) == b"000000150000"
    assert field(tk16, 50, 55) == b"260630"


def test_totals_record_positions():
    tk29 = records(render(example_payments()))[-1]
    assert field(tk29, 1, 2) == b"29"
    assert field(tk29, 3, 12) == b"0009912346"
    assert field(tk29, 13, 20) == b"00000003"
    assert field(tk29, 21, 32) == b"000009584567"
    assert field(tk29, 33, 33) == b" "
    assert field(tk29, 34, 80) == b" " * 47


def test_every_record_ends_with_crlf_including_the_last():
    data = render(example_payments())
    assert data.endswith(b"\r\n")
    assert data.count(b"\r\n") == 5 and len(data) == 5 * 82


def test_section_date_in_tk11_and_blank_in_tk14():
    payments = [Payment("1234566", 100, "LOV 2023-09", "", "LOV 2023-09")]
    data = render_lb("991-2346", date(2023, 10, 9), "231013", payments)
    tk11, tk14 = records(data)[:2]
    assert field(tk11, 41, 46) == b"231013"
    assert field(tk14, 50, 55) == b" " * 6
    check_lb_file(data)


def test_genast():
    data = render([Payment("1234566", 100, "LOV 2026-04", "GENAST")])
    assert field(records(data)[1], 50, 55) == b"GENAST"
    check_lb_file(data)


# --- text ------------------------------------------------------------------------------------

def test_o_umlaut_in_a_reference_stays_one_byte():
    data = render([Payment("1234566", 100, "LÖN ÖSTERÅKER", "260525", "Hemtjänst Ö")])
    tk14 = records(data)[1]
    assert len(tk14) == 80
    assert field(tk14, 13, 37) == "LÖN ÖSTERÅKER".ljust(25).encode("iso-8859-1")
    assert field(tk14, 38, 49) == b"000000000100"  # not shifted by the Ö
    assert field(tk14, 61, 80) == "Hemtjänst Ö".ljust(20).encode("iso-8859-1")
    check_lb_file(data)


@pytest.mark.parametrize(
    "text,expected",
    [
        ("Søren Æble", "Sören Äble"),
        ("ØRE æra", "ÖRE ära"),
        ("Vård & Omsorg", "Vård OCH Omsorg"),
        ("Café Ümeå", "Café Ümeå"),
        ("Åsa Ängel", "Åsa Ängel"),
        ("Ñandú Çelik Łódź", "Nandu Celik Lodz"),  # Ł has no decomposition: its usual Latin spelling
        ("Œuvre Þór Đorđe", "OEuvre THor Dorde"),
        ("Straße", "Strasse"),
        ("A\u0308B", "ÄB"),  # decomposed Ä is composed first
        ("tab\there€", "tab here "),
        ("ﬁ²", "fi2"),
        ("plain ASCII !#%()*+,-./:;<=>?@[]_{|}~", "plain ASCII !#%()*+,-./:;<=>?@[]_{|}~"),
    ],
)
def test_transliterate(text, expected):
    assert transliterate(text) == expected


def test_text_fields_are_truncated_after_transliteration():
    data = render([Payment("1234566", 100, "A & B " + "X" * 40, "260525", "Å" * 30)])
    tk14 = records(data)[1]
    assert field(tk14, 13, 37) == b"A OCH B " + b"X" * 17
    assert field(tk14, 61, 80) == "Å".encode("iso-8859-1") * 20
    check_lb_file(data)


# --- totals ----------------------------------------------------------------------------------

def test_negative_net_total():
    payments = [
        Payment("1234566", 1000, "LOV 2026-04", "260525"),
        Payment("1234566", 2500, "RÄTTELSE 2026-03", "260630", kind="16"),
    ]
    data = render(payments)
    tk29 = records(data)[-1]
    assert field(tk29, 13, 20) == b"00000002"
    assert field(tk29, 21, 32) == b"000000001500"
    assert field(tk29, 33, 33) == b"-"
    assert check_lb_file(data)["total_ore"] == -1500
    assert parse_lb_totals(data) == (2, -1500, -1500)


def test_empty_section():
    data = render([])
    assert field(records(data)[-1], 13, 33) == b"0" * 20 + b" "
    assert parse_lb_totals(data) == (0, 0, 0)


# --- errors ----------------------------------------------------------------------------------

@pytest.mark.parametrize(
    "payment",
    [
        Payment("1234566", 0, "NOLL", "260525"),
        Payment("1234566", -100, "MINUS", "260525"),
        Payment("1234566", 1_000_000_000_000, "FÖR STORT", "260525"),  # 13 digits
        Payment("1234566", 10.5, "FLYTTAL", "260525"),
        Payment("1234566", True, "BOOL", "260525"),
        Payment("1234567", 100, "FEL BANKGIRO", "260525"),
        Payment("123456", 100, "KORT BANKGIRO", "260525"),
        Payment("1234566", 100, "FEL DATUM", "260230"),
        Payment("1234566", 100, "FEL DATUM", "2605"),
        Payment("1234566", 100, "FEL DATUM", "SNARAST"),
        Payment("1234566", 100, "INGET DATUM", ""),  # and none in TK11
        Payment("1234566", 100, "FEL TYP", "260525", kind="54"),
        Payment("1234566", 0, "NOLLKREDIT", "260525", kind="16"),
    ],
)
def test_render_rejects(payment):
    with pytest.raises(ValueError):
        render([payment])


def test_render_rejects_bad_payer_and_total_overflow():
    with pytest.raises(ValueError):
        render_lb("123-4567", FILE_DATE, "", example_payments())
    with pytest.raises(ValueError):
        render_lb("991-2346", FILE_DATE, "26xx25", example_payments())
    big = Payment("1234566", 999_999_999_999, "MAX", "260525")
    render([big])  # fits
    with pytest.raises(ValueError):
        render([big, big])  # the total needs 13 digits


def _replace_record(data: bytes, index: int, new: bytes) -> bytes:
    recs = records(data)
    recs[index] = new
    return b"".join(r + b"\r\n" for r in recs)


_TK14 = records(EXAMPLE_BYTES)[1]


@pytest.mark.parametrize(
    "broken",
    [
        EXAMPLE_BYTES[:-2],                                      # no CR LF after the last
        EXAMPLE_BYTES.replace(b"\r\n", b"\n"),                   # LF only
        _replace_record(EXAMPLE_BYTES, 1, records(EXAMPLE_BYTES)[1][:79]),  # 79 bytes
        _replace_record(EXAMPLE_BYTES, 1, b"13" + records(EXAMPLE_BYTES)[1][2:]),  # unknown
        _replace_record(EXAMPLE_BYTES, 4, records(EXAMPLE_BYTES)[4].replace(b"03", b"04", 1)),
        _replace_record(EXAMPLE_BYTES, 1, _TK14[:40] + b"x" + _TK14[41:]),  # amount
        b"".join(r + b"\r\n" for r in records(EXAMPLE_BYTES)[:-1]),  # no TK29
        b"".join(r + b"\r\n" for r in records(EXAMPLE_BYTES)[1:]),   # no TK11
        "\r\n".join(SPEC_EXAMPLE).encode("utf-8") + b"\r\n",          # UTF-8: Ö is 2 bytes
        b"",
    ],
)
def test_parse_rejects_malformed_files(broken):
    with pytest.raises(ValueError):
        parse_lb_totals(broken)
    with pytest.raises(AssertionError):
        check_lb_file(broken)


def test_parse_returns_a_total_mismatch_for_the_caller():
    tk29 = records(EXAMPLE_BYTES)[4]
    wrong = _replace_record(EXAMPLE_BYTES, 4, tk29[:31] + b"8" + tk29[32:])
    assert parse_lb_totals(wrong) == (3, 9584567, 9584568)
    with pytest.raises(AssertionError):
        check_lb_file(wrong)


def test_parse_accepts_tk25_after_a_payment():
    tk25 = ("250001234566" + "MEDDELANDE TILL MOTTAGAREN".ljust(50) + " " * 18).encode("iso-8859-1")
    recs = records(EXAMPLE_BYTES)
    data = b"".join(r + b"\r\n" for r in recs[:2] + [tk25] + recs[2:])
    assert parse_lb_totals(data) == (3, 9584567, 9584567)
    assert check_lb_file(data)["payments"][0]["tk25"] == ["MEDDELANDE TILL MOTTAGAREN".ljust(50)]
    misplaced = b"".join(r + b"\r\n" for r in recs[:1] + [tk25] + recs[1:])
    with pytest.raises(ValueError):
        parse_lb_totals(misplaced)


# --- the checker catches what the writer must never do ---------------------------------------

@pytest.mark.parametrize(
    "index,start,end,junk",
    [
        (0, 47, 47, b"X"),    # filler not blank
        (0, 60, 62, b"NOK"),
        (1, 56, 56, b"1"),
        (1, 50, 55, b"251301"),  # no such date
        (1, 50, 55, b"260101"),  # before the file date
        (1, 3, 12, b"0001234567"),  # Luhn
        (1, 20, 20, b"\xf8"),  # ø is not allowed
        (4, 33, 33, b"+"),
    ],
)
def test_checker_rejects(index, start, end, junk):
    rec = records(EXAMPLE_BYTES)[index]
    broken = _replace_record(EXAMPLE_BYTES, index, rec[: start - 1] + junk + rec[end:])
    with pytest.raises(AssertionError):
        check_lb_file(broken)


# --- property: whatever the writer accepts, the checker and the reader agree on -------------

bankgiros = st.tuples(
    st.sampled_from("123456789"), st.text("0123456789", min_size=5, max_size=6)
).map(lambda t: luhn_complete("".join(t)))
texts = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=40)
payments = st.builds(
    Payment,
    bankgiro=bankgiros,
    amount_ore=st.integers(min_value=1, max_value=10**10),
    reference=texts,
    payment_date=st.sampled_from(["260525", "260601", "GENAST"]),
    info=texts,
    kind=st.sampled_from(["14", "14", "14", "15", "16"]),
)


@given(st.lists(payments, max_size=8))
def test_rendered_files_pass_the_checker(payment_list):
    data = render(payment_list)
    net = sum(p.amount_ore if p.kind == "14" else -p.amount_ore for p in payment_list)
    info = check_lb_file(data)
    assert (info["count"], info["total_ore"]) == (len(payment_list), net)
    assert parse_lb_totals(data) == (len(payment_list), net, net)
    assert [p["amount_ore"] for p in info["payments"]] == [p.amount_ore for p in payment_list]
