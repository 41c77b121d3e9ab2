"""The municipality's view of the run: `sammanstallning.xlsx` (contract §4).

One row per utförare of the register with time, amounts and the number of avvikelser, and a
second sheet counting avvikelser per code. Returns the öre in the "Utbetalas" column: what the
payment file must hold.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from ..core.money import format_kronor
from ..settle.result import Avrakning
from ..settle.adjust import time_sums
from .cells import (
    CORRECTION_HEADER, PAID_HEADER, PAID_HEADER_CORRECTION, PAID_HEADER_PRELIMINARY, REGI, Options, cells, format_bankgiro, hours, kronor, lov_only, payment_day_pairs, share, table_hours)
from .xlsx import (
    PRELIMINARY, Col, TotalMismatchError, close_workbook, open_workbook, write_pairs, write_table)
from .printing import PageFooter
from .avvikelselista import write_code_counts

UTFORARE_COLS = [
    Col("Utförare-id", "text", 13), Col("Namn", "text", 32), Col("Regi", "text", 10),
    Col("Bankgiro", "text", 11), Col("Beviljad tid LOV (h)", "hours", 20),
    Col("Utförd tid (h)", "hours", 15), Col("Andel utförd", "pct", 13),
    Col("Antal besök", "int", 12), Col("Ersättning (kr)", "money", 16),
    Col("Justeringar (kr)", "money", 16), Col("Att betala (kr)", "money", 16),
    Col(PAID_HEADER, "money", 16), Col("Antal avvikelser", "int", 16),
]
KOD_COLS = [Col("Kod", "text", 32), Col("Allvarlighet", "text", 12),
            Col("Beskrivning", "text", 60), Col("Antal", "int", 10)]
SUMS = ["beviljad_lov_sek", "utford_sek", "utford_mot_sek", "antal_besok", "ersattning_ore", "justering_ore",
        "att_betala_ore", "utbetalas_ore", "rattelse_ore", "antal_avvikelser"]
UNATTRIBUTED = "Avvikelser utan utförare i registret"


def utforare_cols(status: str, correction: bool = False) -> list[Col]:
    """A PRELIMINÄR run pays nothing: its payout column says so in its header. A correction shows
    the month's whole amount and, beside it, what the correction itself pays or claims back."""
    paid = PAID_HEADER_PRELIMINARY if status == PRELIMINARY else PAID_HEADER_CORRECTION if correction else PAID_HEADER
    cols = []
    for c in UTFORARE_COLS:
        if c.header != PAID_HEADER:
            cols.append(c)
            continue
        cols.append(Col(paid, c.kind, max(c.width, len(paid) + 2)))
        if correction:
            cols.append(Col(CORRECTION_HEADER, "money", len(CORRECTION_HEADER) + 2))
    return cols


def write_sammanstallning(avr: Avrakning, path: Path, opts: Options | None = None) -> int:
    """Write the run's summary workbook; return Σ "Utbetalas" in öre."""
    path = Path(path)
    opts = opts or Options()
    df = _per_utforare(avr, opts)
    _check_totals(avr, df)
    wb, fmts = open_workbook(path, avr.run, f"LOV-sammanställning {avr.period.label}", PageFooter(
        f"Kommun: {avr.kommun.namn}", f"LOV-sammanställning {avr.period.label} · Körnings-id {avr.run.run_id}"))
    ws = wb.add_worksheet("Sammanställning")
    ws.write_string(0, 0, f"LOV-sammanställning {avr.period.label}", fmts.title)
    top = write_pairs(ws, fmts, 2, _header_pairs(avr, opts)) + 1
    totals = df.select(pl.col(SUMS).sum())
    correction = avr.rattelse is not None
    write_table(ws, fmts, top, utforare_cols(avr.run.status, correction), cells(df, _display(correction=correction)).iter_rows(),
                list(cells(totals, _display(total=True, correction=correction)).row(0)))
    write_code_counts(wb.add_worksheet("Avvikelser per kod"), fmts, 0, avr.avvikelser, KOD_COLS)
    close_workbook(wb, path)
    return int(totals["utbetalas_ore"][0])


