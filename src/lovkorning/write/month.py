"""A settled month written: every output into a version folder beside the output folder, the
payment file last and under its staged name, then the files read back and reconciled to the öre
(reconcile.py). The runner publishes the folder (versions.publish). A run that cannot prove the
totals leaves no payment file.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from ..config.loaded import LoadedConfig
from ..core.errors import ReconciliationError
from .files import avvikelser_csv, config_files, file_stem, hashed_file, manifest, private_file, sha256
from .versions import crash_point, published_name, staged
from ..pay.plan import PaymentPlan, render_payments
from ..settle.month import Settled
from .reconcile import read_back, reconcile


def write_outputs(cfg: LoadedConfig, settled: Settled, version: Path, plan: PaymentPlan | None,
                  pool=None) -> dict:
    """Write every output into the version folder; the payment file goes in last, under its staged
    name (it is named for sending when the version is published: versions.publish), and stays only
    when the files on disk reconcile. `pool`: workbook processes started ahead (workbook.writers).
    Returns the reconciliation (raises if it failed)."""
    from .readback import summary_paid  # lazy: startup (the writers and openpyxl: not needed for --dry-run)
    from .sammanstallning import write_sammanstallning  # lazy: startup
    from .workbook import write_all_workbooks  # lazy: startup
    from .cells import Options  # lazy: startup

    avr = settled.avr
    ids = [file_stem(u) for u in avr.utforare["utforare_id"].to_list()]   # before any file is named by one
    many = avr.utforare.height >= 16          # below that, starting processes costs more than it saves
    opts = Options.of(cfg)                    # insatser outside LOV, payment format: how the sheets show them
    # the CSVs (polars, which lets go of the GIL) are written beside the workbooks (Python, in
    # worker processes when there are many): the main process would otherwise only wait
    with ThreadPoolExecutor(1, thread_name_prefix="csv") as beside:
        csvs = beside.submit(_write_csvs, settled, version, ids)
        write_all_workbooks(avr, version / "avrakning", workers=min(2, os.cpu_count() or 1) if many else 1, opts=opts,
                            pool=pool)
        hashed = csvs.result()
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
    outputs = {published_name(str(p.relative_to(version))): hashed.get(p) or sha256(p)
               for p in sorted(version.rglob("*")) if p.is_file()}
    pay = {"file": plan.name, "format": cfg.cfg.payment_format, "records": rec["payment_records"],
           "total_ore": rec["payment_file_ore"]} if rec["ok"] and pay_bytes else None
    private_file(version / "manifest.json", manifest(avr, cfg.sha256, cfg.path, settled.indata.sources, outputs, pay, rec,
                                                     config_files(cfg), week_record(cfg, settled)))
    if not rec["ok"]:
        raise ReconciliationError(f"Avstämningen misslyckades: {rec}. Ingen betalfil skrevs.")
    return rec


def _write_csvs(settled: Settled, version: Path, ids: list[str]) -> dict[Path, str]:
    """avvikelser.csv, besok/<utforare_id>.csv and avvikelser/<utforare_id>.csv; their SHA-256,
    hashed as they are written (in this thread, beside the workbooks) instead of read back at the
    end."""
    from .besok import write_besok  # lazy: startup
    from .avvikelselista import write_avvikelser_per_utforare  # lazy: startup
    every = version / "avvikelser.csv"
    return ({every: hashed_file(every, avvikelser_csv(settled.avr.avvikelser))}
            | write_besok(settled.visits.besok, version / "besok", ids)
            | write_avvikelser_per_utforare(settled.avr.avvikelser, version / "avvikelser", ids))


def _staged_payment_file(version: Path, plan: PaymentPlan | None, pay_bytes: bytes) -> bytes:
    """Write the payment file under its staged name (versions.staged: no upload takes it; it gets
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
