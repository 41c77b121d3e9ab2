"""Findings that need the orders and the model: what a visit or an order line means for pay.

- besok-utan-bestallning: a counted visit at a brukare with no order at that utförare in force and
  verkställd this month; the message says why (why_no_order), as do zon-saknas and
  genomforandeplan-utan-bestallning.
- insats-ej-i-bestallning: the brukare has orders there, but none for this insats that day.
- insats-ej-i-lov / bestallning-ej-i-lov: the insats is matched only by `basis: none` rules.
- insats-utan-regel / bestallning-utan-regel: no rule names the insats (never silently dropped).
- besok-under-uppehall: a counted visit on a day of the brukare's uppehåll.
Insatser paid without an order (`utford` with `cap: none`, `besok`) are not expected in orders.

Visits are many (millions of rows) and findings few: the checks run on narrow integer codes of
the visits' keys, and a finding's source and message are made only for the rows it reports.
"""

from __future__ import annotations

import polars as pl

from ..core import avvikelser as av
from ..config.insatser import insats_classes
from .beviljad import uppehall_days
from .bases import plan_status
from .context import Context, with_zon


def visit_findings(ctx: Context) -> pl.DataFrame:
    paid, unpaid, orderless, catch_all = insats_classes(ctx.cfg.cfg)
    vi = ctx.visits.besok_insats.lazy().filter(pl.col("giltig")).select(
        "besok_id", "utforare_id", "brukare_id", "insats", "datum").collect()
    vi = vi.with_columns(*_order_status(vi, ctx))
    # the insats's class, once per row (null where the insats is null)
    vi = vi.with_columns(pl.col("insats").is_in(sorted(orderless)).alias("_fri"),
                         pl.col("insats").is_in(sorted(unpaid)).alias("_ej_lov"),
                         pl.col("insats").is_in(sorted(paid | unpaid)).alias("_kand"))
    har, needs_order, not_lov = pl.col("_har"), ~pl.col("_fri"), pl.col("_ej_lov")
    cases = {
        "besok-utan-bestallning": ~har & needs_order,
        "zon-saknas": ~har & ~needs_order,
        "insats-ej-i-bestallning": har & needs_order & ~not_lov & ~pl.col("_bestalld"),
        "insats-ej-i-lov": not_lov,
        "insats-utan-regel": ~pl.col("_kand") & ~pl.lit(catch_all),
    }
    # the few rows any case reports (a case holds where its condition is true, not null)
    hit = vi.with_columns(c.alias(k) for k, c in cases.items()).filter(
        pl.any_horizontal(pl.col(list(cases)).fill_null(False)))
    hit = _with_source(ctx, hit)
    rows = {k: hit.filter(pl.col(k)) for k in cases}
    for k in ("besok-utan-bestallning", "zon-saknas"):
        rows[k] = why_no_order(rows[k].unique("besok_id", keep="first", maintain_order=True), ctx)
    zon = with_zon(rows["zon-saknas"], ctx, "datum")
    return av.concat([
        av.from_rows("besok-utan-bestallning", rows["besok-utan-bestallning"], pl.format("{}.", pl.col("_varfor"))),
        av.from_rows("zon-saknas", zon, pl.when(pl.col("_ingen")).then(pl.format(
            "{}; zonen '{}' används för besöket.", pl.col("_varfor"), pl.col("zon"))).otherwise(pl.format(
            "{}; zonen '{}' från beställningen används för besöket.", pl.col("_varfor"), pl.col("zon")))),
        av.from_rows("insats-ej-i-bestallning", _insats_not_ordered(rows["insats-ej-i-bestallning"], ctx),
                     pl.col("_varfor")),
        av.from_rows("insats-ej-i-lov", rows["insats-ej-i-lov"], pl.format(
            "Insatsen '{}' ersätts inte enligt modellen (ingår ej i LOV).", pl.col("insats"))),
        av.from_rows("insats-utan-regel", rows["insats-utan-regel"], pl.format(
            "Insatsen '{}' omfattas inte av någon ersättningsregel och ersätts inte.", pl.col("insats"))),
        _during_pause(ctx),
    ])


