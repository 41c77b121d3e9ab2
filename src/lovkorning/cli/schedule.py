"""`lovkorning schedule`: every month's run day and payment day in a year.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Optional

import typer

from .swedish import whole_number
from ..config.loaded import config_path, load
from ..core.errors import LovError
from . import show
from .common import ConfigOpt, fail, command
from ..config.checks import months_of
from ..core.schedule import payment_date, run_day


@command()
def schedule(year: int = typer.Argument(..., parser=whole_number(2000, 2100), metavar="ÅR", show_default=False,
                                        help="Året vars månader visas."),
             config: Optional[Path] = ConfigOpt) -> None:
    """Visa varje månads körningsdag och betalningsdag för ett år."""

    try:
        cfg = load(config_path(config, dict(os.environ)))
    except LovError as exc:
        fail(exc)
    c = cfg.cfg.schedule
    rows = []
    for p in months_of(year):
        try:
            rows.append((p.label, run_day(p, c.run_workday), payment_date(p, cfg.payment_rule(), c.run_workday)))
        except ValueError:           # no such workday that month: shown as –, named below
            rows.append((p.label, None, None))
    show.print_schedule(show.console(), rows, c.run_workday)
    for f in cfg.schedule_problems(months_of(year)):
        print(f"VARNING: {f}", file=sys.stderr)
