"""The visit checks (contract §1, config `visits`): short and long visits, tags, the same staff at two
brukare, two staff without dubbelbemanning; the conditions of each visit finding.
"""

from __future__ import annotations


import polars as pl

from ..core import avvikelser as av
from ..config.schema import VisitsCfg
from ..core.period import Period
from ..core.timewin import daily, overlap_seconds
from .sortkeys import code, code_pair, latest_before, scattered, time_order


def in_period(expr: pl.Expr, period: Period) -> pl.Expr:
    return expr.is_between(pl.lit(period.start), pl.lit(period.end))


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


def cut_same_staff(v: pl.DataFrame, others: pl.DataFrame | None = None) -> pl.DataFrame:
    """One staff member cannot be at two brukare at once: a counted visit still open when the same
    person checks in elsewhere ends at that check-in (`samtidiga-besok`). Every check-in counts as
    presence, whether its own visit counts or not (too short, no insats, outside the month) and
    whether it was closed at all (`others`: check-ins that start no visit, as lone_check_ins)."""
    g = v.select(code("personal_id").alias("_p"), "in_tid", "in_rad")
    if others is not None and others.height:
        g = pl.concat([g, others.select("_p", "in_tid", "in_rad")])
    order = time_order(g, "in_tid", "in_rad", before=("_p",))
    # the visits are g's first rows: a row number past them is a check-in without a visit
    g = order.columns(g, ["_p", "in_tid"]).with_columns(
        pl.when(pl.lit(order.rows) < v.height).then(pl.lit(order.rows)).alias("_pos"))
    g = g.select("_pos", pl.when(pl.col("_p") == pl.col("_p").shift(-1)).then(pl.col("in_tid").shift(-1)).alias("_n")
                 ).filter(pl.col("_pos").is_not_null())
    next_in = scattered(v.height, g["_pos"], g["_n"])
    clash = pl.col("giltig") & next_in.is_not_null() & (pl.lit(next_in) < pl.col("ut_tid"))
    return v.with_columns(
        pl.col("in_tid").alias("eff_in"),
        pl.when(clash).then(pl.lit(next_in)).otherwise(pl.col("ut_tid")).alias("eff_ut"),
        clash.fill_null(False).alias("_samtidig"),
    )


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


def no_double_staffing() -> pl.DataFrame:
    return pl.DataFrame(schema={"utforare_id": pl.String, "brukare_id": pl.String, "fran": pl.Date, "till": pl.Date})


def double_staffing(orders: pl.DataFrame, period: Period) -> pl.DataFrame:
    """Where the orders allow two staff at once: utförare, brukare and the days it applies."""
    d = orders.filter(pl.col("dubbelbemanning")).select(
        "utforare_id", "brukare_id", pl.col("giltig_fran").alias("fran"),
        pl.col("giltig_till").fill_null(period.end).alias("till"))
    return d.unique()
