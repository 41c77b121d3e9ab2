"""Bases that pay counts rather than hours (contract §2): a fee per visit (`besok`), per month
(`manad`), once per new brukare (`start`), and a schablon time per registered insats (`schablon`,
at most `antal` times per order period). Declined visits (`typ: avbojt`) earn `avbojt_percent`
of what a performed one would, on lines of their own so a provider sees them."""

from __future__ import annotations

import polars as pl

from ..core import avvikelser as av
from .bases import HOUR, match_orders, rule_order_lines, rule_segments
from ..config.schema import RuleCfg
from .context import Context, traced, with_segment, with_zon
from ..core.timewin import daily, starts_inside

NO_ORDER = pl.lit(None, dtype=pl.String)


def _fee_lines(df: pl.DataFrame, count: str, num: pl.Expr | None = None, den: int = 1) -> pl.DataFrame:
    return df.with_columns(
        pl.lit(0, dtype=pl.Int64).alias("ersatt_sek"), pl.col(count).cast(pl.Int64).alias("antal"),
        (pl.col(count) if num is None else num).cast(pl.Int64).alias("_num"), pl.lit(den, dtype=pl.Int64).alias("_den"))


def _avbojt_bp(rule: RuleCfg) -> pl.Expr:
    """The share (basis points) of a declined insats: its own entry, else `default`, else 0."""
    table = {k: int(v * 100) for k, v in (rule.avbojt_percent or {}).items()}
    default = table.pop("default", 0)
    return pl.col("insats").replace_strict(table, default=default, return_dtype=pl.Int64)


def _declined(rule: RuleCfg, ctx: Context, once: bool = False) -> pl.DataFrame:
    """Declined visits × insats that the rule names, with their share; empty without avbojt_percent.
    With `once`, one row per declined visit: the first insats the rule names (for a fee per visit)."""
    d = ctx.visits.avbojt.with_row_index("_avb").select(
        "_avb", "utforare_id", "brukare_id", "roll", "datum", pl.col("tidpunkt").alias("in_tid"),
        pl.col("insatser").alias("insats"), pl.col("_rad")).explode("insats")
    d = _narrow(rule, d.filter(pl.col("insats").is_not_null() & pl.lit(rule.avbojt_percent is not None)))
    if once:
        d = d.unique("_avb", keep="first", maintain_order=True)
    return d.drop("_avb").with_columns(_avbojt_bp(rule).alias("bp")).filter(pl.col("bp") > 0)


def _narrow(rule: RuleCfg, v: pl.DataFrame) -> pl.DataFrame:
    """Visits the rule names: by insats, staff role and the time of day they began."""
    if rule.insatser:
        v = v.filter(pl.col("insats").is_in(rule.insatser))
    if rule.roller:
        v = v.filter(pl.col("roll").is_in(rule.roller))
    if rule.tid:
        v = v.filter(starts_inside("in_tid", daily(rule.tid)))
    return v


def _roll_key(rule: RuleCfg, ctx: Context) -> list[str]:
    return ["roll"] if "roll" in ctx.cfg.rates[rule.rate].by else []


def besok(rule: RuleCfg, ctx: Context) -> pl.DataFrame:
    """A fee per valid visit, counted once under the first insats the rule names."""
    v = _narrow(rule, ctx.visits.besok_insats.filter(pl.col("giltig"))).sort("besok_id", "insats_nr").unique(
        "besok_id", keep="first")
    keys = ["utforare_id", "brukare_id", "zon", "insats", "seg", *_roll_key(rule, ctx)]
    segs = rule_segments(rule, ctx)     # only the rule's own rate changes split its lines
    done = with_segment(with_zon(v, ctx), segs).group_by(keys).agg(
        pl.len().alias("n"), pl.col("datum").min().alias("fran"), pl.col("datum").max().alias("till"),
        *traced(ctx, pl.col("besok_id")))
    lines = [_fee_lines(done.with_columns(NO_ORDER.alias("bestallning_id")), "n")]
    # a declined visit once too, under (and at the share of) the first insats the rule names
    d = _declined(rule, ctx, once=True)
    if d.height:
        g = with_segment(with_zon(d, ctx), segs).group_by([*keys, "bp"]).agg(
            pl.len().alias("n"), pl.col("datum").min().alias("fran"), pl.col("datum").max().alias("till"),
            *traced(ctx, -pl.col("_rad")))
        g = g.with_columns(NO_ORDER.alias("bestallning_id"), _declined_label())
        lines.append(_fee_lines(g, "n", pl.col("n") * pl.col("bp"), 10_000).drop("bp"))
    return pl.concat([x.select(lines[0].columns) for x in lines])


def _declined_label() -> pl.Expr:
    pct = (pl.col("bp") / 100).cast(pl.String).str.replace(r"\.0$", "").str.replace(".", ",", literal=True)
    return pl.format("{} (avböjt {} %)", pl.col("insats"), pct).alias("insats")


