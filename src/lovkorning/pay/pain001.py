"""ISO 20022 pain.001.001.03 (Customer Credit Transfer Initiation) for bank giro payees.

The second payment format of contract.md §4, for banks that no longer take Bankgirot's
Leverantörsbetalningar (LB); the layout follows the last section of
../shared/spec/bankgirot-lb.md and validates against ../shared/xsd/pain.001.001.03.xsd.

One message, one payment instruction (PmtInf, PmtMtd TRF) debiting the municipality's bankgiro,
one credit transfer (CdtTrfTxInf) per payee:

- a bank giro account, debtor's or creditor's, is `Acct/Id/Othr/Id` = the bankgiro digits with
  `SchmeNm/Prtry` = `BGNR`, and its agent is `FinInstnId/ClrSysMmbId` with `ClrSysId/Cd`
  `SESBA` (the Swedish clearing system) and `MmbId` `9900` (Bankgirot's clearing number);
- DbtrAgt: the schema requires the element and a `FinInstnId` but none of FinInstnId's children,
  so an empty `<FinInstnId/>` would validate. It tells a bank nothing, though, and the config
  knows no BIC of the municipality's bank, so the debtor agent is written like the creditor
  agents (SESBA/9900): it states that DbtrAcct is a bank giro number, which validates and is
  the same convention the spec gives for payees. `Othr/Id NOTPROVIDED` (EPC's placeholder for
  an unknown BIC) is not needed: nothing in the schema requires it.
- amounts are kronor with exactly two decimals, formatted from integer öre with integer
  arithmetic (never a float): 1 öre is `0.01`, 12 345 678 901 öre is `123456789.01`;
- the reference is `RmtInf/Ustrd` (≤ 140), except an OCR reference (2–25 digits whose last is
  a Luhn check digit), which is `RmtInf/Strd/CdtrRefInf` with `Tp/CdOrPrtry/Cd` `SCOR`;
- names are ≤ 70 characters (the common implementation guidelines' limit; the schema itself
  allows 140); text keeps å/ä/ö as they are (the file is UTF-8), control characters become
  blanks and the XML library escapes `&` and `<`;
- GrpHdr carries NbOfTxs and CtrlSum; PmtInf repeats them. `CreDtTm` is the `created`
  argument: nothing here reads the clock, so the same arguments give the same bytes.

Credits. An ISO credit transfer cannot carry a credit invoice (LB's TK16). `net_payments`
therefore nets, per bankgiro, the credits (kind "16", and deductions "15") against the
payments (kind "14"): Σ 14 − Σ 15/16. A positive net is one combined payment for the file; a
negative net is a credit that remains owed TO the municipality. Remaining credits are returned
as kind "16" entries with a positive amount: they are reported, never paid and never put in the
file, and the caller nets them against the next month's payments to that bankgiro.

`parse_pain001_totals` reads a file back for the run's reconciliation (count and öre) using
nothing from the writer, and refuses a file whose GrpHdr NbOfTxs/CtrlSum disagree with its
transactions.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from datetime import date, datetime

from lxml import etree
from stdnum import luhn

from ..core.ids import format_bankgiro, normalize_bankgiro
from .lb import Payment


NAMESPACE = "urn:iso:std:iso:20022:tech:xsd:pain.001.001.03"
CURRENCY = "SEK"
BANKGIRO_SCHEME = "BGNR"
CLEARING_SYSTEM = "SESBA"
BANKGIRO_CLEARING_MEMBER = "9900"
OCR_REFERENCE_TYPE = "SCOR"

NAME_MAX = 70
USTRD_MAX = 140
ID_MAX = 35
XML_DECLARATION = b'<?xml version="1.0" encoding="UTF-8"?>\n'
MAX_ORE = 10**18 - 1  # DecimalNumber and the amount type allow 18 digits in all

PAYMENT, DEDUCTION, CREDIT = "14", "15", "16"
_KINDS = (PAYMENT, DEDUCTION, CREDIT)

# MsgId: the SWIFT character set banks accept in identifiers, 1–35 characters.
_MSG_ID = re.compile(r"[A-Za-z0-9/\-?:().,'+ ]{1,35}")
_OCR = re.compile(r"[0-9]{2,25}")
_AMOUNT = re.compile(r"([0-9]+)(?:\.([0-9]+))?")


# --- validation of what is given ------------------------------------------------------------


def bankgiro_digits(text: str) -> str:
    digits = normalize_bankgiro(text)
    if digits is None:
        raise ValueError(f"Ogiltigt bankgironummer: '{text}'.")
    return digits


def check_amount(amount_ore: object) -> int:
    if isinstance(amount_ore, bool) or not isinstance(amount_ore, int):
        raise ValueError(f"Beloppet måste vara ett heltal (öre), inte {amount_ore!r}.")
    if not 0 < amount_ore <= MAX_ORE:
        raise ValueError(
            f"Beloppet måste vara större än noll och högst {MAX_ORE} öre: {amount_ore}.")
    return amount_ore


def check_kind(kind: str) -> str:
    if kind not in _KINDS:
        raise ValueError(f"Okänd posttyp '{kind}': använd 14, 15 eller 16.")
    return kind


def _check_msg_id(msg_id: str) -> str:
    if not isinstance(msg_id, str) or not _MSG_ID.fullmatch(msg_id) or msg_id.strip() != msg_id:
        raise ValueError(
            f"Ogiltigt meddelande-id {msg_id!r}: 1–35 tecken A–Z, a–z, 0–9 och "
            "/ - ? : ( ) . , ' +"
            ", utan inledande eller avslutande blanksteg."
        )
    return msg_id


# --- text -----------------------------------------------------------------------------------


def _xml_char(ch: str) -> bool:
    """A character XML 1.0 allows in text and that is not a control character."""
    code = ord(ch)
    return (0x20 <= code <= 0xD7FF or 0xE000 <= code <= 0xFFFD or 0x10000 <= code <= 0x10FFFF) \
        and unicodedata.category(ch) != "Cc"


def clean_text(text: str, limit: int) -> str:
    """NFC text with control and non-XML characters blanked, blanks collapsed, at most limit
    characters. å/ä/ö, & and < are kept (lxml escapes what XML needs)."""
    text = unicodedata.normalize("NFC", text or "")
    text = "".join(ch if _xml_char(ch) else " " for ch in text)
    return " ".join(text.split())[:limit].rstrip()


def _name(text: str, what: str) -> str:
    name = clean_text(text, NAME_MAX)
    if not name:
        raise ValueError(f"{what} saknas.")
    return name


def is_ocr_reference(reference: str) -> bool:
    """2–25 digits whose last digit is a Luhn (mod 10) check digit over all of them."""
    return bool(_OCR.fullmatch(reference)) and luhn.is_valid(reference)


# --- amounts --------------------------------------------------------------------------------


def format_kronor(amount_ore: int) -> str:
    """Integer öre as kronor with exactly two decimals: 1 → '0.01', 100 → '1.00'."""
    if isinstance(amount_ore, bool) or not isinstance(amount_ore, int) or amount_ore < 0:
        raise ValueError(f"Beloppet måste vara ett icke-negativt heltal (öre): {amount_ore!r}.")
    kronor, ore = divmod(amount_ore, 100)
    return f"{kronor}.{ore:02d}"


def end_to_end_id(msg_id: str, index: int) -> str:
    """`<msg_id>-<index>` (index 1-based), msg_id shortened so the whole is ≤ 35 characters."""
    suffix = f"-{index}"
    return msg_id[: ID_MAX - len(suffix)].rstrip() + suffix


# --- XML ------------------------------------------------------------------------------------


def _q(tag: str) -> str:
    return f"{{{NAMESPACE}}}{tag}"


def _sub(parent: etree._Element, path: str, text: str | None = None,
         **attrib: str) -> etree._Element:
    """The element at path ('A/B/C') below parent, each step a new child; text on the last."""
    node = parent
    for tag in path.split("/"):
        node = etree.SubElement(node, _q(tag))
    if text is not None:
        node.text = text
    for key, value in attrib.items():
        node.set(key, value)
    return node


def _bankgiro_account(parent: etree._Element, tag: str, digits: str) -> None:
    other = _sub(parent, f"{tag}/Id/Othr")
    _sub(other, "Id", digits)
    _sub(other, "SchmeNm/Prtry", BANKGIRO_SCHEME)


def _bankgiro_agent(parent: etree._Element, tag: str) -> None:
    member = _sub(parent, f"{tag}/FinInstnId/ClrSysMmbId")
    _sub(member, "ClrSysId/Cd", CLEARING_SYSTEM)
    _sub(member, "MmbId", BANKGIRO_CLEARING_MEMBER)


def _remittance(parent: etree._Element, reference: str) -> None:
    """RmtInf: an OCR as Strd/CdtrRefInf (SCOR), other text as Ustrd; nothing if empty."""
    reference = clean_text(reference, USTRD_MAX)
    if not reference:
        return
    rmt = _sub(parent, "RmtInf")
    if is_ocr_reference(reference):
        ref_info = _sub(rmt, "Strd/CdtrRefInf")
        _sub(ref_info, "Tp/CdOrPrtry/Cd", OCR_REFERENCE_TYPE)
        _sub(ref_info, "Ref", reference)
    else:
        _sub(rmt, "Ustrd", reference)


def _creditor_name(digits: str, names: Mapping[str, str]) -> str:
    """The payee's name from names (keyed by bankgiro digits), else 'Bankgiro NNN-NNNN'."""
    return clean_text(names.get(digits, ""), NAME_MAX) or f"Bankgiro {format_bankgiro(digits)}"


