"""`lovkorning compare`: the month's inputs settled under two configs, A and B, and the difference.
Writes nothing but `--out`; reads A's ledger only for the weekly schablon carry, as a dry run does.
"""

from __future__ import annotations

import os
import sys
from datetime import date
from pathlib import Path
from typing import Optional

import typer

from .swedish import choice
from .. import __version__
from ..config.loaded import config_path, load
from ..core.errors import LovError
from ..core.money import format_kronor
from ..core.period import Period
from . import show
from .common import ConfigOpt, fail, month_argument, command


BY = ("utforare", "insats")
FORMATS = ("table", "json", "csv", "xlsx")


@command()
def compare(month: Period = month_argument("Månaden vars indata jämförs, ÅÅÅÅ-MM."),
            config: Optional[Path] = ConfigOpt,
            with_: Path = typer.Option(..., "--with", metavar="FIL", show_default=False,
                                       help="Konfigurationen B att jämföra med; tillämpas på A:s indata."),
            by: str = typer.Option("utforare", "--by", parser=choice(BY), metavar="|".join(BY),
                                   help="Visa per utförare eller per insats."),
            fmt: str = typer.Option("table", "--format", parser=choice(FORMATS), metavar="|".join(FORMATS),
                                    help="Tabell i terminalen, eller json, csv eller xlsx."),
            out: Optional[Path] = typer.Option(None, "--out", metavar="FIL",
                                               help="Fil att skriva (json/csv: annars standard ut; xlsx: krävs).")) -> None:
    """Avräkna månadens indata under konfiguration A och B och visa skillnaden. Skriver inget utom --out."""
    from ..run.carry import read_carry  # lazy: startup
    from ..run.compare import compare as settle_both  # lazy: startup
    from ..write import compareout  # lazy: startup
    from ..write.files import private_file  # lazy: startup

    if fmt == "table" and out is not None:
        raise typer.BadParameter("gäller bara --format json, csv eller xlsx; tabellen visas i terminalen.",
                                 param_hint="--out")
    if fmt == "xlsx" and (out is None or str(out) == "-"):
        raise typer.BadParameter("xlsx skrivs till en fil: ange --out FIL.", param_hint="--out")
    a_path = config_path(config, dict(os.environ))
    try:
        cfg_a, cfg_b = load(a_path), load(with_)
        carry, problem = read_carry(cfg_a, month)
        if problem:
            print(f"VARNING: {problem}", file=sys.stderr)
        cmp = settle_both(cfg_a, cfg_b, month, date.today(), carry)
    except LovError as exc:
        fail(exc)
    for note in cmp.notes:
        print(f"OBS: {note}", file=sys.stderr)
    doc = cmp.doc(by, str(a_path), str(with_))
    if fmt == "table":
        print_table(show.console(), doc)
        return
    if fmt == "xlsx":
        out.parent.mkdir(parents=True, exist_ok=True)
        compareout.write_xlsx(out, doc, cmp.kommun, cmp.run_day, __version__)
    else:
        data = compareout.to_json(doc) if fmt == "json" else compareout.to_csv(doc)
        if out is None or str(out) == "-":
            sys.stdout.buffer.write(data)
            return
        private_file(out, data)
    show.console().print(f"Skrev {out}.")


def print_table(out, doc: dict) -> None:
    """The comparison as the terminal shows it: who and what is compared, a row per utförare or
    insats with a total, then what moves between utförare and, per utförare, the brukare."""
    from ..write.compareout import pct  # lazy: startup
    out.print(f"Jämförelse {doc['month']}: A = {doc['a']['config']}, B = {doc['b']['config']} "
              "(B tillämpad på A:s indata; skillnad = B − A)")
    first = ["utförare", "namn"] if doc["by"] == "utforare" else ["insats"]
    keys = ["utforare_id", "namn"] if doc["by"] == "utforare" else ["insats"]
    t = show._table(*first, "A (kr)", "B (kr)", "skillnad (kr)", "skillnad (%)",
                   right=tuple(range(len(first), len(first) + 4)))
    for r in doc["rader"]:
        t.add_row(*(r[k] or "" for k in keys), format_kronor(r["a_ore"]), format_kronor(r["b_ore"]),
                  format_kronor(r["diff_ore"]), pct(r["diff_procent"]))
    t.add_row("Totalt", *[""] * (len(first) - 1), format_kronor(doc["a"]["total_ore"]),
              format_kronor(doc["b"]["total_ore"]), format_kronor(doc["diff_ore"]), pct(doc["diff_procent"]))
    out.print(t)
    out.print(f"Flyttas mellan utförare: {format_kronor(doc['flyttat_ore'])} kr (utförare som får mer under B: "
              f"+{format_kronor(doc['okning_ore'])} kr, som får mindre: -{format_kronor(doc['minskning_ore'])} kr).")
    if "brukare" in doc:
        b = doc["brukare"]
        out.print(f"Brukare: {b['okar']} får mer, {b['minskar']} får mindre, {b['oforandrade']} oförändrade "
                  "(ersättningsrader per brukare; avdrag och momskompensation per utförare ingår inte).")
