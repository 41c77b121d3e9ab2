"""What became of an input row (`explain`, contract §5): exactly one status per row of the month.

- `avvisad`: a `fel` finding stands on the row: it could not be read, or was rejected;
- `ersatt`: a paid line rests on the row (lineage.Lineage.links), named in `lines`;
- `underlag`: a tag row of a counted visit (raknas=ja in besok/*.csv) on no paid line, one of whose
  insatser has a line that pays on the order's days (beviljad, manad) covering the visit's day: the
  visit counts in utförd tid, the line pays on something else (`lines` names it). The rows of the
  utförare register (utforare.csv), which say who is paid where, are underlag too;
- `ej_ersatt`: read, and pays nothing; `koder` say why.

`koder` holds every finding of avvikelser.csv on the row; a tag row of a visit also those on the
visit's other row (the visit's findings stand at one of its two rows, most at its check-in), so
both rows of a visit say why it is not paid.

The statuses are only as complete as the lineage they are given: it must cover the utförare of the
rows asked about.
"""

from __future__ import annotations

import polars as pl

from .lineage import ORDER_BASES, Lineage
from .month import Settled

ROW_SCHEMA = {"fil": pl.String, "rad": pl.Int64, "utforare_id": pl.String, "brukare_id": pl.String,
              "besok_id": pl.Int64}
STATUS_SCHEMA = ROW_SCHEMA | {"status": pl.String, "koder": pl.List(pl.String), "lines": pl.List(pl.UInt32)}
FRAMES = ("utforare", "bestallningar", "uppehall", "genomforandeplaner", "overtid")


def _rows(df: pl.DataFrame, fil: str, rad: str, utforare: list[str] | None, besok: bool = False) -> pl.DataFrame:
    if utforare is not None:
        df = df.filter(pl.col("utforare_id").is_in(utforare))
    cols = {"fil": pl.col(fil).cast(pl.String), "rad": pl.col(rad),
            "utforare_id": pl.col("utforare_id").cast(pl.String),
            "brukare_id": pl.col("brukare_id").cast(pl.String) if "brukare_id" in df.columns else pl.lit(None),
            "besok_id": pl.col("besok_id") if besok else pl.lit(None)}
    return df.select(e.alias(k) for k, e in cols.items()).cast(ROW_SCHEMA).drop_nulls("rad")


def month_rows(settled: Settled, utforare: list[str] | None = None) -> pl.DataFrame:
    """Every input row of the month that is known, once (ROW_SCHEMA): the rows of the frames read,
    both tag rows of every visit, every declined visit, and every row a finding stands on (rows
    rejected included); only those of `utforare` when given. Every row of an input file ends in
    one of these (domain.md: never lost silently)."""
    v, f = settled.visits, settled.indata.frames
    parts = [_rows(v.besok, "_fil", "in_rad", utforare, True), _rows(v.besok, "_fil", "ut_rad", utforare, True),
             _rows(v.avbojt, "_fil", "_rad", utforare)]
    parts += [_rows(f[n], "_fil", "_rad", utforare) for n in FRAMES]
    parts.append(_rows(settled.avr.avvikelser, "fil", "rad", utforare))
    return pl.concat(parts).unique(["fil", "rad"], keep="first", maintain_order=True)


def statuses(settled: Settled, lineage: Lineage, rows: pl.DataFrame) -> pl.DataFrame:
    """`rows` (ROW_SCHEMA, from month_rows) with status, koder and lines (STATUS_SCHEMA)."""
    found = settled.avr.avvikelser.filter(pl.col("rad").is_not_null()).group_by("fil", "rad").agg(
        pl.col("kod").unique().alias("_k"), (pl.col("allvarlighet") == "fel").any().alias("_fel"))
    r = rows.join(found, on=["fil", "rad"], how="left")
    besok = settled.visits.besok.filter(pl.col("besok_id").is_in(r["besok_id"].drop_nulls().unique().implode()))
    both = pl.concat([besok.select("besok_id", pl.col("_fil").cast(pl.String).alias("fil"), pl.col(c).alias("rad"))
                      for c in ("in_rad", "ut_rad")]).join(found, on=["fil", "rad"])
    r = r.join(both.explode("_k").group_by("besok_id").agg(pl.col("_k").alias("_vk")), on="besok_id", how="left")
    paid = lineage.links.group_by("fil", "rad").agg(pl.col("_line").unique().sort().alias("_paid"))
    r = r.join(paid, on=["fil", "rad"], how="left").join(_underlag(besok, lineage), on="besok_id", how="left")
    register = settled.indata.frames["utforare"]["_fil"].cast(pl.String).unique().implode()
    status = (pl.when(pl.col("_fel").fill_null(False)).then(pl.lit("avvisad"))
              .when(pl.col("_paid").is_not_null()).then(pl.lit("ersatt"))
              .when(pl.col("fil").is_in(register) | pl.col("_own").is_not_null()).then(pl.lit("underlag"))
              .otherwise(pl.lit("ej_ersatt")))
    none = pl.lit([], dtype=pl.List(pl.UInt32))
    return r.with_columns(
        status.alias("status"),
        pl.concat_list(pl.col("_k").fill_null([]), pl.col("_vk").fill_null([])).list.unique().list.sort().alias("koder"),
    ).with_columns(
        pl.when(pl.col("status") == "ersatt").then(pl.col("_paid"))
        .when(pl.col("status") == "underlag").then(pl.col("_own").fill_null(none)).otherwise(none).alias("lines"),
    ).select(list(STATUS_SCHEMA)).cast(STATUS_SCHEMA)


def _underlag(besok: pl.DataFrame, lineage: Lineage) -> pl.DataFrame:
    """besok_id, _own: for each counted visit, the lines of its insatser that pay on the order's
    days (beviljad, manad) and cover its day."""
    v = besok.filter(pl.col("giltig")).select("besok_id", "utforare_id", "brukare_id", "datum",
                                              pl.col("insatser").alias("insats")).explode("insats")
    lines = lineage.lines.filter(pl.col("basis").is_in(ORDER_BASES)).select(
        "_line", "utforare_id", "brukare_id", "insats", "fran", "till")
    own = v.join(lines, on=["utforare_id", "brukare_id", "insats"]).filter(pl.col("datum").is_between("fran", "till"))
    return own.group_by("besok_id").agg(pl.col("_line").unique().sort().alias("_own"))