def _per_utforare(avr: Avrakning, opts: Options) -> pl.DataFrame:
    """One row per utförare of the register, sorted by id, with its sums (0 where it has none)."""
    # settle.time_sums, the definition the deduction and the follow-up use: beviljad tid LOV,
    # utförd tid, utförd tid on insatser with beviljad tid (andel utförd's numerator), and Antal
    # besök with each visit once, under its first insats; insatser outside LOV left out
    tid = time_sums(lov_only(avr.tid, opts), ["utforare_id"]).rename({"beviljad_sek": "beviljad_lov_sek"})
    lines = avr.rader.group_by("utforare_id").agg(
        (pl.col("belopp_ore") + pl.col("tillagg_ore").fill_null(0)).sum().alias("ersattning_ore"))
    just = avr.justeringar.group_by("utforare_id").agg(pl.col("belopp_ore").sum().alias("justering_ore"))
    avv = avr.avvikelser.group_by("utforare_id").agg(pl.len().cast(pl.Int64).alias("antal_avvikelser"))
    df = avr.utforare.select("utforare_id", "namn", "regi", "bankgiro").sort("utforare_id")
    for frame in (tid, lines, just, avv):
        df = df.join(frame, on="utforare_id", how="left")
    df = df.with_columns(pl.col("beviljad_lov_sek", "utford_sek", "utford_mot_sek", "antal_besok", "ersattning_ore",
                                "justering_ore", "antal_avvikelser").fill_null(0))
    pay = pl.col("ersattning_ore") + pl.col("justering_ore")
    payee = (pl.col("regi") == "privat") & (pay > 0)
    bankgiro = [format_bankgiro(bg, regi) for bg, regi in df.select("bankgiro", "regi").iter_rows()]
    # a correction: the difference each private utförare is paid (+) or credited (−) now
    change = {u: d for u, (_, _, d) in (avr.rattelse or {}).items()}
    now = [change.get(u, 0) if regi == "privat" else 0 for u, regi in df.select("utforare_id", "regi").iter_rows()]
    return df.with_columns(pay.alias("att_betala_ore"),
                           pl.when(payee).then(pay).otherwise(0).alias("utbetalas_ore"),
                           pl.Series("rattelse_ore", now, dtype=pl.Int64),
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


def _display(total: bool = False, correction: bool = False) -> list[pl.Expr]:
    """The cells of a row in column order; the Totalt row leaves the text columns empty."""
    if total:
        text = [pl.lit("Totalt"), *[pl.lit(None, pl.String)] * 3]
    else:
        text = ["utforare_id", "namn", pl.col("regi").replace(REGI), "bankgiro_text"]
    money = [kronor(pl.col(c)) for c in ("ersattning_ore", "justering_ore", "att_betala_ore", "utbetalas_ore",
                                         *(["rattelse_ore"] if correction else []))]
    h = hours if total else table_hours      # the rows' hours add up to the Totalt row
    return [*text, h(pl.col("beviljad_lov_sek")), h(pl.col("utford_sek")),
            share("utford_mot_sek", "beviljad_lov_sek"), "antal_besok", *money, "antal_avvikelser"]


def _header_pairs(avr: Avrakning, opts: Options) -> list[tuple[str, object]]:
    pairs = [("Kommun", avr.kommun.namn), ("Månad", avr.period.label),
             ("Körnings-id", avr.run.run_id), ("Status", avr.run.status),
             *payment_day_pairs(avr.run, opts)]
    # a finding without an utförare, or naming one not in the register (okand-utforare), is in
    # no utförare's row: counted here, so the rows and this add up to the per-code total
    known = avr.utforare["utforare_id"].to_list()
    unattributed = avr.avvikelser.filter(~pl.col("utforare_id").is_in(known).fill_null(False)).height
    if unattributed:
        pairs.append((UNATTRIBUTED, unattributed))
    outside = sorted(set(avr.tid["insats"].drop_nulls()) & opts.utanfor_lov)
    if outside:
        pairs.append(("Utanför LOV, ingår inte i tiderna", ", ".join(outside)))
    return pairs
