"""`lovkorning run`: settle a month and pay it once (or --dry-run, --due for cron).
"""

from __future__ import annotations

import os
import sys
from datetime import date
from pathlib import Path
from typing import Optional

import polars as pl
import typer

from .swedish import iso_date, number
from ..config.loaded import config_path, load
from ..core.errors import LovError
from ..core.period import Period
from . import show
from .common import ConfigOpt, fail, month_argument, warn, warn_schedule, command


@command()
def run(month: Optional[Period] = month_argument("Månaden som avräknas, ÅÅÅÅ-MM (utelämnas med --due).", required=False),
        config: Optional[Path] = ConfigOpt,
        dry_run: bool = typer.Option(False, "--dry-run", help="Avräkna och visa vad som skulle betalas; skriv inget."),
        final: bool = typer.Option(False, "--final", help="Slutlig körning även före körningsdagen."),
        rattelse: bool = typer.Option(False, "--rattelse", help="Rätta en betald månad: betala eller kräv tillbaka skillnaden."),
        due: bool = typer.Option(False, "--due", help="För cron: kör den månad vars körningsdag är idag, annars inget."),
        vanta: float = typer.Option(0, "--vanta", parser=number(0), metavar="SEKUNDER",
                                    help="Vänta så här många sekunder om en annan körning pågår."),
        datum: Optional[date] = typer.Option(None, "--datum", parser=iso_date, metavar="ÅÅÅÅ-MM-DD",
                                             help="Körningens datum, för test; annars idag.")) -> None:
    """Validera och avräkna månaden, skriv betalfil, avräkningar, sammanställning och manifest."""
    from ..read.indata import require_month  # lazy: startup
    from ..run.runner import execute, preview  # lazy: startup

    if due and month:
        raise typer.BadParameter("ange ingen månad med --due.", param_hint="MÅNAD")
    if not due and not month:
        raise typer.BadParameter("ange månaden, ÅÅÅÅ-MM, eller --due.", param_hint="MÅNAD")
    today = datum or date.today()
    out = show.console()
    try:
        cfg = load(config_path(config, dict(os.environ)))
        if due:
            period = Period(today.year, today.month).previous()
            day = cfg.run_day(period)
            if day != today:
                out.print(f"Ingen körning idag ({today}). {period.label} körs {day}.")
                return
        else:
            period = month
            cfg.run_day(period)             # the config's fault first: a month without a run day (file, line)
        require_month(cfg, period)          # before the lock and the ledger: a month not yet exported
        warn_schedule(cfg, period)
        if dry_run:      # reads the ledger, takes no lock: what a real run would do, or its refusal
            outcome = preview(cfg, period, today, final=final or due, rattelse=rattelse)
        else:
            outcome = execute(cfg, period, today, final=final or due, rattelse=rattelse, wait=vanta)
        settled = outcome.settled
    except LovError as exc:
        fail(exc)
    warn(outcome)
    try:
        show.print_run(out, settled, outcome)
    except (Exception, pl.exceptions.PanicException) as exc:
        if outcome.dry_run or os.environ.get("LOVKORNING_DEBUG"):
            raise
        # the run is done (and recorded): say so, not the generic "Inget betalades"
        print(f"Körningen är klar ({outcome.kind}); utdata: {outcome.out_dir or '–'}, betalfil: "
              f"{outcome.payment_path or 'ingen'}. Sammanfattningen kunde inte visas ({type(exc).__name__}). "
              "En ny körning med samma indata betalar inte igen.", file=sys.stderr)
        raise typer.Exit(1)
