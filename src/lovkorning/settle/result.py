"""What settlement hands to the writers. Writers format; they never compute money."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import polars as pl

from ..core.period import Period

TID_SCHEMA = {
    "utforare_id": pl.String,
    "brukare_id": pl.String,
    "insats": pl.String,
    "beviljad_sek": pl.Int64,
    "uppehall_sek": pl.Int64,
    "beviljad_lov_sek": pl.Int64,
    "utford_sek": pl.Int64,
    "antal_besok": pl.Int64,
    # the visits whose first insats is this row's: a visit with several insatser is in antal_besok of
    # each of them but in besok_forsta of one, so a total row sums besok_forsta to count it once
    "besok_forsta": pl.Int64,
}

RADER_SCHEMA = {
    "utforare_id": pl.String,
    "brukare_id": pl.String,
    "zon": pl.String,
    "insats": pl.String,
    "regel": pl.String,
    "basis": pl.String,
    "bestallning_id": pl.String,
    "fran": pl.Date,
    "till": pl.Date,
    "ersatt_sek": pl.Int64,
    "antal": pl.Int64,
    "sats_ore": pl.Int64,
    "belopp_ore": pl.Int64,
    "tillagg_ore": pl.Int64,
}

JUSTERINGAR_SCHEMA = {
    "utforare_id": pl.String,
    "namn": pl.String,
    "typ": pl.String,          # avdrag | tillagg | momskompensation
    "procent_bp": pl.Int64,
    "bas_ore": pl.Int64,
    "belopp_ore": pl.Int64,    # negative for avdrag
}


@dataclass(frozen=True)
class Kommun:
    namn: str
    bankgiro: str              # digits only


@dataclass(frozen=True)
class RunInfo:
    run_id: str
    status: str                # "SLUTLIG" or "PRELIMINÄR"
    korningsdag: date          # the day the run is due (configured workday)
    betalningsdag: date        # the scheduled payment day (a bank day)
    filedatum: date            # the day the files are made
    version: str


@dataclass
class Avrakning:
    period: Period
    kommun: Kommun
    run: RunInfo
    utforare: pl.DataFrame     # utforare frame (see docs/design.md)
    tid: pl.DataFrame          # TID_SCHEMA
    rader: pl.DataFrame        # RADER_SCHEMA
    justeringar: pl.DataFrame  # JUSTERINGAR_SCHEMA
    avvikelser: pl.DataFrame   # avvikelser.SCHEMA
    totals: dict[str, int] = field(default_factory=dict)   # utforare_id -> öre
    # a correction (rättelse) of a paid month: utforare_id -> (paid before, settled now, difference)
    rattelse: dict[str, tuple[int, int, int]] | None = None

    def private_payees(self) -> list[tuple[str, str, str, int]]:
        """(utforare_id, namn, bankgiro, öre) for every private utförare with an amount above zero,
        in utforare_id order: what the payment file holds."""
        out = []
        for row in self.utforare.sort("utforare_id").iter_rows(named=True):
            ore = self.totals.get(row["utforare_id"], 0)
            if row["regi"] == "privat" and ore > 0:
                out.append((row["utforare_id"], row["namn"], row["bankgiro"], ore))
        return out
