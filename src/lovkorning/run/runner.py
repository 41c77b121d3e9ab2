"""A run, from the ledger's point of view: a month is paid once.

Under a file lock (a second run waits or is refused), with the ledger in the state folder:
- before the month's run day, a run is PRELIMINÄR: outputs marked so, no payment file;
- the first final run pays every private utförare (SLUTLIG);
- a final run of a paid month with the same inputs writes nothing new and pays nothing;
- changed inputs for a paid month are refused (exit 3) unless `--rattelse`, which pays or claims
  back only the difference per utförare (RÄTTELSE), with a Rättelse sheet in each workbook.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import sys
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from pathlib import Path

import polars as pl
from filelock import FileLock, Timeout

from . import history
from ..config.loaded import LoadedConfig
from ..core.errors import Fel, LovError, OutputError, Plats, RefusedError, os_cause
from .ledger import Ledger, Run
from ..core.money import format_kronor
from ..write.versions import (KILLED, PAYMENT_FOLDER, crash_point, current, discard, history_name, is_staged,
                              listed_outputs, new_version, payment_files, publish, staged, tidy)
from ..core.period import Period
from ..settle.fees import WEEKS
from ..pipeline import PaymentPlan, Settled, WeekCarry, carry_key, settle_month, write_outputs
from ..write.files import payments, sha256
from ..pay.lb import Payment

SLUTLIG, PRELIMINAR, RATTELSE, OFORANDRAD = "SLUTLIG", "PRELIMINÄR", "RÄTTELSE", "OFÖRÄNDRAD"


class UsageError(LovError):
    exit_code = 2


@dataclass
class Outcome:
    settled: Settled
    kind: str
    out_dir: Path | None
    payment_path: Path | None
    message: str
    warnings: list[str] = field(default_factory=list)   # after the payment was recorded: the run stands
    dry_run: bool = False                               # what a real run would do; nothing written


STORAGE_ERRORS = (OSError, sqlite3.Error)      # a full disk, a read-only or forbidden folder


@contextmanager
def locked(cfg: LoadedConfig, wait: float):
    """One run at a time per state folder: wait up to `wait` seconds, else refuse (exit 3)."""
    state = cfg.state_dir()
    lock = FileLock(str(state / "lovkorning.lock"))
    try:
        state.mkdir(parents=True, exist_ok=True, mode=0o700)
        lock.acquire(timeout=wait)
    except Timeout:
        raise RefusedError(f"En annan körning pågår (låset {state / 'lovkorning.lock'} är taget). "
                           "Försök igen senare, eller använd --vanta SEKUNDER.") from None
    except OSError as exc:
        raise state_unusable(exc, state) from None
    try:
        yield
    finally:
        lock.release()


def inputs_of(settled: Settled) -> dict[str, str]:
    return {s.name: s.sha256 for s in settled.indata.sources}


def fingerprint(cfg: LoadedConfig, settled: Settled) -> str:
    """What a month was settled from: the config, every input, and (when there is any) what the
    month before paid of a week that goes on into this one: a correction of that month which
    changes it changes this month's settlement too, as changed inputs do."""
    parts = [cfg.sha256] + [f"{s.name}:{s.sha256}" for s in sorted(settled.indata.sources, key=lambda s: s.name)]
    return hashlib.sha256(("|".join(parts) + carry_key(settled.carry)).encode()).hexdigest()


def recover(cfg: LoadedConfig, ledger: Ledger, period: Period | None = None) -> list[str]:
    """Settle runs killed between recording and publishing: done if their outputs are in place,
    else abandoned. Then put the versions of their months, and of `period`, in order
    (outputs.tidy: a killed run's unpublished version removed, a published one's payment file
    named, older versions' payment files marked as history). Says what it did, in Swedish."""
    said: list[str] = []
    months: dict[str, list[Path]] = {period.label: []} if period else {}
    for run in ledger.pending():
        done = is_current(cfg.output_dir(run.month), Path(run.version))
        ledger.finish(run.id, "klar" if done else "avbruten")
        said.append(f"{KILLED}: körning {run.run_id} ({run.month}, {run.kind}) " +
                    ("hann publicera sina utdata och är nu registrerad som klar." if done else
                     "publicerades aldrig och är registrerad som avbruten; den betalade inget."))
        months.setdefault(run.month, []).extend([] if done else [Path(run.version)])
    for month, abandoned in months.items():
        final = cfg.output_dir(month)
        try:
            said += tidy(final, tuple(abandoned))
        except OSError as exc:
            raise not_written(exc, final) from None
    return said


def tell(lines: list[str]) -> None:
    """What a run found and put right before it began (what a killed run left, a ledger without
    tables): said at once on stderr, so that it is said even when the run then stops."""
    for line in lines:
        print(f"VARNING: {line}", file=sys.stderr, flush=True)


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


