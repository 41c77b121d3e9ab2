"""A run, from the ledger's point of view: a month is paid once.

Under a file lock (a second run waits or is refused), with the ledger in the state folder:
- before the month's run day, a run is PRELIMINÄR: outputs marked so, no payment file;
- the first final run pays every private utförare (SLUTLIG);
- a final run of a paid month with the same inputs writes nothing new and pays nothing;
- changed inputs for a paid month are refused (exit 3) unless `--rattelse`, which pays or claims
  back only the difference per utförare (RÄTTELSE), with a Rättelse sheet in each workbook.
"""

from __future__ import annotations

import json
import os
import sqlite3
from contextlib import nullcontext
from dataclasses import replace
from datetime import date
from pathlib import Path


from ..config.loaded import LoadedConfig
from ..core.errors import RefusedError, UsageError
from .ledger import Ledger, Run
from ..core.money import format_kronor
from ..pay.plan import (PAYMENT_FOLDER, PaymentPlan, correction_payments, corrections, payee_bankgiro, payment_name,
                        payments)
from ..write.versions import (current, history_name, is_staged,
                              listed_outputs, payment_files)
from ..core.period import Period
from ..read.files import locate
from ..read.indata import events_file
from ..settle.month import Settled, settle_month
from ..write.files import sha256
from .carry import paid_month_carry, week_carry
from .commit import (STORAGE_ERRORS, Outcome, commit_run, history_current, save_history, fingerprint,
                     inputs_of, locked, recover, state_unusable, tell)
from .ledger import OFORANDRAD, PRELIMINAR, RATTELSE, SLUTLIG


def execute(cfg: LoadedConfig, period: Period, today: date, *, final: bool = False, rattelse: bool = False,
            wait: float = 0.0) -> Outcome:
    with locked(cfg, wait):
        try:
            ledger = Ledger(cfg.state_dir() / "ledger.sqlite")
        except STORAGE_ERRORS as exc:
            raise state_unusable(exc, cfg.state_dir()) from None
        try:
            tell(ledger.notes)
            try:
                tell(recover(cfg, ledger, period))
                paid = ledger.paid_runs(period.label)
            except STORAGE_ERRORS as exc:
                raise state_unusable(exc, cfg.state_dir()) from None
            if paid:
                return _paid_month(cfg, ledger, period, today, paid[-1], rattelse)
            _check_unpaid(period, rattelse)
            return _first(cfg, ledger, period, today, _first_kind(cfg, period, today, final))
        finally:
            ledger.close()


def preview(cfg: LoadedConfig, period: Period, today: date, *, final: bool = False,
            rattelse: bool = False) -> Outcome:
    """What `execute` would do, refusing as it would, from the ledger read-only: no lock, nothing
    written. A killed run not yet settled (`recover`) is not counted, only mentioned."""
    try:
        return _preview(cfg, period, today, final, rattelse)
    except sqlite3.Error as exc:           # a broken ledger: named, as the real run would
        raise state_unusable(exc, cfg.state_dir()) from None


def _preview(cfg: LoadedConfig, period: Period, today: date, final: bool, rattelse: bool) -> Outcome:
    ledger = Ledger.read_only(cfg.state_dir() / "ledger.sqlite")
    try:
        paid = ledger.paid_runs(period.label) if ledger else []
        note = (" OBS: en avbruten körning har inte avgjorts än; en riktig körning avgör den först."
                if ledger and ledger.pending() else "")
        if not paid:
            _check_unpaid(period, rattelse)
            kind = _first_kind(cfg, period, today, final)
            settled = with_status(settle_month(cfg, period, today, week_carry(ledger, period)), kind)
            return Outcome(settled, kind, None, None, _would_first(kind, settled) + note, dry_run=True)
        last = paid[-1]
        same_day = settle_month(cfg, period, last.file_date, paid_month_carry(ledger, period))
        if fingerprint(cfg, same_day) == last.fingerprint:
            outcome = _unchanged_outcome(cfg, period, same_day, last)
            msg = (f"{period.label} är redan betald (körning {last.run_id} den {last.file_date}) med samma indata: "
                   "en riktig körning skulle inte betala något nytt.")
            return replace(outcome, out_dir=None, message=msg + note, dry_run=True)
        _check_rattelse(cfg, period, same_day, last, rattelse)
        settled, paying, _, _ = _difference(ledger, same_day, today)
        n = len([d for d in paying.values() if d])
        msg = (f"{period.label} är redan betald (körning {last.run_id} den {last.file_date}). En rättelse skulle "
               f"ändra utbetalningen till {n} utförare, netto {format_kronor(sum(paying.values()))} kr "
               "(skillnaden per utförare ovan; minus krävs tillbaka).")
        return Outcome(settled, RATTELSE, None, None, msg + note, dry_run=True)
    finally:
        if ledger:
            ledger.close()


