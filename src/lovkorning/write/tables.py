"""The tables of every utförare's workbook, worked out for all utförare at once.

A workbook shows a handful of small tables: Timunderlag, Per brukare, Rader, Utanför LOV, the
amounts per regel on Sammanfattning, and Avvikelser. Worked out workbook by workbook they were
some 36 small polars queries each, about a third of a workbook's time (measured at Stockholm,
120 workbooks). Here each table is one query over the whole month, sorted by utförare first and
with its windows per utförare (`table_hours(…, over=…)`), then cut per utförare once: the
workbook processes only write cells. The cells are what the sheets show (hours, kronor, masked
personnummer); settlement computed the money, nothing here changes it.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from ..core import money
from .cells import (Options, hours, kronor, lov_only, nonzero, outside_lov, per_visit_hours, personnummer,
                    share, sv_key, table_hours)
from .avvikelselista import AVVIKELSER_I_BLADET, code_counts, count_rows

U = "utforare_id"
# besok_forsta (result.TID_SCHEMA): the visits counted under their first insats only, so that a
# total row counts a visit with several insatser once; rows per insats show antal_besok.
TID_SUMS = ["beviljad_sek", "uppehall_sek", "beviljad_lov_sek", "utford_sek", "antal_besok", "besok_forsta"]
SUMMED = TID_SUMS + ["utford_mot_sek", "ersatt_sek", "belopp_ore"]
# andel utförd = utförd tid on insatser with beviljad tid / beviljad tid LOV, as settle.time_sums
# (utford_mot_sek) defines it for the deduction and the follow-up: a row per utförare × brukare ×
# insats counts its utförd tid in the numerator only when it has beviljad tid LOV
UTFORD_MOT = pl.col("utford_sek").filter(pl.col("beviljad_lov_sek") > 0).sum().alias("utford_mot_sek")
NO_BRUKARE = "Utan brukare"


@dataclass(frozen=True)
class Table:
    """A table's cells (columns c0, c1 … in column order) and its Totalt row (None: none)."""
    rows: pl.DataFrame
    total: tuple | None = None


@dataclass(frozen=True)
class Tables:
    """One utförare's tables, ready to write."""
    timunderlag: Table
    per_brukare: Table
    rader: Table
    amounts: list[tuple[str, int | None, int | None, int]]   # (post, underlag öre, procent bp, belopp öre)
    utanfor_lov: Table | None          # None: no time outside LOV, no sheet
    avvikelser: Table                  # the rows, or the count per code (avvikelser_listed)
    avvikelser_listed: bool
    antal_avvikelser: int


def all_tables(ids: list[str], tid: pl.DataFrame, rader: pl.DataFrame, justeringar: pl.DataFrame,
               avvikelser: pl.DataFrame, opts: Options) -> dict[str, Tables]:
    """{utforare_id: Tables} for each of `ids` (an utförare without rows gets empty tables and
    zero totals), from the month's result frames (result.Avrakning)."""
    lov = lov_only(tid, opts)
    tim, per, rad = _timunderlag(lov, rader), _per_brukare(lov, rader), _rader(rader)
    amounts, outside, avv = _amounts(rader, justeringar), _utanfor_lov(outside_lov(tid, opts)), _avvikelser(avvikelser)
    return {u: Tables(tim.get(u, tim[None]), per.get(u, per[None]), rad.get(u, rad[None]), amounts.get(u, []),
                      outside.get(u), *avv.get(u, avv[None])) for u in ids}


def _cut(rows: pl.DataFrame, totals: dict[str, tuple] | None = None, empty_total: tuple | None = None) -> dict:
    """Rows (with utforare_id, sorted by it first) as one Table per utförare, in their order; the
    key None holds the Table of an utförare without rows. `totals` are worked out from the same
    rows, so every utförare with a total has rows. Each utförare's table is checked to hold only
    its own rows before its utforare_id is dropped: a workbook never shows another's brukare."""
    out: dict = {None: Table(rows.clear().drop(U), empty_total)}
    if not rows.is_empty():
        for (u,), part in rows.partition_by(U, as_dict=True, maintain_order=True).items():
            if u is not None:
                if not (part[U] == u).all():
                    raise ValueError(f"Avräkningen för utförare {u} innehåller en annan utförares rader.")
                out[u] = Table(part.drop(U), (totals or {}).get(u, empty_total))
    return out