def week_carry(ledger: Ledger | None, period: Period) -> WeekCarry:
    """What the previous month's latest paying run paid of weekly schablon in the week that goes
    on into `period` (nothing when that month is not paid, or there is no ledger yet)."""
    before = period.previous()
    run_id, rows = ledger.weeks_paid(before.label) if ledger else (None, [])
    return WeekCarry(before.label, run_id, pl.DataFrame(rows, schema=WEEKS, orient="row"))


def paid_month_carry(ledger: Ledger, period: Period) -> WeekCarry | None:
    """A paid month is settled again with the carry only if its first payment was: a month paid
    by a version that did not carry weeks stays settled without (ledger.carries_weeks)."""
    return week_carry(ledger, period) if ledger.carries_weeks(period.label) else None


def read_carry(cfg: LoadedConfig, period: Period) -> tuple[WeekCarry | None, str | None]:
    """week_carry from the ledger opened read-only (validate): no lock, nothing written. A ledger
    that cannot be read carries nothing, with a warning: validate still checks the inputs."""
    try:
        ledger = Ledger.read_only(cfg.state_dir() / "ledger.sqlite")
        try:
            return (paid_month_carry(ledger, period) if ledger else week_carry(None, period)), None
        finally:
            if ledger:
                ledger.close()
    except sqlite3.Error as exc:
        return None, (f"Liggaren i {cfg.state_dir()} kan inte läsas ({os_cause(exc, cfg.state_dir())[0]}): schablon per "
                      f"vecka räknas utan det som {period.previous().label} betalade.")


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
    settled = with_status(settle_month(cfg, period, today, week_carry(ledger, period)), kind)
    plan = PaymentPlan(payment_name(cfg, period), payments(settled.avr)) if kind == SLUTLIG else None
    payees = settled.avr.private_payees() if plan else []
    owed = {uid: ore for uid, _, _, ore in payees}
    return _commit(cfg, ledger, settled, kind, plan, owed, {uid: bg for uid, _, bg, _ in payees})


def _commit(cfg: LoadedConfig, ledger: Ledger, settled: Settled, kind: str, plan: PaymentPlan | None,
            paying: dict[str, int], bankgiro: dict[str, str] | None = None) -> Outcome:
    """Write a version, record it as under way, publish it, record it as done."""
    avr = settled.avr
    final = cfg.output_dir(avr.period.label)
    try:
        version = new_version(final, avr.run.run_id, kind)
    except OSError as exc:
        raise not_written(exc, final) from None
    try:
        write_outputs(cfg, settled, version, plan)
    except LovError:
        publish(final, version)          # the user sees the sheets; nothing is recorded as paid
        raise
    except OSError as exc:
        discard(version)
        raise not_written(exc, final) from None
    except BaseException:
        discard(version)
        raise
    has_file = plan is not None and (version / staged(plan.name)).exists()
    owed = sorted(u for u, o in paying.items() if o < 0) if cfg.cfg.payment_format == "pain.001" else []
    if cfg.cfg.payment_format == "pain.001":   # credits cannot go in an ISO file: they stay owed
        paying = {u: o for u, o in paying.items() if o > 0}
    try:
        rid = ledger.begin(run_id=avr.run.run_id, month=avr.period.label, kind=kind, fingerprint=fingerprint(cfg, settled),
                           config_sha256=cfg.sha256, inputs_json=json.dumps(inputs_of(settled)),
                           file_date=avr.run.filedatum, payment_date=avr.run.betalningsdag, totals=avr.totals,
                           payments=paying if has_file else {}, payment_file=plan.name if plan else "",
                           version=str(version), bankgiro=bankgiro, veckor=settled.veckor.rows())
    except STORAGE_ERRORS as exc:
        discard(version)
        raise state_unusable(exc, cfg.state_dir()) from None
    crash_point("fore-byte")
    warnings = []
    try:
        publish(final, version)
    except OSError as exc:
        if not is_current(final, version):    # not switched: the run never happened
            _finish_quietly(ledger, rid, "avbruten")
            discard(version)
            _tidy_quietly(final)
            raise not_written(exc, final) from None
        unnamed = f"betalfilen ligger kvar som {version / staged(plan.name)}, " if has_file and not (
            final / plan.name).is_file() else ""
        warnings.append(f"Utdata är på plats, men versionerna kunde inte ordnas färdigt ({os_cause(exc, final)[0]}): "
                        f"{unnamed}nästa körning av månaden gör det; den betalar inte igen.")
    crash_point("efter-byte")
    try:
        ledger.finish(rid)
    except STORAGE_ERRORS as exc:
        warnings.append(f"Körningen är klar och utdata på plats, men liggaren kunde inte markera den klar "
                        f"({os_cause(exc, cfg.state_dir())[0]}). Nästa körning av månaden gör det; den betalar inte igen.")
    warnings += _save_history(cfg, settled)
    said = _said(kind, settled, paying)
    if owed:
        said += (f" pain.001 kan inte bära krediteringar: {', '.join(owed)} är skyldiga kommunen skillnaden "
                 "(se manifest.json, remaining_credits_ore); kräv tillbaka genom faktura eller kvitta manuellt.")
    return Outcome(settled, kind, final, final / plan.name if has_file else None, said, warnings)


