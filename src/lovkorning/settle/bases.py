"""The bases a rule can have (contract §2). Each is a pure function of the rule and the context
returning lines (context.LINE_COLUMNS); pricing and rounding happen once, in engine.finish."""

from __future__ import annotations

import polars as pl

from ..config.schema import RuleCfg
from .beviljad import divisor, merge_segments, segments, uppehall_days
from .context import LINE_COLUMNS, Context, matches, trace_column, traced, with_segment, with_zon
from ..core.errors import ConfigError
from ..core.money import expr_div_round
from ..core.timewin import daily, intersect, overlap_seconds
from ..visits.sortkeys import packed_order

HOUR = 3600
PACKED_SORT_ROWS = 100_000      # allocate sorts larger frames by one packed integer key


def rule_segments(rule: RuleCfg, ctx: Context) -> pl.DataFrame:
    """The month cut only where the rule's own rate changes: a change in another rule's rate
    never splits this rule's lines (contract §2 Rounding: a settlement line is one order)."""
    return segments(ctx.period, ctx.cfg.rates[rule.rate].changes(ctx.period.start, ctx.period.end))


def rule_order_lines(rule: RuleCfg, ctx: Context) -> pl.DataFrame:
    """The matching order lines, one per order × segment of the rule's rate."""
    return merge_segments(ctx.order_lines.filter(matches(rule)), rule_segments(rule, ctx))


def _time_lines(df: pl.DataFrame, paid: str) -> pl.DataFrame:
    return df.with_columns(
        pl.col(paid).alias("ersatt_sek"), pl.lit(0, dtype=pl.Int64).alias("antal"),
        pl.col(paid).alias("_num"), pl.lit(HOUR, dtype=pl.Int64).alias("_den"))


def beviljad(rule: RuleCfg, ctx: Context) -> pl.DataFrame:
    """Beviljad tid LOV of matching orders, from verkstalld_fran; one line per order × segment.
    With `uppehall_percent`, a share of the uppehåll days is paid too, on lines of their own."""
    o = rule_order_lines(rule, ctx)
    lines = _time_lines(o.select("utforare_id", "brukare_id", "zon", "insats", "bestallning_id",
                                 pl.col("a").alias("fran"), pl.col("b").alias("till"), "beviljad_lov_sek"),
                        "beviljad_lov_sek")
    if not rule.uppehall_percent:
        return lines
    return pl.concat([lines.select(LINE_COLUMNS), _paid_pause(rule, o, ctx).select(LINE_COLUMNS)])


def _paid_pause(rule: RuleCfg, o: pl.DataFrame, ctx: Context) -> pl.DataFrame:
    """Solna: day 1, 2, … of an uppehåll with an orsak in the table is paid at that share. A day is
    paid at most once per order: where several uppehåll rows of the order (for all utförare or for
    its own) cover the same day, the row that began first gives the day's orsak and number (on the
    same start, the first in the file); each row counts its days from its own `fran`."""
    table = [(orsak, i + 1, int(pct * 100)) for orsak, shares in rule.uppehall_percent.items() for i, pct in enumerate(shares)]
    shares = pl.DataFrame(table, schema={"orsak": pl.String, "dag_nr": pl.Int64, "bp": pl.Int64}, orient="row")
    days = uppehall_days(ctx.uppehall, ctx.period).with_row_index("_u")     # in order of start
    hits = o.join(days.rename({"utforare_id": "u_utf"}), on="brukare_id").filter(
        pl.col("dag").is_between("a", "b") & (pl.col("u_utf").is_null() | (pl.col("u_utf") == pl.col("utforare_id"))))
    hits = hits.sort("_u").unique(["bestallning_id", "dag"], keep="first").join(shares, on=["orsak", "dag_nr"])
    g = hits.group_by("bestallning_id", "seg").agg(
        pl.col("bp").sum(), pl.col("dag").min().alias("fran"), pl.col("dag").max().alias("till"),
        pl.col("utforare_id", "brukare_id", "zon", "insats", "minuter_milli", "per").first())
    sek = expr_div_round(pl.col("minuter_milli") * 60 * pl.col("bp"), divisor(ctx.period) * 1000 * 10_000)
    g = g.with_columns(sek.alias("s"), (pl.col("insats") + " (uppehåll)").alias("insats")).filter(pl.col("s") > 0)
    return _time_lines(g, "s")


