"""The run, top to bottom: read → validate → settle → write → reconcile.

`settle_month` is pure apart from reading the inputs; `write_outputs` writes into a version folder
beside the output folder and reconciles payment file, workbooks and manifest to the öre; the runner
then publishes the folder (outputs.publish). A run that cannot prove the totals leaves no payment
file.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import polars as pl

from . import __version__
from .core import avvikelser as av
from .settle.beviljad import beviljad_lines, order_findings, segments
from .settle.findings import order_rule_findings, plan_findings, visit_findings
from .config.loaded import LoadedConfig
from .settle.context import Context
from .settle.engine import apply_rules
from .settle.fees import WEEKS, fee_findings, spilling_weeks
from .core.errors import ReconciliationError
from .read.indata import Indata, read_month
from .core.period import Period
from .read.files import Source
from .settle.result import Avrakning, Kommun, RunInfo
from .core.schedule import execution_date, payment_date
from .settle.adjust import add_supplements, adjustments, brukare_zon, time_table, totals
from .visits.pairing import Visits, pair_visits
from .visits.checks import double_staffing
from .write.files import avvikelser_csv, config_files, manifest, private_file, sha256
from .write.versions import crash_point, published_name, staged
from .pay.lb import Payment, parse_lb_totals, render_lb


@dataclass(frozen=True)
class WeekCarry:
    """What the previous month paid of schablon registrations in the ISO week that goes on into
    this month (from the ledger): this month's part of that week gets what `antal` leaves."""
    month: str                  # the previous month
    run_id: str | None          # its latest paying run; None: not paid, nothing carried
    weeks: pl.DataFrame         # fees.WEEKS


@dataclass
class Settled:
    avr: Avrakning
    indata: Indata
    visits: Visits
    veckor: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=WEEKS))  # for the next month
    carry: WeekCarry | None = None


def context(cfg: LoadedConfig, period: Period, indata: Indata, visits: Visits,
            carry: WeekCarry | None = None) -> Context:
    # the month is cut where a rate some rule uses changes; each rule regroups the lines at its own
    # rate's changes only (bases.rule_segments), so these cuts are the union of every rule's
    cuts = set().union(*(cfg.rates[r.rate].changes(period.start, period.end)
                         for r in cfg.cfg.rules if r.rate and r.basis != "none"))
    segs = segments(period, cuts)
    lines = beviljad_lines(indata.bestallningar, indata.uppehall, period, cuts)
    return Context(period, cfg, indata.utforare, indata.bestallningar, lines, visits, indata.uppehall,
                   indata.genomforandeplaner, indata.overtid, brukare_zon(indata.bestallningar), segs,
                   carry.weeks if carry else None)


def carry_key(carry: "WeekCarry | None") -> str:
    """The carry as a key part of the run id and the ledger fingerprint: empty when nothing is
    carried, so months without weekly schablon keep the ids they had before weeks were carried."""
    if carry is None or carry.weeks.is_empty():
        return ""
    return "|veckor:" + json.dumps(sorted(carry.weeks.rows()), ensure_ascii=False)


def run_info(cfg: LoadedConfig, period: Period, today: date, sources: list[Source],
             carry: "WeekCarry | None" = None) -> RunInfo:
    """The run's identity and days. The run id is a hash of what the month is settled from (a
    correction made because the carry changed gets an id, and pain.001 MsgId, of its own)."""
    h = hashlib.sha256(f"{period.label}|{cfg.sha256}|".encode() + "|".join(s.sha256 for s in sources).encode()
                       + carry_key(carry).encode())
    return RunInfo(run_id=h.hexdigest()[:12], status="SLUTLIG",
                   korningsdag=cfg.run_day(period),
                   betalningsdag=payment_date(period, cfg.payment_rule(), cfg.cfg.schedule.run_workday),
                   filedatum=today, version=__version__)


def settle_month(cfg: LoadedConfig, period: Period, today: date, carry: WeekCarry | None = None) -> Settled:
    """The month settled from its inputs; `carry` from the ledger (runner.week_carry)."""
    indata = read_month(cfg, period)
    visits = pair_visits(indata.taggningar, cfg.cfg.visits, period, double_staffing(indata.bestallningar, period))
    indata.frames["taggningar"] = indata.taggningar.clear()     # paired: every event is in a visit or a finding
    ctx = context(cfg, period, indata, visits, carry)
    rader = add_supplements(apply_rules(ctx), cfg.cfg, indata.utforare)
    tid = time_table(ctx)
    just = adjustments(rader, cfg.cfg, indata.utforare, ctx, tid)
    findings = av.sort(av.concat([
        indata.avvikelser, visits.avvikelser, order_findings(indata.bestallningar, period),
        visit_findings(ctx), order_rule_findings(ctx), plan_findings(ctx), fee_findings(ctx)]))
    k = cfg.cfg.kommun
    avr = Avrakning(period, Kommun(k.namn, k.bankgiro), run_info(cfg, period, today, indata.sources, carry),
                    indata.utforare.drop("_fil", "_rad"), tid, rader, just, findings,
                    totals(rader, just, indata.utforare))
    return Settled(avr, indata, visits, spilling_weeks(ctx), carry)


@dataclass
class PaymentPlan:
    """What a run's payment file holds: payments (kind 14) and credits (kind 16) in öre, and the
    earlier payment files of the month carried into this version for the record."""
    name: str
    payments: list[Payment]
    paid_before: dict[str, int] | None = None        # a correction: net öre paid per utförare so far
    carried: dict[str, bytes] = field(default_factory=dict)


