"""`lovkorning validate`: read and validate a month; show the avvikelser and rejected rows.
"""

from __future__ import annotations

import os
import sys
from datetime import date
from pathlib import Path
from typing import Optional

import typer

from .swedish import whole_number
from ..config.loaded import config_path, load
from ..core.errors import LovError
from ..core.period import Period
from . import show
from .common import ConfigOpt, fail, month_argument, command


@command()
def validate(month: Period = month_argument("Månaden som valideras, ÅÅÅÅ-MM."),
             config: Optional[Path] = ConfigOpt,
             visa: int = typer.Option(50, "--visa", parser=whole_number(0), metavar="ANTAL",
                                      help="Visa högst så många fel-rader (0: alla).")) -> None:
    """Läs och validera månadens indata; visa avvikelserna. Skriver inget."""
    from ..read.indata import require_month  # lazy: startup
    from ..settle.month import count_visits, rows_read, settle_month  # lazy: startup
    from ..run.carry import read_carry  # lazy: startup

    period = month
    out = show.console()
    try:
        cfg = load(config_path(config, dict(os.environ)))
        require_month(cfg, period)
        carry, problem = read_carry(cfg, period)
        if problem:
            print(f"VARNING: {problem}", file=sys.stderr)
        settled = settle_month(cfg, period, date.today(), carry)
    except LovError as exc:
        fail(exc)
    out.print(show.rows_table(rows_read(settled.indata)))
    v = count_visits(settled.visits)
    out.print(f"Besök: {v['besok']} ({v['giltiga']} räknade), avböjda besök: {v['avbojda']}")
    out.print(show.findings_table(settled.avr.avvikelser))
    errors = settled.avr.avvikelser.filter(settled.avr.avvikelser["allvarlighet"] == "fel")
    shown = errors if visa == 0 else errors.head(visa)
    for r in shown.iter_rows(named=True):
        out.print(f"FEL {r['fil']}, rad {r['rad']}, kolumn '{r['kolumn'] or '—'}': {r['meddelande']}")
    if errors.height > shown.height:
        out.print(f"… och {errors.height - shown.height} fel-rader till (alla: --visa 0).")