def visit_time(rule: RuleCfg, ctx: Context) -> pl.DataFrame:
    """Counted seconds of valid visits whose insats (and staff role) the rule names. With `tid`,
    only the part of each visit inside that daily window (and inside visits.window) counts.
    Each visit carries the zon of its own day (context.with_zon), so a line never spans a move;
    not with cap order, whose lines take the zon of their order line."""
    v = ctx.visits.besok_insats.filter(pl.col("giltig") & matches(rule))
    if rule.roller:
        v = v.filter(pl.col("roll").is_in(rule.roller))
    if rule.tid is not None:
        vc = ctx.cfg.cfg.visits
        secs = pl.lit(overlap_seconds(v, "eff_in", "eff_ut", "datum", intersect(daily(rule.tid), daily(vc.window))))
        secs = pl.min_horizontal(secs, pl.lit(vc.max_minutes * 60))
        share = secs // pl.col("n_insatser")
        v = v.with_columns((share + pl.when(pl.col("insats_nr") == 0).then(secs - share * pl.col("n_insatser"))
                            .otherwise(0)).cast(pl.Int64).alias("sek")).filter(pl.col("sek") > 0)
    v = with_segment(v, rule_segments(rule, ctx))
    return v if rule.cap == "order" else with_zon(v, ctx)