def manad(rule: RuleCfg, ctx: Context) -> pl.DataFrame:
    """A monthly fee for each active matching order, in proportion to its active days (outside
    uppehåll), out of the month's days; one line per order × segment of the rule's own rate."""
    o = rule_order_lines(rule, ctx).with_columns(
        (pl.col("dagar") - pl.col("uppehall_dagar")).alias("n")).filter(pl.col("n") > 0)
    o = o.select("utforare_id", "brukare_id", "zon", "insats", "bestallning_id", pl.col("a").alias("fran"),
                 pl.col("b").alias("till"), "n")
    return _fee_lines(o, "n", den=ctx.period.days)


def start(rule: RuleCfg, ctx: Context) -> pl.DataFrame:
    """A fee once per new brukare at an utförare: the first order there is verkställd this month."""
    o = ctx.orders.filter(pl.col("verkstalld_fran").is_not_null())
    if rule.insatser:
        o = o.filter(pl.col("insats").is_in(rule.insatser))
    first = o.group_by("utforare_id", "brukare_id").agg(
        pl.max_horizontal("giltig_fran", "verkstalld_fran").min().alias("fran"))
    new = first.filter(pl.col("fran").is_between(pl.lit(ctx.period.start), pl.lit(ctx.period.end)))
    new = with_zon(new, ctx).with_columns(pl.col("fran").alias("till"), pl.lit("Uppstart").alias("insats"),
                                          NO_ORDER.alias("bestallning_id"), pl.lit(1).alias("n"))
    return _fee_lines(new, "n")


PERIOD_KEY = {
    "dag": pl.col("datum").cast(pl.String),
    "vecka": pl.col("datum").dt.iso_year().cast(pl.String) + "-V" + pl.col("datum").dt.week().cast(pl.String),
    "manad": pl.lit("månad"),
}


def schablon_registrations(rule: RuleCfg, ctx: Context) -> pl.DataFrame:
    """Every registration of a schablon insats, matched to the order valid that day, in the order
    they take the order's `antal` per period (ISO week, day or month): performed ones before
    declined ones, then by time. `betald`: within `antal` (always, when the order has none).
    Worked out once per rule and month: the basis, its findings and the carry all read it."""
    key = ("schablon", rule.name)          # rule names are unique (config check)
    if key not in ctx.memo:
        ctx.memo[key] = _registrations(rule, ctx)
    return ctx.memo[key]


def _registrations(rule: RuleCfg, ctx: Context) -> pl.DataFrame:
    minutes = {k: int(v * 60) for k, v in rule.schablon.items()}
    names = [k for k in minutes if not rule.insatser or k in rule.insatser]
    done = _narrow(rule, ctx.visits.besok_insats.filter(pl.col("giltig") & pl.col("insats").is_in(names)))
    done = done.select("besok_id", "utforare_id", "brukare_id", "insats", "datum", "in_tid", "roll").with_columns(
        pl.lit(10_000, dtype=pl.Int64).alias("bp"), pl.lit(0).alias("_kind"))
    declined = _declined(rule, ctx).filter(pl.col("insats").is_in(names)).with_columns(
        (-pl.col("_rad")).cast(pl.Int64).alias("besok_id"), pl.lit(1).alias("_kind")).select(done.columns)
    regs = match_orders(pl.concat([done, declined]), ctx, rule)
    regs = regs.join(ctx.orders.select("bestallning_id", "antal", "per", "zon"), on="bestallning_id")
    key = pl.when(pl.col("per") == "dag").then(PERIOD_KEY["dag"]).when(pl.col("per") == "vecka").then(
        PERIOD_KEY["vecka"]).otherwise(PERIOD_KEY["manad"])
    regs = regs.with_columns(key.alias("_p")).join(carried(rule, ctx), on=["bestallning_id", "_p"], how="left")
    regs = regs.with_columns(pl.col("tidigare").fill_null(0)).sort("_kind", "in_tid", "besok_id")
    rank = pl.int_range(pl.len()).over("bestallning_id", "_p") + pl.col("tidigare")
    return regs.with_columns((pl.col("antal").is_null() | (rank < pl.col("antal"))).alias("betald"))


WEEKS = {"regel": pl.String, "bestallning_id": pl.String, "vecka": pl.String, "antal": pl.Int64}


def carried(rule: RuleCfg, ctx: Context) -> pl.DataFrame:
    """bestallning_id, _p, tidigare: what the previous month paid of the rule's registrations in
    the ISO week that began there (ctx.carried, from the ledger); empty without it."""
    weeks = ctx.carried if ctx.carried is not None else pl.DataFrame(schema=WEEKS)
    return weeks.filter(pl.col("regel") == rule.name).select(
        "bestallning_id", pl.col("vecka").alias("_p"), pl.col("antal").alias("tidigare"))


