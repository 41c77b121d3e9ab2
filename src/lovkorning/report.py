"""What the terminal shows. Readable when piped or in cron (no colour, no width tricks); never a
personnummer: brukare are not named here at all."""

from __future__ import annotations

import polars as pl
from rich.console import Console
from rich.table import Table

from . import avvikelser as av
from .config import LoadedConfig
from .money import format_kronor
from .period import Period
from .rates import Rate


def console(stderr: bool = False) -> Console:
    import sys
    stream = sys.stderr if stderr else sys.stdout
    tty = stream.isatty()
    return Console(file=stream, no_color=not tty, highlight=False, soft_wrap=not tty, width=None if tty else 120,
                   emoji=False)


def _table(*columns: str, right: tuple[int, ...] = ()) -> Table:
    t = Table(box=None, pad_edge=False, show_edge=False)
    for i, c in enumerate(columns):
        t.add_column(c, justify="right" if i in right else "left")
    return t


def rows_table(rows: dict[str, int]) -> Table:
    t = _table("fil", "rader", right=(1,))
    for k, v in rows.items():
        t.add_row(k, f"{v:,}".replace(",", " "))
    return t


def findings_table(df: pl.DataFrame) -> Table:
    t = _table("kod", "allvarlighet", "antal", "beskrivning", right=(2,))
    for kod, n in av.counts_by_code(df).items():
        k = av.KODER[kod]
        t.add_row(kod, k.allvarlighet, str(n), k.rubrik)
    return t


def payees_table(utforare: pl.DataFrame, totals: dict[str, int]) -> Table:
    t = _table("utförare", "namn", "regi", "att betala (kr)", "utbetalas", right=(3,))
    for r in utforare.sort("utforare_id").iter_rows(named=True):
        ore = totals.get(r["utforare_id"], 0)
        paid = "ja" if r["regi"] == "privat" and ore > 0 else "nej (egen regi)" if r["regi"] == "egen" else "nej"
        t.add_row(r["utforare_id"], r["namn"], r["regi"], format_kronor(ore), paid)
    return t


def rules_table(cfg: LoadedConfig) -> Table:
    t = _table("regel", "basis", "insatser", "rate", "övrigt")
    for r in cfg.cfg.rules:
        extra = []
        if r.cap:
            extra.append(f"tak: {r.cap}")
        if r.hours is not None:
            extra.append(f"{r.hours} h")
        if r.roller:
            extra.append("roller: " + ", ".join(r.roller))
        t.add_row(r.name, r.basis, ", ".join(r.insatser or ["(alla)"] if r.basis != "genomforandeplan" else ["—"]),
                  r.rate or "—", "; ".join(extra))
    return t


def rates_table(cfg: LoadedConfig, period: Period) -> Table:
    t = _table("rate", "nyckel", "från", "till", "kr", right=(4,))
    for name, rate in sorted(cfg.rates.rates.items()):
        for key, a, b, ore in rate.describe(period):
            t.add_row(name, _key(rate, key), a.isoformat(), b.isoformat(), "—" if ore is None else format_kronor(ore))
    return t


def _key(rate: Rate, key: tuple[str, ...]) -> str:
    return ", ".join(f"{d}={k}" for d, k in zip(rate.by, key)) or "—"