def overtid_seconds(ctx: Context) -> pl.DataFrame:
    """Approved excess per brukare and utförare, in whole seconds."""
    o = ctx.overtid.group_by("utforare_id", "brukare_id").agg(pl.col("minuter_milli").sum())
    return o.with_columns(((pl.col("minuter_milli") * 60 + 500) // 1000).cast(pl.Int64).alias("overtid_sek")).drop(
        "minuter_milli")


def allocate(df: pl.DataFrame, group: list[str], order: list[str], amount: str, cap: str) -> pl.DataFrame:
    """Pay `amount` in `order` until the group's `cap` is used up: adds `paid`. The rows sorted
    (by one packed integer where the keys allow: sortkeys.packed_order), then running sums
    along the whole column, each group's start subtracted (a window per group costs several
    times more over millions of rows)."""
    idx = packed_order(df, group + order) if df.height >= PACKED_SORT_ROWS else None
    df = df.sort(group + order) if idx is None else df.select(pl.all().gather(pl.lit(idx)))
    if df.get_column(amount).null_count():
        cum = pl.col(amount).cum_sum().over(group)
        paid_cum = pl.min_horizontal(cum, pl.col(cap))
        return df.with_columns((paid_cum - paid_cum.shift(1, fill_value=0).over(group)).clip(lower_bound=0).alias("paid"))
    start = pl.any_horizontal([pl.col(g).ne_missing(pl.col(g).shift(1)) for g in group]) | (pl.int_range(pl.len()) == 0)
    total = pl.col(amount).cum_sum()
    paid_cum = pl.min_horizontal(total - pl.when(start).then(total - pl.col(amount)).forward_fill(), pl.col(cap))
    before = pl.when(start).then(0).otherwise(paid_cum.shift(1))
    return df.with_columns((paid_cum - before).clip(lower_bound=0).alias("paid"))


def _counted(ctx: Context) -> list[pl.Expr]:
    """The visits a line of utförd tid sums, for lineage: those that add seconds to it."""
    return traced(ctx, pl.col("besok_id").filter(pl.col("sek") > 0))


def _utford_none(rule: RuleCfg, ctx: Context, v: pl.DataFrame) -> pl.DataFrame:
    g = v.group_by("utforare_id", "brukare_id", "zon", "insats", "seg", *_roll(rule, ctx)).agg(
        pl.col("datum").min().alias("fran"), pl.col("datum").max().alias("till"), pl.col("sek").sum(), *_counted(ctx))
    g = g.with_columns(pl.lit(None, dtype=pl.String).alias("bestallning_id"))
    return _time_lines(g, "sek")


def _roll(rule: RuleCfg, ctx: Context) -> list[str]:
    return ["roll"] if "roll" in ctx.cfg.rates[rule.rate].by else []


def _rule_orders(ctx: Context, rule: RuleCfg) -> pl.DataFrame:
    """The orders the rule matches, from verkstalld_fran: bestallning_id, utforare_id, brukare_id,
    insats, o_fran, o_till."""
    return ctx.orders.filter(matches(rule) & pl.col("verkstalld_fran").is_not_null()).select(
        "bestallning_id", "utforare_id", "brukare_id", "insats",
        pl.max_horizontal("giltig_fran", "verkstalld_fran").alias("o_fran"), pl.col("giltig_till").alias("o_till"))


def valid_orders(v: pl.DataFrame, ctx: Context, rule: RuleCfg) -> pl.DataFrame:
    """Each visit × insats with every order of its utförare, brukare and insats valid that day
    (from verkstalld_fran): adds bestallning_id, o_fran, o_till."""
    return v.join(_rule_orders(ctx, rule), on=["utforare_id", "brukare_id", "insats"]).filter(
        (pl.col("datum") >= pl.col("o_fran")) & (pl.col("o_till").is_null() | (pl.col("datum") <= pl.col("o_till"))))


def match_orders(v: pl.DataFrame, ctx: Context, rule: RuleCfg) -> pl.DataFrame:
    """Each visit × insats to the order line valid that day (the lowest bestallning_id if several)."""
    return valid_orders(v, ctx, rule).sort("bestallning_id").unique(
        ["besok_id", "insats"], keep="first", maintain_order=True)


def charge_orders(v: pl.DataFrame, ctx: Context, rule: RuleCfg, lov: pl.DataFrame) -> pl.DataFrame:
    """For cap order: each visit's seconds charged to the orders valid on its day, so that orders
    for one insats valid together share their beviljad tid. The orders of an utförare × brukare ×
    insats take turns — the one whose giltig_till comes first (open-ended last), then the lowest
    bestallning_id; each takes the earliest uncharged visit seconds of its valid days (by datum,
    besok_id) up to its beviljad tid LOV for the month (`lov`: bestallning_id, lov), a visit
    spilling into the next order where one is used up. Seconds above every order valid on the
    visit's day stay on the last of them (unpaid unless overtid raises its cap).
    Returns besok_id, insats, seg, bestallning_id, sek; one pass per turn, columnar: what is left
    of each visit × insats is a column by row of `v` (`_vi`), read and updated by row number."""
    turn = _rule_orders(ctx, rule).sort("o_till", "bestallning_id", nulls_last=True).select(
        "bestallning_id", pl.int_range(pl.len()).over("utforare_id", "brukare_id", "insats").alias("_k"))
    narrow = v.select(pl.int_range(pl.len(), dtype=pl.UInt32).alias("_vi"), "besok_id", "insats", "seg", "datum",
                      "utforare_id", "brukare_id")
    pairs = valid_orders(narrow, ctx, rule).select("_vi", "besok_id", "insats", "seg", "datum", "bestallning_id").join(
        turn, on="bestallning_id").join(lov.select("bestallning_id", pl.col("lov").alias("_cap")), on="bestallning_id",
                                        how="left").with_columns(pl.col("_cap").fill_null(0))
    rest = v.get_column("sek")
    last_turn = pl.repeat(-1, v.height, dtype=pl.Int64, eager=True)
    out = []
    for k in range(int(pairs["_k"].max()) + 1 if pairs.height else 0):
        c = pairs.filter(pl.col("_k") == k)
        last_turn = last_turn.scatter(c["_vi"], k)
        c = c.with_columns(rest.gather(c["_vi"]).alias("_rest")).filter(pl.col("_rest") > 0)
        c = allocate(c, ["bestallning_id"], ["datum", "besok_id"], "_rest", "_cap").filter(pl.col("paid") > 0)
        out.append(c.select("besok_id", "insats", "seg", "bestallning_id", pl.col("paid").alias("sek")))
        rest = rest.scatter(c["_vi"], c["_rest"] - c["paid"])
    last = pairs.filter(pl.col("_k") == pl.lit(last_turn).gather(pl.col("_vi"))).with_columns(
        pl.lit(rest).gather(pl.col("_vi")).alias("sek")).filter(pl.col("sek") > 0)
    out.append(last.select("besok_id", "insats", "seg", "bestallning_id", "sek"))
    return pl.concat(out)


def _utford_order(rule: RuleCfg, ctx: Context, v: pl.DataFrame) -> pl.DataFrame:
    lines = rule_order_lines(rule, ctx)
    lov = lines.group_by("bestallning_id").agg(pl.col("beviljad_lov_sek").sum().alias("lov"))
    used = charge_orders(v, ctx, rule, lov).group_by("bestallning_id", "seg").agg(
        pl.col("sek").sum().alias("utford"), *traced(ctx, pl.col("besok_id").unique()))
    lines = lines.join(used, on=["bestallning_id", "seg"], how="left").with_columns(
        pl.col("utford").fill_null(0))
    per_order = lines.group_by("bestallning_id", "utforare_id", "brukare_id").agg(
        pl.col("utford").sum().alias("u"), pl.col("beviljad_lov_sek").sum().alias("lov"))
    per_order = per_order.with_columns((pl.col("u") - pl.col("lov")).clip(lower_bound=0).alias("excess"))
    per_order = per_order.join(overtid_seconds(ctx), on=["utforare_id", "brukare_id"], how="left").with_columns(
        pl.col("overtid_sek").fill_null(0))
    extra = allocate(per_order, ["utforare_id", "brukare_id"], ["bestallning_id"], "excess", "overtid_sek")
    caps = extra.select("bestallning_id", (pl.col("lov") + pl.col("paid")).alias("cap"))
    paid = allocate(lines.join(caps, on="bestallning_id"), ["bestallning_id"], ["seg"], "utford", "cap")
    paid = paid.filter(pl.col("paid") > 0).select(
        "utforare_id", "brukare_id", "zon", "insats", "bestallning_id", pl.col("a").alias("fran"),
        pl.col("b").alias("till"), "paid", *trace_column(ctx))
    return _time_lines(paid, "paid")


def _utford_brukare(rule: RuleCfg, ctx: Context, v: pl.DataFrame) -> pl.DataFrame:
    v = v.join(match_orders(v, ctx, rule).select("besok_id", "insats"), on=["besok_id", "insats"], how="semi")
    g = v.group_by("utforare_id", "brukare_id", "zon", "insats", "seg", *_roll(rule, ctx)).agg(
        pl.col("datum").min().alias("fran"), pl.col("datum").max().alias("till"), pl.col("sek").sum(), *_counted(ctx))
    lov = ctx.order_lines.filter(matches(rule)).group_by("utforare_id", "brukare_id").agg(
        pl.col("beviljad_lov_sek").sum().alias("lov"))
    caps = lov.join(overtid_seconds(ctx), on=["utforare_id", "brukare_id"], how="full", coalesce=True).select(
        "utforare_id", "brukare_id", (pl.col("lov").fill_null(0) + pl.col("overtid_sek").fill_null(0)).alias("cap"))
    g = g.join(caps, on=["utforare_id", "brukare_id"], how="left").with_columns(pl.col("cap").fill_null(0))
    # in time order: a brukare who moves has a line per zon inside a segment, the earlier paid first
    paid = allocate(g, ["utforare_id", "brukare_id"], ["seg", "fran", "insats", *_roll(rule, ctx)], "sek", "cap")
    paid = paid.filter(pl.col("paid") > 0).with_columns(pl.lit(None, dtype=pl.String).alias("bestallning_id"))
    return _time_lines(paid, "paid")


def utford(rule: RuleCfg, ctx: Context) -> pl.DataFrame:
    """Utförd tid of valid visits; capped at beviljad per order or per brukare unless cap none,
    and at a share of other insatser's utförd tid with `max_andel`. With cap order, orders for
    one insats valid on the same day share their beviljad tid (charge_orders)."""
    v = visit_time(rule, ctx)
    lines = {"none": _utford_none, "order": _utford_order, "brukare": _utford_brukare}[rule.cap](rule, ctx, v)
    return _max_share(rule, ctx, lines) if rule.max_andel else lines


def _max_share(rule: RuleCfg, ctx: Context, lines: pl.DataFrame) -> pl.DataFrame:
    """Per utförare: at most percent × the utförd time of the `av` insatser (survey: HSL ≤ 17 %)."""
    base = ctx.visits.besok_insats.filter(pl.col("giltig") & pl.col("insats").is_in(rule.max_andel.av))
    bp = int(rule.max_andel.percent * 100)
    caps = base.group_by("utforare_id").agg(pl.col("sek").sum()).with_columns(
        expr_div_round(pl.col("sek") * bp, 10_000).alias("cap")).drop("sek")
    g = lines.join(caps, on="utforare_id", how="left").with_columns(pl.col("cap").fill_null(0))
    paid = allocate(g, ["utforare_id"], ["fran", "brukare_id", "insats"], "ersatt_sek", "cap")
    return _time_lines(paid.drop("ersatt_sek", "antal", "_num", "_den").filter(pl.col("paid") > 0), "paid")


def plan_status(plans: pl.DataFrame, ctx: Context) -> pl.DataFrame:
    """Each approved plan with `status`: ersatt (paid now), redan (not the first), tidigare/senare
    (the first falls in another month), utan-bestallning (no order at the utförare this month)."""
    p = plans.sort("godkand", "_rad").with_columns((pl.int_range(pl.len()).over("brukare_id", "utforare_id") == 0).alias("forsta"))
    active = ctx.order_lines.select("utforare_id", "brukare_id").unique().with_columns(pl.lit(True).alias("aktiv"))
    p = p.join(active, on=["utforare_id", "brukare_id"], how="left").with_columns(pl.col("aktiv").fill_null(False))
    period = ctx.period
    status = (pl.when(~pl.col("forsta")).then(pl.lit("redan"))
              .when(pl.col("godkand") < period.start).then(pl.lit("tidigare"))
              .when(pl.col("godkand") > period.end).then(pl.lit("senare"))
              .when(~pl.col("aktiv")).then(pl.lit("utan-bestallning"))
              .otherwise(pl.lit("ersatt")))
    return p.with_columns(status.alias("status"))


def genomforandeplan(rule: RuleCfg, ctx: Context) -> pl.DataFrame:
    """`hours` × rate once per brukare and utförare, for the first approved plan."""
    seconds = rule.hours * HOUR
    if seconds != int(seconds):
        raise ConfigError(f"Regeln '{rule.name}': 'hours' måste motsvara hela sekunder.")
    p = plan_status(ctx.plans, ctx).filter(pl.col("status") == "ersatt")
    p = with_zon(p.select("utforare_id", "brukare_id", "godkand"), ctx).select(
        "utforare_id", "brukare_id", "zon", pl.lit("Genomförandeplan").alias("insats"),
        pl.lit(None, dtype=pl.String).alias("bestallning_id"), pl.col("godkand").alias("fran"),
        pl.col("godkand").alias("till"), pl.lit(int(seconds), dtype=pl.Int64).alias("s"))
    return _time_lines(p, "s")


BASES = {"beviljad": beviljad, "utford": utford, "genomforandeplan": genomforandeplan}