def _transaction(pmt_inf: etree._Element, p: Payment, e2e_id: str,
                 names: Mapping[str, str]) -> None:
    digits = bankgiro_digits(p.bankgiro)
    tx = _sub(pmt_inf, "CdtTrfTxInf")
    _sub(tx, "PmtId/EndToEndId", e2e_id)
    _sub(tx, "Amt/InstdAmt", format_kronor(p.amount_ore), Ccy=CURRENCY)
    _bankgiro_agent(tx, "CdtrAgt")
    _sub(tx, "Cdtr/Nm", _creditor_name(digits, names))
    _bankgiro_account(tx, "CdtrAcct", digits)
    _remittance(tx, p.reference)


def _group_header(root: etree._Element, msg_id: str, created: datetime, count: int,
                  total: str, payer: str) -> None:
    header = _sub(root, "GrpHdr")
    _sub(header, "MsgId", msg_id)
    _sub(header, "CreDtTm", created.isoformat(timespec="seconds"))
    _sub(header, "NbOfTxs", str(count))
    _sub(header, "CtrlSum", total)
    _sub(header, "InitgPty/Nm", payer)


def _payment_information(root: etree._Element, msg_id: str, execution_date: date, count: int,
                         total: str, payer: str, payer_digits: str) -> etree._Element:
    pmt_inf = _sub(root, "PmtInf")
    _sub(pmt_inf, "PmtInfId", msg_id)
    _sub(pmt_inf, "PmtMtd", "TRF")
    _sub(pmt_inf, "NbOfTxs", str(count))
    _sub(pmt_inf, "CtrlSum", total)
    _sub(pmt_inf, "ReqdExctnDt", execution_date.isoformat())
    _sub(pmt_inf, "Dbtr/Nm", payer)
    _bankgiro_account(pmt_inf, "DbtrAcct", payer_digits)
    _bankgiro_agent(pmt_inf, "DbtrAgt")
    return pmt_inf


