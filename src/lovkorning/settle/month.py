"""A month settled: read → pair and check visits → apply the model → adjust per utförare. Pure
apart from reading the inputs: the same config, period, inputs and carry give the same month.
`settle_month` is what `run`, `run --dry-run`, `validate` and the follow-up all call.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import date

import polars as pl

from .. import __version__
from ..core import avvikelser as av
from .beviljad import beviljad_lines, order_findings, segments
from .findings import order_rule_findings, plan_findings, visit_findings
from ..config.loaded import LoadedConfig
from .context import Context
from .engine import apply_rules
from .fees import WEEKS, fee_findings, spilling_weeks
from ..read.indata import Indata, read_month
from ..core.period import Period
from ..read.files import Source
from .result import Avrakning, Kommun, RunInfo
from ..core.schedule import payment_date
from .adjust import add_supplements, adjustments, brukare_zon, time_table, totals
from ..visits.pairing import Paired, Visits, checked, pair_events
from ..visits.checks import double_staffing


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
    """The month settled from its inputs; `carry` from the ledger (run.carry.week_carry)."""
    indata = read_month(cfg, period)
    visits = pair(cfg, period, indata, last=True)
    return settle_paired(cfg, period, today, indata, visits, carry)


def pair(cfg: LoadedConfig, period: Period, indata: Indata, last: bool = False) -> Visits:
    """The month's tag events paired into visits and checked under the config's `visits` section
    (`last`: as pair_only)."""
    return check(cfg, period, indata, pair_only(period, indata, last))


def pair_only(period: Period, indata: Indata, last: bool = False) -> Paired:
    """The month's tag events paired into visits, not yet checked (check, for each config).
    `last`: no other pairing follows, so `indata` keeps an empty tag log (paired: every event is in
    a visit or a finding) and pair_events holds the only reference to the events, which it lets go
    of once they are paired (a Sweden month's 39 M events would otherwise stay alive)."""
    return pair_events(take_events(indata) if last else indata.taggningar, period)


def check(cfg: LoadedConfig, period: Period, indata: Indata, paired: Paired) -> Visits:
    """Paired visits checked under the config's `visits` section: what `pair` gives."""
    return checked(paired, cfg.cfg.visits, period, double_staffing(indata.bestallningar, period))


def take_events(indata: Indata) -> pl.DataFrame:
    """The tag log, replaced in `indata` by an empty frame of its schema. Hand the result straight
    on (as an argument, never to a variable): then the callee holds its only reference."""
    events = indata.frames["taggningar"]
    indata.frames["taggningar"] = events.clear()
    return events


def settle_paired(cfg: LoadedConfig, period: Period, today: date, indata: Indata, visits: Visits,
                  carry: WeekCarry | None = None) -> Settled:
    """The month settled from inputs already read and paired (settle_month; `compare` reads and
    pairs once for two configs). Reads nothing and changes neither `indata` nor `visits`."""
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


def rows_read(indata: Indata) -> dict[str, int]:
    return {s.name: s.rows for s in indata.sources}


def count_visits(visits: Visits) -> dict[str, int]:
    inside = ~pl.col("utanfor")
    besok, giltiga = visits.besok.select(inside.sum().alias("b"), (inside & pl.col("giltig")).sum().alias("g")).row(0)
    return {"besok": besok, "giltiga": giltiga, "avbojda": visits.avbojt.height}
