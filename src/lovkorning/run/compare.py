"""What-if: one month's inputs, read as config A reads them, settled under A and under B
(`lovkorning compare`, contract §5). Writes nothing and touches no ledger.

B is applied to A's inputs: B's `inputs` section is never read, and B's output and state are
never touched. The month is read and its tag events paired into visits once; the visits are
checked under A's `visits` section and, when B's differs, again under B's (settle.month.check),
then settled twice by settle.month.settle_paired: exactly what
`run --dry-run` computes under A, and under B with A's `inputs`. The weekly schablon carry is A's
(from A's ledger, read-only): what was really paid in the week going on into this month.

Before settling, `missing_data` names what B needs that A's inputs lack (an insats, a column, a
file); a rate of B with no value for a zon (or role) in A's inputs is named from the settlement.
Both stop with exit 1 (InputError).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import polars as pl

from ..config.insatser import insats_classes
from ..config.loaded import LoadedConfig
from ..config.schema import Config, RuleCfg
from ..core.errors import ConfigError, Fel, InputError, Plats
from ..core.money import round_half_up
from ..core.period import Period
from ..read.indata import Indata, read_month
from ..settle.month import WeekCarry, check, pair_only, settle_paired
from ..settle.result import Avrakning
from ..visits.pairing import Visits

ADJUSTMENTS = "(justeringar)"      # the insats row of utförare-level amounts: deductions, momskompensation …


@dataclass(frozen=True)
class Row:
    key: str                 # utforare_id, or insats
    namn: str | None         # the utförare's name; None per insats
    a_ore: int
    b_ore: int

    @property
    def diff_ore(self) -> int:
        return self.b_ore - self.a_ore


@dataclass(frozen=True)
class Comparison:
    month: str
    kommun: str
    run_day: date            # A's run day of the month: the date an xlsx is stamped with
    utforare: list[Row]      # every utförare of the register, by id
    insats: list[Row]        # every insats with a money line under A or B, then ADJUSTMENTS
    brukare: tuple[int, int, int]   # brukare who get more, less, the same under B (lines only)
    notes: list[str]         # insatser A pays that no rule of B names

    @property
    def a_total(self) -> int:
        return sum(r.a_ore for r in self.utforare)

    @property
    def b_total(self) -> int:
        return sum(r.b_ore for r in self.utforare)

    def rows(self, by: str) -> list[Row]:
        return self.utforare if by == "utforare" else self.insats

    def moved(self) -> tuple[int, int, int]:
        """(Σ what utförare gain, Σ what utförare lose, the part of it that moves between them:
        the smaller of the two). Gains − losses = B's total − A's total."""
        up = sum(max(r.diff_ore, 0) for r in self.utforare)
        down = sum(max(-r.diff_ore, 0) for r in self.utforare)
        return up, down, min(up, down)

    def doc(self, by: str, a_config: str, b_config: str) -> dict:
        """The comparison as contract §5 gives it, with keys of our own added (never renamed):
        the difference in total and in percent of A, what moves between utförare, and with
        `--by utforare` how many brukare get more, less or the same."""
        up, down, moved = self.moved()
        key = ["utforare_id", "namn"] if by == "utforare" else ["insats"]
        rader = [dict(zip(key, (r.key, r.namn)), a_ore=r.a_ore, b_ore=r.b_ore, diff_ore=r.diff_ore,
                      diff_procent=percent(r.diff_ore, r.a_ore)) for r in self.rows(by)]
        diff = self.b_total - self.a_total
        doc = {"month": self.month, "by": by, "a": {"config": a_config, "total_ore": self.a_total},
               "b": {"config": b_config, "total_ore": self.b_total}, "diff_ore": diff,
               "diff_procent": percent(diff, self.a_total), "okning_ore": up, "minskning_ore": down,
               "flyttat_ore": moved}
        if by == "utforare":
            doc["brukare"] = dict(zip(("okar", "minskar", "oforandrade"), self.brukare))
        return doc | {"rader": rader, "anmarkningar": self.notes}


def with_inputs_of(b: LoadedConfig, a: LoadedConfig) -> LoadedConfig:
    """B with A's `inputs` section (paths, column names, value maps): B's own is not read."""
    return LoadedConfig(b.cfg.model_copy(update={"inputs": a.cfg.inputs}), b.path, b.sha256, b.rates, b.files, b.places)


def compare(cfg_a: LoadedConfig, cfg_b: LoadedConfig, period: Period, today: date,
            carry: WeekCarry | None = None) -> Comparison:
    """The month's inputs (as A reads them) settled under A and under B; `carry` from A's ledger
    (run.carry.read_carry). InputError when B needs data A's inputs lack."""
    cfg_b = with_inputs_of(cfg_b, cfg_a)
    indata = read_month(cfg_a, period)
    paired = pair_only(period, indata, last=True)
    visits_a = check(cfg_a, period, indata, paired)
    visits_b = visits_a if cfg_b.cfg.visits == cfg_a.cfg.visits else check(cfg_b, period, indata, paired)
    del paired
    problems = missing_data(cfg_a, cfg_b, indata, visits_a, period)
    if problems:
        raise InputError(problems)
    a = settle_paired(cfg_a, period, today, indata, visits_a, carry).avr
    try:
        b = settle_paired(cfg_b, period, today, indata, visits_b, carry).avr
    except ConfigError as exc:       # a rate of B without a value for a zon or roll of A's inputs
        raise InputError([_lacks(cfg_b, period)] + exc.fel) from None
    return Comparison(period.label, a.kommun.namn, a.run.korningsdag, per_utforare(a, b), per_insats(a, b),
                      brukare_change(a, b), unpaid_under_b(cfg_a.cfg, cfg_b.cfg, indata, visits_a))


