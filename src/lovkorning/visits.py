"""Tag events → visits, and the checks every visit gets (contract §1, "Pairing").

Per (personal_id, brukare_id), in time order, an `in` and the next `ut` make one visit; its
insatser are those on the `ut` row; it belongs to the local day of its check-in. Every event ends
in a visit or in a finding: duplicate, lone check-in, lone check-out, check-out before check-in,
or outside the month. All columnar: the events are sorted once and compared with their
neighbours.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from . import avvikelser as av
from .config import VisitsCfg
from .period import Period
from .timewin import daily, overlap_seconds

TZ = "Europe/Stockholm"
PAIR = ["personal_id", "brukare_id"]


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


def sort_events(events: pl.DataFrame) -> pl.DataFrame:
    """Per staff member and brukare, in time order. At the same second a check-out sorts before a
    check-in: staff who log out and straight in again (seed 003: bistånd and HSL as two
    registrations) make two visits, not a 0 s one. Ties otherwise keep file order."""
    return events.with_columns((pl.col("typ") == "in").cast(pl.Int8).alias("_o")).sort(PAIR + ["tidpunkt", "_o", "_rad"])


def drop_duplicates(events: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """A repeated handelse_id, or the same staff, brukare, time and type again: keep the first (in
    file order) and report the rest. Returns the events sorted as sort_events does."""
    ev = sort_events(events.with_columns(pl.col("handelse_id").is_first_distinct().alias("_first_id")))
    same = pl.lit(True)
    for c in PAIR + ["tidpunkt", "typ"]:
        same = same & (pl.col(c) == pl.col(c).shift(1))
    dup = ~pl.col("_first_id") | same.fill_null(False)
    ev = ev.with_columns(dup.alias("_dup"))
    hit = ev.filter(pl.col("_dup")).sort("_rad")
    f = av.from_rows("dubbel-handelse", hit, pl.format(
        "Taggningen {} är en dubblett av en tidigare rad och räknas inte.", pl.col("handelse_id")))
    return ev.filter(~pl.col("_dup")).drop("_dup", "_first_id"), f


def mark_pairs(ev: pl.DataFrame) -> pl.DataFrame:
    """Flag each event (sorted by sort_events): starts a visit, closes one, or stands alone."""
    if "_o" not in ev.columns:
        ev = sort_events(ev)
    same_next = (pl.col("personal_id") == pl.col("personal_id").shift(-1)) & (
        pl.col("brukare_id") == pl.col("brukare_id").shift(-1))
    same_prev = (pl.col("personal_id") == pl.col("personal_id").shift(1)) & (
        pl.col("brukare_id") == pl.col("brukare_id").shift(1))
    ev = ev.with_columns(same_next.fill_null(False).alias("_sn"), same_prev.fill_null(False).alias("_sp"),
                         local_date("tidpunkt").alias("datum"))
    ev = ev.with_columns(
        ((pl.col("typ") == "in") & pl.col("_sn") & (pl.col("typ").shift(-1) == "ut")).fill_null(False).alias("_start"),
        ((pl.col("typ") == "ut") & pl.col("_sp") & (pl.col("typ").shift(1) == "in")).fill_null(False).alias("_close"),
    )
    lone_in = (pl.col("typ") == "in") & ~pl.col("_start")
    lone_ut = (pl.col("typ") == "ut") & ~pl.col("_close")
    ev = ev.with_columns(lone_in.alias("_lone_in"), lone_ut.alias("_lone_ut"))
    swapped_ut = pl.col("_lone_ut") & pl.col("_sn") & pl.col("_lone_in").shift(-1) & (
        pl.col("datum") == pl.col("datum").shift(-1))
    swapped_in = pl.col("_lone_in") & pl.col("_sp") & pl.col("_lone_ut").shift(1) & (
        pl.col("datum") == pl.col("datum").shift(1))
    return ev.with_columns(swapped_ut.fill_null(False).alias("_swap_ut"), swapped_in.fill_null(False).alias("_swap_in"))


def lone_findings(ev: pl.DataFrame, period: Period) -> pl.DataFrame:
    inside = in_period(pl.col("datum"), period)
    swap = pl.col("_swap_ut") | pl.col("_swap_in")
    cases = [
        ("utanfor-perioden", (pl.col("_lone_in") | pl.col("_lone_ut")) & ~inside,
         "Taggningen ligger utanför månaden och ingår inte i avräkningen."),
        ("ut-fore-in", swap & inside, "Utcheckningen ligger före incheckningen; besöket räknas inte."),
        ("saknar-utcheckning", pl.col("_lone_in") & ~swap & inside, "Incheckning utan utcheckning; besöket räknas inte."),
        ("saknar-incheckning", pl.col("_lone_ut") & ~swap & inside, "Utcheckning utan incheckning; besöket räknas inte."),
    ]
    return av.concat([av.from_rows(kod, ev.filter(cond), msg) for kod, cond, msg in cases])


def build_visits(ev: pl.DataFrame) -> pl.DataFrame:
    nxt = {c: pl.col(c).shift(-1) for c in ("tidpunkt", "_rad", "metod", "korrigerad", "insatser", "roll", "handelse_id")}
    v = ev.with_columns([e.alias(f"_n_{c}") for c, e in nxt.items()]).filter(pl.col("_start"))
    return v.select(
        pl.col("utforare_id"), pl.col("brukare_id"), pl.col("personal_id"),
        pl.coalesce("_n_roll", "roll").alias("roll"),
        pl.col("tidpunkt").alias("in_tid"), pl.col("_n_tidpunkt").alias("ut_tid"), pl.col("datum"),
        pl.col("_fil"), pl.col("_rad").alias("in_rad"), pl.col("_n__rad").alias("ut_rad"),
        pl.col("metod").alias("metod_in"), pl.col("_n_metod").alias("metod_ut"),
        (pl.col("korrigerad") | pl.col("_n_korrigerad")).alias("korrigerad"),
        pl.col("_n_insatser").alias("insatser"),
        (pl.col("_n_tidpunkt") - pl.col("tidpunkt")).dt.total_seconds().cast(pl.Int64).alias("sekunder"),
    ).sort("utforare_id", "brukare_id", "in_tid", "in_rad").with_row_index("besok_id", offset=1).with_columns(
        pl.col("besok_id").cast(pl.Int64))


def tag_ok(require: str) -> pl.Expr:
    tin, tut = pl.col("metod_in") == "tagg", pl.col("metod_ut") == "tagg"
    verified = {"one": tin | tut, "both": tin & tut, "none": pl.lit(True)}[require]
    return verified | pl.col("korrigerad")


def check_visits(v: pl.DataFrame, cfg: VisitsCfg, period: Period, dubbel: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Flag each visit; counted seconds are 0 for a visit that does not count."""
    lo, hi = cfg.min_minutes * 60, cfg.max_minutes * 60
    v = v.with_columns(
        (~in_period(pl.col("datum"), period)).alias("_ute"),
        (pl.col("sekunder") < lo).alias("_kort"),
        (pl.col("sekunder") > hi).alias("_lang"),
        (~tag_ok(cfg.require_tag)).alias("_tagg"),
        (pl.col("insatser").list.len() == 0).alias("_ingen"),
    )
    v = v.with_columns((~(pl.col("_ute") | pl.col("_kort") | pl.col("_tagg") | pl.col("_ingen"))).alias("giltig"))
    v = cut_same_staff(v)
    v = cut_double_staffing(v, dubbel)
    counted = overlap_seconds("eff_in", "eff_ut", "datum", daily(cfg.window))
    v = v.with_columns(pl.when(pl.col("giltig")).then(pl.min_horizontal(counted, pl.lit(hi))).otherwise(0)
                       .cast(pl.Int64).alias("raknade_sek"))
    src = v.with_columns(pl.col("in_rad").alias("_rad"))
    mins = (pl.col("sekunder") / 60).round(1).cast(pl.String).str.replace(".", ",", literal=True)
    inside = ~pl.col("_ute")
    cases = [
        ("kort-besok", pl.col("_kort") & inside, pl.format("Besöket varade {} min, kortare än {} min; räknas inte.", mins, pl.lit(cfg.min_minutes))),
        ("langt-besok", pl.col("_lang") & inside, pl.format("Besöket varade {} min; räknas som högst {} min.", mins, pl.lit(cfg.max_minutes))),
        ("saknar-tagg", pl.col("_tagg") & inside & ~pl.col("_kort"), _tag_message(cfg.require_tag)),
        ("besok-utan-insats", pl.col("_ingen") & inside, pl.lit("Ingen insats registrerad vid utcheckningen; besöket räknas inte.")),
        ("samtidiga-besok", pl.col("_samtidig") & inside, pl.format(
            "Personalen {} checkade in hos en annan brukare före utcheckningen här; tiden räknas till nästa incheckning.",
            pl.col("personal_id"))),
        ("dubbelbemanning-saknas", pl.col("_dubbel") & inside, pl.lit(
            "Två personal samtidigt hos brukaren utan dubbelbemanning i beställningen; den gemensamma tiden räknas en gång.")),
    ]
    findings = [av.from_rows(k, src.filter(c), m) for k, c, m in cases]
    out = src.filter(pl.col("_ute"))
    findings.append(av.from_rows("utanfor-perioden", pl.concat([
        out.select("utforare_id", "brukare_id", "_fil", "_rad"),
        out.select("utforare_id", "brukare_id", "_fil", pl.col("ut_rad").alias("_rad"))]),
        "Besöket började utanför månaden och ingår inte i avräkningen."))
    drop = ["_kort", "_lang", "_tagg", "_ingen", "_samtidig", "_dubbel"]
    return v.drop(drop).rename({"_ute": "utanfor"}), av.concat(findings)


