"""Checks across keys of a valid config: rules against rates and the insats catalogue, the schedule
against the calendar.
"""

from __future__ import annotations

from pathlib import Path


from ..core.errors import ConfigError, Fel, Plats
from ..core.period import Period
from .rates import RateBook
from ..core.schedule import PaymentRule, payment_date, run_day
from .schema import Config, RuleCfg, ScheduleCfg
from .yamlfile import line_of


def check_references(cfg: Config, rates: "RateBook", data: dict, origin: dict[str, Path]) -> None:
    errors: list[Fel] = []
    for i, rule in enumerate(cfg.rules):
        where = Plats(str(origin.get("rules")), line_of(data, ("rules", i)))
        for problem in rule_problems(rule, rates):
            errors.append(Fel(f"regel '{rule.name}': {problem}", where))
    errors += [Fel(msg, Plats(str(origin.get(key)), line_of(data, path))) for key, path, msg in insats_problems(cfg)]
    names = [r.name for r in cfg.rules]
    for name in sorted({n for n in names if names.count(n) > 1}):
        errors.append(Fel(f"regelnamnet '{name}' används flera gånger", Plats(str(origin.get("rules")))))
    if errors:
        raise ConfigError(errors)


REQUIRES_RATE = {"beviljad", "utford", "schablon", "besok", "manad", "start", "genomforandeplan"}
REQUIRES_INSATSER = {"beviljad", "utford", "manad", "none"}


def rule_problems(rule: RuleCfg, rates: "RateBook") -> list[str]:
    """What is wrong with one rule, given the rates: empty when it is usable."""
    p: list[str] = []
    b = rule.basis
    if b in REQUIRES_RATE and not rule.rate:
        p.append(f"basis '{b}' kräver 'rate'")
    if rule.rate and rule.rate not in rates.rates:
        p.append(f"okänd rate '{rule.rate}'; definierade: {', '.join(sorted(rates.rates)) or 'inga'}")
    if b in REQUIRES_INSATSER and not rule.insatser:
        p.append(f"basis '{b}' kräver 'insatser'")
    if b == "utford" and rule.cap is None:
        p.append("basis 'utford' kräver 'cap' (none, order eller brukare)")
    if b != "utford" and rule.cap is not None:
        p.append("'cap' gäller bara basis 'utford'")
    if b == "genomforandeplan" and rule.hours is None:
        p.append("basis 'genomforandeplan' kräver 'hours'")
    if b == "schablon" and not rule.schablon:
        p.append("basis 'schablon' kräver 'schablon' (minuter per insats)")
    if rule.uppehall_percent is not None and b != "beviljad":
        p.append("'uppehall_percent' gäller bara basis 'beviljad'")
    if rule.avbojt_percent is not None and b not in ("schablon", "besok"):
        p.append("'avbojt_percent' gäller bara basis 'schablon' och 'besok'")
    if rule.max_andel is not None and b != "utford":
        p.append("'max_andel' gäller bara basis 'utford'")
    if rule.rate and rule.rate in rates.rates and "roll" in rates[rule.rate].by and b not in ("utford", "besok", "schablon"):
        p.append(f"raten '{rule.rate}' är uppdelad på roll, men basis '{b}' har inga besök att ta roll från")
    for orsak, shares in (rule.uppehall_percent or {}).items():
        if any(not 0 <= x <= 100 for x in shares):
            p.append(f"'uppehall_percent' för '{orsak}': procent måste ligga mellan 0 och 100")
    return p


SCHEDULE_KEYS = (("run_workday",), ("payment", "day"))


def months_of(*years: int) -> list[Period]:
    return [Period(y, m) for y in years for m in range(1, 13)]


