"""A run made durable: the lock, the two-step ledger (pågår, then klar after the switch), the
version folder published, a killed run recovered, and the history saved; storage faults named.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import sys
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl
from filelock import FileLock, Timeout

from . import history
from ..config.loaded import LoadedConfig
from ..core.errors import Fel, LovError, OutputError, Plats, RefusedError, os_cause
from .ledger import PRELIMINAR, RATTELSE, Ledger
from ..pay.plan import PaymentPlan
from ..write.versions import KILLED, crash_point, current, discard, new_version, publish, staged, tidy
from ..core.period import Period
from ..settle.month import Settled, carry_key
from ..write.month import write_outputs


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


def recover(cfg: LoadedConfig, ledger: Ledger, period: Period | None = None) -> list[str]:
    """Settle runs killed between recording and publishing: done if their outputs are in place,
    else abandoned. Then put the versions of their months, and of `period`, in order
    (write.versions.tidy: a killed run's unpublished version removed, a published one's payment file
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


def commit_run(cfg: LoadedConfig, ledger: Ledger, settled: Settled, kind: str, plan: PaymentPlan | None,
               paying: dict[str, int], bankgiro: dict[str, str] | None = None, pool=None) -> Outcome:
    """Write a version, record it as under way, publish it, record it as done (`pool`: workbook
    processes started ahead, for write_outputs)."""
    avr = settled.avr
    final = cfg.output_dir(avr.period.label)
    try:
        version = new_version(final, avr.run.run_id, kind)
    except OSError as exc:
        raise not_written(exc, final) from None
    try:
        write_outputs(cfg, settled, version, plan, pool)
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
    warnings += save_history(cfg, settled)
    said = run_message(kind, settled, paying)
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


def save_history(cfg: LoadedConfig, settled: Settled) -> list[str]:
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


def history_current(cfg: LoadedConfig, month: str, run_id: str) -> bool:
    try:
        meta = json.loads((history.folder(cfg, month) / "meta.json").read_text(encoding="utf-8"))
        return meta.get("run_id") == run_id
    except (OSError, ValueError, AttributeError):
        return False


@dataclass
class Outcome:
    settled: Settled
    kind: str
    out_dir: Path | None
    payment_path: Path | None
    message: str
    warnings: list[str] = field(default_factory=list)   # after the payment was recorded: the run stands
    dry_run: bool = False                               # what a real run would do; nothing written


def inputs_of(settled: Settled) -> dict[str, str]:
    return {s.name: s.sha256 for s in settled.indata.sources}


def fingerprint(cfg: LoadedConfig, settled: Settled) -> str:
    """What a month was settled from: the config, every input, and (when there is any) what the
    month before paid of a week that goes on into this one: a correction of that month which
    changes it changes this month's settlement too, as changed inputs do."""
    parts = [cfg.sha256] + [f"{s.name}:{s.sha256}" for s in sorted(settled.indata.sources, key=lambda s: s.name)]
    return hashlib.sha256(("|".join(parts) + carry_key(settled.carry)).encode()).hexdigest()


def run_message(kind: str, settled: Settled, paying: dict[str, int]) -> str:
    if kind == PRELIMINAR:
        return (f"PRELIMINÄR körning: ingen betalfil. Månaden körs slutligt {settled.avr.run.korningsdag} "
                "(eller med --final).")
    if kind == RATTELSE:
        return f"Rättelse: {len([v for v in paying.values() if v])} utförare får en ändrad utbetalning."
    return "Slutlig körning."