def _by(exprs: list) -> list:
    return [pl.col(U), *((pl.col(e) if isinstance(e, str) else e).alias(f"c{i}") for i, e in enumerate(exprs))]


def _total_rows(sums: pl.DataFrame, exprs: list) -> tuple[dict[str, tuple], tuple]:
    """The Totalt row per utförare from its sums (one row per utförare), and that of no rows."""
    rows = {r[0]: r[1:] for r in sums.select(_by(exprs)).iter_rows()}
    empty = sums.clear().drop(U).select(pl.all().sum()).select(_by(exprs)[1:]).row(0)
    return rows, empty


# ---------------------------------------------------------------- Timunderlag and Per brukare


def _joined(tid: pl.DataFrame, rader: pl.DataFrame, keys: list[str]) -> pl.DataFrame:
    """Time per key (from tid) next to paid time and amount per key (from the lines)."""
    t = tid.group_by(keys).agg(pl.col(TID_SUMS).sum(), UTFORD_MOT)
    lines = rader.group_by(keys).agg(
        pl.col("ersatt_sek").sum(),
        (pl.col("belopp_ore") + pl.col("tillagg_ore").fill_null(0)).sum().alias("belopp_ore"))
    return (t.join(lines, on=keys, how="full", coalesce=True, nulls_equal=True)
            .with_columns(pl.col("ersatt_sek", "belopp_ore", "utford_mot_sek").fill_null(0)))


def _time_values(rows: bool) -> tuple[pl.Expr, ...]:
    """The time cells of a row; `rows`: the table's rows, whose hours add up to the Totalt row
    (table_hours, per utförare), else the Totalt row itself (each sum rounded once)."""
    h = (lambda e: table_hours(e, over=U)) if rows else hours
    return (h(nonzero("beviljad_sek")), h(nonzero("uppehall_sek")),
            h(nonzero("beviljad_lov_sek")), h(pl.col("utford_sek")),
            h(pl.col("ersatt_sek")), pl.col("antal_besok"), per_visit_hours())


def _sums(df: pl.DataFrame) -> pl.DataFrame:
    """The Totalt rows' sums per utförare, with Antal besök the distinct visits (each once, not
    once per insats)."""
    return df.group_by(U).agg(pl.col(SUMMED).sum()).with_columns(pl.col("besok_forsta").alias("antal_besok"))


def _timunderlag(tid: pl.DataFrame, rader: pl.DataFrame) -> dict:
    df = _joined(tid, rader, [U, "insats"]).sort(U, pl.col("beviljad_sek").fill_null(0) <= 0, sv_key("insats"), "insats")
    values = [kronor(pl.col("belopp_ore"))]
    totals = _total_rows(_sums(df), [pl.lit("Totalt"), *_time_values(False), *values])
    return _cut(df.select(_by(["insats", *_time_values(True), *values])), *totals)


def _per_brukare(tid: pl.DataFrame, rader: pl.DataFrame) -> dict:
    df = _joined(tid, rader, [U, "brukare_id", "insats"]).sort(
        U, pl.col("brukare_id").is_null(), "brukare_id", sv_key("insats"), "insats")
    own = pl.concat([tid.select(U, "brukare_id"), rader.select(U, "brukare_id")]).drop_nulls().unique()
    stray = df.filter(pl.col("brukare_id").is_not_null()).join(own, on=[U, "brukare_id"], how="anti")
    if stray.height:
        raise ValueError(f"Per brukare för utförare {stray[U][0]} innehåller en annan utförares brukare.")
    values = [share("utford_mot_sek", "beviljad_lov_sek"), kronor(pl.col("belopp_ore"))]
    totals = _total_rows(_sums(df), [pl.lit("Totalt"), pl.lit(None, pl.String), *_time_values(False), *values])
    return _cut(df.select(_by([personnummer("brukare_id").fill_null(NO_BRUKARE), "insats", *_time_values(True),
                               *values])), *totals)