def schedule_problems(schedule: ScheduleCfg, periods: list[Period]) -> list[tuple[tuple, str]]:
    """The settled months in `periods` with a run day that does not exist (fewer workdays than
    `run_workday`) or a payment day before the run day (the utförare would be paid before the run
    that settles the month): one (key path, message) per kind, naming every such month and the
    first as an example. Not checked at load: whether a schedule holds depends on the calendar,
    and a run should not stop on another month's calendar. `run` stops on its own month's missing
    run day and warns of the rest, and of the next twelve months; `check-config` checks this
    year and the next."""
    p = schedule.payment
    rule = PaymentRule(day=p.day, days_after_run=p.days_after_run, roll=p.roll)
    missing, early = [], []
    for period in periods:
        try:
            run = run_day(period, schedule.run_workday)
        except ValueError as exc:
            missing.append((period, str(exc).rstrip(".")))
            continue
        pay = payment_date(period, rule, schedule.run_workday)
        if pay < run:       # only with `day`: days_after_run counts from the run day
            early.append((period, f"för {period.label} betalas {pay} men körningen sker {run}"))
    out = []
    if missing:
        out.append((("run_workday",), f"'run_workday' {schedule.run_workday} finns inte i varje månad: körningen för "
                                      f"{_months(missing)} får ingen körningsdag ({missing[0][1]})"))
    if early:
        out.append((("payment", "day"), (
            f"betalningsdagen ({p.day}, roll {p.roll}) infaller före körningsdagen ({schedule.run_workday}:e "
            f"arbetsdagen) för {_months(early)}; till exempel {early[0][1]}. Välj en senare 'day', en tidigare "
            "'run_workday' eller 'days_after_run'")))
    return out


def _months(found: list[tuple[Period, str]]) -> str:
    return ("månaden " if len(found) == 1 else f"{len(found)} månader: ") + ", ".join(m.label for m, _ in found)


def insats_problems(cfg: Config) -> list[tuple[str, tuple, str]]:
    """Insatser named where they cannot be meant: not in the catalogue (when there is one), an
    avbojt_percent or schablon entry for an insats the rule does not name, a max_andel base no
    rule names, an insats marked unpaid (`basis: none`) that another rule pays. Each as
    (top-level key, path for the line, message)."""
    known = set(cfg.insatser or [])
    named = {i for r in cfg.rules for i in r.named_insatser()}
    payer = {}
    for r in cfg.rules:
        for i in r.named_insatser() if r.basis != "none" else []:
            payer.setdefault(i, r.name)
    out = []
    for n, r in enumerate(cfg.rules):
        both = [i for i in r.named_insatser() if r.basis == "none" and i in payer]
        for insats in both:
            out.append(("rules", ("rules", n), f"regel '{r.name}': insatsen '{insats}' har 'basis: none' (ersätts "
                        f"inte) men ersätts av regeln '{payer[insats]}'; ta bort den ur den ena regeln"))
    for n, r in enumerate(cfg.rules):
        mine = set(r.named_insatser())
        refs = [(i, "insatser") for i in r.insatser or []] + [(i, "schablon") for i in r.schablon or {}]
        refs += [(i, "avbojt_percent") for i in r.avbojt_percent or {} if i != "default"]
        refs += [(i, "max_andel") for i in (r.max_andel.av if r.max_andel else [])]
        for insats, where in refs:
            if cfg.insatser is not None and insats not in known:
                out.append(("rules", ("rules", n), f"regel '{r.name}': okänd insats '{insats}' i '{where}'; "
                            "den finns inte i 'insatser'"))
            elif where == "avbojt_percent" and mine and insats not in mine:
                out.append(("rules", ("rules", n), f"regel '{r.name}': 'avbojt_percent' för '{insats}', som regeln inte ersätter"))
            elif where == "schablon" and r.insatser and insats not in r.insatser:
                out.append(("rules", ("rules", n), f"regel '{r.name}': schablon för '{insats}', som inte finns i regelns 'insatser'"))
            elif where == "max_andel" and insats not in named:
                out.append(("rules", ("rules", n), f"regel '{r.name}': 'max_andel' räknar på '{insats}', som ingen regel nämner"))
    return out