def cut_same_staff(v: pl.DataFrame) -> pl.DataFrame:
    """One staff member cannot be at two brukare at once: a counted visit still open when the same
    person checks in elsewhere ends at that check-in (`samtidiga-besok`)."""
    v = v.sort("personal_id", "in_tid", "in_rad")
    g = v.filter(pl.col("giltig")).with_columns(
        pl.col("in_tid").shift(-1).over("personal_id").alias("_next_in")).select("besok_id", "_next_in")
    v = v.join(g, on="besok_id", how="left")
    clash = pl.col("giltig") & pl.col("_next_in").is_not_null() & (pl.col("_next_in") < pl.col("ut_tid"))
    return v.with_columns(
        pl.col("in_tid").alias("eff_in"),
        pl.when(clash).then(pl.col("_next_in")).otherwise(pl.col("ut_tid")).alias("eff_ut"),
        clash.fill_null(False).alias("_samtidig"),
    ).drop("_next_in").sort("besok_id")


def cut_double_staffing(v: pl.DataFrame, dubbel: pl.DataFrame) -> pl.DataFrame:
    """Two staff at one brukare at the same time count twice only where the order has
    dubbelbemanning; otherwise a later visit counts only from where the earlier ones ended."""
    keys = ["utforare_id", "brukare_id"]
    g = v.filter(pl.col("giltig")).sort(keys + ["in_tid", "in_rad"]).with_columns(
        pl.col("eff_ut").cum_max().shift(1).over(keys).alias("_prev_ut"))
    allowed = g.join(dubbel, on=keys).filter(pl.col("datum").is_between("fran", "till")).select("besok_id").unique()
    g = g.join(allowed.with_columns(pl.lit(True).alias("_ok")), on="besok_id", how="left")
    over = pl.col("_prev_ut").is_not_null() & (pl.col("_prev_ut") > pl.col("eff_in")) & pl.col("_ok").is_null()
    g = g.select("besok_id", over.alias("_dubbel"),
                 pl.when(over).then(pl.min_horizontal("_prev_ut", "eff_ut")).otherwise(pl.col("eff_in")).alias("_in"))
    v = v.join(g, on="besok_id", how="left")
    return v.with_columns(pl.coalesce("_in", "eff_in").alias("eff_in"), pl.col("_dubbel").fill_null(False)).drop("_in")


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


def declined(events: pl.DataFrame, period: Period) -> tuple[pl.DataFrame, pl.DataFrame]:
    d = events.filter(pl.col("typ") == "avbojt").with_columns(local_date("tidpunkt").alias("datum"))
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
    avb, f_avb = declined(events, period)
    tags, f_dup = drop_duplicates(events.filter(pl.col("typ") != "avbojt"))
    ev = mark_pairs(tags)
    visits, f_visit = check_visits(build_visits(ev), cfg, period,
                                   no_double_staffing() if dubbel is None else dubbel)
    return Visits(visits, split_insatser(visits), avb,
                  av.concat([f_avb, f_dup, lone_findings(ev, period), f_visit]))
