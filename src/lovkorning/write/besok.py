"""besok/<utforare_id>.csv: every visit of one utförare, line by line.

The workbooks hold aggregates (Timunderlag, Per brukare); the visits behind them go here, one
CSV per utförare so that each file holds only its own brukare, as the workbooks do. A provider's
manager can follow any hour in the Timunderlag back to the visits it came from, and see for each
visit whether it counted and, if not or not fully, why (the avvikelse codes of avvikelser.csv).
UTF-8 with BOM and ';' so Swedish Excel opens it as it is; times in Swedish local time; seconds
as integers (exact).
"""

from __future__ import annotations

import io
from pathlib import Path

import polars as pl

from ..core.localtime import local_times
from .files import hashed_file
from ..visits.checks import finding_conditions


def _yes_no(e: pl.Expr) -> pl.Expr:
    return pl.when(e).then(pl.lit("ja")).otherwise(pl.lit("nej"))


def visit_codes() -> list[tuple[str, pl.Expr]]:
    """Why a visit did not count, or counted less than its length: the codes its findings carry
    in avvikelser.csv, each with its condition (the checks' own, visits.finding_conditions)."""
    return [("utanfor-perioden", pl.col("utanfor")), *finding_conditions()]


def visit_code_column(visits: pl.DataFrame) -> pl.Series:
    """The codes as text ('kort-besok', 'saknar-tagg,langt-besok'), null for the (many) visits
    without any: worked out only on the few rows that have one."""
    cases = visit_codes()
    hit = visits.select(pl.any_horizontal([c for _, c in cases]).fill_null(False).alias("h"))["h"].arg_true()
    few = visits[hit].select(pl.concat_str([pl.when(c).then(pl.lit(k)) for k, c in cases],
                                           separator=",", ignore_nulls=True).alias("koder"))["koder"]
    return pl.repeat(None, visits.height, dtype=pl.String, eager=True).scatter(hit, few).alias("koder")


def visit_rows(visits: pl.DataFrame) -> pl.DataFrame:
    """Visits as the CSV shows them."""
    return visits.select(
        "besok_id", "brukare_id", "personal_id", "roll", "datum",
        pl.lit(local_times(visits["in_tid"])).alias("in"), pl.lit(local_times(visits["ut_tid"])).alias("ut"),
        "sekunder", pl.col("raknade_sek").alias("raknade_sekunder"), pl.col("insatser").list.join("|"),
        "metod_in", "metod_ut", _yes_no(pl.col("korrigerad")).alias("korrigerad"),
        _yes_no(pl.col("giltig")).alias("raknas"), pl.lit(visit_code_column(visits)),
        pl.col("_fil").alias("fil"), "in_rad", "ut_rad")


BATCH = 1_000_000   # visits formatted at a time: bounded memory at any size, few calls at any size


def write_besok(besok: pl.DataFrame, folder: Path, utforare_ids: list[str]) -> dict[Path, str]:
    """One file per utförare in the register (a header only when it had no visits). Visits are
    numbered per utförare, so each utförare's visits are one slice of the frame; slices are
    formatted together up to BATCH rows (no copy of all visits as text, whatever the month's size).
    Returns each file's SHA-256, taken from the bytes written (for the manifest)."""
    v = besok if besok["besok_id"].is_sorted() else besok.sort("besok_id")
    runs = v.select(pl.col("utforare_id").rle()).unnest("utforare_id")
    if runs.height != runs["value"].n_unique():        # not numbered per utförare: group them first
        v = v.sort("utforare_id", maintain_order=True)
        runs = v.select(pl.col("utforare_id").rle()).unnest("utforare_id")
    folder.mkdir(parents=True, exist_ok=True)
    written, batch, start = {}, [], 0
    for i, (n, uid) in enumerate(runs.iter_rows()):
        batch.append((uid, n))
        if sum(k for _, k in batch) >= BATCH or i == runs.height - 1:
            size = sum(k for _, k in batch)
            rows, at = visit_rows(v.slice(start, size)), 0
            for u, k in batch:
                written[folder / f"{u}.csv"] = _write(folder / f"{u}.csv", rows.slice(at, k))
                at += k
            start, batch = start + size, []
    empty = visit_rows(v.clear())
    for uid in utforare_ids:
        if folder / f"{uid}.csv" not in written:
            written[folder / f"{uid}.csv"] = _write(folder / f"{uid}.csv", empty)
    return written


def _write(path: Path, rows: pl.DataFrame) -> str:
    """Write the rows (owner only, as every output); their SHA-256."""
    buf = io.BytesIO()
    rows.write_csv(buf, include_bom=True, separator=";", quote_style="necessary",
                   datetime_format="%Y-%m-%d %H:%M:%S", date_format="%Y-%m-%d")
    return hashed_file(path, buf.getbuffer())