def why_no_order(rows: pl.DataFrame, ctx: Context) -> pl.DataFrame:
    """`rows` (utforare_id, brukare_id) with `_varfor`, why the brukare has no order at the
    utförare that is in force and verkställd this month (ctx.order_lines), as the start of a
    Swedish sentence, and `_ingen`, true where the brukare has no order there at all. Among orders
    in force in the month (none verkställd in it), the earliest verkställighetsdatum, else that
    none has one; without such orders, the last day of the latest earlier order and the first day
    of the next later one."""
    p = ctx.period
    in_month = (pl.col("giltig_fran") <= p.end) & (pl.col("giltig_till").is_null() | (pl.col("giltig_till") >= p.start))
    per = ctx.orders.group_by("utforare_id", "brukare_id").agg(
        in_month.any().alias("_i_manaden"),
        pl.col("verkstalld_fran").filter(in_month).min().alias("_verkstalls"),
        pl.col("giltig_till").filter(pl.col("giltig_till") < p.start).max().alias("_till"),
        pl.col("giltig_fran").filter(pl.col("giltig_fran") > p.end).min().alias("_fran"))
    order = "Brukarens beställning hos utföraren"
    why = (pl.when(pl.col("_i_manaden").is_null()).then(pl.lit("Brukaren har ingen beställning hos utföraren"))
           .when(pl.col("_i_manaden") & pl.col("_verkstalls").is_not_null()).then(
               pl.format(order + " verkställs först {}", pl.col("_verkstalls")))
           .when(pl.col("_i_manaden")).then(pl.lit(order + " är inte verkställd (verkställighetsdatum saknas)"))
           .when(pl.col("_till").is_not_null() & pl.col("_fran").is_not_null()).then(pl.format(
               order + " gällde till och med {}, nästa gäller från {}", pl.col("_till"), pl.col("_fran")))
           .when(pl.col("_till").is_not_null()).then(pl.format(order + " gällde till och med {}", pl.col("_till")))
           .otherwise(pl.format(order + " gäller först från {}", pl.col("_fran"))))
    pair = ["utforare_id", "brukare_id"]
    keyed = rows.with_columns(pl.col(pair).cast(pl.String))
    return keyed.join(per, on=pair, how="left", maintain_order="left").with_columns(
        why.alias("_varfor"), pl.col("_i_manaden").is_null().alias("_ingen"))


def _insats_not_ordered(rows: pl.DataFrame, ctx: Context) -> pl.DataFrame:
    """`rows` (visits × insats) with `_varfor`: the insats is not in the brukare's order that day;
    where the brukare has an order of it at the utförare, on which days that order is in force."""
    keys = ["utforare_id", "brukare_id", "insats"]
    per = ctx.orders.group_by(keys).agg(
        pl.col("giltig_fran").min().alias("_fran"),
        pl.when(pl.col("giltig_till").is_null().any()).then(None).otherwise(pl.col("giltig_till").max()).alias("_till"))
    r = rows.with_columns(pl.col(keys).cast(pl.String)).join(per, on=keys, how="left", maintain_order="left")
    head = pl.format("Insatsen '{}' finns inte i brukarens beställning den {}", pl.col("insats"), pl.col("datum"))
    return r.with_columns(
        pl.when(pl.col("datum") < pl.col("_fran")).then(pl.format("{}: beställningen av insatsen gäller från {}.", head,
                                                                  pl.col("_fran")))
        .when(pl.col("datum") > pl.col("_till")).then(pl.format("{}: beställningen av insatsen gällde till och med {}.",
                                                                head, pl.col("_till")))
        .otherwise(pl.format("{}.", head)).alias("_varfor"))


def _with_source(ctx: Context, rows: pl.DataFrame) -> pl.DataFrame:
    """`rows` with its visits' source (`_fil`, `_rad` = the check-in row), in the same order."""
    src = ctx.visits.besok.lazy().filter(pl.col("besok_id").is_in(rows["besok_id"].unique().implode())).select(
        "besok_id", "_fil", pl.col("in_rad").alias("_rad")).collect()
    return rows.join(src, on="besok_id", how="left", maintain_order="left")


def _numbers(values: pl.Series) -> tuple[pl.DataType, int]:
    """An Enum of the distinct values (null has none) and how many there are: casting a column
    to it numbers each value 0, 1, … and gives null for a value not among them."""
    cats = values.drop_nulls().unique().sort()
    return pl.Enum(cats), max(cats.len(), 1)


