"""Tag events → visits, and the checks every visit gets (contract §1, "Pairing").

Per (personal_id, brukare_id), in time order, an `in` and the next `ut` make one visit; its
insatser are those on the `ut` row; it belongs to the local day of its check-in. Every event ends
in a visit or in a finding: duplicate, lone check-in, lone check-out, check-out before check-in,
or outside the month. All columnar, and the event frame itself is never sorted or copied: a
narrow frame of row numbers and integer keys is sorted once and compared with its neighbours
(docs/design.md, "Millions of rows").
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from ..core import avvikelser as av
from ..config.schema import VisitsCfg
from ..core.period import Period
from ..core.codes import as_text, by_code, dictionary
from ..core.localtime import TZ, local_dates
from .checks import check_visits, in_period, no_double_staffing
from .sortkeys import code, code_pair, first_ids, gather, lexical_rank, sort_order, time_order


@dataclass
class Visits:
    besok: pl.DataFrame          # one row per visit (docs/design.md)
    besok_insats: pl.DataFrame   # one row per visit × insats, with its share of counted seconds
    avbojt: pl.DataFrame         # declined visits (typ avbojt) inside the month
    avvikelser: pl.DataFrame


def local_date(col: str) -> pl.Expr:
    return pl.col(col).dt.convert_time_zone(TZ).dt.date()


# ---------------------------------------------------------------- events, encoded

CODED = ("utforare_id", "brukare_id", "personal_id", "typ", "metod", "roll")


def encoded(events: pl.DataFrame) -> pl.DataFrame:
    """The events with ids and enums dictionary-encoded (Categorical: sorting, comparing and
    gathering integers instead of text) and insatser as one text `a|b` (null for none)."""
    cols = [pl.col(c).cast(pl.Categorical) for c in CODED if not isinstance(events.schema[c], pl.Categorical)]
    if isinstance(events.schema["insatser"], pl.List):
        text = pl.col("insatser").list.join("|")
        cols.append(pl.when(text == "").then(None).otherwise(text).cast(pl.Categorical).alias("insatser"))
    return events.with_columns(cols) if cols else events


def insats_list(col: str = "insatser") -> pl.Expr:
    return pl.col(col).cast(pl.String).str.split("|").fill_null(pl.lit([], dtype=pl.List(pl.String)))


def insats_lists(col: pl.Series) -> pl.Series:
    """The insatser text `a|b` (Categorical) as a list of Categorical, split once per dictionary
    value and given to the rows by code (a month has a few dozen combinations and millions of
    visits); no insatser (null) is the empty list."""
    lists = by_code(dictionary(col).str.split("|").cast(pl.List(pl.Categorical)), col)
    return pl.select(pl.lit(lists).fill_null(pl.lit([], dtype=pl.List(pl.Categorical)))).to_series().alias(col.name)


# Visit columns that stay dictionary-encoded after pairing: shown and compared, never joined on or
# worked on as text (a cast of 1.5 million rows each costs more than it gives).
STAY_CODED = ("personal_id", "metod_in", "metod_ut", "_fil")


def plain(df: pl.DataFrame) -> pl.DataFrame:
    """Back to the contract's types: text ids (those settlement joins on), insatser as a list of
    text. STAY_CODED columns keep their dictionary; they read as text wherever they are shown."""
    cols = [as_text(df, c) for c, t in df.schema.items()
            if isinstance(t, pl.Categorical) and c != "insatser" and c not in STAY_CODED]
    if "insatser" in df.columns and df.schema["insatser"] == pl.List(pl.Categorical):
        cols.append(pl.col("insatser").cast(pl.List(pl.String)))
    elif "insatser" in df.columns and not isinstance(df.schema["insatser"], pl.List):
        cols.append(insats_list().alias("insatser"))
    return df.with_columns(cols) if cols else df


# ---------------------------------------------------------------- pairing


def order_events(ev: pl.DataFrame) -> pl.DataFrame:
    """The check-ins and check-outs (declined visits aside) as a narrow frame of row numbers into
    `ev`, per staff member and brukare in time order. At the same second a check-out sorts before
    a check-in: staff who log out and straight in again (seed 003: bistånd and HSL as two
    registrations) make two visits, not a 0 s one. Ties otherwise keep file order. Declined
    visits sort last (the key's first bit) and are cut off, so no copy of the events is filtered;
    the staff-brukare pair, time and type are read back from the sorted keys, not gathered row by
    row (sortkeys.TimeOrder)."""
    narrow = ev.select(
        pl.int_range(pl.len(), dtype=pl.UInt32).alias("_i"), code("personal_id").alias("_p"),
        code("brukare_id").alias("_b"), pl.col("tidpunkt"),
        (pl.col("typ") == "in").alias("_in"), (pl.col("typ") == "avbojt").alias("_avb"),
    )
    order = time_order(narrow, "tidpunkt", "_i", before=("_avb", "_p", "_b"), then=("_in",))
    order = order.head(narrow.height - narrow.get_column("_avb").sum())
    if order.packing is None:
        pair = order.columns(narrow, ["_p", "_b"]).select(code_pair(pl.col("_p"), pl.col("_b"))).to_series()
    else:           # staff and brukare as the key's leading bits: equal where both are
        pair = pl.select(order.packing.leading(pl.lit(order.keys), "_b")).to_series()
    return order.columns(narrow, ["tidpunkt", "_in"]).select(
        pl.lit(order.rows).alias("_i"), pl.lit(pair).alias("_k"), "tidpunkt", "_in")


def drop_duplicates(ev: pl.DataFrame, order: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame, pl.Series]:
    """A repeated handelse_id (among all events, declined ones too), or the same staff, brukare,
    time and type again: keep the first (in file order) and report the rest. Returns the events
    left to pair, the findings, and the declined events that are duplicates (rows of `ev`)."""
    first = first_ids(ev.get_column("handelse_id"))
    order = order.with_columns(pl.lit(True).alias("_first") if first.all() else pl.lit(first.gather(order["_i"])).alias("_first"))
    same = pl.lit(True)
    for c in ("_k", "tidpunkt", "_in"):
        same = same & (pl.col(c) == pl.col(c).shift(1))
    dup = ~pl.col("_first") | same.fill_null(False)
    order = order.with_columns(dup.alias("_dup"))
    d = ev.select(pl.int_range(pl.len(), dtype=pl.UInt32).alias("_i"), "personal_id", "brukare_id", "tidpunkt",
                  (pl.col("typ") == "avbojt").alias("_avb")).filter(pl.col("_avb"))
    declined_dup = d.filter(~pl.lit(first.gather(d["_i"])) | ~pl.struct("personal_id", "brukare_id", "tidpunkt")
                            .is_first_distinct())["_i"]
    rows = pl.concat([order.filter(pl.col("_dup"))["_i"], declined_dup]).sort()
    hit = gather(ev, rows, ["handelse_id", "utforare_id", "brukare_id", "_fil", "_rad"])
    f = av.from_rows("dubbel-handelse", hit, pl.format(
        "Taggningen {} är en dubblett av en tidigare rad och räknas inte.", pl.col("handelse_id")))
    return order.filter(~pl.col("_dup")).drop("_dup", "_first"), f, declined_dup


def mark_pairs(order: pl.DataFrame) -> pl.DataFrame:
    """Flag each event (in pairing order): starts a visit, closes one, or stands alone."""
    same_next = (pl.col("_k") == pl.col("_k").shift(-1)).fill_null(False)
    same_prev = (pl.col("_k") == pl.col("_k").shift(1)).fill_null(False)
    o = order.with_columns(same_next.alias("_sn"), same_prev.alias("_sp"),
                           pl.lit(local_dates(order["tidpunkt"])).alias("datum"))
    o = o.with_columns(
        (pl.col("_in") & pl.col("_sn") & ~pl.col("_in").shift(-1)).fill_null(False).alias("_start"),
        (~pl.col("_in") & pl.col("_sp") & pl.col("_in").shift(1)).fill_null(False).alias("_close"),
    )
    o = o.with_columns((pl.col("_in") & ~pl.col("_start")).alias("_lone_in"),
                       (~pl.col("_in") & ~pl.col("_close")).alias("_lone_ut"))
    swapped_ut = pl.col("_lone_ut") & pl.col("_sn") & pl.col("_lone_in").shift(-1) & (
        pl.col("datum") == pl.col("datum").shift(-1))
    swapped_in = pl.col("_lone_in") & pl.col("_sp") & pl.col("_lone_ut").shift(1) & (
        pl.col("datum") == pl.col("datum").shift(1))
    return o.with_columns(swapped_ut.fill_null(False).alias("_swap_ut"), swapped_in.fill_null(False).alias("_swap_in"),
                          pl.col("_i").shift(-1).alias("_i_ut"))


def lone_findings(ev: pl.DataFrame, marked: pl.DataFrame, period: Period) -> pl.DataFrame:
    lone = marked.filter(pl.col("_lone_in") | pl.col("_lone_ut"))
    lone = pl.concat([lone, gather(ev, lone["_i"], ["utforare_id", "brukare_id", "_fil", "_rad"])], how="horizontal")
    inside = in_period(pl.col("datum"), period)
    swap = pl.col("_swap_ut") | pl.col("_swap_in")
    cases = [
        ("utanfor-perioden", ~inside, "Taggningen ligger utanför månaden och ingår inte i avräkningen."),
        ("ut-fore-in", swap & inside, "Utcheckningen ligger före incheckningen; besöket räknas inte."),
        ("saknar-utcheckning", pl.col("_lone_in") & ~swap & inside, "Incheckning utan utcheckning; besöket räknas inte."),
        ("saknar-incheckning", pl.col("_lone_ut") & ~swap & inside, "Utcheckning utan incheckning; besöket räknas inte."),
    ]
    return av.concat([av.from_rows(kod, lone.filter(cond), msg) for kod, cond, msg in cases])


def build_visits(ev: pl.DataFrame, marked: pl.DataFrame) -> pl.DataFrame:
    """One row per visit, numbered in the order utförare, brukare, check-in (as text, then time).
    The visits are put in that order on a narrow frame first, so each column is gathered once."""
    starts = marked.filter(pl.col("_start")).select("_i", "_i_ut", "datum")
    at = starts["_i"]
    by = ev.select(lexical_rank(ev, "utforare_id", at).alias("u"), lexical_rank(ev, "brukare_id", at).alias("b"),
                   pl.col("tidpunkt", "_rad").gather(pl.lit(at)))
    starts = starts.select(pl.all().gather(pl.lit(sort_order(by, "tidpunkt", "_rad", before=("u", "b")))))
    a = gather(ev, starts["_i"], ["utforare_id", "brukare_id", "personal_id", "roll", "tidpunkt", "_fil", "_rad",
                                  "metod", "korrigerad"])
    b = gather(ev, starts["_i_ut"], ["roll", "tidpunkt", "_rad", "metod", "korrigerad", "insatser"])
    v = pl.DataFrame([
        a["utforare_id"], a["brukare_id"], a["personal_id"],
        b["roll"].fill_null(a["roll"]).alias("roll") if b.height else a["roll"],
        a["tidpunkt"].alias("in_tid"), b["tidpunkt"].alias("ut_tid"), starts["datum"],
        a["_fil"], a["_rad"].alias("in_rad"), b["_rad"].alias("ut_rad"),
        a["metod"].alias("metod_in"), b["metod"].alias("metod_ut"),
        (a["korrigerad"] | b["korrigerad"]).alias("korrigerad"), b["insatser"],
    ]).with_columns((pl.col("ut_tid") - pl.col("in_tid")).dt.total_seconds().cast(pl.Int64).alias("sekunder"))
    return v.with_row_index("besok_id", offset=1).with_columns(pl.col("besok_id").cast(pl.Int64))


def lone_check_ins(ev: pl.DataFrame, marked: pl.DataFrame) -> pl.DataFrame:
    """The check-ins that start no visit (never closed): staff code, time and line, for
    cut_same_staff."""
    return gather(ev, marked.filter(pl.col("_lone_in"))["_i"], ["personal_id", "tidpunkt", "_rad"]).select(
        code("personal_id").alias("_p"), pl.col("tidpunkt").alias("in_tid"), pl.col("_rad").alias("in_rad"))


def split_insatser(v: pl.DataFrame) -> pl.DataFrame:
    """One row per visit × insats; the counted seconds split equally, remainder to the first.
    (Exploded rows of a visit are contiguous: a row's place in its visit is its index minus the
    visit's first index, no window needed.)"""
    x = v.filter(~pl.col("utanfor") & (pl.col("insatser").list.len() > 0)).select(
        "besok_id", "utforare_id", "brukare_id", "roll", "datum", "in_tid", "ut_tid", "eff_in", "eff_ut", "giltig",
        "raknade_sek", "insatser")
    n = pl.col("insatser").list.len().cast(pl.Int64)
    x = x.with_columns(n.alias("n_insatser"), (n.cum_sum() - n).alias("_first"))
    x = x.explode("insatser").rename({"insatser": "insats"}).with_columns(
        (pl.int_range(pl.len(), dtype=pl.Int64) - pl.col("_first")).alias("insats_nr"))
    share = pl.col("raknade_sek") // pl.col("n_insatser")
    rest = pl.col("raknade_sek") - share * pl.col("n_insatser")
    return x.with_columns(
        (share + pl.when(pl.col("insats_nr") == 0).then(rest).otherwise(0)).cast(pl.Int64).alias("sek"),
    ).drop("raknade_sek", "_first")


def declined(ev: pl.DataFrame, period: Period, duplicates: pl.Series | None = None) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The declined visits (typ avbojt) but `duplicates` (rows of `ev`, reported as such)."""
    keep = pl.col("typ") == "avbojt"
    if duplicates is not None and duplicates.len():
        keep = keep & ~pl.int_range(pl.len(), dtype=pl.UInt32).is_in(duplicates.implode())
    d = plain(ev.filter(keep)).with_columns(local_date("tidpunkt").alias("datum"))
    inside = in_period(pl.col("datum"), period)
    f = av.concat([
        av.from_rows("avbojt-besok", d.filter(inside), pl.format(
            "Avböjt besök ({}).", pl.col("insatser").list.join(", "))),
        av.from_rows("utanfor-perioden", d.filter(~inside), "Taggningen ligger utanför månaden och ingår inte i avräkningen."),
    ])
    return d.filter(inside), f


@dataclass
class Paired:
    """Tag events paired into visits, before the checks of a config's `visits` section: what two
    configs with different sections share (`compare` pairs once and checks twice)."""
    visits: pl.DataFrame         # one row per visit (build_visits), insatser as lists
    lone_ins: pl.DataFrame       # check-ins that start no visit (lone_check_ins)
    avbojt: pl.DataFrame         # declined visits inside the month
    avvikelser: pl.DataFrame     # declined, duplicate and lone events


def pair_events(events: pl.DataFrame, period: Period) -> Paired:
    """Events (file order) → visits. The events are never sorted or copied whole: a narrow frame of
    row numbers and integer keys is sorted and compared with its neighbours, and only the rows a
    visit or a finding needs are gathered. The events and the narrow frames are let go of once
    every event is in a visit or a finding: a caller that hands over its only reference
    (settle.month.pair_only with `last`) frees them here, before the visits are checked and split
    per insats (all of Sweden: 39 M events, some 4 GiB)."""
    ev = encoded(events)
    del events
    order, f_dup, declined_dup = drop_duplicates(ev, order_events(ev))
    avb, f_avb = declined(ev, period, declined_dup)
    marked = mark_pairs(order)
    del order
    visits = build_visits(ev, marked)
    lone_ins, f_lone = lone_check_ins(ev, marked), lone_findings(ev, marked, period)
    del ev, marked
    visits = visits.with_columns(insats_lists(visits["insatser"]))
    return Paired(visits, lone_ins, avb, av.concat([f_avb, f_dup, f_lone]))


def checked(paired: Paired, cfg: VisitsCfg, period: Period, dubbel: pl.DataFrame | None = None) -> Visits:
    """The paired visits checked under a config's `visits` section (and the orders' double
    staffing): what counts, and the findings of what does not."""
    visits, f_visit = check_visits(paired.visits, cfg, period, no_double_staffing() if dubbel is None else dubbel,
                                   paired.lone_ins)
    besok_insats = plain(split_insatser(visits))     # split before the visits turn to text: the coded copy is narrower
    return Visits(plain(visits), besok_insats, paired.avbojt, av.concat([paired.avvikelser, f_visit]))


def pair_visits(events: pl.DataFrame, cfg: VisitsCfg, period: Period, dubbel: pl.DataFrame | None = None) -> Visits:
    """Events (file order) → visits, checked (pair_events, then checked)."""
    return checked(pair_events(events, period), cfg, period, dubbel)