def _check_payments(payments: list[Payment]) -> int:
    """The total in öre of payments that can go in a file (kind 14, positive amounts)."""
    if not payments:
        raise ValueError("Inga betalningar: en pain.001-fil måste ha minst en transaktion.")
    for p in payments:
        if p.kind != PAYMENT:
            raise ValueError(
                f"Posttyp {p.kind} till bankgiro {p.bankgiro} kan inte skickas i en ISO 20022-fil: "
                "kvitta krediter först (net_payments)."
            )
        check_amount(p.amount_ore)
        bankgiro_digits(p.bankgiro)
    total = sum(p.amount_ore for p in payments)
    if total > MAX_ORE:
        raise ValueError(f"Totalbeloppet {total} öre får inte plats i CtrlSum.")
    return total


def render_pain001(
    payer_name: str,
    payer_bankgiro: str,
    payments: list[Payment],
    *,
    msg_id: str,
    created: datetime,
    execution_date: date,
    creditor_names: Mapping[str, str] | None = None,
) -> bytes:
    """A pain.001.001.03 message paying payments (all kind "14") from the payer's bankgiro.

    msg_id (1–35 characters) is MsgId and PmtInfId; EndToEndIds are `<msg_id>-<n>`. created
    is CreDtTm, execution_date ReqdExctnDt. creditor_names maps a payee's bankgiro (any
    accepted form) to the name in Cdtr/Nm; a payee without one is named 'Bankgiro NNN-NNNN'.
    Net credits with `net_payments` first: any kind but "14" is a ValueError, as are an empty
    list, an invalid bankgiro, a non-positive amount and an empty payer name.
    """
    msg_id = _check_msg_id(msg_id)
    payer = _name(payer_name, "Betalarens namn")
    payer_digits = bankgiro_digits(payer_bankgiro)
    total = format_kronor(_check_payments(payments))
    names = {bankgiro_digits(bg): name for bg, name in (creditor_names or {}).items()}

    root = etree.Element(_q("Document"), nsmap={None: NAMESPACE})
    initiation = _sub(root, "CstmrCdtTrfInitn")
    _group_header(initiation, msg_id, created, len(payments), total, payer)
    pmt_inf = _payment_information(initiation, msg_id, execution_date, len(payments), total,
                                   payer, payer_digits)
    for index, p in enumerate(payments, 1):
        _transaction(pmt_inf, p, end_to_end_id(msg_id, index), names)
    return XML_DECLARATION + etree.tostring(root, encoding="UTF-8", xml_declaration=False,
                                            pretty_print=True)


