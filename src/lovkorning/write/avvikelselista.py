"""avvikelser/<utforare_id>.csv: one utförare's avvikelser, all of them, for that utförare.

`avvikelser.csv` holds every avvikelse of the run and is the municipality's; each utförare gets
its own rows in a file of its own (only its own brukare, as in its workbook), with the same
columns, so that a month with thousands of avvikelser can be filtered and sorted in Excel. The
workbook's Avvikelser sheet lists the rows when they are few and points here when they are many
(AVVIKELSER_I_BLADET).
"""

from __future__ import annotations

from pathlib import Path

import polars as pl
from xlsxwriter.worksheet import Worksheet

from ..core.avvikelser import KODER, SEVERITY_ORDER
from .files import avvikelser_csv, by_utforare, hashed_file
from .xlsx import Col, Formats, write_table

# At most this many avvikelser are listed row by row on an utförare's Avvikelser sheet; beyond it
# the sheet counts them per code and names the CSV (docs/choices.md, "Avvikelser in the workbook").
AVVIKELSER_I_BLADET = 1000


def csv_name(utforare_id: str) -> str:
    return f"avvikelser/{utforare_id}.csv"


def write_avvikelser_per_utforare(avvikelser: pl.DataFrame, folder: Path, utforare_ids: list[str]) -> dict[Path, str]:
    """One file per utförare in the register (a header only when it had none), in the order and
    form of avvikelser.csv. Findings without an utförare stay in avvikelser.csv only. Returns
    each file's SHA-256."""
    folder.mkdir(parents=True, exist_ok=True)
    parts = by_utforare(avvikelser)
    return {folder / f"{uid}.csv": hashed_file(folder / f"{uid}.csv", avvikelser_csv(parts.get(uid, avvikelser.clear())))
            for uid in utforare_ids}


def code_counts(avvikelser: pl.DataFrame, by: tuple[str, ...] = ()) -> pl.DataFrame:
    """The avvikelser counted per code (and per `by`): kod, allvarlighet, antal, by severity, then code."""
    counts = avvikelser.group_by(*by, "kod", "allvarlighet").agg(pl.len().cast(pl.Int64).alias("antal"))
    return counts.sort(*by, pl.col("allvarlighet").replace_strict(SEVERITY_ORDER, default=9), "kod")


def count_rows(counts: pl.DataFrame) -> tuple[list[tuple], list]:
    """code_counts as a table's rows (kod, allvarlighet, what the code means, antal) and its Totalt row."""
    rows = [(kod, allv, KODER[kod].rubrik if kod in KODER else None, n)
            for kod, allv, n in counts.select("kod", "allvarlighet", "antal").iter_rows()]
    return rows, ["Totalt", None, None, int(counts["antal"].sum())]


def write_code_counts(ws: Worksheet, fmts: Formats, top: int, avvikelser: pl.DataFrame, cols: list[Col]) -> None:
    """The avvikelser counted per code by severity, then code, and a Totalt row: the
    sammanställning's sheet (an utförare's Avvikelser sheet gets its counts from tables)."""
    write_table(ws, fmts, top, cols, *count_rows(code_counts(avvikelser)))