# ---------------------------------------------------------------- the figures

def line_sums(avr: Avrakning, key: str) -> dict[str, int]:
    """Σ belopp + tillägg of the money lines per `key` (utforare_id, insats or brukare_id)."""
    g = avr.rader.group_by(key).agg((pl.col("belopp_ore") + pl.col("tillagg_ore")).sum().alias("ore"))
    return {k: int(v) for k, v in g.iter_rows()}


def per_utforare(a: Avrakning, b: Avrakning) -> list[Row]:
    """Each utförare of the register (the same file under both): its total under A and under B."""
    names = dict(a.utforare.select("utforare_id", "namn").iter_rows())
    return [Row(u, names.get(u), a.totals.get(u, 0), b.totals.get(u, 0)) for u in sorted(set(a.totals) | set(b.totals))]


def per_insats(a: Avrakning, b: Avrakning) -> list[Row]:
    """Each insats of a money line (as the lines name it: "RAM-tid", "Uppstart", "Dusch (avböjt
    50 %)" …) under A or B, by name; then the utförare-level amounts, which belong to no insats,
    in a row of their own, so that the rows add up to the totals."""
    sa, sb = line_sums(a, "insats"), line_sums(b, "insats")
    rows = [Row(i, None, sa.get(i, 0), sb.get(i, 0)) for i in sorted(set(sa) | set(sb), key=lambda i: (i is None, i))]
    adj_a, adj_b = int(a.justeringar["belopp_ore"].sum()), int(b.justeringar["belopp_ore"].sum())
    if adj_a or adj_b or a.justeringar.height or b.justeringar.height:
        rows.append(Row(ADJUSTMENTS, None, adj_a, adj_b))
    return rows


def brukare_change(a: Avrakning, b: Avrakning) -> tuple[int, int, int]:
    """How many brukare get more, less and the same under B: the money lines of each brukare
    summed over every utförare. Deductions and momskompensation are per utförare, not per
    brukare, and are left out; so are lines of no brukare."""
    sa, sb = line_sums(a, "brukare_id"), line_sums(b, "brukare_id")
    keys = (set(sa) | set(sb)) - {None}
    up = sum(1 for k in keys if sb.get(k, 0) > sa.get(k, 0))
    down = sum(1 for k in keys if sb.get(k, 0) < sa.get(k, 0))
    return up, down, len(keys) - up - down


def percent(diff: int, base: int) -> float | None:
    """diff / base in percent with one decimal, rounded half up exactly; None when base is 0."""
    return None if base == 0 else round_half_up(diff * 1000, abs(base)) / 10


# ---------------------------------------------------------------- what B needs

def _cap_time(r: RuleCfg) -> bool:
    return r.basis == "utford" and r.cap in ("order", "brukare")


# input file -> (does a rule read it, what for)
FILES = {
    "uppehall": (lambda r: r.basis in ("beviljad", "manad") or _cap_time(r), "uppehåll dras från beviljad tid"),
    "overtid": (_cap_time, "godkänd tid utöver beviljad höjer taket"),
    "genomforandeplaner": (lambda r: r.basis == "genomforandeplan", "första godkända genomförandeplanen ersätts"),
}
HEADERS = {"uppehall": "brukare_id;fran;till;orsak;utforare_id", "overtid": "brukare_id;utforare_id;minuter",
           "genomforandeplaner": "brukare_id;utforare_id;godkand"}


