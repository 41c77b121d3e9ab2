"""The bench's months made ready (untimed; used by scripts/bench.py, tested in tests/scripts/):

- `fel_rows`, `drop_lines`: the rows a run rejects (allvarlighet `fel` in its avvikelser.csv, such
  as the generator's planted "12,5x" minuter or "2023-09-31 25:00" tidpunkt) taken out of the
  month's files, so that the SQL peer, whose casts stop at such a value, reads the same files.
- `make_heavy`: a copy of a month's tag log where a share of the visits carry one avvikelse each.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

import polars as pl

TIME_FORMAT = "%Y-%m-%d %H:%M:%S"
# the avvikelse each kind of changed visit carries (make_heavy), in the order of `kind` 0, 1, 2
KINDS = ("saknar-tagg", "saknar-utcheckning", "kort-besok")


def fel_rows(avvikelser: Path) -> dict[str, set[int]]:
    """{file name: its 1-based line numbers (header = 1)} of the rows a run rejected (`fel`)."""
    df = pl.read_csv(avvikelser, separator=";", infer_schema=False)
    bad = df.filter((pl.col("allvarlighet") == "fel") & pl.col("rad").is_not_null() & pl.col("fil").is_not_null())
    out: dict[str, set[int]] = {}
    for fil, rad in bad.select("fil", "rad").iter_rows():
        out.setdefault(fil, set()).add(int(rad))
    return out


def drop_lines(path: Path, lines: Iterable[int]) -> int:
    """Remove the given 1-based lines from a text file, byte for byte otherwise; return how many."""
    drop = set(lines)
    if 1 in drop:
        raise ValueError(f"{path}: line 1 is the header")
    tmp = path.with_name(path.name + ".tmp")
    removed = 0
    with path.open("rb") as src, tmp.open("wb") as dst:
        for number, line in enumerate(src, start=1):
            if number in drop:
                removed += 1
            else:
                dst.write(line)
    os.replace(tmp, path)
    return removed


def visits(tags: pl.DataFrame) -> pl.DataFrame:
    """(in_row, ut_row, in_t) of each visit: an `in` paired with the next event of the same
    personal_id and brukare_id (by time, then line), where that event is an `ut`."""
    ev = (tags.lazy()
          .filter(pl.col("typ").is_in(["in", "ut"]))
          .select("_row", "personal_id", "brukare_id", "typ",
                  pl.col("tidpunkt").str.to_datetime(TIME_FORMAT, strict=False).alias("t"))
          .sort("personal_id", "brukare_id", "t", "_row")
          .with_columns(pl.col(c).shift(-1).alias(f"{c}_2") for c in ("_row", "personal_id", "brukare_id", "typ", "t")))
    return (ev.filter((pl.col("typ") == "in") & (pl.col("typ_2") == "ut")
                      & (pl.col("personal_id") == pl.col("personal_id_2"))
                      & (pl.col("brukare_id") == pl.col("brukare_id_2"))
                      & pl.col("t").is_not_null() & pl.col("t_2").is_not_null())
            .select(pl.col("_row").alias("in_row"), pl.col("_row_2").alias("ut_row"), pl.col("t").alias("in_t"))
            .collect())


def make_heavy(src: Path, dst: Path, min_minutes: float, share: float = 0.40, seed: int = 1) -> dict[str, int]:
    """Write `src` (a tag log: `;`, UTF-8 BOM) to `dst` with `share` of its visits changed so that
    each carries one avvikelse. A visit is picked by a hash of its `in` row's line and `seed`
    (integer arithmetic, the same in every polars version), and its kind by the same hash mod 3:
    0 both events manual and not corrected (saknar-tagg), 1 its `ut` row dropped
    (saknar-utcheckning), 2 its `ut` moved to half a minimum visit after the `in`, at most 2 minutes
    (kort-besok). Row order, columns and the timestamp format are kept; returns the counts."""
    short_s = min(120, int(min_minutes * 60) // 2)
    if short_s <= 0:
        raise ValueError("visits.min_minutes must be at least one minute for kort-besok")
    tags = pl.read_csv(src, separator=";", infer_schema=False).with_row_index("_row")
    h = ((((pl.col("in_row").cast(pl.Int64) + seed * 7919) * 1103515245 + 12345) % 2**31) // 65536)
    found = visits(tags)
    picked = (found
              .with_columns(h.alias("h"))
              .filter(pl.col("h") % 1000 < round(share * 1000))
              .with_columns((pl.col("h") % 3).alias("kind")))
    manual = picked.filter(pl.col("kind") == 0)
    manual_rows = pl.concat([manual["in_row"], manual["ut_row"]])
    dropped = picked.filter(pl.col("kind") == 1)["ut_row"]
    short = picked.filter(pl.col("kind") == 2).select(
        pl.col("ut_row").alias("_row"),
        (pl.col("in_t") + pl.duration(seconds=short_s)).dt.strftime(TIME_FORMAT).alias("_short"))
    out = (tags.join(short, on="_row", how="left")
           .filter(~pl.col("_row").is_in(dropped.implode()))
           .with_columns(pl.coalesce("_short", "tidpunkt").alias("tidpunkt"),
                         *(pl.when(pl.col("_row").is_in(manual_rows.implode())).then(pl.lit(value))
                           .otherwise(pl.col(col)).alias(col)
                           for col, value in (("metod", "manuell"), ("korrigerad", "nej"))))
           .sort("_row")
           .select(tags.columns[1:]))
    out.write_csv(dst, separator=";", include_bom=True)
    counts = picked.group_by("kind").len()
    by_kind = dict(zip(counts["kind"].to_list(), counts["len"].to_list()))
    return {"visits": found.height, "changed": picked.height, "short_seconds": short_s,
            **{KINDS[k]: by_kind.get(k, 0) for k in range(3)}}

