"""The settlement workbook of one utförare: `avrakning/<utforare_id>.xlsx` (contract §4).

Writers format what settlement hands them; they never compute money. Every frame is cut down to
the one utförare before anything is written, so a workbook cannot hold another utförare's brukare
(the leak seen in seed 002). Each writer returns the öre it wrote in "Att betala" so the run can
reconcile sheets, manifest and payment file.
"""

from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path

import polars as pl
import xlsxwriter
from xlsxwriter.worksheet import Worksheet

from ..core import money
from ..settle.result import Avrakning
from .cells import (
    REGI, TOTAL_LABEL, TOTAL_LABEL_EGEN, Options, cells, format_bankgiro, format_orgnr, hours, kronor, lov_only, nonzero, outside_lov, payment_day_pairs, per_visit_hours, personnummer, share, sv_key, table_hours, total_hours)
from .xlsx import Col, Formats, TotalMismatchError, close_workbook, open_workbook, write_pairs, write_table
from .printing import PageFooter, insert_chart, print_width_px, write_note
from .avvikelselista import AVVIKELSER_I_BLADET, csv_name, write_code_counts
from .files import by_utforare, file_stem

# --------------------------------------------------------------------------- one utförare

FRAMES = ("tid", "rader", "justeringar", "avvikelser")
# besok_forsta (result.TID_SCHEMA): the visits counted under their first insats only, so that a
# total row counts a visit with several insatser once; rows per insats show antal_besok.
TID_SUMS = ["beviljad_sek", "uppehall_sek", "beviljad_lov_sek", "utford_sek", "antal_besok", "besok_forsta"]
# andel utförd = utförd tid on insatser with beviljad tid / beviljad tid LOV, as settle.time_sums
# (utford_mot_sek) defines it for the deduction and the follow-up: a row per utförare × brukare ×
# insats counts its utförd tid in the numerator only when it has beviljad tid LOV
UTFORD_MOT = pl.col("utford_sek").filter(pl.col("beviljad_lov_sek") > 0).sum().alias("utford_mot_sek")
# the money columns of Timunderlag and Per brukare: a line's amount with its zon supplement, so
# the Totalt is Sammanfattning's rules plus Zontillägg (Rader lists the two apart)
BELOPP = Col("Belopp inkl. zontillägg (kr)", "money", 27)

TIME_COLS = [
    Col("Beviljad tid", "hours", 12), Col("Uppehåll", "hours", 10),
    Col("Beviljad tid LOV", "hours", 17), Col("Utförd tid", "hours", 11),
    Col("Ersättn.timmar", "hours", 15), Col("Antal besök", "int", 12),
    Col("Tid per besök", "hours", 13),
]
TIMUNDERLAG_COLS = [Col("Insatstyp", "text", 24), *TIME_COLS, BELOPP]
PER_BRUKARE_COLS = [Col("Brukare", "text", 15), Col("Insats", "text", 24), *TIME_COLS,
                    Col("Andel utförd", "pct", 13), BELOPP]
UTANFOR_LOV_COLS = [Col("Brukare", "text", 15), Col("Insats", "text", 24), Col("Beviljad tid", "hours", 12),
                    Col("Utförd tid", "hours", 11), Col("Antal besök", "int", 12)]
UTANFOR_LOV_NOTE = ("Insatser utanför LOV: ersätts inte och ingår inte i Timunderlag, Per brukare "
                    "eller någon summa för LOV. Avvikelser-bladet nämner dem.")
AVVIKELSE_COLS = [Col("Kod", "text", 32), Col("Allvarlighet", "text", 12),
                  Col("Brukare", "text", 15), Col("Fil", "text", 24), Col("Rad", "int", 8),
                  Col("Kolumn", "text", 16), Col("Meddelande", "text", 70)]
AVVIKELSE_KOD_COLS = [Col("Kod", "text", 32), Col("Allvarlighet", "text", 12), Col("Vad", "text", 60),
                      Col("Antal", "int", 10)]
RADER_COLS = [Col("Regel", "text", 24), Col("Insats", "text", 24), Col("Brukare", "text", 15),
              Col("Beställning", "text", 14), Col("Från", "date", 11), Col("Till", "date", 11),
              Col("Ersatt tid (h)", "hours", 14), Col("Antal", "int", 8),
              Col("Sats (kr)", "money", 12), Col("Belopp (kr)", "money", 15),
              Col("Zontillägg (kr)", "money", 15)]