def write_outputs(cfg: LoadedConfig, settled: Settled, version: Path, plan: PaymentPlan | None) -> dict:
    """Write every output into the version folder; the payment file goes in last, under its staged
    name (it is named for sending when the version is published: outputs.publish), and stays only
    when the files on disk reconcile. Returns the reconciliation (raises if it failed)."""
    from .write.besok import write_besok
    from .write.readback import summary_paid          # the writers and openpyxl: not needed for --dry-run
    from .write.sammanstallning import write_sammanstallning
    from .write.workbook import write_all_workbooks
    from .write.cells import Options

    avr = settled.avr
    private_file(version / "avvikelser.csv", avvikelser_csv(avr.avvikelser))
    many = avr.utforare.height >= 16          # below that, starting processes costs more than it saves
    opts = Options.of(cfg)                    # insatser outside LOV, payment format: how the sheets show them
    write_all_workbooks(avr, version / "avrakning", workers=min(2, os.cpu_count() or 1) if many else 1, opts=opts)
    write_besok(settled.visits.besok, version / "besok", avr.utforare["utforare_id"].to_list())
    crash_point("efter-arbetsbocker")
    write_sammanstallning(avr, version / "sammanstallning.xlsx", opts)
    for name, data in (plan.carried if plan else {}).items():
        private_file(version / name, data)
    pay_bytes, remaining = render_payments(cfg, avr, plan.payments) if plan and plan.payments else (b"", [])
    rec = None
    try:
        written = _staged_payment_file(version, plan, pay_bytes)
        rec = reconcile(avr, read_back(avr, version), summary_paid(version / "sammanstallning.xlsx"), written, plan,
                        cfg.cfg.payment_format)
    finally:
        if pay_bytes and not (rec and rec["ok"]):        # no payment file unless everything agrees
            (version / staged(plan.name)).unlink(missing_ok=True)
    rec["remaining_credits_ore"] = {p.bankgiro: p.amount_ore for p in remaining}
    for d in [version, *(p for p in version.rglob("*") if p.is_dir())]:
        d.chmod(0o700)
    outputs = {published_name(str(p.relative_to(version))): sha256(p) for p in sorted(version.rglob("*")) if p.is_file()}
    pay = {"file": plan.name, "format": cfg.cfg.payment_format, "records": rec["payment_records"],
           "total_ore": rec["payment_file_ore"]} if rec["ok"] and pay_bytes else None
    private_file(version / "manifest.json", manifest(avr, cfg.sha256, cfg.path, settled.indata.sources, outputs, pay, rec,
                                                     config_files(cfg), week_record(cfg, settled)))
    if not rec["ok"]:
        raise ReconciliationError(f"Avstämningen misslyckades: {rec}. Ingen betalfil skrevs.")
    return rec


def _staged_payment_file(version: Path, plan: PaymentPlan | None, pay_bytes: bytes) -> bytes:
    """Write the payment file under its staged name (outputs.staged: no upload takes it; it gets
    its name when the version is published) and read it back, for the reconciliation to check
    the file on disk. No payment: b""."""
    if not pay_bytes:
        return b""
    path = version / staged(plan.name)
    crash_point("fore-betalfil")
    private_file(path, pay_bytes)
    crash_point("efter-betalfil")
    return path.read_bytes()


def week_record(cfg: LoadedConfig, settled: Settled) -> dict | None:
    """For the manifest, with schablon rules: which run of the previous month this month's weekly
    caps started from, and what this month hands on to the next."""
    if not any(r.basis == "schablon" for r in cfg.cfg.rules):
        return None
    c = settled.carry
    return {"fran": {"month": c.month, "run_id": c.run_id, "registreringar": int(c.weeks["antal"].sum())} if c else None,
            "till_nasta_manad": int(settled.veckor["antal"].sum())}


def render_payments(cfg: LoadedConfig, avr: Avrakning, payments: list[Payment]) -> tuple[bytes, list[Payment]]:
    """The payment file's bytes, and the credits it could not carry (pain.001: netted per
    bankgiro; what remains owed to the municipality is reported, not paid)."""
    if cfg.cfg.payment_format != "pain.001":
        return render_lb(avr.kommun.bankgiro, avr.run.filedatum, "", payments), []
    from .pay.pain001 import net_payments, render_pain001
    send, remaining = net_payments(payments)
    if not send:
        return b"", remaining
    names = dict(avr.utforare.select("bankgiro", "namn").drop_nulls().iter_rows())
    data = render_pain001(avr.kommun.namn, avr.kommun.bankgiro, send, msg_id=f"LOV-{avr.period.label}-{avr.run.run_id}",
                          created=datetime.combine(avr.run.filedatum, datetime.min.time()),
                          execution_date=execution_date(avr.run.betalningsdag, avr.run.filedatum),
                          creditor_names=names)
    return data, remaining


def parse_payments(data: bytes, fmt: str) -> tuple[int, int]:
    """(records, net öre) of a payment file as written."""
    if fmt == "pain.001":
        from .pay.pain001 import parse_pain001_totals
        return parse_pain001_totals(data)
    count, net, tk29 = parse_lb_totals(data)
    if net != tk29:
        raise ReconciliationError(f"Betalfilens TK29 ({tk29}) stämmer inte med posterna ({net}).")
    return count, net


def read_back(avr: Avrakning, out: Path) -> dict[str, int]:
    """Each utförare's 'Att betala' as it stands in its workbook on disk."""
    from .write.readback import workbook_total
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


def rows_read(indata: Indata) -> dict[str, int]:
    return {s.name: s.rows for s in indata.sources}


def count_visits(visits: Visits) -> dict[str, int]:
    inside = ~pl.col("utanfor")
    besok, giltiga = visits.besok.select(inside.sum().alias("b"), (inside & pl.col("giltig")).sum().alias("g")).row(0)
    return {"besok": besok, "giltiga": giltiga, "avbojda": visits.avbojt.height}
