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

A visit's two rows share its status, so visits are judged once each, on integer keys, and turned
into rows only where rows are wanted: `unpaid_rows` (an utförare's rows that pay nothing) looks at
rows only for the few visits that pay nothing. The statuses are only as complete as the lineage
they are given: it must cover the utförare of the rows asked about.
"""

from __future__ import annotations

import polars as pl

from ..visits.sortkeys import code_pair
from .lineage import ORDER_BASES, Lineage
from .month import Settled

ROW_SCHEMA = {"fil": pl.String, "rad": pl.Int64, "utforare_id": pl.String, "brukare_id": pl.String,
              "besok_id": pl.Int64}
STATUS_SCHEMA = ROW_SCHEMA | {"status": pl.String, "koder": pl.List(pl.String), "lines": pl.List(pl.UInt32)}
FRAMES = ("utforare", "bestallningar", "uppehall", "genomforandeplaner", "overtid")
UNPAID = ("avvisad", "ej_ersatt")
NO_LINES = pl.lit([], dtype=pl.List(pl.UInt32))


def _at(fil: str = "fil", rad: str = "rad") -> pl.Expr:
    """One integer per input row, to join on: the file name's code in polars' global dictionary
    (Categorical: one name has one code in every frame of the process) above the row number. A
    join or grouping on it is several times faster than on (file name, row): a month full of
    avvikelser has hundreds of thousands of such rows."""
    return code_pair(pl.col(fil).cast(pl.Categorical).to_physical().cast(pl.Int64), pl.col(rad)).alias("_at")


def _rows(df: pl.DataFrame, fil: str, rad: str, besok: bool = False) -> pl.DataFrame:
    cols = {"fil": pl.col(fil).cast(pl.String), "rad": pl.col(rad),
            "utforare_id": pl.col("utforare_id").cast(pl.String),
            "brukare_id": pl.col("brukare_id").cast(pl.String) if "brukare_id" in df.columns else pl.lit(None),
            "besok_id": pl.col("besok_id") if besok else pl.lit(None)}
    return df.select(e.alias(k) for k, e in cols.items()).cast(ROW_SCHEMA).drop_nulls("rad")


def month_rows(settled: Settled, utforare: list[str] | None = None, besok_ids: pl.Series | None = None) -> pl.DataFrame:
    """Every input row of the month that is known, once (ROW_SCHEMA): the rows of the frames read,
    both tag rows of every visit, every declined visit, and every row a finding stands on (rows
    rejected included); only those of `utforare` when given, and of the visits only those of
    `besok_ids` when given. Every row of an input file ends in one of these (domain.md: never lost
    silently). Visits, declined visits and the frames' rows are distinct rows by construction; only
    the rows findings stand on are looked up among them."""
    v, f = settled.visits, settled.indata.frames

    def mine(df: pl.DataFrame) -> pl.DataFrame:
        return df if utforare is None else df.filter(pl.col("utforare_id").is_in(utforare))

    b = mine(v.besok) if besok_ids is None else v.besok.filter(pl.col("besok_id").is_in(besok_ids.implode()))
    data = pl.concat([_rows(b, "_fil", "in_rad", True),
                      _rows(b.filter(pl.col("ut_rad") != pl.col("in_rad")), "_fil", "ut_rad", True),
                      _rows(mine(v.avbojt), "_fil", "_rad"), *(_rows(mine(f[n]), "_fil", "_rad") for n in FRAMES)])
    found = _rows(mine(settled.avr.avvikelser), "fil", "rad").with_columns(_at()).unique(
        "_at", keep="first", maintain_order=True)
    if besok_ids is not None:        # the rows of the visits left out are not to be reported as finding rows
        rest = mine(v.besok)
        found = found.join(pl.concat([rest.select(_at("_fil", c)) for c in ("in_rad", "ut_rad")]), on="_at", how="anti")
    return pl.concat([data, found.join(data.select(_at()), on="_at", how="anti").drop("_at")])


def visit_status(settled: Settled, lineage: Lineage, besok_ids: pl.Series, lines: bool = True) -> pl.DataFrame:
    """besok_id and _vstatus for the visits `besok_ids`: ersatt on a paid line; underlag when
    counted, with a line of its insats paid on the order's days covering its day; else ej_ersatt.
    With `lines`, also _vlines: the lines it is paid on, or belongs to (else empty)."""
    ids = besok_ids.unique()
    paid = lineage.items.filter((pl.col("id") > 0) & pl.col("id").is_in(ids.implode())).select(
        pl.col("id").alias("besok_id"), "_line")
    counted = settled.visits.besok_insats.filter(pl.col("giltig") & pl.col("besok_id").is_in(ids.implode())).select(
        "besok_id", "utforare_id", "brukare_id", "insats", "datum").join(paid, on="besok_id", how="anti")
    order_lines = lineage.lines.filter(pl.col("basis").is_in(ORDER_BASES)).select(
        "_line", "utforare_id", "brukare_id", "insats", "fran", "till")
    own = counted.join(order_lines, on=["utforare_id", "brukare_id", "insats"]).filter(
        pl.col("datum").is_between("fran", "till")).select("besok_id", "_line")
    v = pl.DataFrame({"besok_id": ids}).with_columns(
        pl.when(pl.col("besok_id").is_in(paid["besok_id"].implode())).then(pl.lit("ersatt"))
        .when(pl.col("besok_id").is_in(own["besok_id"].implode())).then(pl.lit("underlag"))
        .otherwise(pl.lit("ej_ersatt")).alias("_vstatus"))
    if not lines:
        return v
    return v.join(_line_lists(pl.concat([paid, own]), ["besok_id"], "_vlines"), on="besok_id", how="left").with_columns(
        pl.col("_vlines").fill_null(NO_LINES))


def statuses(settled: Settled, lineage: Lineage, rows: pl.DataFrame) -> pl.DataFrame:
    """`rows` (ROW_SCHEMA, from month_rows) with status, koder and lines (STATUS_SCHEMA)."""
    noted = settled.avr.avvikelser.filter(pl.col("rad").is_not_null())
    names = noted["kod"].unique().sort().to_list()      # codes of core.avvikelser.KODER: one bit each
    if len(names) > 63:
        raise ValueError(f"{len(names)} finding codes do not fit in one bitmask")
    bits = pl.col("kod").replace_strict({k: 1 << i for i, k in enumerate(names)}, return_dtype=pl.Int64)
    found = noted.group_by(_at()).agg(bits.bitwise_or().alias("_m"), (pl.col("allvarlighet") == "fel").any().alias(
        "_fel")).cast({"_m": pl.Int64})         # (without any finding polars types the empty mask as text)
    r = rows.with_columns(_at()).join(found, on="_at", how="left")
    ids = r["besok_id"].drop_nulls()
    besok = settled.visits.besok.filter(pl.col("besok_id").is_in(ids.unique().implode()))
    both = pl.concat([besok.select("besok_id", _at("_fil", c)) for c in ("in_rad", "ut_rad")]).join(
        found.select("_at", "_m"), on="_at")
    r = r.join(both.group_by("besok_id").agg(pl.col("_m").bitwise_or().alias("_vm")).cast({"_vm": pl.Int64}),
               on="besok_id", how="left")
    links = lineage.links.filter(pl.col("fil").is_in(r["fil"].unique().implode())).with_columns(_at())
    paid = _line_lists(links, ["_at"], "_paid")
    r = r.join(paid, on="_at", how="left").join(visit_status(settled, lineage, ids), on="besok_id", how="left")
    register = settled.indata.frames["utforare"]["_fil"].cast(pl.String).unique().implode()
    status = (pl.when(pl.col("_fel").fill_null(False)).then(pl.lit("avvisad"))
              .when(pl.col("_vstatus").is_not_null()).then(pl.col("_vstatus"))
              .when(pl.col("_paid").is_not_null()).then(pl.lit("ersatt"))
              .when(pl.col("fil").is_in(register)).then(pl.lit("underlag"))
              .otherwise(pl.lit("ej_ersatt")))
    lines = (pl.when(pl.col("status").is_in(UNPAID)).then(NO_LINES)
             .otherwise(pl.coalesce("_vlines", "_paid", NO_LINES)))
    return _codes(r, names).with_columns(status.alias("status")).with_columns(lines.alias("lines")).select(
        list(STATUS_SCHEMA)).cast(STATUS_SCHEMA)


def unpaid_rows(settled: Settled, lineage: Lineage, utforare: list[str]) -> pl.DataFrame:
    """The rows of `utforare` that pay nothing (avvisad, ej_ersatt), STATUS_SCHEMA, by file and row:
    visits are judged first, and only those that pay nothing are looked at row by row."""
    mine = settled.visits.besok.filter(pl.col("utforare_id").is_in(utforare))["besok_id"]
    v = visit_status(settled, lineage, mine, lines=False)
    rows = month_rows(settled, utforare, v.filter(pl.col("_vstatus") == "ej_ersatt")["besok_id"])
    return statuses(settled, lineage, rows).filter(pl.col("status").is_in(UNPAID)).sort("fil", "rad")


def _line_lists(df: pl.DataFrame, key: list[str], name: str) -> pl.DataFrame:
    """`key` with `name`: the distinct _line of each, ascending. (A list's unique and sort are slow
    row by row; the pairs are made distinct and sorted once, and groups keep that order.)"""
    pairs = df.select(*key, "_line").unique().sort("_line")
    return pairs.group_by(key, maintain_order=False).agg(pl.col("_line").alias(name))


def _codes(r: pl.DataFrame, names: list[str]) -> pl.DataFrame:
    """`koder` from the codes on the row (bitmask _m) and on its visit's rows (_vm): each code of
    `names` is a bit, a row's codes the OR of the two, and each distinct mask is turned into its
    sorted list once: a month full of avvikelser has hundreds of thousands of such rows but a few
    dozen sets (lists made, exploded or sorted row by row cost 0.2-0.4 s for the 450 000 rows of
    one utförare)."""
    r = r.with_columns((pl.col("_m").fill_null(0) | pl.col("_vm").fill_null(0)).alias("_mask"))
    masks = r["_mask"].unique().sort()
    koder = [[k for i, k in enumerate(names) if m >> i & 1] for m in masks]
    sets = pl.DataFrame({"_mask": masks, "koder": pl.Series(koder, dtype=pl.List(pl.String))})
    return r.join(sets, on="_mask", how="left", maintain_order="left").drop("_mask")
