"""The visit file `besok` (contract §1: one row per visit, instead of `taggningar`): its rows checked,
then turned into the tag events they stand for, so that visits are paired and checked as those of
a tag log are, and a month given either way settles to the same öre.

A row becomes a check-in at `start` (metod_start) and a check-out at `slut` (metod_slut, with the
row's insatser), only the check-in when `slut` is empty and only the check-out when `start` is; a
declined visit (`avbojt`) becomes one `avbojt` event at `start`. Each event keeps the row's `_fil`
and `_rad`, so every finding on it names the visit row; its `handelse_id` is the row's besok_id
with `/start`, `/slut` or `/avbojt`. `minuter` (an extension) gives a visit's length instead of
its end: `slut` is `start` plus that length, and a row that gives both must agree to the minute.
"""

from __future__ import annotations

import polars as pl

from ..core import avvikelser as av
from ..core.codes import coded_dtype
from ..core.errors import Fel, Plats
from ..core.localtime import TZ
from .sniff import listed

# the tag log's columns that are dictionary-encoded (read.indata.CODED["taggningar"])
EVENT_CODED = ("brukare_id", "utforare_id", "personal_id", "typ", "metod", "insatser", "roll", "korrigerad")
AGREE_SECONDS = 60          # slut and start + minuter agree when they are less than a minute apart


def _local(col: str) -> pl.Expr:
    return pl.col(col).dt.convert_time_zone(TZ).dt.strftime("%Y-%m-%d %H:%M")


def with_length(v: pl.DataFrame) -> pl.DataFrame:
    """`slut` from `start` + `minuter` where the row has no end; a row with both that disagree
    stops the run (the mapping is ambiguous: which of the two is the visit?)."""
    if v.get_column("minuter_milli").null_count() == v.height:
        return v
    length = pl.duration(milliseconds=pl.col("minuter_milli") * 60)
    end = (pl.col("start") + length).dt.truncate("1s")
    both = pl.col("start").is_not_null() & pl.col("slut").is_not_null() & pl.col("minuter_milli").is_not_null()
    apart = ((pl.col("slut") - end).dt.total_seconds().abs() >= AGREE_SECONDS) & ~pl.col("avbojt")
    bad = v.with_columns(end.alias("_end")).filter(both & apart)
    if bad.height:
        rows = bad.select("_fil", "_rad", _local("start").alias("s"), _local("slut").alias("e"),
                          (pl.col("minuter_milli") / 1000).alias("m"), _local("_end").alias("x")).rows(named=True)
        raise listed([Fel(f"'slut' ({r['e']}) och 'minuter' ({r['m']:g}) stämmer inte överens: start {r['s']} plus "
                          f"{r['m']:g} minuter är {r['x']}. Mappa bara en av kolumnerna, eller rätta raden.",
                          Plats(r["_fil"], r["_rad"], "minuter")) for r in rows], rows[0]["_fil"])
    fill = pl.col("slut").is_null() & pl.col("start").is_not_null() & pl.col("minuter_milli").is_not_null()
    return v.with_columns(pl.when(fill).then(end).otherwise(pl.col("slut")).alias("slut"))


def check_rows(v: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The rows that can stand for events, and findings (fel) on those that cannot: no time at
    all, a declined visit without its planned time, an end given without how it was registered."""
    start, slut, avb = pl.col("start").is_not_null(), pl.col("slut").is_not_null(), pl.col("avbojt")
    cases = [
        ("start", ~start & ~slut & ~avb, "Besöket saknar både 'start' och 'slut'; raden avvisas."),
        ("start", ~start & avb, "Ett avböjt besök ska ha sin planerade tid i 'start'; raden avvisas."),
        ("metod_start", start & ~avb & pl.col("metod_start").is_null(),
         "Obligatoriskt värde saknas i kolumnen 'metod_start' (start är ifylld)."),
        ("metod_slut", slut & ~avb & pl.col("metod_slut").is_null(),
         "Obligatoriskt värde saknas i kolumnen 'metod_slut' (slut är ifylld)."),
    ]
    flags = v.with_columns([cond.alias(f"_x{i}") for i, (_, cond, _) in enumerate(cases)])
    findings = [av.from_rows("saknat-varde", flags.filter(pl.col(f"_x{i}")).select(
        "utforare_id", "brukare_id", "_fil", "_rad"), msg, col) for i, (col, _, msg) in enumerate(cases)]
    reject = pl.any_horizontal([pl.col(f"_x{i}") for i in range(len(cases))])
    return flags.filter(~reject).select(v.columns), av.concat(findings)


def visit_events(v: pl.DataFrame) -> pl.DataFrame:
    """Visit rows (typed, checked) → the tag events they stand for, in file order (a row's check-in
    before its check-out), typed as a tag log read from CSV is."""
    common = [pl.col(c) for c in ("brukare_id", "utforare_id", "personal_id")]
    rest = [pl.col("roll"), pl.col("korrigerad"), pl.col("_fil"), pl.col("_rad")]
    no_insatser = pl.lit(None, dtype=pl.List(pl.String))
    avb = pl.col("avbojt")
    parts = [
        v.filter(pl.col("start").is_not_null() & ~avb).select(
            pl.format("{}/start", "besok_id").alias("handelse_id"), *common, pl.col("start").alias("tidpunkt"),
            pl.lit("in").alias("typ"), pl.col("metod_start").alias("metod"), no_insatser.alias("insatser"), *rest,
            pl.lit(0).alias("_k")),
        v.filter(pl.col("slut").is_not_null() & ~avb).select(
            pl.format("{}/slut", "besok_id").alias("handelse_id"), *common, pl.col("slut").alias("tidpunkt"),
            pl.lit("ut").alias("typ"), pl.col("metod_slut").alias("metod"), pl.col("insatser"), *rest,
            pl.lit(1).alias("_k")),
        v.filter(avb).select(
            pl.format("{}/avbojt", "besok_id").alias("handelse_id"), *common, pl.col("start").alias("tidpunkt"),
            pl.lit("avbojt").alias("typ"), pl.col("metod_start").fill_null("manuell").alias("metod"),
            pl.col("insatser"), *rest, pl.lit(0).alias("_k")),
    ]
    ev = pl.concat(parts).sort("_rad", "_k", maintain_order=True).drop("_k")
    text = pl.col("insatser").list.join("|")
    ev = ev.with_columns(pl.when(text == "").then(None).otherwise(text).alias("insatser"))
    return ev.with_columns([pl.col(c).cast(pl.String).cast(coded_dtype("taggningar", c)) for c in EVENT_CODED
                            if c != "korrigerad"] + [pl.col("_fil").cast(pl.Categorical)])


def besok_to_events(v: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The month's visit rows (typed, unknown utförare and repeated besok_id already rejected) as
    tag events, and the findings on rows that cannot stand for any."""
    v, findings = check_rows(with_length(v))
    return visit_events(v), findings