def _check_unpaid(period: Period, rattelse: bool) -> None:
    if rattelse:
        raise UsageError(f"{period.label} är inte betald; kör utan --rattelse.")


def _first_kind(cfg: LoadedConfig, period: Period, today: date, final: bool) -> str:
    return PRELIMINAR if today < cfg.run_day(period) and not final else SLUTLIG


def _would_first(kind: str, settled: Settled) -> str:
    if kind == PRELIMINAR:
        return (f"En riktig körning idag vore PRELIMINÄR: ingen betalfil. Månaden körs slutligt "
                f"{settled.avr.run.korningsdag} (eller med --final).")
    return "En riktig körning idag vore slutlig och skulle betala ut beloppen ovan till de privata utförarna."


def with_status(settled: Settled, status: str, rattelse=None) -> Settled:
    avr = replace(settled.avr, run=replace(settled.avr.run, status=status), rattelse=rattelse)
    return replace(settled, avr=avr)


def _first(cfg: LoadedConfig, ledger: Ledger, period: Period, today: date, kind: str) -> Outcome:
    with _early_writers(cfg, period) as pool:
        settled = with_status(settle_month(cfg, period, today, week_carry(ledger, period)), kind)
        plan = PaymentPlan(payment_name(cfg, period), payments(settled.avr)) if kind == SLUTLIG else None
        payees = settled.avr.private_payees() if plan else []
        owed = {uid: ore for uid, _, _, ore in payees}
        return commit_run(cfg, ledger, settled, kind, plan, owed, {uid: bg for uid, _, bg, _ in payees}, pool)


# From this size of the month's tag log (or visit file) on, the workbook processes start before the
# month is settled (write.workbook.writers): their start-up fills the time the settling leaves a
# core idle. Below it (the sample months, tests) they start only if the writing needs them.
EARLY_WRITERS_BYTES = 32 << 20


def _early_writers(cfg: LoadedConfig, period: Period):
    name = events_file(cfg, period)
    path = locate(cfg.input_dir(period.label), name, cfg.input_path(name, period.label))
    big = path is not None and path.stat().st_size >= EARLY_WRITERS_BYTES and (os.cpu_count() or 1) >= 2
    if not big:
        return nullcontext(None)
    from ..write.workbook import writers  # lazy: startup (xlsxwriter and the workbook writers: not for --dry-run)
    return writers(2)


def _paid_month(cfg: LoadedConfig, ledger: Ledger, period: Period, today: date, last: Run, rattelse: bool) -> Outcome:
    same_day = settle_month(cfg, period, last.file_date, paid_month_carry(ledger, period))
    if fingerprint(cfg, same_day) == last.fingerprint:
        return _unchanged(cfg, period, same_day, last)
    _check_rattelse(cfg, period, same_day, last, rattelse)
    return _correct(cfg, ledger, same_day, today)


def _check_rattelse(cfg: LoadedConfig, period: Period, settled: Settled, last: Run, rattelse: bool) -> None:
    if rattelse:
        return
    what = "indata eller konfiguration har ändrats sedan dess"
    if settled.carry is not None and cfg.sha256 == last.config_sha256 and inputs_of(settled) == json.loads(last.inputs_json):
        what = (f"det som {settled.carry.month} betalade av schablon per vecka i veckan som fortsätter in i "
                f"{period.label} har ändrats sedan dess ({settled.carry.month} har betalats eller rättats efter den körningen)")
    raise RefusedError(f"{period.label} är redan betald (körning {last.run_id} den {last.file_date}) och {what}. "
                       "Kör med --rattelse för att betala eller kräva tillbaka skillnaden.")


