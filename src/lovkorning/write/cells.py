"""What the sheets show, as polars expressions and labels: hours, kronor, shares, masked
personnummer, Swedish sort keys; the headers and totals the read-back looks for; the config facts
the writers need (Options).
"""

from __future__ import annotations


from dataclasses import dataclass

import polars as pl

from ..core import money
from ..settle.result import RunInfo
from ..core.schedule import execution_date, lb_payment_date_field


def cells(df: pl.DataFrame, exprs: list[pl.Expr | str]) -> pl.DataFrame:
    """The cells of a table in column order (columns named by position, so they may repeat)."""
    return df.select([(pl.col(e) if isinstance(e, str) else e).alias(f"c{i}")
                      for i, e in enumerate(exprs)])


def hours(expr: pl.Expr) -> pl.Expr:
    """Seconds to decimal hours with two decimals (money.hours_value on a column)."""
    return (money.expr_div_round(expr * 100, 3600) / 100).round(2)


def table_hours(expr: pl.Expr, over: str | None = None) -> pl.Expr:
    """Seconds to hours with two decimals for the rows of a table with a Totalt row, so that the
    rows add up to the Totalt (hours() of the column's sum, rounded once): each row gets its
    hundredths rounded down, and the hundredths left over go to the rows with the largest
    remainders (the earlier row on a tie). A row differs from its own rounding by less than
    0,01 h. Evaluated over the whole frame the rows are selected from, or with `over` over each
    group of rows with the same value of that column (one table per group); null stays null."""
    def per_table(e: pl.Expr) -> pl.Expr:
        return e.over(over) if over else e
    num = expr.cast(pl.Int64) * 100
    down = num // 3600
    extra = money.expr_div_round(per_table(num.sum()), 3600) - per_table(down.sum())
    bump = (per_table((-(num % 3600)).rank("ordinal")) <= extra).cast(pl.Int64)
    return pl.when(expr.is_not_null()).then(((down + bump) / 100).round(2))


def total_hours(df: pl.DataFrame, name: str) -> float:
    """The Totalt cell of an hours column: its sum in seconds, rounded once."""
    return money.hours_value(int(df[name].fill_null(0).sum()))


def kronor(expr: pl.Expr) -> pl.Expr:
    # polars may divide by multiplying with 0.01; round(2) snaps to the float nearest the exact value
    return (expr / 100).round(2)


def nonzero(name: str) -> pl.Expr:
    """The column, with 0 as null: an empty cell where the source has nothing."""
    return pl.when(pl.col(name) != 0).then(pl.col(name))


def per_visit_hours() -> pl.Expr:
    """utford_sek / antal_besok in hours, two decimals; null without visits."""
    den = pl.when(pl.col("antal_besok") > 0).then(pl.col("antal_besok") * 3600)
    return (money.expr_div_round(pl.col("utford_sek") * 100, den) / 100).round(2)


def share(num: str, den: str) -> pl.Expr:
    return pl.when(pl.col(den) > 0).then(pl.col(num).fill_null(0) / pl.col(den))


def personnummer(name: str) -> pl.Expr:
    """12 digits as YYYYMMDD-NNNN; anything else as it is."""
    c = pl.col(name)
    return pl.when(c.str.len_chars() == 12).then(c.str.slice(0, 8) + "-" + c.str.slice(8)).otherwise(c)


def sv_key(name: str) -> pl.Expr:
    """A sort key in Swedish alphabetical order (… z, å, ä, ö), case-insensitive."""
    c = pl.col(name).str.to_lowercase()
    for src, dst in (("å", "{"), ("ä", "|"), ("ö", "}"), ("é", "e"), ("ü", "y")):
        c = c.str.replace_all(src, dst, literal=True)
    return c


def format_bankgiro(bankgiro: str | None, regi: str) -> str:
    if regi == "egen" or not bankgiro:
        return "—"
    return f"{bankgiro[:-4]}-{bankgiro[-4:]}"


def format_orgnr(orgnr: str | None) -> str:
    if not orgnr:
        return "—"
    return f"{orgnr[:6]}-{orgnr[6:]}" if len(orgnr) == 10 and orgnr.isdigit() else orgnr


REGI = {"privat": "Privat", "egen": "Egen regi"}

# the label of an utförare's total on Sammanfattning (readback finds the total by it)
TOTAL_LABEL = "Att betala"
TOTAL_LABEL_EGEN = "Ersättning (ingen utbetalning)"     # egen regi: settled, never paid
TOTAL_LABELS = (TOTAL_LABEL, TOTAL_LABEL_EGEN)
# the sammanställning's column of what the payment file holds (readback finds it by its header)
PAID_HEADER = "Utbetalas (kr)"
PAID_HEADER_PRELIMINARY = "Preliminärt, utbetalas ej (kr)"   # a PRELIMINÄR run writes no payment file
PAID_HEADER_CORRECTION = "Utbetalas för månaden (kr)"        # a RÄTTELSE: the month's whole amount …
CORRECTION_HEADER = "Betalas nu i rättelsen (kr)"            # … and what this correction pays (+) or claims (−)
PAID_HEADERS = (PAID_HEADER, PAID_HEADER_PRELIMINARY, PAID_HEADER_CORRECTION)


@dataclass(frozen=True)
class Options:
    """What the writers need from the config beyond the Avrakning: the insatser outside LOV
    (named only by `basis: none` rules, as config.insatser.insats_classes finds them) and the payment
    file's format, which decides how the payment day is shown."""
    utanfor_lov: frozenset[str] = frozenset()
    payment_format: str = "bankgirot-lb"

    @classmethod
    def of(cls, cfg) -> "Options":
        from ..config.insatser import insats_classes  # lazy: startup (a workbook process needs no config)
        _, unpaid, _, _ = insats_classes(cfg.cfg)
        return cls(frozenset(unpaid), cfg.cfg.payment_format)


def lov_only(tid: pl.DataFrame, opts: Options) -> pl.DataFrame:
    """The time rows of insatser within LOV: the Timunderlag LOV and every LOV total leave out
    insatser outside LOV, as the follow-up (history.figures) does."""
    from ..config.insatser import within_lov  # lazy: startup (a workbook process needs no config)
    return within_lov(tid, opts.utanfor_lov)


def outside_lov(tid: pl.DataFrame, opts: Options) -> pl.DataFrame:
    if not opts.utanfor_lov:
        return tid.clear()
    return tid.filter(pl.col("insats").is_in(sorted(opts.utanfor_lov)).fill_null(False))


def payment_day_pairs(run: RunInfo, opts: Options) -> list[tuple[str, object]]:
    """The payment day as the payment file gives it: the scheduled day, or for a file made too
    late for it, "GENAST" (Bankgirot LB) or the requested execution date (pain.001)."""
    planned = run.betalningsdag
    if opts.payment_format == "pain.001":
        when = execution_date(planned, run.filedatum)
        return [("Betalningsdag", when)] + ([("Planerad betalningsdag", planned)] if when != planned else [])
    if lb_payment_date_field(planned, run.filedatum) == "GENAST":
        return [("Betalningsdag", f"Omgående (GENAST), planerad {planned.isoformat()}")]
    return [("Betalningsdag", planned)]
