"""The settlement workbook of one utförare: `avrakning/<utforare_id>.xlsx` (contract §4).

Writers format what settlement hands them; they never compute money. Every frame and table is cut
down to the one utförare (by utforare_id) before anything is written, so a workbook cannot hold
another utförare's brukare (the leak seen in seed 002); the tables are worked out for all
utförare at once in tables.py. Each writer returns the öre it wrote in "Att betala" so the run can
reconcile sheets, manifest and payment file.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
import types
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

import polars as pl
import xlsxwriter
from xlsxwriter.worksheet import Worksheet

from ..core import money
from ..settle.result import Avrakning
from .cells import REGI, TOTAL_LABEL, TOTAL_LABEL_EGEN, Options, format_bankgiro, format_orgnr, payment_day_pairs
from .xlsx import Col, Formats, TotalMismatchError, close_workbook, open_workbook, write_pairs, write_table
from .printing import PageFooter, insert_chart, print_width_px, write_note
from .avvikelselista import AVVIKELSER_I_BLADET, csv_name
from .files import file_stem
from .tables import Table, Tables, all_tables

# --------------------------------------------------------------------------- one utförare

# the result frames the tables are worked out from
FRAMES = ("tid", "rader", "justeringar", "avvikelser")
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


@dataclass(frozen=True)
class Part:
    """One utförare: its register row and its tables as the sheets show them (tables.all_tables,
    worked out for every utförare at once and cut by utforare_id, each cut checked to hold only
    that utförare's rows)."""
    utforare: dict
    tables: Tables

    @property
    def id(self) -> str:
        return self.utforare["utforare_id"]


def write_utforare_workbook(avr: Avrakning, utforare_id: str, path: Path, opts: Options | None = None) -> int:
    """Write the settlement workbook of one utförare; return the öre in its "Att betala" cell."""
    opts = opts or Options()
    frames = {n: getattr(avr, n).filter(pl.col("utforare_id") == utforare_id) for n in FRAMES}
    tables = all_tables([utforare_id], **frames, opts=opts)[utforare_id]
    return _write_part(avr, Part(_utforare_row(avr, utforare_id), tables), Path(path), opts)


def write_all_workbooks(avr: Avrakning, out_dir: Path, workers: int = 1, opts: Options | None = None,
                        pool: ProcessPoolExecutor | None = None) -> dict[str, int]:
    """`out_dir/<utforare_id>.xlsx` for every utförare in the register (those without lines get
    a workbook of zeros); the tables are worked out once for all. With `workers` > 1 the workbooks are
    written by that many processes, or by `pool` when one was started ahead (writers()); the
    output is the same. Returns {utforare_id: öre written}."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    jobs = _jobs(avr, out_dir, opts or Options())
    if len(jobs) < 2 or (pool is None and workers <= 1):
        return dict(map(_write_job, jobs))
    # largest first, in small chunks: a process that is free takes the next largest, so the two end
    # together (in id order, a chunk of large utförare near the end kept one process busy alone)
    jobs = sorted(jobs, key=_size, reverse=True)
    chunk = max(1, len(jobs) // (16 * max(workers, 2)))
    if pool is not None:
        return dict(sorted(pool.map(_write_job, jobs, chunksize=chunk)))
    with _spawn(workers) as started:
        with _without_main():
            done = started.map(_write_job, jobs, chunksize=chunk)
        return dict(sorted(done))


def _size(job: tuple[Avrakning, Part, Path, Options]) -> int:
    """The cells a workbook's tables hold, roughly: what writing it costs beyond its fixed part."""
    t = job[1].tables
    return sum(x.rows.height * x.rows.width for x in (t.timunderlag, t.per_brukare, t.rader, t.avvikelser))


def _spawn(workers: int) -> ProcessPoolExecutor:
    # spawn, not fork: polars' thread pool does not survive a fork
    return ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"))


@contextmanager
def _without_main():
    """Start workbook processes without the program's main module: a spawned process first runs
    it again (the `lovkorning` script imports the whole CLI, the config's pydantic models, typer,
    rich: some 0.2 CPU seconds) only to write workbooks from jobs that name everything they need
    (functions and classes of this package). The processes are started on submit, in the
    submitting thread, so the main module is set aside only while tasks are submitted."""
    main = sys.modules["__main__"]
    sys.modules["__main__"] = types.ModuleType("__main__")
    try:
        yield
    finally:
        sys.modules["__main__"] = main


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
        with _without_main():
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
    context = replace(avr, **{n: getattr(avr, n).clear() for n in ("utforare", *FRAMES)})
    rows = avr.utforare.sort("utforare_id").to_dicts()
    tables = all_tables([r["utforare_id"] for r in rows], *(getattr(avr, n) for n in FRAMES), opts=opts)
    return [(context, Part(row, tables[row["utforare_id"]]), out_dir / f"{file_stem(row['utforare_id'])}.xlsx", opts)
            for row in rows]


def _write_job(job: tuple[Avrakning, Part, Path, Options]) -> tuple[str, int]:
    context, part, path, opts = job
    return part.id, _write_part(context, part, path, opts)


def _utforare_row(avr: Avrakning, utforare_id: str) -> dict:
    rows = avr.utforare.filter(pl.col("utforare_id") == utforare_id).to_dicts()
    if len(rows) != 1:
        raise ValueError(f"Utföraren {utforare_id} finns inte (en gång) i utförarregistret.")
    return rows[0]


def _write_part(avr: Avrakning, part: Part, path: Path, opts: Options) -> int:
    t = part.tables
    ore = _check_total(avr, part.id, sum(a[3] for a in t.amounts))
    wb, fmts = open_workbook(path, avr.run, f"LOV-avräkning {avr.period.label} {part.id}", PageFooter(
        f"Utförare: {part.utforare['namn']} ({part.id})",
        f"LOV-avräkning {avr.period.label} · Körnings-id {avr.run.run_id}"))
    summary = wb.add_worksheet("Sammanfattning")
    _write(wb.add_worksheet("Timunderlag"), fmts, 0, TIMUNDERLAG_COLS, t.timunderlag)
    _write(wb.add_worksheet("Per brukare"), fmts, 0, PER_BRUKARE_COLS, t.per_brukare)
    _write_avvikelser(wb.add_worksheet("Avvikelser"), fmts, t, part.id)
    _write(wb.add_worksheet("Rader"), fmts, 0, RADER_COLS, t.rader)
    if t.utanfor_lov is not None:
        ws = wb.add_worksheet("Utanför LOV")
        write_note(ws, 0, UTANFOR_LOV_NOTE)
        _write(ws, fmts, 2, UTANFOR_LOV_COLS, t.utanfor_lov)
    end = _write_summary(summary, fmts, avr, part, t.amounts, ore, opts)
    _add_chart(wb, summary, t.timunderlag.rows.height, end + 1, len(AMOUNT_COLS) - 1)
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


def _check_total(avr: Avrakning, utforare_id: str, ore: int) -> int:
    expected = avr.totals.get(utforare_id, 0)
    if ore != expected:
        raise TotalMismatchError(
            f"Avräkningen för utförare {utforare_id} summerar till {money.format_kronor(ore)} kr, "
            f"men totalen är {money.format_kronor(expected)} kr.")
    return ore


# --------------------------------------------------------------------------- sheets


def _write(ws: Worksheet, fmts: Formats, top: int, cols: list[Col], table: Table) -> None:
    write_table(ws, fmts, top, cols, table.rows, None if table.total is None else list(table.total))


def _write_avvikelser(ws: Worksheet, fmts: Formats, t: Tables, utforare_id: str) -> None:
    """Every avvikelse, row by row, when they are at most AVVIKELSER_I_BLADET; otherwise a count
    per code and the name of the CSV that lists them all (a sheet of tens of thousands of rows is
    neither read nor printed, and writing it cell by cell took most of a run's time)."""
    if t.avvikelser_listed:
        _write(ws, fmts, 0, AVVIKELSE_COLS, t.avvikelser)
        return
    write_note(ws, 0, f"{_tal(t.antal_avvikelser)} avvikelser, fler än de {_tal(AVVIKELSER_I_BLADET)} som listas här rad för rad. "
                      f"Alla finns i filen {csv_name(utforare_id)} (samma kolumner som avvikelser.csv, bara era "
                      "brukare). Här är antalet per kod.")
    _write(ws, fmts, 2, AVVIKELSE_KOD_COLS, t.avvikelser)


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
