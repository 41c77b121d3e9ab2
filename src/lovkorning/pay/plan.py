"""What a run pays: the payments (TK14) and credits (TK16) of its payment file in öre, for a first
run or as the difference a correction pays, and the file's bytes in the configured format.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from ..config.loaded import LoadedConfig
from ..core.errors import LovError
from ..core.period import Period
from ..core.schedule import execution_date, lb_payment_date_field
from ..settle.month import Settled
from ..settle.result import Avrakning
from .lb import Payment, render_lb

PAYMENT_FOLDER = "betalning"         # the version folder's folder of payment files


@dataclass
class PaymentPlan:
    """What a run's payment file holds: payments (kind 14) and credits (kind 16) in öre, and the
    earlier payment files of the month carried into this version for the record."""
    name: str
    payments: list[Payment]
    paid_before: dict[str, int] | None = None        # a correction: net öre paid per utförare so far
    carried: dict[str, bytes] = field(default_factory=dict)


def render_payments(cfg: LoadedConfig, avr: Avrakning, payments: list[Payment]) -> tuple[bytes, list[Payment]]:
    """The payment file's bytes, and the credits it could not carry (pain.001: netted per
    bankgiro; what remains owed to the municipality is reported, not paid)."""
    if cfg.cfg.payment_format != "pain.001":
        return render_lb(avr.kommun.bankgiro, avr.run.filedatum, "", payments), []
    from .netting import net_payments  # lazy: startup
    from .pain001 import render_pain001  # lazy: startup
    send, remaining = net_payments(payments)
    if not send:
        return b"", remaining
    names = dict(avr.utforare.select("bankgiro", "namn").drop_nulls().iter_rows())
    data = render_pain001(avr.kommun.namn, avr.kommun.bankgiro, send, msg_id=f"LOV-{avr.period.label}-{avr.run.run_id}",
                          created=datetime.combine(avr.run.filedatum, datetime.min.time()),
                          execution_date=execution_date(avr.run.betalningsdag, avr.run.filedatum),
                          creditor_names=names)
    return data, remaining


def payments(avr: Avrakning) -> list[Payment]:
    date_field = lb_payment_date_field(avr.run.betalningsdag, avr.run.filedatum)
    ref = f"LOV {avr.period.label}"
    return [Payment(bankgiro=bg, amount_ore=ore, reference=ref, payment_date=date_field, info=f"{uid} {avr.period.label}")
            for uid, _, bg, ore in avr.private_payees()]


def corrections(totals: dict[str, int], private: set[str], paid: dict[str, int],
                settled_before: dict[str, int]) -> dict[str, tuple[int, int, int]]:
    """(before, now, difference) per utförare whose figure changed. A private utförare is
    compared with what it was paid; one paid before that is no longer a private utförare (egen
    regi now, or gone from the register) is owed nothing now, so all it was paid is claimed back.
    Egen regi never paid is compared with its previous settlement, for the record only."""
    change = {}
    for uid in sorted(set(totals) | {u for u, o in paid.items() if o}):
        if uid in private:
            before, now = paid.get(uid, 0), totals.get(uid, 0)
        elif paid.get(uid):
            before, now = paid[uid], 0
        else:
            before, now = settled_before.get(uid, 0), totals[uid]
        if now != before:
            change[uid] = (before, now, now - before)
    return change


def payee_bankgiro(avr, paying: dict[str, int], paid_to: dict[str, str]) -> dict[str, str]:
    """The bankgiro of each utförare a correction pays or credits: the register's, else the one
    the ledger recorded when it was paid. Refuses (exit 1) when neither is known: a credit
    must never be skipped."""
    register = {u: bg for u, bg in avr.utforare.select("utforare_id", "bankgiro").iter_rows() if bg}
    out, missing = {}, []
    for uid in sorted(u for u, d in paying.items() if d):
        bg = register.get(uid) or paid_to.get(uid)
        if bg:
            out[uid] = bg
        else:
            missing.append(uid)
    if missing:
        raise LovError(f"Rättelsen kan inte göras: utförare {', '.join(missing)} ska betalas eller krediteras "
                       "skillnaden men har inget bankgiro i utförarregistret, och liggaren har inget bankgiro "
                       "sparat från den tidigare utbetalningen. Ange utförarens bankgiro i utförarfilen (även "
                       "om den nu är egen regi eller har slutat) och kör igen. Inget betalades.")
    return out


def correction_payments(settled: Settled, paying: dict[str, int], bankgiro: dict[str, str],
                        today: date) -> list[Payment]:
    """TK14 for more owed, TK16 credit for less; the credit stays open 90 days after payment."""
    avr = settled.avr
    pay_field = lb_payment_date_field(avr.run.betalningsdag, avr.run.filedatum)
    credit_until = (max(avr.run.betalningsdag, today) + timedelta(days=90)).strftime("%y%m%d")
    out = []
    for uid in sorted(paying):
        diff = paying[uid]
        if diff == 0:
            continue
        kind, when = ("14", pay_field) if diff > 0 else ("16", credit_until)
        out.append(Payment(bankgiro=bankgiro[uid], amount_ore=abs(diff), reference=f"RÄTTELSE LOV {avr.period.label}",
                           payment_date=when, info=f"{uid} {avr.period.label} R", kind=kind))
    return out


def payment_name(cfg: LoadedConfig, period: Period, correction: int = 0) -> str:
    ext = "xml" if cfg.cfg.payment_format == "pain.001" else "txt"
    suffix = f"-rattelse-{correction}" if correction else ""
    return f"{PAYMENT_FOLDER}/lov-{period.label}{suffix}.{ext}"
