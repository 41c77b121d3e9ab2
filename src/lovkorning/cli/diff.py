"""`lovkorning diff`: utförd against beviljad tid over months, with the flags to review.
"""

from __future__ import annotations

import os
import sys
from datetime import date
from pathlib import Path
from typing import Optional

import typer

from .swedish import choice, whole_number
from ..config.loaded import config_path, load
from ..core.errors import LovError
from ..core.period import Period
from ..run import history
from . import show
from .common import ConfigOpt, fail, month_argument, command
from ..write.files import private_file


BY = ("utforare", "brukare", "insats")
FORMATS = ("table", "csv", "xlsx", "json")


@command()
def diff(month: Period = month_argument("Sista månaden i jämförelsen, ÅÅÅÅ-MM."),
         months: int = typer.Option(3, "--months", parser=whole_number(1, 36), metavar="ANTAL",
                                    help="Antal månader bakåt, inklusive denna (1–36)."),
         by: str = typer.Option("utforare", "--by", parser=choice(BY), metavar="|".join(BY),
                                help="Visa per utförare, brukare eller insats."),
         utforare: Optional[str] = typer.Option(None, "--utforare", metavar="ID", help="Bara denna utförare."),
         fmt: str = typer.Option("table", "--format", parser=choice(FORMATS), metavar="|".join(FORMATS),
                                 help="Tabell i terminalen, eller fil: csv, xlsx eller json."),
         out: Optional[Path] = typer.Option(None, "--out", metavar="FIL", help="Fil att skriva (csv/xlsx/json); '-' "
                                            "skriver till standard ut med maskerade personnummer."),
         config: Optional[Path] = ConfigOpt) -> None:
    """Jämför utförd med beviljad tid över månader och flagga det som ska granskas."""
    from ..run import followup  # lazy: startup
    from ..write import diffout  # lazy: startup

    if fmt == "table" and out is not None and str(out) != "-":
        raise typer.BadParameter("gäller bara --format csv, xlsx eller json; tabellen visas bara i terminalen "
                                 "(ange t.ex. --format csv --out FIL).", param_hint="--out")
    period = month
    try:
        cfg = load(config_path(config, dict(os.environ)))
        labels, fig, sources, missing = history.window(cfg, period, months, date.today())
    except LovError as exc:
        fail(exc)
    shown = [m for m in labels if m not in missing]
    if missing:       # on stderr: standard out stays csv or json
        print(f"Inga data för {', '.join(missing)}; visar {', '.join(shown)}.", file=sys.stderr)
    rows = followup.view(fig, by, shown, utforare)
    flags = followup.flags(fig, cfg.cfg.diff, labels)     # a month without data breaks a run of months
    if utforare:
        flags = flags.filter(flags["utforare_id"] == utforare)
    text = lambda f: followup.flag_text(f, cfg.cfg.diff)  # noqa: E731
    if fmt == "table":
        show.print_diff(show.console(), shown, sources, by, diffout.records(rows, by, mask=True),
                          diffout.flag_records(flags, text, mask=True))
        return
    to_stdout = out is not None and str(out) == "-"
    recs = diffout.records(rows, by, mask=to_stdout)
    doc = {"month": period.label, "months": shown, "by": by, "utforare": utforare,
           "thresholds": {k: float(v) for k, v in cfg.cfg.diff.model_dump().items()},
           "sources": sources, "months_without_data": missing, "rows": recs,
           "flags": diffout.flag_records(flags, text, mask=to_stdout)}
    if fmt == "xlsx":
        if to_stdout:
            raise typer.BadParameter("xlsx kan inte skrivas till standard ut.", param_hint="--out")
        views = {b: diffout.records(followup.view(fig, b, shown, utforare), b, mask=False) for b in BY}
        path = out or cfg.output_dir(period.label) / "uppfoljning" / f"diff-{months}m.xlsx"
        diffout.write_xlsx(path, views, doc["flags"], shown)
    else:
        data = diffout.to_json(doc) if fmt == "json" else diffout.to_csv(recs, by)
        if to_stdout:
            sys.stdout.buffer.write(data)
            return
        path = out or cfg.output_dir(period.label) / "uppfoljning" / f"diff-{by}-{months}m.{fmt}"
        private_file(path, data)
    show.console().print(f"Skrev {path} ({len(flags)} flaggor).")