# --- reading back (independent of the writer above) -----------------------------------------

_NS = {"p": NAMESPACE}


def _parse_xml(data: bytes) -> etree._Element:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        raise ValueError(f"Betalfilen är inte giltig XML: {exc}") from exc
    if root.tag != f"{{{NAMESPACE}}}Document":
        raise ValueError(
            f"Betalfilen är inte en pain.001.001.03-fil: rotelementet är {root.tag}.")
    return root


def _ore(text: str | None, where: str) -> int:
    """A decimal amount in kronor as integer öre, without floats; ValueError if not whole öre."""
    m = _AMOUNT.fullmatch((text or "").strip())
    if not m:
        raise ValueError(f"{where}: ogiltigt belopp {text!r}.")
    kronor, decimals = m.group(1), m.group(2) or ""
    if decimals.rstrip("0")[2:]:
        raise ValueError(f"{where}: beloppet {text!r} är inte hela ören.")
    return int(kronor) * 100 + int((decimals + "00")[:2])


def _one(node: etree._Element, path: str, where: str) -> str:
    found = node.findall(path, _NS)
    if len(found) != 1:
        raise ValueError(f"{where}: {path} ska finnas exakt en gång, finns {len(found)} gånger.")
    return (found[0].text or "").strip()


def _count(text: str, where: str) -> int:
    if not re.fullmatch(r"[0-9]{1,15}", text):
        raise ValueError(f"{where}: ogiltigt antal {text!r}.")
    return int(text)


def _transaction_amounts(scope: etree._Element) -> list[int]:
    amounts = []
    for n, amt in enumerate(scope.iterfind(".//p:CdtTrfTxInf/p:Amt/p:InstdAmt", _NS), 1):
        if amt.get("Ccy") != CURRENCY:
            raise ValueError(f"Transaktion {n}: valutan är {amt.get('Ccy')!r}, inte {CURRENCY}.")
        amounts.append(_ore(amt.text, f"Transaktion {n}"))
    transactions = len(scope.findall(".//p:CdtTrfTxInf", _NS))
    if transactions != len(amounts):
        raise ValueError(f"{transactions - len(amounts)} transaktioner saknar Amt/InstdAmt.")
    return amounts


def _check_stated(where: str, count_text: str, sum_text: str, amounts: list[int]) -> None:
    count, total = _count(count_text, where), _ore(sum_text, f"{where} CtrlSum")
    if count != len(amounts):
        raise ValueError(f"{where}: NbOfTxs är {count}, filen har {len(amounts)} transaktioner.")
    if total != sum(amounts):
        raise ValueError(f"{where}: CtrlSum är {total} öre, transaktionerna summerar till "
                         f"{sum(amounts)} öre.")


def _check_payment_informations(root: etree._Element) -> None:
    """NbOfTxs and CtrlSum of every PmtInf that states them, against its own transactions."""
    for n, pmt_inf in enumerate(root.iterfind("p:CstmrCdtTrfInitn/p:PmtInf", _NS), 1):
        where, amounts = f"PmtInf {n}", _transaction_amounts(pmt_inf)
        count = pmt_inf.find("p:NbOfTxs", _NS)
        if count is not None and _count((count.text or "").strip(), where) != len(amounts):
            raise ValueError(f"{where}: NbOfTxs stämmer inte med antalet transaktioner.")
        ctrl_sum = pmt_inf.find("p:CtrlSum", _NS)
        if ctrl_sum is not None and _ore(ctrl_sum.text, f"{where} CtrlSum") != sum(amounts):
            raise ValueError(f"{where}: CtrlSum stämmer inte med transaktionernas summa.")


def parse_pain001_totals(data: bytes) -> tuple[int, int]:
    """(number of transactions, their total in öre) of a pain.001.001.03 file.

    ValueError if the bytes are not such a file, an amount is not SEK in whole öre, GrpHdr
    lacks NbOfTxs or CtrlSum, or GrpHdr's (or a PmtInf's) NbOfTxs/CtrlSum differ from the
    count and sum of the transactions.
    """
    root = _parse_xml(data)
    header = root.find("p:CstmrCdtTrfInitn/p:GrpHdr", _NS)
    if header is None:
        raise ValueError("Betalfilen saknar GrpHdr.")
    amounts = _transaction_amounts(root)
    _check_stated("GrpHdr", _one(header, "p:NbOfTxs", "GrpHdr"),
                  _one(header, "p:CtrlSum", "GrpHdr"), amounts)
    _check_payment_informations(root)
    return len(amounts), sum(amounts)
