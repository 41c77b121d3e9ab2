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
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import date, timedelta
from pathlib import Path

from filelock import FileLock, Timeout

from . import history
from .config import LoadedConfig
from .errors import LovError, RefusedError
from .ledger import Ledger, Run
from .outputs import clean_strays, crash_point, current, discard, new_version, publish
from .period import Period
from .pipeline import PaymentPlan, Settled, settle_month, write_outputs
from .schedule import run_day
from .writers.files import payments, sha256
from .writers.lb import Payment

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


@contextmanager
def locked(cfg: LoadedConfig, wait: float):
    """One run at a time per state folder: wait up to `wait` seconds, else refuse (exit 3)."""
    state = cfg.state_dir()
    state.mkdir(parents=True, exist_ok=True, mode=0o700)
    lock = FileLock(str(state / "lovkorning.lock"))
    try:
        lock.acquire(timeout=wait)
    except Timeout:
        raise RefusedError(f"En annan körning pågår (låset {state / 'lovkorning.lock'} är taget). "
                           "Försök igen senare, eller använd --vanta SEKUNDER.") from None
    try:
        yield
    finally:
        lock.release()


def fingerprint(cfg: LoadedConfig, settled: Settled) -> str:
    parts = [cfg.sha256] + [f"{s.name}:{s.sha256}" for s in sorted(settled.indata.sources, key=lambda s: s.name)]
    return hashlib.sha256("|".join(parts).encode()).hexdigest()


def recover(cfg: LoadedConfig, ledger: Ledger) -> None:
    """Settle runs killed between recording and publishing: done if their outputs are in place."""
    for run in ledger.pending():
        final = cfg.output_dir(run.month)
        cur = current(final)
        ledger.finish(run.id, "klar" if cur is not None and cur.resolve() == Path(run.version).resolve() else "avbruten")
        clean_strays(final)


def execute(cfg: LoadedConfig, period: Period, today: date, *, final: bool = False, rattelse: bool = False,
            wait: float = 0.0) -> Outcome:
    with locked(cfg, wait):
        ledger = Ledger(cfg.state_dir() / "ledger.sqlite")
        try:
            recover(cfg, ledger)
            paid = ledger.paid_runs(period.label)
            if paid:
                return _paid_month(cfg, ledger, period, today, paid[-1], rattelse)
            if rattelse:
                raise UsageError(f"{period.label} är inte betald; kör utan --rattelse.")
            preliminary = today < run_day(period, cfg.cfg.schedule.run_workday) and not final
            return _first(cfg, ledger, period, today, PRELIMINAR if preliminary else SLUTLIG)
        finally:
            ledger.close()


def with_status(settled: Settled, status: str, rattelse=None) -> Settled:
    avr = replace(settled.avr, run=replace(settled.avr.run, status=status), rattelse=rattelse)
    return replace(settled, avr=avr)


def _first(cfg: LoadedConfig, ledger: Ledger, period: Period, today: date, kind: str) -> Outcome:
    settled = with_status(settle_month(cfg, period, today), kind)
    plan = PaymentPlan(payment_name(cfg, period), payments(settled.avr)) if kind == SLUTLIG else None
    owed = {uid: ore for uid, _, _, ore in settled.avr.private_payees()} if plan else {}
    return _commit(cfg, ledger, settled, kind, plan, owed)


def _commit(cfg: LoadedConfig, ledger: Ledger, settled: Settled, kind: str, plan: PaymentPlan | None,
            paying: dict[str, int]) -> Outcome:
    """Write a version, record it as under way, publish it, record it as done."""
    avr = settled.avr
    final = cfg.output_dir(avr.period.label)
    version = new_version(final, avr.run.run_id, kind)
    try:
        write_outputs(cfg, settled, version, plan)
    except LovError:
        publish(final, version)          # the user sees the sheets; nothing is recorded as paid
        raise
    except BaseException:
        discard(version)
        raise
    has_file = plan is not None and (version / plan.name).exists()
    if cfg.cfg.payment_format == "pain.001":   # credits cannot go in an ISO file: they stay owed
        paying = {u: o for u, o in paying.items() if o > 0}
    rid = ledger.begin(run_id=avr.run.run_id, month=avr.period.label, kind=kind, fingerprint=fingerprint(cfg, settled),
                       config_sha256=cfg.sha256, inputs_json=json.dumps({s.name: s.sha256 for s in settled.indata.sources}),
                       file_date=avr.run.filedatum, payment_date=avr.run.betalningsdag, totals=avr.totals,
                       payments=paying if has_file else {}, payment_file=plan.name if plan else "", version=str(version))
    crash_point("fore-byte")
    publish(final, version)
    crash_point("efter-byte")
    ledger.finish(rid)
    history.save(cfg, history.figures(settled, cfg), avr.period.label, avr.run.run_id,
                 {s.name: s.sha256 for s in settled.indata.sources})
    said = _said(kind, settled, paying)
    owed = [u for u, (_, _, d) in (avr.rattelse or {}).items() if d < 0 and u not in paying and kind == RATTELSE]
    if owed and cfg.cfg.payment_format == "pain.001":
        said += (f" pain.001 kan inte bära krediteringar: {', '.join(sorted(owed))} är skyldiga kommunen skillnaden "
                 "(se manifest.json, remaining_credits_ore); kräv tillbaka genom faktura eller kvitta manuellt.")
    return Outcome(settled, kind, final, final / plan.name if has_file else None, said)