def _unchanged(cfg: LoadedConfig, period: Period, settled: Settled, last: Run) -> Outcome:
    """Same inputs as the paid run: the outputs stay as they are, nothing is paid again; the
    history is saved if an earlier run could not save it."""
    outcome = _unchanged_outcome(cfg, period, settled, last)
    if not history_current(cfg, period.label, last.run_id):
        outcome.warnings = save_history(cfg, outcome.settled)
    return outcome


def _unchanged_outcome(cfg: LoadedConfig, period: Period, settled: Settled, last: Run) -> Outcome:
    """The unchanged run's outcome, reading only; refused if the paid outputs are not intact."""
    final = cfg.output_dir(period.label)
    cur = current(final)
    intact = cur is not None and _matches_manifest(cur)
    msg = (f"{period.label} är redan betald (körning {last.run_id} den {last.file_date}) med samma indata: "
           "inga nya betalningar, utdata oförändrade.")
    if not intact:
        versions = final.parent / ("." + final.name + ".versions")
        where = (f"tidigare versioner finns i {versions}." if versions.is_dir() else
                 "inga tidigare versioner finns kvar (liggaren visar vad som betalats).")
        raise RefusedError(msg.replace("utdata oförändrade.", f"men utdata i {final} saknas eller har ändrats; {where}"))
    return Outcome(with_status(settled, last.kind), OFORANDRAD, final, None, msg)


def _matches_manifest(folder: Path) -> bool:
    listed = listed_outputs(folder)
    try:
        return listed is not None and all(sha256(folder / f) == h for f, h in listed.items())
    except OSError:
        return False


def _correct(cfg: LoadedConfig, ledger: Ledger, settled: Settled, today: date) -> Outcome:
    """Pay or claim back only the difference per utförare since what was paid."""
    settled, paying, bankgiro, paid_before = _difference(ledger, settled, today)
    period = settled.avr.period
    n = len([r for r in ledger.paid_runs(period.label) if r.kind == RATTELSE]) + 1
    plan = PaymentPlan(payment_name(cfg, period, n), correction_payments(settled, paying, bankgiro, today),
                       paid_before=paid_before, carried=_earlier_payment_files(cfg.output_dir(period.label)))
    return commit_run(cfg, ledger, settled, RATTELSE, plan, paying, bankgiro)


def _difference(ledger: Ledger, settled: Settled, today: date) -> tuple[Settled, dict[str, int], dict[str, str],
                                                                           dict[str, int]]:
    """A correction, reading the ledger only: `settled` (the month as settled for the comparison,
    its file date moved to today) with its changes; the öre each payable utförare (private now, or
    paid before) is paid (+) or credited (−), and its bankgiro; what each was paid before."""
    settled = replace(settled, avr=replace(settled.avr, run=replace(settled.avr.run, filedatum=today)))
    avr, month = settled.avr, settled.avr.period.label
    paid = ledger.paid_so_far(month)
    regi = dict(avr.utforare.select("utforare_id", "regi").iter_rows())
    private = {u for u in avr.totals if regi.get(u) == "privat"}
    payable = private | {u for u, o in paid.items() if o}
    change = corrections(avr.totals, private, paid, ledger.settled_last(month))
    paying = {u: d for u, (_, _, d) in change.items() if u in payable}
    bankgiro = payee_bankgiro(avr, paying, ledger.paid_bankgiro(month))
    return with_status(settled, RATTELSE, change), paying, bankgiro, {u: paid.get(u, 0) for u in payable}


def _earlier_payment_files(final: Path) -> dict[str, bytes]:
    """The payment files of the published version, for a correction's version to keep under
    their history name: once it is published, the correction's file is the one to send."""
    cur = current(final)
    if cur is None:
        return {}
    return {f"{PAYMENT_FOLDER}/{history_name(p.name)}": p.read_bytes()
            for p in payment_files(cur, lambda p: not is_staged(p))}
