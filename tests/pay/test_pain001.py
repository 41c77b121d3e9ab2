"""The ISO 20022 pain.001.001.03 writer, its netting of credits and its reader, validated against
the XSD in ../shared/xsd/ (skipped with a reason when that folder is not beside the repo)."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from lovkorning.core.ids import luhn_complete
from lovkorning.pay.lb import Payment
from lovkorning.pay.pain001 import (
    NAMESPACE, end_to_end_id, format_kronor, is_ocr_reference, parse_pain001_totals, render_pain001)
from lovkorning.pay.netting import net_payments

XSD_PATH = Path(__file__).resolve().parents[2].parent / "shared" / "xsd" / "pain.001.001.03.xsd"
NS = {"p": NAMESPACE}

# The example bankgiro numbers of bankgirot-lb.md.
PAYER_BG = "991-2346"
BG_A = "123-4566"
BG_B = "1234-5674"
PAYER = "Norrköpings kommun"
CREATED = datetime(2026, 5, 20, 9, 30, 0)
EXECUTION = date(2026, 5, 25)
MSG_ID = "LOV-2026-05-0001"


@pytest.fixture(scope="module")
def schema() -> etree.XMLSchema:
    if not XSD_PATH.is_file():
        pytest.skip(f"the pain.001.001.03 schema is not at {XSD_PATH} "
                    "(../shared/xsd beside the repo)")
    return etree.XMLSchema(etree.parse(str(XSD_PATH)))


def assert_valid(schema: etree.XMLSchema, data: bytes) -> etree._Element:
    doc = etree.fromstring(data)
    assert schema.validate(doc), str(schema.error_log)
    return doc


def pay(bankgiro: str, ore: int, reference: str = "LOV 2026-05", kind: str = "14") -> Payment:
    return Payment(bankgiro=bankgiro, amount_ore=ore, reference=reference, payment_date="",
                   info="HT MAJ 2026", kind=kind)


def render(payments: list[Payment], **kwargs) -> bytes:
    args = {"msg_id": MSG_ID, "created": CREATED, "execution_date": EXECUTION} | kwargs
    return render_pain001(PAYER, PAYER_BG, payments, **args)


def texts(doc: etree._Element, path: str) -> list[str]:
    return [node.text for node in doc.iterfind(path, NS)]


def one(doc: etree._Element, path: str) -> str:
    found = texts(doc, path)
    assert len(found) == 1, (path, found)
    return found[0]


# --- the document ------------------------------------------------------------------------------

def test_structure_and_header(schema):
    data = render([pay(BG_A, 123456), pay(BG_B, 8500000)])
    assert data.startswith(b'<?xml version="1.0" encoding="UTF-8"?>\n')
    doc = assert_valid(schema, data)
    assert doc.tag == f"{{{NAMESPACE}}}Document"
    assert one(doc, ".//p:GrpHdr/p:MsgId") == MSG_ID
    assert one(doc, ".//p:GrpHdr/p:CreDtTm") == "2026-05-20T09:30:00"
    assert one(doc, ".//p:GrpHdr/p:NbOfTxs") == "2"
    assert one(doc, ".//p:GrpHdr/p:CtrlSum") == "86234.56"
    assert one(doc, ".//p:GrpHdr/p:InitgPty/p:Nm") == PAYER
    assert len(doc.findall(".//p:PmtInf", NS)) == 1
    assert one(doc, ".//p:PmtInf/p:PmtMtd") == "TRF"
    assert one(doc, ".//p:PmtInf/p:ReqdExctnDt") == "2026-05-25"
    assert one(doc, ".//p:PmtInf/p:Dbtr/p:Nm") == PAYER
    assert one(doc, ".//p:DbtrAcct/p:Id/p:Othr/p:Id") == "9912346"
    assert one(doc, ".//p:DbtrAcct/p:Id/p:Othr/p:SchmeNm/p:Prtry") == "BGNR"
    assert one(doc, ".//p:DbtrAgt/p:FinInstnId/p:ClrSysMmbId/p:ClrSysId/p:Cd") == "SESBA"
    assert one(doc, ".//p:DbtrAgt/p:FinInstnId/p:ClrSysMmbId/p:MmbId") == "9900"


def test_creditor_fields(schema):
    doc = assert_valid(schema, render([pay(BG_A, 100), pay(BG_B, 200)],
                                      creditor_names={"1234566": "Omsorg Öst AB"}))
    txs = doc.findall(".//p:CdtTrfTxInf", NS)
    assert texts(doc, ".//p:CdtTrfTxInf/p:PmtId/p:EndToEndId") == [f"{MSG_ID}-1", f"{MSG_ID}-2"]
    assert texts(doc, ".//p:CdtrAcct/p:Id/p:Othr/p:Id") == ["1234566", "12345674"]
    assert texts(doc, ".//p:CdtrAcct/p:Id/p:Othr/p:SchmeNm/p:Prtry") == ["BGNR", "BGNR"]
    assert texts(doc, ".//p:CdtrAgt/p:FinInstnId/p:ClrSysMmbId/p:ClrSysId/p:Cd") == ["SESBA"] * 2
    assert texts(doc, ".//p:CdtrAgt/p:FinInstnId/p:ClrSysMmbId/p:MmbId") == ["9900"] * 2
    assert texts(doc, ".//p:Cdtr/p:Nm") == ["Omsorg Öst AB", "Bankgiro 1234-5674"]
    for tx in txs:
        assert tx.find("p:Amt/p:InstdAmt", NS).get("Ccy") == "SEK"


def test_creditor_names_accept_any_bankgiro_form():
    doc = etree.fromstring(render([pay(BG_B, 100)], creditor_names={"1234-5674": "Vård AB"}))
    assert one(doc, ".//p:Cdtr/p:Nm") == "Vård AB"


def test_timezone_aware_created_keeps_its_offset():
    created = datetime(2026, 5, 20, 9, 30, 15, 123456, tzinfo=timezone(timedelta(hours=2)))
    doc = etree.fromstring(render([pay(BG_A, 100)], created=created))
    assert one(doc, ".//p:GrpHdr/p:CreDtTm") == "2026-05-20T09:30:15+02:00"


# --- amounts -----------------------------------------------------------------------------------

@pytest.mark.parametrize("ore, text", [
    (1, "0.01"), (100, "1.00"), (12_345_678_901, "123456789.01"), (99, "0.99"), (1000, "10.00"),
    (100_000, "1000.00"), (10**18 - 1, "9999999999999999.99"),
])
def test_format_kronor(ore, text):
    assert format_kronor(ore) == text


@pytest.mark.parametrize("ore, text", [
    (1, "0.01"), (12_345_678_901, "123456789.01"), (100, "1.00"),
    (10**18 - 1, "9999999999999999.99"),  # the largest the schema takes; a float would round it
])
def test_amounts_in_the_file(schema, ore, text):
    doc = assert_valid(schema, render([pay(BG_A, ore)]))
    assert one(doc, ".//p:CdtTrfTxInf/p:Amt/p:InstdAmt") == text
    assert one(doc, ".//p:GrpHdr/p:CtrlSum") == text


def test_ctrl_sum_is_the_sum(schema):
    amounts = [1, 12_345_678_901, 100]
    payments = [pay(BG_A, amounts[0]), pay(BG_B, amounts[1]), pay(BG_A, amounts[2])]
    doc = assert_valid(schema, render(payments))
    assert one(doc, ".//p:GrpHdr/p:CtrlSum") == "123456790.02"
    assert one(doc, ".//p:PmtInf/p:CtrlSum") == "123456790.02"
    assert one(doc, ".//p:GrpHdr/p:NbOfTxs") == "3"


@pytest.mark.parametrize("bad", [0, -100, 1.5, True, "100", 10**18])
def test_bad_amounts_are_refused(bad):
    with pytest.raises(ValueError):
        render([pay(BG_A, bad)])


def test_refusals():
    with pytest.raises(ValueError, match="minst en"):
        render([])
    with pytest.raises(ValueError, match="kvitta"):
        render([pay(BG_A, 100, kind="16")])
    with pytest.raises(ValueError, match="bankgiro"):
        render([pay("123-4567", 100)])  # Luhn-invalid
    with pytest.raises(ValueError):
        render_pain001(PAYER, "123-4567", [pay(BG_A, 100)], msg_id=MSG_ID, created=CREATED,
                       execution_date=EXECUTION)
    with pytest.raises(ValueError):
        render_pain001(" \t", PAYER_BG, [pay(BG_A, 100)], msg_id=MSG_ID, created=CREATED,
                       execution_date=EXECUTION)
    for msg_id in ["", "x" * 36, "LOV_2026", " LOV", "LOVÅ"]:
        with pytest.raises(ValueError, match="meddelande-id"):
            render([pay(BG_A, 100)], msg_id=msg_id)


def test_end_to_end_ids_fit_35_characters(schema):
    long_id = "A" * 35
    doc = assert_valid(schema, render([pay(BG_A, 100)] * 12, msg_id=long_id))
    ids = texts(doc, ".//p:EndToEndId")
    assert len(set(ids)) == 12 and all(len(i) <= 35 for i in ids)
    assert ids[0] == "A" * 33 + "-1" and ids[11] == "A" * 32 + "-12"
    assert end_to_end_id("LOV", 7) == "LOV-7"


# --- references --------------------------------------------------------------------------------

def test_ocr_detection():
    ocr = luhn_complete("2605001")
    assert ocr == "26050013" and is_ocr_reference(ocr)
    assert not is_ocr_reference("26050014")          # wrong check digit
    assert not is_ocr_reference("0")                 # too short
    assert is_ocr_reference(luhn_complete("1" * 24))  # 25 digits
    assert not is_ocr_reference(luhn_complete("1" * 25))  # 26 digits
    assert not is_ocr_reference("LOV 2026-05")


def test_ocr_goes_structured_text_unstructured(schema):
    ocr = luhn_complete("123456789")
    doc = assert_valid(schema, render([pay(BG_A, 100, ocr), pay(BG_B, 200, "LOV 2026-05"),
                                       pay(BG_A, 300, "26050014")]))
    tx1, tx2, tx3 = doc.findall(".//p:CdtTrfTxInf", NS)
    assert one(tx1, "p:RmtInf/p:Strd/p:CdtrRefInf/p:Tp/p:CdOrPrtry/p:Cd") == "SCOR"
    assert one(tx1, "p:RmtInf/p:Strd/p:CdtrRefInf/p:Ref") == ocr
    assert tx1.find("p:RmtInf/p:Ustrd", NS) is None
    assert one(tx2, "p:RmtInf/p:Ustrd") == "LOV 2026-05"
    assert tx2.find("p:RmtInf/p:Strd", NS) is None
    assert one(tx3, "p:RmtInf/p:Ustrd") == "26050014"  # digits but no valid check digit: text


def test_empty_reference_has_no_remittance(schema):
    doc = assert_valid(schema, render([pay(BG_A, 100, "")]))
    assert doc.find(".//p:RmtInf", NS) is None


def test_long_text_is_cut_to_the_allowed_lengths(schema):
    doc = assert_valid(schema, render([pay(BG_A, 100, "R" * 200)],
                                      creditor_names={BG_A: "N" * 100}))
    assert one(doc, ".//p:Ustrd") == "R" * 140
    assert one(doc, ".//p:Cdtr/p:Nm") == "N" * 70


# --- text --------------------------------------------------------------------------------------

def test_swedish_letters_and_ampersand_survive(schema):
    payer = "Östra Göinge & Åre kommun <ö>"
    data = render_pain001(payer, PAYER_BG, [pay(BG_A, 100, "Lön & ersättning för maj")],
                          msg_id=MSG_ID, created=CREATED, execution_date=EXECUTION,
                          creditor_names={BG_A: "Hemtjänst Ängel & Co AB"})
    assert "Östra Göinge &amp; Åre kommun &lt;ö&gt;".encode() in data  # UTF-8, escaped
    doc = assert_valid(schema, data)
    assert one(doc, ".//p:GrpHdr/p:InitgPty/p:Nm") == payer
    assert one(doc, ".//p:Dbtr/p:Nm") == payer
    assert one(doc, ".//p:Cdtr/p:Nm") == "Hemtjänst Ängel & Co AB"
    assert one(doc, ".//p:Ustrd") == "Lön & ersättning för maj"


def test_control_characters_are_blanked(schema):
    doc = assert_valid(schema, render([pay(BG_A, 100, "LOV\x00 2026\n05\x1f")],
                                      creditor_names={BG_A: "A\tB\x07"}))
    assert one(doc, ".//p:Ustrd") == "LOV 2026 05"
    assert one(doc, ".//p:Cdtr/p:Nm") == "A B"


def test_decomposed_letters_are_composed():
    doc = etree.fromstring(render([pay(BG_A, 100)], creditor_names={BG_A: "A\u030angel"}))
    assert one(doc, ".//p:Cdtr/p:Nm") == "Ångel"


# --- determinism -------------------------------------------------------------------------------

def test_same_arguments_same_bytes():
    payments = [pay(BG_A, 100, "Å & Ö"), pay(BG_B, 12_345_678_901, luhn_complete("42"))]
    assert render(payments) == render(list(payments))
    assert render(payments) != render(payments, created=CREATED + timedelta(seconds=1))


# --- netting -----------------------------------------------------------------------------------

def test_credit_smaller_than_payment_gives_one_transaction(schema):
    send, remaining = net_payments([pay(BG_A, 100_000), pay(BG_A, 30_000, "KREDIT", kind="16")])
    assert remaining == []
    assert [(p.bankgiro, p.amount_ore, p.kind, p.reference) for p in send] == \
        [("1234566", 70_000, "14", "LOV 2026-05")]
    doc = assert_valid(schema, render(send))
    assert texts(doc, ".//p:InstdAmt") == ["700.00"]
    assert parse_pain001_totals(render(send)) == (1, 70_000)


def test_credit_larger_than_payment_remains():
    send, remaining = net_payments([pay(BG_A, 30_000), pay(BG_A, 100_000, "KREDIT 098", kind="16")])
    assert send == []
    assert [(p.bankgiro, p.amount_ore, p.kind, p.reference) for p in remaining] == \
        [("1234566", 70_000, "16", "KREDIT 098")]


def test_credit_without_payment_remains(schema):
    send, remaining = net_payments([pay(BG_A, 50_000), pay(BG_B, 15_000, "KREDIT", kind="16")])
    assert [(p.bankgiro, p.amount_ore) for p in send] == [("1234566", 50_000)]
    assert [(p.bankgiro, p.amount_ore, p.kind) for p in remaining] == [("12345674", 15_000, "16")]
    assert_valid(schema, render(send))


def test_equal_payment_and_credit_cancel():
    assert net_payments([pay(BG_A, 500), pay(BG_A, 500, kind="16")]) == ([], [])


def test_several_entries_per_bankgiro_combine():
    send, remaining = net_payments([
        pay(BG_A, 1_000, "LOV 2026-05"), pay("1234566", 2_000, "LOV 2026-04"),
        pay(BG_A, 500, "KREDIT", kind="16"), pay(BG_A, 100, "AVDRAG", kind="15"),
        pay(BG_B, 7, "LOV 2026-05"), pay(BG_B, 3, "LOV 2026-05"),
    ])
    assert remaining == []
    assert [(p.bankgiro, p.amount_ore, p.reference) for p in send] == [
        ("1234566", 2_400, "LOV 2026-05 / LOV 2026-04"), ("12345674", 10, "LOV 2026-05")]


def test_netting_keeps_an_ocr_and_the_first_entry_fields():
    ocr = luhn_complete("2605001")
    first = Payment(BG_A, 1_000, ocr, "260525", "HT MAJ 2026 LEV 001")
    send, _ = net_payments([first, pay(BG_A, 100, "KREDIT", kind="16")])
    assert send == [Payment("1234566", 900, ocr, "260525", "HT MAJ 2026 LEV 001", "14")]


@pytest.mark.parametrize("bad", [pay(BG_A, 0), pay(BG_A, -5), pay("123-4567", 100),
                                 pay(BG_A, 100, kind="99")])
def test_netting_refuses_bad_entries(bad):
    with pytest.raises(ValueError):
        net_payments([pay(BG_A, 100), bad])


# --- reading back ------------------------------------------------------------------------------

def test_parse_round_trip():
    data = render([pay(BG_A, 1), pay(BG_B, 12_345_678_901), pay(BG_A, 100)])
    assert parse_pain001_totals(data) == (3, 12_345_679_002)


def tamper(data: bytes, path: str, value: str) -> bytes:
    doc = etree.fromstring(data)
    doc.find(path, NS).text = value
    return etree.tostring(doc, xml_declaration=True, encoding="UTF-8")


def test_parse_refuses_a_tampered_ctrl_sum():
    data = render([pay(BG_A, 100_000), pay(BG_B, 250)])
    assert parse_pain001_totals(data) == (2, 100_250)
    with pytest.raises(ValueError, match="CtrlSum"):
        parse_pain001_totals(tamper(data, ".//p:GrpHdr/p:CtrlSum", "1002.51"))
    with pytest.raises(ValueError, match="NbOfTxs"):
        parse_pain001_totals(tamper(data, ".//p:GrpHdr/p:NbOfTxs", "3"))
    with pytest.raises(ValueError, match="CtrlSum"):
        parse_pain001_totals(tamper(data, ".//p:PmtInf/p:CtrlSum", "1.00"))
    with pytest.raises(ValueError, match="CtrlSum"):  # a changed amount no longer adds up
        parse_pain001_totals(tamper(data, ".//p:CdtTrfTxInf/p:Amt/p:InstdAmt", "1000.01"))
    with pytest.raises(ValueError, match="hela ören"):
        parse_pain001_totals(tamper(data, ".//p:GrpHdr/p:CtrlSum", "1002.505"))


def test_parse_accepts_trailing_zeros_and_refuses_junk():
    data = render([pay(BG_A, 150)])
    assert parse_pain001_totals(tamper(data, ".//p:GrpHdr/p:CtrlSum", "1.5000")) == (1, 150)
    with pytest.raises(ValueError):
        parse_pain001_totals(b"not xml")
    with pytest.raises(ValueError):
        parse_pain001_totals(b"<Document/>")


# --- property ----------------------------------------------------------------------------------

BANKGIROS = [BG_A, BG_B, "5050-1055", "9912346"]
entries = st.builds(
    pay,
    bankgiro=st.sampled_from(BANKGIROS),
    ore=st.integers(min_value=1, max_value=10**12),
    reference=st.one_of(st.just("LOV 2026-05"),
                        st.integers(1, 10**20).map(lambda n: luhn_complete(str(n))),
                        st.text(max_size=40)),
    kind=st.sampled_from(["14", "14", "16"]),
)


@settings(max_examples=150, deadline=None)
@given(payments=st.lists(entries, max_size=15), names=st.text(max_size=90))
def test_property_netted_file_validates_and_reconciles(schema, payments, names):
    send, remaining = net_payments(payments)
    signed = sum(p.amount_ore if p.kind == "14" else -p.amount_ore for p in payments)
    assert sum(p.amount_ore for p in send) - sum(p.amount_ore for p in remaining) == signed
    assert len({p.bankgiro for p in send + remaining}) == len(send) + len(remaining)
    assert all(p.amount_ore > 0 for p in send + remaining)
    if not send:
        return
    data = render_pain001(PAYER + names, PAYER_BG, send, msg_id=MSG_ID, created=CREATED,
                          execution_date=EXECUTION, creditor_names={BG_A: names})
    assert_valid(schema, data)
    assert parse_pain001_totals(data) == (len(send), sum(p.amount_ore for p in send))