def spilling_weeks(ctx: Context) -> pl.DataFrame:
    """The schablon registrations paid this month in the ISO week of its last day, when that week
    goes on into the next month, per rule and order (WEEKS): the next month's cap starts from
    them. Empty when the month ends on a Sunday."""
    end = ctx.period.end
    rules = [r for r in ctx.cfg.cfg.rules if r.basis == "schablon"]
    if end.isoweekday() == 7 or not rules:
        return pl.DataFrame(schema=WEEKS)
    week = pl.DataFrame({"datum": [end]}).select(PERIOD_KEY["vecka"]).item()     # the key the cap uses
    found = [schablon_registrations(rule, ctx).filter(
                pl.col("betald") & pl.col("antal").is_not_null() & (pl.col("per") == "vecka") & (pl.col("_p") == week)
             ).group_by("bestallning_id").agg(pl.len().cast(pl.Int64).alias("antal")).with_columns(
                pl.lit(rule.name).alias("regel"), pl.lit(week).alias("vecka")) for rule in rules]
    return pl.concat([f.select(list(WEEKS)) for f in found]).sort("regel", "bestallning_id")


def schablon(rule: RuleCfg, ctx: Context) -> pl.DataFrame:
    """Each registered insats the order names × its schablon minutes, at most `antal` times per order
    period (ISO week, day or month); declined ones after performed ones, at their share."""
    minutes = {k: int(v * 60) for k, v in rule.schablon.items()}
    paid = schablon_registrations(rule, ctx).filter(pl.col("betald"))
    paid = with_segment(paid.with_columns(pl.col("insats").replace_strict(minutes, return_dtype=pl.Int64).alias("_s")),
                        rule_segments(rule, ctx))
    g = paid.group_by("bestallning_id", "utforare_id", "brukare_id", "zon", "insats", "seg", "bp", "_s").agg(
        pl.len().alias("n"), pl.col("datum").min().alias("fran"), pl.col("datum").max().alias("till"),
        *traced(ctx, pl.col("besok_id")))
    g = g.with_columns(pl.when(pl.col("bp") < 10_000).then(_declined_label()).otherwise(pl.col("insats")).alias("insats"))
    return g.with_columns(
        ((pl.col("n") * pl.col("_s") * pl.col("bp") + 5_000) // 10_000).alias("ersatt_sek"), pl.col("n").alias("antal"),
        (pl.col("n") * pl.col("_s") * pl.col("bp")).alias("_num"), pl.lit(HOUR * 10_000, dtype=pl.Int64).alias("_den"))


PER_WORD = pl.col("per").replace_strict({"dag": "dag", "vecka": "vecka", "manad": "månad"}, default="månad",
                                        return_dtype=pl.String)


def fee_findings(ctx: Context) -> pl.DataFrame:
    """Registrations a schablon rule leaves unpaid because their order's `antal` for the period is
    used up (over-antal): each named at its tag row, so a provider sees why it was not paid."""
    found = []
    for rule in (r for r in ctx.cfg.cfg.rules if r.basis == "schablon"):
        over = schablon_registrations(rule, ctx).filter(~pl.col("betald"))
        if over.is_empty():
            continue
        performed = over.filter(pl.col("_kind") == 0).join(      # insatser stand on the visit's check-out row
            ctx.visits.besok.select("besok_id", pl.col("_fil").cast(pl.String), pl.col("ut_rad").alias("_rad")),
            on="besok_id", how="left")
        declined = over.filter(pl.col("_kind") == 1).with_columns((-pl.col("besok_id")).alias("_rad")).join(
            ctx.visits.avbojt.select("_rad", pl.col("_fil").cast(pl.String)), on="_rad", how="left")
        rows = pl.concat([performed, declined.select(performed.columns)]).sort("_kind", "in_tid", "besok_id")
        what = pl.when(pl.col("_kind") == 1).then(pl.format("'{}' (avböjt)", pl.col("insats"))).otherwise(
            pl.format("'{}'", pl.col("insats")))
        when = pl.when(pl.col("per") == "vecka").then(pl.format(" ({})", pl.col("_p"))).otherwise(pl.lit(""))
        earlier = pl.when(pl.col("tidigare") > 0).then(pl.format(", varav {} i föregående månad", pl.col("tidigare"))
                                                         ).otherwise(pl.lit(""))
        found.append(av.from_rows("over-antal", rows, pl.format(
            "{} den {} ersätts inte: beställning {} ersätter högst {} per {}{}, och så många är redan ersatta{} "
            "(regel '" + rule.name.replace("{", "(").replace("}", ")") + "').",
            what, pl.col("datum"), pl.col("bestallning_id"), pl.col("antal"), PER_WORD, when, earlier), "insatser"))
    return av.concat(found)


BASES = {"besok": besok, "manad": manad, "start": start, "schablon": schablon}
