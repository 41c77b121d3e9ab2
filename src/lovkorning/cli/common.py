"""What every command shares: the app and its Swedish command class, the --config option, the
month argument, and errors and warnings shown the same way (FEL:/VARNING: on stderr, the
contract's exit codes).
"""

from __future__ import annotations

import sys
from functools import partial

import typer

from .swedish import Command, Group, from_text
from ..core.errors import LovError
from ..core.period import Period
from . import show


# Help and usage errors in Swedish (swedish.py): plain-text help, our group and command classes.
app = typer.Typer(add_completion=False, pretty_exceptions_enable=False, no_args_is_help=True, cls=Group,
                  rich_markup_mode=None, help="LOV-körningen för hemtjänst: validerar, avräknar och skriver betalfil.")
command = partial(app.command, cls=Command)

ConfigOpt = typer.Option(None, "--config", "-c", metavar="FIL",
                         help="Konfigurationsfil (annars $LOVKORNING_CONFIG, annars ./lovkorning.yaml).")


parse_month = from_text(Period, Period.parse, "'{value}' är ingen månad; ange ÅÅÅÅ-MM, t.ex. 2023-09.")


def month_argument(help: str, required: bool = True) -> typer.models.ArgumentInfo:
    return typer.Argument(... if required else None, parser=parse_month, metavar="MÅNAD", help=help, show_default=False)


def fail(exc: LovError) -> None:
    err = show.console(stderr=True)
    for f in exc.fel[:50]:
        err.print(f"FEL: {f}")
    if len(exc.fel) > 50:
        err.print(f"… och {len(exc.fel) - 50} fel till.")
    raise typer.Exit(exc.exit_code)


def warn_schedule(cfg, period: Period) -> None:
    """The schedule's problems in this month and the next twelve, as warnings: a run does not stop
    on another month's calendar (a payment day before this month's run day: the file says GENAST)."""
    months = [period]
    for _ in range(12):
        months.append(months[-1].next())
    for f in cfg.schedule_problems(months):
        print(f"VARNING: {f}", file=sys.stderr)


def warn(outcome) -> None:
    """What went wrong after the run was recorded: said on stderr, the exit code stays 0."""
    for w in getattr(outcome, "warnings", None) or []:
        print(f"VARNING: {w}", file=sys.stderr)
