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

from .core import avvikelser as av
from .config.schema import VisitsCfg
from .core.period import Period
from .core.codes import by_code, dictionary
from .core.localtime import TZ, local_dates
from .core.timewin import daily, overlap_seconds



@dataclass
class Visits:
    besok: pl.DataFrame          # one row per visit (docs/design.md)
    besok_insats: pl.DataFrame   # one row per visit × insats, with its share of counted seconds
    avbojt: pl.DataFrame         # declined visits (typ avbojt) inside the month
    avvikelser: pl.DataFrame


def local_date(col: str) -> pl.Expr:
    return pl.col(col).dt.convert_time_zone(TZ).dt.date()


def in_period(expr: pl.Expr, period: Period) -> pl.Expr:
    return expr.is_between(pl.lit(period.start), pl.lit(period.end))


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
    cols = [pl.col(c).cast(pl.String) for c, t in df.schema.items()
            if isinstance(t, pl.Categorical) and c != "insatser" and c not in STAY_CODED]
    if "insatser" in df.columns and df.schema["insatser"] == pl.List(pl.Categorical):
        cols.append(pl.col("insatser").cast(pl.List(pl.String)))
    elif "insatser" in df.columns and not isinstance(df.schema["insatser"], pl.List):
        cols.append(insats_list().alias("insatser"))
    return df.with_columns(cols) if cols else df


def code(col: str) -> pl.Expr:
    return pl.col(col).to_physical().cast(pl.UInt64)


def code_pair(a: pl.Expr, b: pl.Expr) -> pl.Expr:
    """One integer per pair of dictionary codes (each below 2**32): exact."""
    return a * (1 << 32) + b


def lexical_rank(col: pl.Series, rows: pl.Series) -> pl.Series:
    """For the rows `rows` of `col`: each value's place in text order, as an integer (sorting by
    it sorts by the text), ranked once over the column's dictionary and given to the rows by code."""
    return by_code(dictionary(col).rank("dense").cast(pl.UInt32), col.gather(rows))


def gather(df: pl.DataFrame, rows: pl.Series, cols: list[str]) -> pl.DataFrame:
    return df.select([pl.col(c).gather(pl.lit(rows)) for c in cols]) if rows.len() else df.select(cols).clear()


