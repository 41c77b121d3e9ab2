"""besok/<utforare_id>.csv: every visit of one utförare, line by line.

The workbooks hold aggregates (Timunderlag, Per brukare); the visits behind them go here, one
CSV per utförare so that each file holds only its own brukare, as the workbooks do. A provider's
manager can follow any hour in the Timunderlag back to the visits it came from, and see for each
visit whether it counted and, if not or not fully, why (the avvikelse codes of avvikelser.csv).
UTF-8 with BOM and ';' so Swedish Excel opens it as it is; times in Swedish local time; seconds
as integers (exact).
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from ..config import VisitsCfg
from .files import private_file

TZ = "Europe/Stockholm"
HEADER = ["besok_id", "brukare_id", "personal_id", "roll", "datum", "in", "ut", "sekunder", "raknade_sekunder",
          "insatser", "metod_in", "metod_ut", "korrigerad", "raknas", "koder", "fil", "in_rad", "ut_rad"]


def _local(col: str) -> pl.Expr:
    return pl.col(col).dt.convert_time_zone(TZ).dt.strftime("%Y-%m-%d %H:%M:%S")


def _yes_no(e: pl.Expr) -> pl.Expr:
    return pl.when(e).then(pl.lit("ja")).otherwise(pl.lit("nej"))


def visit_codes(cfg: VisitsCfg) -> pl.Expr:
    """Why a visit did not count, or counted less than its length: the codes its findings carry."""
    tag = {"one": (pl.col("metod_in") == "tagg") | (pl.col("metod_ut") == "tagg"),
           "both": (pl.col("metod_in") == "tagg") & (pl.col("metod_ut") == "tagg"),
           "none": pl.lit(True)}[cfg.require_tag] | pl.col("korrigerad")
    kort = pl.col("sekunder") < cfg.min_minutes * 60
    inside = ~pl.col("utanfor")        # a visit outside the month carries only that code, as in avvikelser.csv
    cases = [
        ("utanfor-perioden", pl.col("utanfor")),
        ("kort-besok", inside & kort),
        ("saknar-tagg", inside & ~tag & ~kort),
        ("besok-utan-insats", inside & (pl.col("insatser").list.len() == 0)),
        ("langt-besok", inside & (pl.col("sekunder") > cfg.max_minutes * 60)),
        ("samtidiga-besok", pl.col("giltig") & (pl.col("eff_ut") < pl.col("ut_tid"))),
        ("dubbelbemanning-saknas", pl.col("giltig") & (pl.col("eff_in") > pl.col("in_tid"))),
    ]
    codes = pl.concat_str([pl.when(cond).then(pl.lit(kod)) for kod, cond in cases], separator=",", ignore_nulls=True)
    return pl.when(codes != "").then(codes)


def visit_rows(besok: pl.DataFrame, cfg: VisitsCfg) -> pl.DataFrame:
    """The visits as the CSV shows them, utförare kept for splitting."""
    return besok.sort("besok_id").select(
        "utforare_id", "besok_id", "brukare_id", "personal_id", "roll", pl.col("datum").cast(pl.String),
        _local("in_tid").alias("in"), _local("ut_tid").alias("ut"), "sekunder",
        pl.col("raknade_sek").alias("raknade_sekunder"), pl.col("insatser").list.join("|"),
        "metod_in", "metod_ut", _yes_no(pl.col("korrigerad")).alias("korrigerad"),
        _yes_no(pl.col("giltig")).alias("raknas"), visit_codes(cfg).alias("koder"),
        pl.col("_fil").alias("fil"), "in_rad", "ut_rad")


def besok_csv(rows: pl.DataFrame) -> bytes:
    return b"\xef\xbb\xbf" + rows.select(HEADER).write_csv(separator=";", quote_style="necessary").encode("utf-8")


def write_besok(besok: pl.DataFrame, cfg: VisitsCfg, folder: Path, utforare_ids: list[str]) -> None:
    """One file per utförare in the register (a header only when it had no visits)."""
    rows = visit_rows(besok, cfg)
    parts = rows.partition_by("utforare_id", as_dict=True, maintain_order=True)
    for uid in utforare_ids:
        private_file(folder / f"{uid}.csv", besok_csv(parts.get((uid,), rows.clear())))