def is_current(final: Path, version: Path) -> bool:
    cur = current(final)
    return cur is not None and cur.resolve() == version.resolve()


def _tidy_quietly(final: Path) -> None:
    """After a publish that failed before its switch: the published version's payment file gets its
    name back (publish names it as history just before the switch); if even that fails, the next
    run's recover() does it."""
    try:
        tidy(final)
    except (OSError, LovError):
        pass


def _finish_quietly(ledger: Ledger, rid: int, state: str) -> None:
    """Record the end of a run that failed; if even that fails, the next run's recover() does it."""
    try:
        ledger.finish(rid, state)
    except STORAGE_ERRORS:
        pass


def state_unusable(exc: Exception, state: Path) -> OutputError:
    """The state folder (lock and ledger) cannot be written: the run stops before it pays."""
    cause, remedy = os_cause(exc, state)
    return OutputError(Fel(f"Tillståndsmappen (lås och liggare) kan inte användas: {cause}. Inget betalades; "
                           f"{remedy} och kör igen.", Plats(str(state))))


def not_written(exc: OSError, final: Path) -> OutputError:
    """A full disk or a forbidden folder while the outputs were written: before the ledger
    records anything, so nothing is paid; the message says what to fix (never the exception's
    own text, which names files only)."""
    cause, remedy = os_cause(exc, final)
    return OutputError(Fel(f"Utdata kunde inte skrivas: {cause}. Inget betalades och inget registrerades; "
                           f"{remedy} och kör igen.", Plats(str(final))))


def _save_history(cfg: LoadedConfig, settled: Settled) -> list[str]:
    """Keep the month's figures for `diff`. The run is recorded by now: a failure here is a
    warning (how to recover included), never an error that would say nothing was paid."""
    avr = settled.avr
    try:
        history.save(cfg, history.figures(settled, cfg), avr.period.label, avr.run.run_id,
                     inputs_of(settled))
    except (Exception, pl.exceptions.PanicException) as exc:
        return [f"Historiken för {avr.period.label} kunde inte sparas i {history.folder(cfg, avr.period.label)} "
                f"({type(exc).__name__}). Körningen är klar och registrerad; betalningen gäller. `lovkorning diff` "
                "räknar månaden från indata tills historiken finns: rätta mappen (behörighet, diskutrymme) och kör "
                "samma kommando igen, så sparas historiken utan att något betalas igen."]
    return []


def _history_current(cfg: LoadedConfig, month: str, run_id: str) -> bool:
    try:
        meta = json.loads((history.folder(cfg, month) / "meta.json").read_text(encoding="utf-8"))
        return meta.get("run_id") == run_id
    except (OSError, ValueError, AttributeError):
        return False


def _said(kind: str, settled: Settled, paying: dict[str, int]) -> str:
    if kind == PRELIMINAR:
        return (f"PRELIMINÄR körning: ingen betalfil. Månaden körs slutligt {settled.avr.run.korningsdag} "
                "(eller med --final).")
    if kind == RATTELSE:
        return f"Rättelse: {len([v for v in paying.values() if v])} utförare får en ändrad utbetalning."
    return "Slutlig körning."


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
    if not _history_current(cfg, period.label, last.run_id):
        outcome.warnings = _save_history(cfg, outcome.settled)
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
    return _commit(cfg, ledger, settled, RATTELSE, plan, paying, bankgiro)


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
    from ..core.schedule import lb_payment_date_field
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


def _earlier_payment_files(final: Path) -> dict[str, bytes]:
    """The payment files of the published version, for a correction's version to keep under
    their history name: once it is published, the correction's file is the one to send."""
    cur = current(final)
    if cur is None:
        return {}
    return {f"{PAYMENT_FOLDER}/{history_name(p.name)}": p.read_bytes()
            for p in payment_files(cur, lambda p: not is_staged(p))}


def payment_name(cfg: LoadedConfig, period: Period, correction: int = 0) -> str:
    ext = "xml" if cfg.cfg.payment_format == "pain.001" else "txt"
    suffix = f"-rattelse-{correction}" if correction else ""
    return f"{PAYMENT_FOLDER}/lov-{period.label}{suffix}.{ext}"