def _uses_roll(r: RuleCfg, cfg: LoadedConfig) -> bool:
    return bool(r.roller) or bool(r.rate and r.rate in cfg.rates.rates and "roll" in cfg.rates[r.rate].by)


def missing_data(a: LoadedConfig, b: LoadedConfig, indata: Indata, visits: Visits, period: Period) -> list[Fel]:
    """What B's rules need that A's inputs for the month lack and A's rules do not need (what
    both need and the month lacks is the month as it is, under both):
    - an insats B pays that is in none of A's orders and visits, and that A's config does not
      know (its rules and catalogue): an insats A knows may simply not occur in a month;
    - the `antal` column of the orders, for a schablon rule (without it every registration pays);
    - the `roll` column of the tag log, for a rule or rate by staff role;
    - a file: uppehall, overtid, genomforandeplaner.
    Empty when B can be applied; otherwise a first line naming B, then one line per need."""
    found = []
    absent = sorted(insats_classes(b.cfg)[0] - _data_insatser(indata, visits) - known_insatser(a.cfg))
    if absent:
        names = ", ".join(f"'{i}'" for i in absent)
        found.append(Fel(f"{'Insatsen' if len(absent) == 1 else 'Insatserna'} {names} "
                         f"ersätts av B men finns varken i A:s beställningar eller taggningar för {period.label}, och "
                         "A:s konfiguration känner inte till dem."))
    b_rules, a_rules = [r for r in b.cfg.rules if r.basis != "none"], [r for r in a.cfg.rules if r.basis != "none"]
    schablon = [r.name for r in b_rules if r.basis == "schablon"]
    if schablon and not any(r.basis == "schablon" for r in a_rules) and indata.bestallningar["antal"].null_count() == \
            indata.bestallningar.height:
        found.append(Fel(f"Kolumnen 'antal' i bestallningar behövs av B:s regel '{schablon[0]}' (högst 'antal' "
                         "registreringar per period ersätts), men A:s beställningar har inga värden i den."))
    roll = [r.name for r in b_rules if _uses_roll(r, b)]
    if roll and not any(_uses_roll(r, a) for r in a_rules) and _no_roll(visits):
        found.append(Fel(f"Kolumnen 'roll' i taggningar behövs av B:s regel '{roll[0]}' (ersättning efter "
                         "personalens roll), men A:s taggningar har inga värden i den."))
    present = {s.name for s in indata.sources}
    for name, (uses, why) in FILES.items():
        need = [r.name for r in b_rules if uses(r)]
        if need and name not in present and not any(uses(r) for r in a_rules):
            found.append(Fel(f"Indatafilen '{name}' behövs av B:s regel '{need[0]}' ({why}), men den finns inte "
                             f"bland A:s indata för {period.label}. Finns inget att ta upp i den: lägg en fil med "
                             f"bara rubrikraden ({HEADERS[name]}) i {a.input_dir(period.label)}."))
    return [_lacks(b, period)] + found if found else []


def _lacks(b: LoadedConfig, period: Period) -> Fel:
    return Fel(f"B behöver data som A:s indata för {period.label} saknar; jämförelsen görs inte.", Plats(str(b.path)))


def known_insatser(cfg: Config) -> set[str]:
    paid, unpaid, _, _ = insats_classes(cfg)
    return paid | unpaid | set(cfg.insatser or [])


def _data_insatser(indata: Indata, visits: Visits) -> set[str]:
    orders = set(indata.bestallningar["insats"].drop_nulls().to_list())
    done = set(visits.besok_insats["insats"].drop_nulls().unique().to_list())
    declined = set(visits.avbojt["insatser"].explode().drop_nulls().unique().to_list())
    return orders | done | declined


def _no_roll(visits: Visits) -> bool:
    return all(f["roll"].null_count() == f.height for f in (visits.besok, visits.avbojt))


def unpaid_under_b(a: Config, b: Config, indata: Indata, visits: Visits) -> list[str]:
    """A note for each insats of the month that A pays and no rule of B names: it pays nothing
    under B (unless B has a rule for every insats)."""
    paid_b, unpaid_b, _, catch_all = insats_classes(b)
    if catch_all:
        return []
    gone = sorted((insats_classes(a)[0] & _data_insatser(indata, visits)) - paid_b - unpaid_b)
    return [f"Insatsen '{i}' ersätts under A men nämns inte i B:s regler: den ger 0 kr under B." for i in gone]
