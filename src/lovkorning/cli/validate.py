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
                                      help="Visa högst så många fel-rader (0: alla)."),
             mapping: bool = typer.Option(False, "--map", help="Visa hur konfigurationen läser varje indatafil: "
                                          "kolumnerna, de första raderna som de lästs och det som inte kunde "
                                          "mappas. Avräknar inte.")) -> None:
    """Läs och validera månadens indata; visa avvikelserna. Skriver inget."""
    from ..read.indata import require_month  # lazy: startup
    from ..settle.month import count_visits, rows_read, settle_month  # lazy: startup
    from ..run.carry import read_carry  # lazy: startup

    period = month
    out = show.console()
    try:
        cfg = load(config_path(config, dict(os.environ)))
        require_month(cfg, period)
        if mapping:
            show_mapping(cfg, period, out)
            return
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


def show_mapping(cfg, period: Period, out) -> None:
    """`validate --map`: per input file, each of our columns and the file's column it comes from,
    the file's columns nothing maps, the first rows as read, the values that could not be read;
    then what would stop a run (exit 1) or that nothing does."""
    from rich.table import Table  # lazy: startup
    from ..read.mapping import map_month, stops  # lazy: startup
    from ..core.errors import InputError, hide_personnummer  # lazy: startup

    maps = map_month(cfg, period)
    for m in maps:
        where = f"{m.path}" + (f" ({', '.join(m.layout)})" if m.layout else "") if m.path else "saknas"
        out.print(f"== {m.name}: {where}")
        if m.path is None:
            continue
        if m.columns:
            out.print("Kolumner (vår ← filens):")
            t = Table(box=None, pad_edge=False, show_edge=False, show_header=False)
            for c in ("vår", "", "filens", "anmärkning"):
                t.add_column(c)
            for c in m.columns:
                t.add_row("  " + c.ours, "←" if c.source else "—", c.source or "", c.note)
            out.print(t)
        out.print("Omappade kolumner i filen: " + (", ".join(f"'{hide_personnummer(c)}'" for c in m.unmapped) or "inga"))
        if m.head is not None:
            out.print(f"De första {m.head.height} raderna som de lästs (av {m.rows}):")
            t = Table(box=None, pad_edge=False, show_edge=False)
            for c in m.head.columns:
                t.add_column(c)
            for r in m.head.iter_rows():
                t.add_row(*[hide_personnummer(v) if v is not None else "" for v in r])
            out.print(t)
        bad = m.findings.filter(m.findings["allvarlighet"] == "fel").sort("rad")
        if bad.height:
            out.print(f"Kunde inte läsas: {bad.height} rader.")
            for r in bad.head(5).iter_rows(named=True):
                out.print(f"  rad {r['rad']}, kolumn '{r['kolumn'] or '—'}' ({r['kod']}): {r['meddelande']}")
            if bad.height > 5:
                out.print(f"  … och {bad.height - 5} till (alla: lovkorning validate {period.label}).")
        out.print("")
    problems = stops(maps)
    if problems:
        out.print(f"{len(problems)} fel stoppar körningen:")
        fail(InputError(problems))
    out.print("Mappningen läser alla filer; inget fel stoppar körningen.")
