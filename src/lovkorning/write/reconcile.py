"""The files on disk agree to the öre: payment file = workbooks = sammanställning = manifest.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from ..core.errors import ReconciliationError
from ..settle.result import Avrakning
from ..pay.lb import parse_lb_totals
from ..pay.plan import PaymentPlan


def parse_payments(data: bytes, fmt: str) -> tuple[int, int]:
    """(records, net öre) of a payment file as written."""
    if fmt == "pain.001":
        from ..pay.pain001 import parse_pain001_totals  # lazy: startup
        return parse_pain001_totals(data)
    count, net, tk29 = parse_lb_totals(data)
    if net != tk29:
        raise ReconciliationError(f"Betalfilens TK29 ({tk29}) stämmer inte med posterna ({net}).")
    return count, net


def read_back(avr: Avrakning, out: Path) -> dict[str, int]:
    """Each utförare's 'Att betala' as it stands in its workbook on disk."""
    from .readback import workbook_total  # lazy: startup
    return {u: workbook_total(out / "avrakning" / f"{u}.xlsx") for u in avr.utforare["utforare_id"].to_list()}


def expected_net(avr: Avrakning, sheets: dict[str, int], plan: PaymentPlan, fmt: str) -> int:
    """What the payment file must net to, from the workbooks as read back: every private
    utförare's amount, or for a correction, its difference from what was paid before, also for
    one paid before that is no longer private or in the register (owed nothing now; in pain.001
    only the amounts owed: ISO files cannot carry credits)."""
    private = avr.utforare.filter(pl.col("regi") == "privat")["utforare_id"].to_list()
    if plan.paid_before is None:
        return sum(sheets.get(u, 0) for u in private if sheets.get(u, 0) > 0)
    owed = {u: sheets.get(u, 0) for u in private}     # one paid before but no longer private is owed nothing
    diffs = [owed.get(u, 0) - plan.paid_before.get(u, 0) for u in sorted(set(private) | set(plan.paid_before))]
    return sum(d for d in diffs if d > 0 or fmt != "pain.001")


def reconcile(avr: Avrakning, sheets: dict[str, int], paid_in_summary: int, pay_bytes: bytes,
              plan: PaymentPlan | None, fmt: str) -> dict:
    """Payment file = the workbooks = the summary = the manifest, to the öre."""
    manifest_total = sum(avr.totals.values())
    private = sum(o for _, _, _, o in avr.private_payees())
    count, net = parse_payments(pay_bytes, fmt) if pay_bytes else (0, 0)
    want = expected_net(avr, sheets, plan, fmt) if plan else 0
    ok = sheets == avr.totals and paid_in_summary == private and (plan is None or net == want)
    return {"ok": ok, "manifest_total_ore": manifest_total, "sheets_total_ore": sum(sheets.values()),
            "summary_paid_ore": paid_in_summary, "payment_file_ore": net, "payment_records": count,
            "expected_payment_ore": want}