def _utanfor_lov(tid: pl.DataFrame) -> dict:
    """The time of insatser outside LOV, apart: no LOV total includes it. Only utförare with such
    time get a table (and the sheet)."""
    df = tid.group_by(U, "brukare_id", "insats").agg(pl.col("beviljad_sek", "utford_sek", "antal_besok").sum()).sort(
        U, pl.col("brukare_id").is_null(), "brukare_id", sv_key("insats"), "insats")
    out = _cut(df.select(_by([personnummer("brukare_id").fill_null(NO_BRUKARE), "insats",
                              hours(nonzero("beviljad_sek")), hours(pl.col("utford_sek")), "antal_besok"])))
    del out[None]
    return out


# ---------------------------------------------------------------- Rader and the amounts


def _rader(rader: pl.DataFrame) -> dict:
    df = rader.sort(U, pl.col("brukare_id").is_null(), "brukare_id", sv_key("insats"), "insats",
                    "fran", "till", "regel", "bestallning_id", nulls_last=True)
    money_cols = [kronor(pl.col(c).fill_null(0)) for c in ("sats_ore", "belopp_ore", "tillagg_ore")]
    rows = df.select(_by(["regel", "insats", personnummer("brukare_id"), "bestallning_id", "fran", "till",
                          table_hours(pl.col("ersatt_sek"), over=U), nonzero("antal"), *money_cols]))
    summed = [pl.col("ersatt_sek", "antal", "belopp_ore", "tillagg_ore").fill_null(0).sum()]
    totals = {r[0]: _rader_total(*r[1:]) for r in df.group_by(U).agg(summed).iter_rows()}
    return _cut(rows, totals, _rader_total(0, 0, 0, 0))


def _rader_total(ersatt_sek: int, antal: int, belopp_ore: int, tillagg_ore: int) -> tuple:
    return ("Totalt", None, None, None, None, None, money.hours_value(int(ersatt_sek)), antal or None,
            None, belopp_ore / 100, tillagg_ore / 100)


def _amounts(rader: pl.DataFrame, justeringar: pl.DataFrame) -> dict[str, list]:
    """Per utförare (post, underlag öre, procent bp, belopp öre): per regel, zontillägg, then
    justeringar."""
    out: dict[str, list] = {}
    per_regel = rader.group_by(U, "regel").agg(pl.col("belopp_ore").sum()).sort(U, sv_key("regel"), "regel")
    for u, regel, ore in per_regel.iter_rows():
        out.setdefault(u, []).append((regel, None, None, ore))
    for u, zon in rader.group_by(U).agg(pl.col("tillagg_ore").fill_null(0).sum()).sort(U).iter_rows():
        if zon:
            out.setdefault(u, []).append(("Zontillägg", None, None, zon))
    for u, *row in justeringar.select(U, "namn", "bas_ore", "procent_bp", "belopp_ore").iter_rows():
        out.setdefault(u, []).append(tuple(row))
    return out


# ---------------------------------------------------------------- Avvikelser


AVVIKELSE_CELLS = ["kod", "allvarlighet", personnummer("brukare_id"), "fil", "rad", "kolumn", "meddelande"]


def _avvikelser(avvikelser: pl.DataFrame) -> dict:
    """Per utförare (Table, listed, antal): every avvikelse, row by row, when it has at most
    AVVIKELSER_I_BLADET; otherwise the count per code (code_counts). The key None: no avvikelser."""
    n = dict(avvikelser.group_by(U).len().iter_rows())
    many = [u for u, k in n.items() if u is not None and k > AVVIKELSER_I_BLADET]
    listed = _cut(avvikelser.filter(pl.col(U).is_not_null() & ~pl.col(U).is_in(many)).select(_by(AVVIKELSE_CELLS)))
    out = {u: (t, True, n.get(u, 0) if u is not None else 0) for u, t in listed.items()}
    if many:
        counts = code_counts(avvikelser.filter(pl.col(U).is_in(many)), by=(U,))
        for (u,), part in counts.partition_by(U, as_dict=True, maintain_order=True).items():
            rows, total = count_rows(part)
            cells = pl.DataFrame(rows, schema={"c0": pl.String, "c1": pl.String, "c2": pl.String, "c3": pl.Int64},
                                 orient="row")
            out[u] = (Table(cells, tuple(total)), False, n[u])
    return out