def _order_status(vi: pl.DataFrame, ctx: Context) -> tuple[pl.Series, pl.Series]:
    """Two flags per row of `vi`, never null: har — the brukare has an order line at the
    utförare this month; bestalld — an order of the utförare for the brukare and the insats is
    valid on the visit's day. Null keys match nothing. Each string key is looked up once per row;
    the rest is integer arithmetic on key numbers."""
    o, lines = ctx.orders, ctx.order_lines
    nums = {"utforare_id": _numbers(pl.concat([o["utforare_id"], lines["utforare_id"]])),
            "brukare_id": _numbers(pl.concat([o["brukare_id"], lines["brukare_id"]])),
            "insats": _numbers(o["insats"])}
    n_u, n_i = nums["utforare_id"][1], nums["insats"][1]

    def keys(df: pl.DataFrame, **days: str) -> pl.DataFrame:
        """_pair (utförare, brukare) and _key (pair, insats) numbers, null where a part has none;
        and the date columns `days` as day numbers."""
        num = df.select(*(pl.col(c).cast(e, strict=False).to_physical().cast(pl.Int64) for c, (e, _) in nums.items()),
                        *(pl.col(c).to_physical().cast(pl.Int64).alias(name) for name, c in days.items()))
        pair = pl.col("brukare_id") * n_u + pl.col("utforare_id")
        return num.select(pair.alias("_pair"), (pair * n_i + pl.col("insats")).alias("_key"), *days)

    v = keys(vi, _dag="datum")
    har = v["_pair"].is_in(keys(lines)["_pair"].drop_nulls().unique().implode()).fill_null(False).alias("_har")
    first, last = v["_dag"].min(), v["_dag"].max()
    if first is None:
        return har, pl.repeat(False, vi.height, eager=True).alias("_bestalld")
    # orders by key, each cut to first…last: giltig_fran <= dag <= giltig_till (null: open)
    ok = keys(o, _a="giltig_fran", _b="giltig_till")
    ok = ok.filter(pl.col("_key").is_not_null() & pl.col("_a").is_not_null()).select(
        "_key", pl.max_horizontal("_a", pl.lit(first)).alias("_a"),
        pl.min_horizontal(pl.col("_b").fill_null(last), pl.lit(last)).alias("_b"),
    ).filter(pl.col("_a") <= pl.col("_b"))
    # a key one order covers on every day of first…last; the other keys day by day
    full = ok.filter((pl.col("_a") == first) & (pl.col("_b") == last))["_key"].unique()
    span = last - first + 1
    part = ok.filter(~pl.col("_key").is_in(full.implode())).select(
        (pl.col("_key") * span + pl.int_ranges(pl.col("_a") - first, pl.col("_b") - first + 1)).explode().alias("_c"))
    on_day = pl.col("_key").is_in(full.implode()) | (pl.col("_key") * span + pl.col("_dag") - first).is_in(
        part["_c"].unique().implode())
    bestalld = v.select((pl.col("_dag").is_not_null() & on_day).fill_null(False).alias("_bestalld"))["_bestalld"]
    return har, bestalld


def _during_pause(ctx: Context) -> pl.DataFrame:
    """Counted visits on a day of the brukare's uppehåll (an uppehåll for all utförare or for the
    visit's); the message names the first such uppehåll's orsak."""
    pause = uppehall_days(ctx.uppehall, ctx.period).rename({"utforare_id": "u_utf", "dag": "datum"}).with_row_index("_p")
    v = ctx.visits.besok.lazy().filter(
        pl.col("giltig") & pl.col("brukare_id").is_in(pause["brukare_id"].unique().drop_nulls().implode())).select(
        "besok_id", "utforare_id", "brukare_id", "datum", "_fil", pl.col("in_rad").alias("_rad")).collect()
    hit = v.join(pause, on=["brukare_id", "datum"]).filter(
        pl.col("u_utf").is_null() | (pl.col("u_utf") == pl.col("utforare_id")))
    hit = hit.sort("_p").unique("besok_id", keep="first", maintain_order=True).sort("_rad")
    return av.from_rows("besok-under-uppehall", hit, pl.format(
        "Besök den {} under brukarens uppehåll ({}).", pl.col("datum"), pl.col("orsak").fill_null("orsak saknas")))


def order_rule_findings(ctx: Context) -> pl.DataFrame:
    paid, unpaid, _, _ = insats_classes(ctx.cfg.cfg)
    active = ctx.orders.join(ctx.order_lines.select("bestallning_id").unique(), on="bestallning_id", how="semi")
    return av.concat([
        av.from_rows("bestallning-ej-i-lov", active.filter(pl.col("insats").is_in(sorted(unpaid))), pl.format(
            "Insatsen '{}' ersätts inte enligt modellen (ingår ej i LOV).", pl.col("insats")), "insats"),
        av.from_rows("bestallning-utan-regel", active.filter(~pl.col("insats").is_in(sorted(paid | unpaid))), pl.format(
            "Insatsen '{}' omfattas inte av någon ersättningsregel och ersätts inte.", pl.col("insats")), "insats"),
    ])


def plan_findings(ctx: Context) -> pl.DataFrame:
    if not any(r.basis == "genomforandeplan" for r in ctx.cfg.cfg.rules):
        return av.empty()
    p = plan_status(ctx.plans, ctx)
    return av.concat([
        av.from_rows("genomforandeplan-redan-ersatt", p.filter(pl.col("status") == "redan"),
                     "En tidigare genomförandeplan för brukaren hos utföraren finns; bara den första ersätts.", "godkand"),
        av.from_rows("utanfor-perioden", p.filter(pl.col("status").is_in(["tidigare", "senare"])),
                     "Genomförandeplanen godkändes utanför månaden och ersätts inte nu.", "godkand"),
        av.from_rows("genomforandeplan-utan-bestallning", why_no_order(p.filter(pl.col("status") == "utan-bestallning"), ctx),
                     pl.format("{}; planen ersätts inte.", pl.col("_varfor")), "godkand"),
    ])
