"""`lovkorning explain`: why an utförare is paid what it is, and what became of given input rows.
"""

from __future__ import annotations

import os
import sys
from datetime import date
from pathlib import Path
from typing import List, Optional

import typer

from .swedish import choice
from ..config.loaded import config_path, load
from ..core.errors import LovError
from ..core.period import Period
from . import show
from .common import ConfigOpt, fail, month_argument, command

FORMATS = ("table", "json")


def parse_row(value: str) -> tuple[str, int]:
    """FIL:RAD (taggningar.csv:1234) → (file, row)."""
    fil, sep, rad = str(value).strip().rpartition(":")
    if not sep or not fil or not rad.isdigit():
        raise typer.BadParameter(f"'{value}' är ingen rad; ange FIL:RAD, t.ex. taggningar.csv:1234.", param_hint="--rad")
    return fil, int(rad)


@command()
def explain(month: Period = month_argument("Månaden som förklaras, ÅÅÅÅ-MM."),
            utforare: Optional[str] = typer.Option(None, "--utforare", metavar="ID",
                                                   help="Förklara vad utföraren får betalt för, rad för rad."),
            brukare: Optional[str] = typer.Option(None, "--brukare", metavar="PNR",
                                                  help="Bara denna brukares rader (med --utforare)."),
            rad: Optional[List[str]] = typer.Option(None, "--rad", metavar="FIL:RAD",
                                                    help="Vad blev det av indataraden? Kan upprepas."),
            fmt: str = typer.Option("table", "--format", parser=choice(FORMATS), metavar="|".join(FORMATS),
                                    help="Tabell i terminalen eller json."),
            out: Optional[Path] = typer.Option(None, "--out", metavar="FIL",
                                               help="Skriv till filen, med fullständiga personnummer."),
            config: Optional[Path] = ConfigOpt) -> None:
    """Förklara utförarens ersättning rad för rad, med indataraderna bakom varje rad. Skriver inget utom --out."""
    from ..read.indata import require_month  # lazy: startup
    from ..run import explain as ex  # lazy: startup
    from ..write.diffout import to_json  # lazy: startup
    from ..write.files import private_file  # lazy: startup
    from . import explain_table  # lazy: startup

    if brukare is not None and (rad or not utforare):
        raise typer.BadParameter("gäller bara med --utforare och utan --rad.", param_hint="--brukare")
    if not utforare and not rad:
        raise typer.BadParameter("ange --utforare ID, eller --rad FIL:RAD.", param_hint="--utforare")
    rows = [parse_row(r) for r in rad or []]
    period = month
    try:
        cfg = load(config_path(config, dict(os.environ)))
        require_month(cfg, period)
        if rows:
            e = ex.explain_rows(cfg, period, date.today(), rows, utforare)
        else:
            e = ex.explain_utforare(cfg, period, date.today(), utforare, brukare)
    except LovError as exc:
        fail(exc)
    mask = out is None          # full personnummer only in the file asked for
    if fmt == "json":
        data = to_json(ex.rows_doc(e) if rows else ex.utforare_doc(e, mask))
        for w in e.month.warnings:       # on stderr: standard out stays json
            print(f"VARNING: {w}", file=sys.stderr)
        print(ex.ledger_note(e), file=sys.stderr)
    else:
        data = (explain_table.render_rows(e) if rows else explain_table.render_utforare(e, mask)).encode("utf-8")
    if out is None:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
        return
    private_file(out, data)
    show.console().print(f"Skrev {out}.")