def time_keys(df: pl.DataFrame, time: str, *then: str, before: tuple[str, ...] = ()) -> list[pl.Expr]:
    """Sort keys equal in order to (*before, time, *then): one integer (each `before` column's
    bits, then seconds from the earliest time, then each `then` column's bits) when the times are
    whole seconds and everything fits in 63 bits, as it does for a month; otherwise the columns
    themselves. (`before`, `then`: non-negative integers or flags.) One integer sorts several
    times faster than a list of columns."""
    us = pl.col(time).dt.epoch("us")
    names = (*before, *then)
    ints = [pl.col(c).cast(pl.Int64) for c in names]
    head, tail = ints[:len(before)], ints[len(before):]
    if any(df.get_column(c).null_count() for c in (time, *names)):
        return [*head, us, *tail]
    signed = [pl.col(c) for c in names if df.schema[c].is_signed_integer()]
    stats = df.select((us % 1_000_000 == 0).all().alias("w"), us.min().alias("lo"), us.max().alias("hi"),
                      pl.min_horizontal(pl.lit(0), *(e.min() for e in signed)).alias("neg"),
                      *(pl.col(c).max().cast(pl.Int64).alias(f"m{i}") for i, c in enumerate(names))).row(0)
    whole, lo, hi, neg, *maxes = stats
    widths = [max(int(m or 0), 1).bit_length() for m in maxes]
    if not whole or neg < 0 or lo is None or ((hi - lo) // 1_000_000).bit_length() + sum(widths) > 63:
        return [*head, us, *tail]
    key = pl.lit(0, dtype=pl.Int64)
    for e, w in zip(head, widths):
        key = key * (1 << w) + e
    key = key * (1 << ((hi - lo) // 1_000_000).bit_length()) + (us - lo) // 1_000_000
    for e, w in zip(tail, widths[len(before):]):
        key = key * (1 << w) + e
    return [key]


def arg_sort_ties(key: pl.Series, then: pl.Series) -> pl.Series:
    """Row order by `key`, rows with equal keys in `then` order: an unstable sort of one integer,
    then only the runs of equal keys (few: two visits at one brukare in the same second) put in
    order by `then`, in place. (numpy sorts packed integers by value several times faster, but
    importing it costs a dry run more than that saves: measured.)"""
    idx = key.arg_sort()
    k = key.gather(idx)
    tie = ((k == k.shift(1)) | (k == k.shift(-1))).fill_null(False)
    if not tie.any():
        return idx
    pos = tie.arg_true()
    runs = pl.DataFrame({"k": k.gather(pos), "t": then.gather(idx.gather(pos)), "i": idx.gather(pos)}).sort("k", "t")
    return idx.scatter(pos, runs["i"])


def sort_order(df: pl.DataFrame, time: str, last: str, before: tuple[str, ...] = (),
               then: tuple[str, ...] = ()) -> pl.Series:
    """Row numbers of `df` in the order (*before, time, *then, last); `last` is unique (a line or
    row number)."""
    keys = time_keys(df, time, *then, before=before)
    if len(keys) == 1:
        return arg_sort_ties(df.select(keys[0]).to_series(), df.get_column(last))
    return df.select(pl.arg_sort_by(*keys, pl.col(last))).to_series()


# ---------------------------------------------------------------- pairing

def order_events(ev: pl.DataFrame) -> pl.DataFrame:
    """The check-ins and check-outs (declined visits aside) as a narrow frame of row numbers into
    `ev`, per staff member and brukare in time order. At the same second a check-out sorts before
    a check-in: staff who log out and straight in again (seed 003: bistånd and HSL as two
    registrations) make two visits, not a 0 s one. Ties otherwise keep file order (a stable sort
    of a frame in file order)."""
    narrow = ev.select(
        pl.int_range(pl.len(), dtype=pl.UInt32).alias("_i"), code("personal_id").alias("_p"),
        code("brukare_id").alias("_b"), pl.col("tidpunkt"),
        (pl.col("typ") == "in").alias("_in"), (pl.col("typ") == "avbojt").alias("_avb"),
    ).filter(~pl.col("_avb")).drop("_avb")
    idx = sort_order(narrow, "tidpunkt", "_i", before=("_p", "_b"), then=("_in",))
    return gather(narrow.with_columns(code_pair(pl.col("_p"), pl.col("_b")).alias("_k")), idx, ["_i", "_k", "tidpunkt", "_in"])


def first_ids(ids: pl.Series) -> pl.Series:
    """Per row of `ids` (in file order): True for the first of each handelse_id. Hashes find the
    candidates; only rows whose hash repeats are compared as text, so a hash collision cannot
    drop a row."""
    h = ids.hash()
    s = h.sort()
    repeated = s.filter(s == s.shift(1))
    first = pl.repeat(True, h.len(), eager=True)
    if repeated.is_empty():
        return first
    at = h.is_in(repeated.implode()).arg_true()
    return first.scatter(at, ids.gather(at).is_first_distinct())


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
    by = pl.DataFrame([lexical_rank(ev["utforare_id"], at).alias("u"), lexical_rank(ev["brukare_id"], at).alias("b"),
                       ev["tidpunkt"].gather(at), ev["_rad"].gather(at)])
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


def tag_ok(require: str) -> pl.Expr:
    tin, tut = pl.col("metod_in") == "tagg", pl.col("metod_ut") == "tagg"
    verified = {"one": tin | tut, "both": tin & tut, "none": pl.lit(True)}[require]
    return verified | pl.col("korrigerad")


FLAGS = ("_kort", "_lang", "_tagg", "_ingen", "_samtidig", "_dubbel")   # kept on each visit for its findings


def finding_conditions() -> list[tuple[str, pl.Expr]]:
    """Each visit finding's code and the condition on a checked visit (its FLAGS and `utanfor`);
    a visit outside the month carries only `utanfor-perioden`."""
    inside = ~pl.col("utanfor")
    return [
        ("kort-besok", pl.col("_kort") & inside),
        ("langt-besok", pl.col("_lang") & inside),
        ("saknar-tagg", pl.col("_tagg") & inside & ~pl.col("_kort")),
        ("besok-utan-insats", pl.col("_ingen") & inside),
        ("samtidiga-besok", pl.col("_samtidig") & inside),
        ("dubbelbemanning-saknas", pl.col("_dubbel") & inside),
    ]


def check_visits(v: pl.DataFrame, cfg: VisitsCfg, period: Period, dubbel: pl.DataFrame,
                 lone_ins: pl.DataFrame | None = None) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Flag each visit; counted seconds are 0 for a visit that does not count."""
    lo, hi = cfg.min_minutes * 60, cfg.max_minutes * 60
    v = v.with_columns(
        (~in_period(pl.col("datum"), period)).alias("utanfor"),
        (pl.col("sekunder") < lo).alias("_kort"),
        (pl.col("sekunder") > hi).alias("_lang"),
        (~tag_ok(cfg.require_tag)).alias("_tagg"),
        (pl.col("insatser").list.len() == 0).alias("_ingen"),
    )
    v = v.with_columns((~(pl.col("utanfor") | pl.col("_kort") | pl.col("_tagg") | pl.col("_ingen"))).alias("giltig"))
    v = cut_same_staff(v, lone_ins)
    v = cut_double_staffing(v, dubbel)
    counted = pl.lit(overlap_seconds(v, "eff_in", "eff_ut", "datum", daily(cfg.window)))
    v = v.with_columns(pl.when(pl.col("giltig")).then(pl.min_horizontal(counted, pl.lit(hi))).otherwise(0)
                       .cast(pl.Int64).alias("raknade_sek"))
    src = v.with_columns(pl.col("in_rad").alias("_rad"))
    # exact, minutes and seconds: rounded minutes would say "1,0 min, kortare än 1 min" of 59 s
    sek = pl.col("sekunder")
    lasted = pl.when(sek % 60 == 0).then(pl.format("{} min", sek // 60)).otherwise(
        pl.format("{} min {} s", sek // 60, sek % 60))
    messages = {
        "kort-besok": pl.format("Besöket varade {}, kortare än {} min; räknas inte.", lasted, pl.lit(cfg.min_minutes)),
        "langt-besok": pl.format("Besöket varade {}; räknas som högst {} min.", lasted, pl.lit(cfg.max_minutes)),
        "saknar-tagg": _tag_message(cfg.require_tag),
        "besok-utan-insats": pl.lit("Ingen insats registrerad vid utcheckningen; besöket räknas inte."),
        "samtidiga-besok": pl.format(
            "Personalen {} checkade in hos en annan brukare före utcheckningen här; tiden räknas till nästa incheckning.",
            pl.col("personal_id")),
        "dubbelbemanning-saknas": pl.lit(
            "Två personal samtidigt hos brukaren utan dubbelbemanning i beställningen; den gemensamma tiden räknas en gång."),
    }
    findings = [av.from_rows(k, src.filter(c), messages[k]) for k, c in finding_conditions()]
    out = src.filter(pl.col("utanfor"))
    findings.append(av.from_rows("utanfor-perioden", pl.concat([
        out.select("utforare_id", "brukare_id", "_fil", "_rad"),
        out.select("utforare_id", "brukare_id", "_fil", pl.col("ut_rad").alias("_rad"))]),
        "Besöket började utanför månaden och ingår inte i avräkningen."))
    return v, av.concat(findings)


def scattered(n: int, rows: pl.Series, values: pl.Series, default: object = None) -> pl.Series:
    """A column of length n: `values` at `rows`, `default` elsewhere."""
    base = pl.repeat(default, n, dtype=values.dtype, eager=True)
    return base.scatter(rows, values) if rows.len() else base


def cut_same_staff(v: pl.DataFrame, others: pl.DataFrame | None = None) -> pl.DataFrame:
    """One staff member cannot be at two brukare at once: a counted visit still open when the same
    person checks in elsewhere ends at that check-in (`samtidiga-besok`). Every check-in counts as
    presence, whether its own visit counts or not (too short, no insats, outside the month) and
    whether it was closed at all (`others`: check-ins that start no visit, as lone_check_ins)."""
    g = v.select(pl.int_range(pl.len(), dtype=pl.UInt32).alias("_pos"), code("personal_id").alias("_p"),
                 "in_tid", "in_rad")
    if others is not None and others.height:
        g = pl.concat([g, others.select(pl.lit(None, dtype=pl.UInt32).alias("_pos"), "_p", "in_tid", "in_rad")])
    idx = sort_order(g, "in_tid", "in_rad", before=("_p",))
    g = g.select(pl.all().gather(pl.lit(idx)))
    g = g.select("_pos", pl.when(pl.col("_p") == pl.col("_p").shift(-1)).then(pl.col("in_tid").shift(-1)).alias("_n")
                 ).filter(pl.col("_pos").is_not_null())
    next_in = scattered(v.height, g["_pos"], g["_n"])
    clash = pl.col("giltig") & next_in.is_not_null() & (pl.lit(next_in) < pl.col("ut_tid"))
    return v.with_columns(
        pl.col("in_tid").alias("eff_in"),
        pl.when(clash).then(pl.lit(next_in)).otherwise(pl.col("ut_tid")).alias("eff_ut"),
        clash.fill_null(False).alias("_samtidig"),
    )


def lone_check_ins(ev: pl.DataFrame, marked: pl.DataFrame) -> pl.DataFrame:
    """The check-ins that start no visit (never closed): staff code, time and line, for
    cut_same_staff."""
    return gather(ev, marked.filter(pl.col("_lone_in"))["_i"], ["personal_id", "tidpunkt", "_rad"]).select(
        code("personal_id").alias("_p"), pl.col("tidpunkt").alias("in_tid"), pl.col("_rad").alias("in_rad"))


def latest_before(df: pl.DataFrame, group: str, time: str) -> pl.Series:
    """Per row, the latest `time` among the earlier rows of its group (null on a group's first
    row); the rows of a group are contiguous. One running maximum over the whole column, with
    the group's number in the high bits so that each group starts afresh (a window per group
    costs several times more); the window when the numbers do not fit in 63 bits."""
    new = (pl.col(group) != pl.col(group).shift(1)).fill_null(True)
    us = pl.col(time).dt.epoch("us")
    lo, hi, groups, nulls = df.select(us.min().alias("lo"), us.max().alias("hi"), new.sum().alias("n"),
                                      pl.col(time).null_count().alias("nulls")).row(0)
    width = int(hi - lo).bit_length() if lo is not None else 0
    if lo is None or nulls or width + int(groups).bit_length() > 62:
        return df.select(pl.when(~new).then(pl.col(time).cum_max().shift(1).over(group))).to_series()
    number = new.cast(pl.Int64).cum_sum() * (1 << width)
    running = (number + (us - lo)).cum_max().shift(1)
    latest = (running - number + lo).cast(pl.Datetime("us")).dt.replace_time_zone(df.schema[time].time_zone)
    return df.select(pl.when(~new).then(latest)).to_series()


def cut_double_staffing(v: pl.DataFrame, dubbel: pl.DataFrame) -> pl.DataFrame:
    """Two staff at one brukare at the same time count twice only where the order has
    dubbelbemanning; otherwise a later visit counts only from where the earlier ones ended.
    (Visits are numbered per utförare and brukare in check-in order, so no sort is needed.)"""
    keys = ["utforare_id", "brukare_id"]
    grp = code_pair(code("utforare_id"), code("brukare_id"))
    g = v.select(pl.int_range(pl.len(), dtype=pl.UInt32).alias("_pos"), grp.alias("_g"), "besok_id", *keys,
                 "datum", "eff_in", "eff_ut", "giltig").filter(pl.col("giltig"))
    g = g.with_columns(latest_before(g, "_g", "eff_ut").alias("_prev_ut"))
    over = g.filter(pl.col("_prev_ut").is_not_null() & (pl.col("_prev_ut") > pl.col("eff_in")))
    if dubbel.height and over.height:
        allowed = over.join(dubbel.with_columns([pl.col(k).cast(v.schema[k]) for k in keys]), on=keys).filter(
            pl.col("datum").is_between("fran", "till")).select("besok_id").unique()
        over = over.filter(~pl.col("besok_id").is_in(allowed["besok_id"].implode()))
    cut = over.select("_pos", pl.min_horizontal("_prev_ut", "eff_ut").alias("_in"))
    return v.with_columns(
        pl.lit(scattered(v.height, cut["_pos"], pl.repeat(True, cut.height, eager=True), False)).alias("_dubbel"),
        pl.coalesce(pl.lit(scattered(v.height, cut["_pos"], cut["_in"])), pl.col("eff_in")).alias("eff_in"),
    )


def _tag_message(require: str) -> pl.Expr:
    text = {"one": "Varken in- eller utcheckning gjordes med tagg och besöket är inte korrigerat; räknas inte.",
            "both": "In- och utcheckning ska båda göras med tagg; besöket är inte korrigerat och räknas inte.",
            "none": ""}[require]
    return pl.lit(text)


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


def no_double_staffing() -> pl.DataFrame:
    return pl.DataFrame(schema={"utforare_id": pl.String, "brukare_id": pl.String, "fran": pl.Date, "till": pl.Date})


def double_staffing(orders: pl.DataFrame, period: Period) -> pl.DataFrame:
    """Where the orders allow two staff at once: utförare, brukare and the days it applies."""
    d = orders.filter(pl.col("dubbelbemanning")).select(
        "utforare_id", "brukare_id", pl.col("giltig_fran").alias("fran"),
        pl.col("giltig_till").fill_null(period.end).alias("till"))
    return d.unique()


def pair_visits(events: pl.DataFrame, cfg: VisitsCfg, period: Period, dubbel: pl.DataFrame | None = None) -> Visits:
    """Events (file order) → visits. The events are never sorted or copied whole: a narrow frame of
    row numbers and integer keys is sorted and compared with its neighbours, and only the rows a
    visit or a finding needs are gathered."""
    ev = encoded(events)
    order, f_dup, declined_dup = drop_duplicates(ev, order_events(ev))
    avb, f_avb = declined(ev, period, declined_dup)
    marked = mark_pairs(order)
    visits = build_visits(ev, marked)
    visits = visits.with_columns(insats_lists(visits["insatser"]))
    visits, f_visit = check_visits(visits, cfg, period, no_double_staffing() if dubbel is None else dubbel,
                                   lone_check_ins(ev, marked))
    return Visits(plain(visits), plain(split_insatser(visits)), avb,
                  av.concat([f_avb, f_dup, lone_findings(ev, marked, period), f_visit]))