AMOUNT_COLS = [Col("Post", "text", 40), Col("Underlag (kr)", "money", 22),
               Col("Procent", "pct2", 10), Col("Belopp (kr)", "money", 16)]
NO_BRUKARE = "Utan brukare"


@dataclass(frozen=True)
class Part:
    """The rows of one utförare: its register row and its slice of every result frame."""
    utforare: dict
    tid: pl.DataFrame
    rader: pl.DataFrame
    justeringar: pl.DataFrame
    avvikelser: pl.DataFrame

    @property
    def id(self) -> str:
        return self.utforare["utforare_id"]


def write_utforare_workbook(avr: Avrakning, utforare_id: str, path: Path, opts: Options | None = None) -> int:
    """Write the settlement workbook of one utförare; return the öre in its "Att betala" cell."""
    frames = {n: getattr(avr, n).filter(pl.col("utforare_id") == utforare_id) for n in FRAMES}
    return _write_part(avr, Part(_utforare_row(avr, utforare_id), **frames), Path(path), opts or Options())


def write_all_workbooks(avr: Avrakning, out_dir: Path, workers: int = 1, opts: Options | None = None,
                        pool: ProcessPoolExecutor | None = None) -> dict[str, int]:
    """`out_dir/<utforare_id>.xlsx` for every utförare in the register (those without lines get
    a workbook of zeros); the frames are partitioned once. With `workers` > 1 the workbooks are
    written by that many processes, or by `pool` when one was started ahead (writers()); the
    output is the same. Returns {utforare_id: öre written}."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    jobs = _jobs(avr, out_dir, opts or Options())
    if len(jobs) < 2 or (pool is None and workers <= 1):
        return dict(map(_write_job, jobs))
    chunk = max(1, len(jobs) // (4 * max(workers, 2)))
    if pool is not None:
        return dict(pool.map(_write_job, jobs, chunksize=chunk))
    with _spawn(workers) as started:
        return dict(started.map(_write_job, jobs, chunksize=chunk))


def _spawn(workers: int) -> ProcessPoolExecutor:
    # spawn, not fork: polars' thread pool does not survive a fork
    return ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"))


def _ready() -> int:
    """Nothing: running it makes a new worker import this module (and polars, xlsxwriter)."""
    return os.getpid()


@contextmanager
def writers(workers: int):
    """Workbook processes started ahead of the writing: each starts Python and imports polars,
    xlsxwriter and this module (some 0.7 CPU seconds) while the month is still being settled,
    which leaves a core idle part of the time. Yields the pool for write_all_workbooks."""
    pool = _spawn(workers)
    try:
        for _ in range(workers):      # a task each: the executor starts its processes on demand
            pool.submit(_ready)
        yield pool
    except BaseException:
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    pool.shutdown(wait=True)


def _jobs(avr: Avrakning, out_dir: Path, opts: Options) -> list[tuple[Avrakning, Part, Path, Options]]:
    """One (run context, part, path) per utförare, in id order. The context is the Avrakning
    without its frames, so a job is small to hand to another process."""
    parts = {n: by_utforare(getattr(avr, n)) for n in FRAMES}
    context = replace(avr, **{n: getattr(avr, n).clear() for n in ("utforare", *FRAMES)})
    jobs = []
    for row in avr.utforare.sort("utforare_id").iter_rows(named=True):
        uid = file_stem(row["utforare_id"])
        frames = {n: parts[n].get(uid, getattr(avr, n).clear()) for n in FRAMES}
        jobs.append((context, Part(row, **frames), out_dir / f"{uid}.xlsx", opts))
    return jobs


def _write_job(job: tuple[Avrakning, Part, Path, Options]) -> tuple[str, int]:
    context, part, path, opts = job
    return part.id, _write_part(context, part, path, opts)


def _utforare_row(avr: Avrakning, utforare_id: str) -> dict:
    rows = avr.utforare.filter(pl.col("utforare_id") == utforare_id).to_dicts()
    if len(rows) != 1:
        raise ValueError(f"Utföraren {utforare_id} finns inte (en gång) i utförarregistret.")
    return rows[0]


def _write_part(avr: Avrakning, part: Part, path: Path, opts: Options) -> int:
    _check_own(part)
    amounts = _amount_rows(part)
    ore = _check_total(avr, part.id, sum(a[3] for a in amounts))
    wb, fmts = open_workbook(path, avr.run, f"LOV-avräkning {avr.period.label} {part.id}", PageFooter(
        f"Utförare: {part.utforare['namn']} ({part.id})",
        f"LOV-avräkning {avr.period.label} · Körnings-id {avr.run.run_id}"))
    summary = wb.add_worksheet("Sammanfattning")
    lov = replace(part, tid=lov_only(part.tid, opts))
    n_insats = _write_timunderlag(wb.add_worksheet("Timunderlag"), fmts, lov)
    _write_per_brukare(wb.add_worksheet("Per brukare"), fmts, lov)
    _write_avvikelser(wb.add_worksheet("Avvikelser"), fmts, part.avvikelser, part.id)
    _write_rader(wb.add_worksheet("Rader"), fmts, part.rader)
    outside = outside_lov(part.tid, opts)
    if outside.height:
        _write_utanfor_lov(wb.add_worksheet("Utanför LOV"), fmts, outside)
    end = _write_summary(summary, fmts, avr, part, amounts, ore, opts)
    _add_chart(wb, summary, n_insats, end + 1, len(AMOUNT_COLS) - 1)
    if avr.rattelse and part.id in avr.rattelse:
        _write_rattelse(wb.add_worksheet("Rättelse"), fmts, avr, avr.rattelse[part.id])
    close_workbook(wb, path)
    return ore


def _write_rattelse(ws: Worksheet, fmts: Formats, avr: Avrakning, change: tuple[int, int, int]) -> None:
    """A correction of a paid month: what was paid, what is owed now, and the difference."""
    before, now, diff = change
    what = ("Betalas ut nu" if diff > 0 else "Krävs tillbaka (kreditering)" if diff < 0 else "Ingen skillnad")
    write_pairs(ws, fmts, 0, [("Rättelse av månad", avr.period.label), ("Körnings-id", avr.run.run_id)])
    rows = [("Tidigare utbetalt", before / 100), ("Ny avräkning", now / 100), ("Skillnad", diff / 100)]
    write_table(ws, fmts, 3, [Col("Post", "text", 28), Col("Belopp (kr)", "money", 16)], rows, data_table=False)
    ws.write(8, 0, what)
    write_note(ws, 9, "Rättelsen betalar eller krediterar bara skillnaden; den tidigare utbetalningen står kvar.")


def _check_own(part: Part) -> None:
    for name in FRAMES:
        ids = getattr(part, name)["utforare_id"]
        if not (ids == part.id).fill_null(False).all():
            raise ValueError(f"Avräkningen för utförare {part.id} innehåller en annan utförares rader.")


def _check_total(avr: Avrakning, utforare_id: str, ore: int) -> int:
    expected = avr.totals.get(utforare_id, 0)
    if ore != expected:
        raise TotalMismatchError(
            f"Avräkningen för utförare {utforare_id} summerar till {money.format_kronor(ore)} kr, "
            f"men totalen är {money.format_kronor(expected)} kr.")
    return ore


# --------------------------------------------------------------------------- sheets


def _joined(part: Part, keys: list[str]) -> pl.DataFrame:
    """Time per key (from tid) next to paid time and amount per key (from the lines)."""
    tid = part.tid.group_by(keys).agg(pl.col(TID_SUMS).sum(), UTFORD_MOT)
    lines = part.rader.group_by(keys).agg(
        pl.col("ersatt_sek").sum(),
        (pl.col("belopp_ore") + pl.col("tillagg_ore").fill_null(0)).sum().alias("belopp_ore"))
    return (tid.join(lines, on=keys, how="full", coalesce=True, nulls_equal=True)
            .with_columns(pl.col("ersatt_sek", "belopp_ore", "utford_mot_sek").fill_null(0)))


@lru_cache(maxsize=2)
def _time_values(rows: bool) -> tuple[pl.Expr, ...]:
    """The time cells of a row; `rows`: the table's rows, whose hours add up to the Totalt row
    (table_hours), else the Totalt row itself (each sum rounded once). Built once per process:
    building the expressions cost each workbook more than evaluating them."""
    h = table_hours if rows else hours
    return (h(nonzero("beviljad_sek")), h(nonzero("uppehall_sek")),
            h(nonzero("beviljad_lov_sek")), h(pl.col("utford_sek")),
            h(pl.col("ersatt_sek")), pl.col("antal_besok"), per_visit_hours())


def _sums(df: pl.DataFrame) -> pl.DataFrame:
    """The Totalt row: sums, with Antal besök the distinct visits (each once, not once per insats)."""
    return df.select(pl.col(TID_SUMS + ["utford_mot_sek", "ersatt_sek", "belopp_ore"]).sum()).with_columns(
        pl.col("besok_forsta").alias("antal_besok"))


def _write_timunderlag(ws: Worksheet, fmts: Formats, part: Part) -> int:
    df = _joined(part, ["insats"]).sort(
        pl.col("beviljad_sek").fill_null(0) <= 0, sv_key("insats"), "insats")
    values = [kronor(pl.col("belopp_ore"))]
    rows = cells(df, ["insats", *_time_values(True), *values]).iter_rows()
    total = cells(_sums(df), [pl.lit("Totalt"), *_time_values(False), *values]).row(0)
    write_table(ws, fmts, 0, TIMUNDERLAG_COLS, rows, list(total))
    return df.height


def _write_per_brukare(ws: Worksheet, fmts: Formats, part: Part) -> None:
    df = _joined(part, ["brukare_id", "insats"]).sort(
        pl.col("brukare_id").is_null(), "brukare_id", sv_key("insats"), "insats")
    own = set(part.tid["brukare_id"].drop_nulls()) | set(part.rader["brukare_id"].drop_nulls())
    if not set(df["brukare_id"].drop_nulls()) <= own:
        raise ValueError(f"Per brukare för utförare {part.id} innehåller en annan utförares brukare.")
    values = [share("utford_mot_sek", "beviljad_lov_sek"), kronor(pl.col("belopp_ore"))]
    rows = cells(df, [personnummer("brukare_id").fill_null(NO_BRUKARE), "insats", *_time_values(True),
                      *values]).iter_rows()
    total = cells(_sums(df), [pl.lit("Totalt"), pl.lit(None, pl.String), *_time_values(False), *values]).row(0)
    write_table(ws, fmts, 0, PER_BRUKARE_COLS, rows, list(total))


def _write_utanfor_lov(ws: Worksheet, fmts: Formats, tid: pl.DataFrame) -> None:
    """The time of insatser outside LOV, apart: no LOV total includes it."""
    df = tid.group_by("brukare_id", "insats").agg(pl.col("beviljad_sek", "utford_sek", "antal_besok").sum()).sort(
        pl.col("brukare_id").is_null(), "brukare_id", sv_key("insats"), "insats")
    write_note(ws, 0, UTANFOR_LOV_NOTE)
    rows = cells(df, [personnummer("brukare_id").fill_null(NO_BRUKARE), "insats", hours(nonzero("beviljad_sek")),
                      hours(pl.col("utford_sek")), "antal_besok"]).iter_rows()
    write_table(ws, fmts, 2, UTANFOR_LOV_COLS, rows)


def _write_avvikelser(ws: Worksheet, fmts: Formats, avvikelser: pl.DataFrame, utforare_id: str) -> None:
    """Every avvikelse, row by row, when they are at most AVVIKELSER_I_BLADET; otherwise a count
    per code and the name of the CSV that lists them all (a sheet of tens of thousands of rows is
    neither read nor printed, and writing it cell by cell took most of a run's time)."""
    if avvikelser.height <= AVVIKELSER_I_BLADET:
        rows = cells(avvikelser, ["kod", "allvarlighet", personnummer("brukare_id"), "fil", "rad",
                                  "kolumn", "meddelande"]).iter_rows()
        write_table(ws, fmts, 0, AVVIKELSE_COLS, rows)
        return
    write_note(ws, 0, f"{_tal(avvikelser.height)} avvikelser, fler än de {_tal(AVVIKELSER_I_BLADET)} som listas här rad för rad. "
                      f"Alla finns i filen {csv_name(utforare_id)} (samma kolumner som avvikelser.csv, bara era "
                      "brukare). Här är antalet per kod.")
    write_code_counts(ws, fmts, 2, avvikelser, AVVIKELSE_KOD_COLS)


def _write_rader(ws: Worksheet, fmts: Formats, rader: pl.DataFrame) -> None:
    df = rader.sort(pl.col("brukare_id").is_null(), "brukare_id", sv_key("insats"), "insats",
                    "fran", "till", "regel", "bestallning_id", nulls_last=True)
    money_cols = [kronor(pl.col(c).fill_null(0)) for c in ("sats_ore", "belopp_ore", "tillagg_ore")]
    rows = cells(df, ["regel", "insats", personnummer("brukare_id"), "bestallning_id", "fran",
                      "till", table_hours(pl.col("ersatt_sek")), nonzero("antal"), *money_cols]).iter_rows()
    sums = df.select(pl.col("ersatt_sek", "antal", "belopp_ore", "tillagg_ore").fill_null(0).sum()).row(0)
    total = ["Totalt", None, None, None, None, None, total_hours(df, "ersatt_sek"), sums[1] or None,
             None, sums[2] / 100, sums[3] / 100]
    write_table(ws, fmts, 0, RADER_COLS, rows, total)


def _amount_rows(part: Part) -> list[tuple[str, int | None, int | None, int]]:
    """(post, underlag öre, procent bp, belopp öre): per regel, zontillägg, then justeringar."""
    per_regel = (part.rader.group_by("regel").agg(pl.col("belopp_ore").sum())
                 .sort(sv_key("regel"), "regel"))
    rows = [(regel, None, None, ore) for regel, ore in per_regel.iter_rows()]
    zon = part.rader["tillagg_ore"].fill_null(0).sum()
    if zon:
        rows.append(("Zontillägg", None, None, zon))
    rows += part.justeringar.select("namn", "bas_ore", "procent_bp", "belopp_ore").rows()
    return rows


def _summary_pairs(avr: Avrakning, part: Part, ore: int, opts: Options) -> list[tuple[str, object]]:
    u = part.utforare
    pairs = [
        ("Kommun", avr.kommun.namn), ("Utförare", f"{u['namn']} ({u['utforare_id']})"),
        ("Regi", REGI.get(u["regi"], u["regi"])), ("Organisationsnummer", format_orgnr(u.get("orgnr"))),
        ("Bankgiro", format_bankgiro(u.get("bankgiro"), u["regi"])), ("Månad", avr.period.label),
        ("Körnings-id", avr.run.run_id), ("Status", avr.run.status),
        *payment_day_pairs(avr.run, opts),
    ]
    if u["regi"] == "egen":
        pairs.append(("Anmärkning", "Egen regi: ingen utbetalning"))
    elif ore <= 0:
        pairs.append(("Anmärkning", "Inget belopp att betala ut"))
    return pairs


def _write_summary(ws: Worksheet, fmts: Formats, avr: Avrakning, part: Part,
                   amounts: list, ore: int, opts: Options) -> int:
    """Returns the next free row below the amounts."""
    ws.write_string(0, 0, f"LOV-avräkning {avr.period.label}", fmts.title)
    row = write_pairs(ws, fmts, 2, _summary_pairs(avr, part, ore, opts)) + 1
    ws.write_string(row, 0, "Belopp per regel", fmts.title)
    rows = [(post, None if bas is None else bas / 100, None if bp is None else bp / 10_000,
             belopp / 100) for post, bas, bp, belopp in amounts]
    total = [TOTAL_LABEL_EGEN if part.utforare["regi"] == "egen" else TOTAL_LABEL, None, None, ore / 100]
    return write_table(ws, fmts, row + 1, AMOUNT_COLS, rows, total, data_table=False)


CHART_HEIGHT = 300          # pixels: 15 rows


def _add_chart(wb: xlsxwriter.Workbook, ws: Worksheet, n: int, row: int, last_col: int) -> None:
    """Clustered columns of beviljad tid LOV and utförd tid per insats, read from Timunderlag:
    below the table, from column A to `last_col`, so it prints on the page with the table."""
    if n == 0:
        return
    chart = wb.add_chart({"type": "column"})
    for col in (3, 4):
        chart.add_series({
            "name": ["Timunderlag", 0, col],
            "categories": ["Timunderlag", 1, 0, n, 0],
            "values": ["Timunderlag", 1, col, n, col],
        })
    chart.set_title({"name": "Beviljad och utförd tid per insats"})
    chart.set_y_axis({"name": "Timmar", "num_format": "0.00"})
    chart.set_legend({"position": "bottom"})
    insert_chart(ws, row, 0, chart, print_width_px(ws, last_col) - 2, CHART_HEIGHT)


def _tal(n: int) -> str:
    """An integer as Swedish text writes it: 236 919 (a no-break space between thousands)."""
    return f"{n:,}".replace(",", "\u00a0")
