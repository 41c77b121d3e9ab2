"""`lovkorning check-config`: load a config and explain how it pays a month.
"""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path
from typing import Optional

import typer

from ..config.loaded import config_path, load
from ..core.errors import ConfigError, LovError
from ..core.period import Period
from . import show
from .common import fail, parse_month, command
from ..config.checks import months_of
from ..core.schedule import payment_date


@command("check-config")
def check_config(path: Optional[Path] = typer.Argument(None, metavar="FIL", help="Konfigurationsfil (annars som för run)."),
                 month: Optional[Period] = typer.Option(None, "--manad", parser=parse_month, metavar="MÅNAD",
                                                        help="Visa rater för denna månad (ÅÅÅÅ-MM).")) -> None:
    """Läs in och förklara en konfiguration; avslutar med fel om något är fel."""

    today = date.today()
    period = month or Period(today.year, today.month).previous()
    try:
        cfg = load(config_path(path, dict(os.environ)))
        months = dict.fromkeys(months_of(today.year, today.year + 1) + [period])
        problems = cfg.schedule_problems(list(months))
        if problems:          # the schedule is checked for this year and the next (and --manad)
            raise ConfigError(problems)
    except LovError as exc:
        fail(exc)
    c = cfg.cfg
    out = show.console()
    out.print(f"Konfiguration {cfg.path} (sha256 {cfg.sha256[:12]}) är giltig.")
    out.print(f"Kommun: {c.kommun.namn}, bankgiro {c.kommun.bankgiro}; betalformat {c.payment_format}")
    out.print(f"Månad {period.label}: körs {cfg.run_day(period)} "
              f"({c.schedule.run_workday}:e arbetsdagen), betalas {payment_date(period, cfg.payment_rule(), c.schedule.run_workday)}")
    out.print(f"Besök: minst {c.visits.min_minutes} min, högst {c.visits.max_minutes} min, tagg: {c.visits.require_tag}")
    if c.visits.window:
        out.print(f"Utförd tid räknas bara {c.visits.window[0]}–{c.visits.window[1]}.")
    out.print(f"Så betalas insatserna {period.label}:")
    out.print(show.insats_table(cfg, period))
    out.print("Rater:")
    out.print(show.rates_table(cfg, period))
    for s in c.supplements:
        out.print(f"Tillägg '{s.name}': " + (f"{s.percent} % för zon {', '.join(s.zon or ['alla'])}" if s.percent is not None
                                           else f"{s.per_utford_timme} kr per utförd timme") + (f", flagga {s.flagga}" if s.flagga else ""))
    for d in c.deductions:
        when = [f"flaggan {d.flagga}"] if d.flagga else []
        when += [f"andel utförd under {d.min_andel_utford} %"] if d.min_andel_utford is not None else []
        out.print(f"Avdrag '{d.name}': {d.percent} % för utförare med " + " och ".join(when))
    out.print(f"Momskompensation: {c.momskompensation.percent} % (privata utförare)")
