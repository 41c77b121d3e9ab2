"""The municipality's view of the run: `sammanstallning.xlsx` (contract §4).

One row per utförare of the register with time, amounts and the number of avvikelser, and a
second sheet counting avvikelser per code. Returns the öre in the "Utbetalas" column: what the
payment file must hold.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from ..avvikelser import KODER, SEVERITY_ORDER
from ..money import format_kronor
from ..result import Avrakning
from .xlsx import (
    REGI, Col, TotalMismatchError, cells, close_workbook, format_bankgiro, hours, kronor, open_workbook,
    share, write_pairs, write_table,
)

UTFORARE_COLS = [
    Col("Utförare-id", "text", 13), Col("Namn", "text", 32), Col("Regi", "text", 10),
    Col("Bankgiro", "text", 11), Col("Beviljad tid LOV (h)", "hours", 20),
    Col("Utförd tid (h)", "hours", 15), Col("Andel utförd", "pct", 13),
    Col("Antal besök", "int", 12), Col("Ersättning (kr)", "money", 16),
    Col("Justeringar (kr)", "money", 16), Col("Att betala (kr)", "money", 16),
    Col("Utbetalas (kr)", "money", 16), Col("Antal avvikelser", "int", 16),
]
KOD_COLS = [Col("Kod", "text", 32), Col("Allvarlighet", "text", 12),
            Col("Beskrivning", "text", 60), Col("Antal", "int", 10)]
SUMS = ["beviljad_lov_sek", "utford_sek", "antal_besok", "ersattning_ore", "justering_ore",
        "att_betala_ore", "utbetalas_ore", "antal_avvikelser"]


def write_sammanstallning(avr: Avrakning, path: Path) -> int:
    """Write the run's summary workbook; return Σ "Utbetalas" in öre."""
    path = Path(path)
    df = _per_utforare(avr)
    _check_totals(avr, df)
    wb, fmts = open_workbook(path, avr.run, f"LOV-sammanställning {avr.period.label}")
    ws = wb.add_worksheet("Sammanställning")
    ws.write_string(0, 0, f"LOV-sammanställning {avr.period.label}", fmts.title)
    top = write_pairs(ws, fmts, 2, _header_pairs(avr)) + 1
    totals = df.select(pl.col(SUMS).sum())
    write_table(ws, fmts, top, UTFORARE_COLS, cells(df, _display()).iter_rows(),
                list(cells(totals, _display(total=True)).row(0)))
    _write_koder(wb.add_worksheet("Avvikelser per kod"), fmts, avr.avvikelser)
    close_workbook(wb, path)
    return int(totals["utbetalas_ore"][0])


def _per_utforare(avr: Avrakning) -> pl.DataFrame:
    """One row per utförare of the register, sorted by id, with its sums (0 where it has none)."""
    # Antal besök per utförare: each visit once, under its first insats (besok_forsta), however
    # many insatser it has (antal_besok counts a visit in the row of each of its insatser)
    tid = avr.tid.group_by("utforare_id").agg(pl.col("beviljad_lov_sek", "utford_sek").sum(),
                                              pl.col("besok_forsta").sum().alias("antal_besok"))
    lines = avr.rader.group_by("utforare_id").agg(
        (pl.col("belopp_ore") + pl.col("tillagg_ore").fill_null(0)).sum().alias("ersattning_ore"))
    just = avr.justeringar.group_by("utforare_id").agg(pl.col("belopp_ore").sum().alias("justering_ore"))
    avv = avr.avvikelser.group_by("utforare_id").agg(pl.len().cast(pl.Int64).alias("antal_avvikelser"))
    df = avr.utforare.select("utforare_id", "namn", "regi", "bankgiro").sort("utforare_id")
    for frame in (tid, lines, just, avv):
        df = df.join(frame, on="utforare_id", how="left")
    df = df.with_columns(pl.col("beviljad_lov_sek", "utford_sek", "antal_besok", "ersattning_ore",
                                "justering_ore", "antal_avvikelser").fill_null(0))
    pay = pl.col("ersattning_ore") + pl.col("justering_ore")
    payee = (pl.col("regi") == "privat") & (pay > 0)
    bankgiro = [format_bankgiro(bg, regi) for bg, regi in df.select("bankgiro", "regi").iter_rows()]
    return df.with_columns(pay.alias("att_betala_ore"),
                           pl.when(payee).then(pay).otherwise(0).alias("utbetalas_ore"),
                           pl.Series("bankgiro_text", bankgiro, dtype=pl.String))


def _check_totals(avr: Avrakning, df: pl.DataFrame) -> None:
    known = set(df["utforare_id"])
    stray = set(avr.rader["utforare_id"]) | set(avr.justeringar["utforare_id"])
    stray = {str(uid) for uid in stray - known}
    if stray:
        raise TotalMismatchError(
            f"Avräkningen har belopp för utförare som saknas i utförarregistret: {', '.join(sorted(stray))}.")
    for uid, ore in df.select("utforare_id", "att_betala_ore").iter_rows():
        if ore != avr.totals.get(uid, 0):
            raise TotalMismatchError(
                f"Sammanställningen för utförare {uid} summerar till {format_kronor(ore)} kr, "
                f"men totalen är {format_kronor(avr.totals.get(uid, 0))} kr.")


def _display(total: bool = False) -> list[pl.Expr]:
    """The cells of a row in column order; the Totalt row leaves the text columns empty."""
    if total:
        text = [pl.lit("Totalt"), *[pl.lit(None, pl.String)] * 3]
    else:
        text = ["utforare_id", "namn", pl.col("regi").replace(REGI), "bankgiro_text"]
    money = [kronor(pl.col(c)) for c in ("ersattning_ore", "justering_ore", "att_betala_ore", "utbetalas_ore")]
    return [*text, hours(pl.col("beviljad_lov_sek")), hours(pl.col("utford_sek")),
            share("utford_sek", "beviljad_lov_sek"), "antal_besok", *money, "antal_avvikelser"]


def _header_pairs(avr: Avrakning) -> list[tuple[str, object]]:
    pairs = [("Kommun", avr.kommun.namn), ("Månad", avr.period.label),
             ("Körnings-id", avr.run.run_id), ("Status", avr.run.status),
             ("Betalningsdag", avr.run.betalningsdag)]
    unattributed = avr.avvikelser["utforare_id"].null_count()
    if unattributed:
        pairs.append(("Avvikelser utan utförare", unattributed))
    return pairs


def _write_koder(ws, fmts, avvikelser: pl.DataFrame) -> None:
    counts = avvikelser.group_by("kod", "allvarlighet").agg(pl.len().cast(pl.Int64).alias("antal"))
    counts = counts.sort(pl.col("allvarlighet").replace_strict(SEVERITY_ORDER, default=9), "kod")
    rows = [(kod, allv, KODER[kod].rubrik if kod in KODER else None, n)
            for kod, allv, n in counts.iter_rows()]
    write_table(ws, fmts, 0, KOD_COLS, rows, ["Totalt", None, None, int(counts["antal"].sum())])