def _said(kind: str, settled: Settled, paying: dict[str, int]) -> str:
    if kind == PRELIMINAR:
        return (f"PRELIMINÄR körning: ingen betalfil. Månaden körs slutligt {settled.avr.run.korningsdag} "
                "(eller med --final).")
    if kind == RATTELSE:
        return f"Rättelse: {len([v for v in paying.values() if v])} utförare får en ändrad utbetalning."
    return "Slutlig körning."


def _paid_month(cfg: LoadedConfig, ledger: Ledger, period: Period, today: date, last: Run, rattelse: bool) -> Outcome:
    same_day = settle_month(cfg, period, last.file_date)
    if fingerprint(cfg, same_day) == last.fingerprint:
        return _unchanged(cfg, period, same_day, last)
    if not rattelse:
        raise RefusedError(f"{period.label} är redan betald (körning {last.run_id} den {last.file_date}) och indata "
                           "eller konfiguration har ändrats sedan dess. Kör med --rattelse för att betala eller "
                           "kräva tillbaka skillnaden.")
    return _correct(cfg, ledger, same_day, today)


def _unchanged(cfg: LoadedConfig, period: Period, settled: Settled, last: Run) -> Outcome:
    """Same inputs as the paid run: the outputs stay as they are, nothing is paid again."""
    final = cfg.output_dir(period.label)
    cur = current(final)
    intact = cur is not None and _matches_manifest(cur)
    msg = (f"{period.label} är redan betald (körning {last.run_id} den {last.file_date}) med samma indata: "
           "inga nya betalningar, utdata oförändrade.")
    if not intact:
        raise RefusedError(msg.replace("utdata oförändrade.", f"men utdata i {final} saknas eller har ändrats; "
                                       f"tidigare versioner finns i {final.parent / ('.' + final.name + '.versions')}."))
    return Outcome(with_status(settled, last.kind), OFORANDRAD, final, None, msg)


def _matches_manifest(folder: Path) -> bool:
    try:
        doc = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
        return all(sha256(folder / o["file"]) == o["sha256"] for o in doc["outputs"])
    except (OSError, ValueError, KeyError):
        return False


def _correct(cfg: LoadedConfig, ledger: Ledger, settled: Settled, today: date) -> Outcome:
    """Pay or claim back only the difference per utförare since what was paid. `settled` is the
    month as settled for the comparison; only its file date changes to today."""
    settled = replace(settled, avr=replace(settled.avr, run=replace(settled.avr.run, filedatum=today)))
    avr, period = settled.avr, settled.avr.period
    paid = ledger.paid_so_far(period.label)
    before_settled = ledger.settled_last(period.label)
    regi = dict(avr.utforare.select("utforare_id", "regi").iter_rows())
    change = {}
    for uid, now in avr.totals.items():
        before = paid.get(uid, 0) if regi[uid] == "privat" else before_settled.get(uid, 0)
        if now != before:
            change[uid] = (before, now, now - before)
    settled = with_status(settled, RATTELSE, change)
    n = len([r for r in ledger.paid_runs(period.label) if r.kind == RATTELSE]) + 1
    plan = PaymentPlan(payment_name(cfg, period, n), correction_payments(settled, change, regi, today),
                       paid_before={u: paid.get(u, 0) for u in avr.totals if regi[u] == "privat"},
                       carried=_earlier_payment_files(cfg.output_dir(period.label)))
    paying = {u: d for u, (_, _, d) in change.items() if regi[u] == "privat"}
    return _commit(cfg, ledger, settled, RATTELSE, plan, paying)


def correction_payments(settled: Settled, change: dict, regi: dict, today: date) -> list[Payment]:
    """TK14 for more owed, TK16 credit for less; the credit stays open 90 days after payment."""
    from .schedule import lb_payment_date_field
    avr = settled.avr
    bankgiro = dict(avr.utforare.select("utforare_id", "bankgiro").iter_rows())
    pay_field = lb_payment_date_field(avr.run.betalningsdag, avr.run.filedatum)
    credit_until = (max(avr.run.betalningsdag, today) + timedelta(days=90)).strftime("%y%m%d")
    out = []
    for uid in sorted(change):
        diff = change[uid][2]
        if regi[uid] != "privat" or diff == 0:
            continue
        kind, when = ("14", pay_field) if diff > 0 else ("16", credit_until)
        out.append(Payment(bankgiro=bankgiro[uid], amount_ore=abs(diff), reference=f"RÄTTELSE LOV {avr.period.label}",
                           payment_date=when, info=f"{uid} {avr.period.label} R", kind=kind))
    return out


def _earlier_payment_files(final: Path) -> dict[str, bytes]:
    cur = current(final)
    if cur is None or not (cur / "betalning").is_dir():
        return {}
    return {f"betalning/{p.name}": p.read_bytes() for p in sorted((cur / "betalning").iterdir()) if p.is_file()}


def payment_name(cfg: LoadedConfig, period: Period, correction: int = 0) -> str:
    ext = "xml" if cfg.cfg.payment_format == "pain.001" else "txt"
    suffix = f"-rattelse-{correction}" if correction else ""
    return f"betalning/lov-{period.label}{suffix}.{ext}"
