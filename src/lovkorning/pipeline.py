"""The run, top to bottom: read → validate → settle → write → reconcile.

`settle_month` is pure apart from reading the inputs; `write_outputs` writes into a temporary
folder beside the output folder, reconciles payment file, workbooks and manifest to the öre, and
only then moves the folder into place. A run that cannot prove the totals writes no payment file.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import polars as pl

from . import __version__, history
from . import avvikelser as av
from .beviljad import beviljad_lines, order_findings, segments
from .checks import order_rule_findings, plan_findings, visit_findings
from .config import LoadedConfig
from .engine import Context, apply_rules
from .errors import ReconciliationError
from .indata import Indata, read_month
from .period import Period
from .readers import Source
from .result import Avrakning, Kommun, RunInfo
from .schedule import payment_date, run_day
from .settle import add_supplements, adjustments, brukare_zon, time_table, totals
from .visits import Visits, double_staffing, pair_visits
from .writers.files import avvikelser_csv, manifest, payment_file, private_file, sha256
from .writers.lb import parse_lb_totals
from .writers.readback import summary_paid, workbook_total


@dataclass
class Settled:
    avr: Avrakning
    indata: Indata
    visits: Visits


@dataclass
class Written:
    out_dir: Path
    payment_path: Path | None
    reconciliation: dict


def context(cfg: LoadedConfig, period: Period, indata: Indata, visits: Visits) -> Context:
    cuts = {p[0] for r in cfg.rates.rates.values() for s in r.table.values() for p in s.points}
    segs = segments(period, cuts)
    lines = beviljad_lines(indata.bestallningar, indata.uppehall, period, cuts)
    return Context(period, cfg, indata.utforare, indata.bestallningar, lines, visits, indata.uppehall,
                   indata.genomforandeplaner, indata.overtid, brukare_zon(indata.bestallningar), segs)


def run_info(cfg: LoadedConfig, period: Period, today: date, sources: list[Source]) -> RunInfo:
    h = hashlib.sha256(f"{period.label}|{cfg.sha256}|".encode() + "|".join(s.sha256 for s in sources).encode())
    return RunInfo(run_id=h.hexdigest()[:12], status="SLUTLIG",
                   korningsdag=run_day(period, cfg.cfg.schedule.run_workday),
                   betalningsdag=payment_date(period, cfg.payment_rule(), cfg.cfg.schedule.run_workday),
                   filedatum=today, version=__version__)


def settle_month(cfg: LoadedConfig, period: Period, today: date) -> Settled:
    indata = read_month(cfg, period)
    visits = pair_visits(indata.taggningar, cfg.cfg.visits, period, double_staffing(indata.bestallningar, period))
    ctx = context(cfg, period, indata, visits)
    rader = add_supplements(apply_rules(ctx), cfg.cfg, indata.utforare)
    tid = time_table(ctx)
    just = adjustments(rader, cfg.cfg, indata.utforare, ctx, tid)
    findings = av.sort(av.concat([
        indata.avvikelser, visits.avvikelser, order_findings(indata.bestallningar, period),
        visit_findings(ctx), order_rule_findings(ctx), plan_findings(ctx)]))
    k = cfg.cfg.kommun
    avr = Avrakning(period, Kommun(k.namn, k.bankgiro), run_info(cfg, period, today, indata.sources),
                    indata.utforare.drop("_fil", "_rad"), tid, rader, just, findings,
                    totals(rader, just, indata.utforare))
    return Settled(avr, indata, visits)


def write_outputs(cfg: LoadedConfig, settled: Settled) -> Written:
    from .writers.sammanstallning import write_sammanstallning
    from .writers.workbook import write_all_workbooks

    avr = settled.avr
    final = cfg.output_dir(avr.period.label)
    tmp = final.parent / f".{final.name}.tmp-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True, mode=0o700)
    private_file(tmp / "avvikelser.csv", avvikelser_csv(avr.avvikelser))
    write_all_workbooks(avr, tmp / "avrakning")
    write_sammanstallning(avr, tmp / "sammanstallning.xlsx")
    pay_name = f"betalning/lov-{avr.period.label}.txt"
    pay_tmp = tmp / f".{Path(pay_name).name}.unchecked"
    private_file(pay_tmp, payment_file(avr))
    rec = reconcile(avr, read_back(avr, tmp), summary_paid(tmp / "sammanstallning.xlsx"), pay_tmp.read_bytes())
    has_payments = bool(avr.private_payees())
    if rec["ok"] and has_payments:
        (tmp / pay_name).parent.mkdir(mode=0o700, exist_ok=True)
        pay_tmp.rename(tmp / pay_name)
    else:
        pay_tmp.unlink()
    for d in [tmp, *(p for p in tmp.rglob("*") if p.is_dir())]:
        d.chmod(0o700)
    outputs = {str(p.relative_to(tmp)): sha256(p) for p in sorted(tmp.rglob("*")) if p.is_file()}
    pay = None
    if rec["ok"] and has_payments:
        count, net, _ = parse_lb_totals((tmp / pay_name).read_bytes())
        pay = {"file": pay_name, "format": cfg.cfg.payment_format, "records": count, "total_ore": net}
    private_file(tmp / "manifest.json", manifest(avr, cfg.sha256, cfg.path, settled.indata.sources, outputs, pay, rec))
    _swap_into_place(tmp, final)
    history.save(cfg, history.figures(settled, cfg), avr.period.label, avr.run.run_id,
                 {src.name: src.sha256 for src in settled.indata.sources})
    if not rec["ok"]:
        raise ReconciliationError(
            f"Avstämningen misslyckades: {rec}. Ingen betalfil skrevs; övriga filer finns i {final}.")
    return Written(final, final / pay_name if pay else None, rec)


def read_back(avr: Avrakning, out: Path) -> dict[str, int]:
    """Each utförare's 'Att betala' as it stands in its workbook on disk."""
    return {u: workbook_total(out / "avrakning" / f"{u}.xlsx") for u in avr.utforare["utforare_id"].to_list()}


def reconcile(avr: Avrakning, sheets: dict[str, int], paid_in_summary: int, lb: bytes) -> dict:
    """Payment file = the workbooks' private totals = the summary = the manifest, to the öre."""
    manifest_total = sum(avr.totals.values())
    private = sum(o for _, _, _, o in avr.private_payees())
    _, lb_net, lb_tk29 = parse_lb_totals(lb)
    sheet_total = sum(sheets.values())
    sheet_private = sum(sheets.get(u, 0) for u, _, _, _ in avr.private_payees())
    ok = (sheets == avr.totals and sheet_total == manifest_total and lb_net == lb_tk29 == private
          == sheet_private == paid_in_summary)
    return {"ok": ok, "manifest_total_ore": manifest_total, "sheets_total_ore": sheet_total,
            "payment_file_ore": lb_net, "payment_file_tk29_ore": lb_tk29, "private_sheets_ore": sheet_private,
            "summary_paid_ore": paid_in_summary}


def _swap_into_place(tmp: Path, final: Path) -> None:
    old = final.parent / f".{final.name}.old-{os.getpid()}"
    if final.exists():
        final.rename(old)
    tmp.rename(final)
    shutil.rmtree(old, ignore_errors=True)


def rows_read(indata: Indata) -> dict[str, int]:
    return {s.name: s.rows for s in indata.sources}


def count_visits(visits: Visits) -> dict[str, int]:
    v = visits.besok.filter(~pl.col("utanfor"))
    return {"besok": v.height, "giltiga": v.filter(pl.col("giltig")).height, "avbojda": visits.avbojt.height}
