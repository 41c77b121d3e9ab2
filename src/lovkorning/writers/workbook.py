"""The settlement workbook of one utförare: `avrakning/<utforare_id>.xlsx` (contract §4).

Writers format what settlement hands them; they never compute money. Every frame is cut down to
the one utförare before anything is written, so a workbook cannot hold another utförare's brukare
(the leak seen in seed 002). Each writer returns the öre it wrote in "Att betala" so the run can
reconcile sheets, manifest and payment file.

The small xlsx toolkit at the top (formats, tables, label/value blocks, display expressions) is
shared with `sammanstallning.py`.
"""

from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace
from datetime import date, datetime, time
from pathlib import Path

import polars as pl
import xlsxwriter
from xlsxwriter.worksheet import Worksheet

from .. import money
from ..errors import ReconciliationError
from ..result import Avrakning, RunInfo

# --------------------------------------------------------------------------- xlsx toolkit


class TotalMismatchError(ReconciliationError, ValueError):
    """A sheet's "Att betala" differs from the settled total: nothing may be paid."""


@dataclass(frozen=True)
class Col:
    header: str
    kind: str      # text | hours | money | int | pct | pct2 | date
    width: float


NUM_FORMATS = {
    "text": None, "hours": "0.00", "money": "#,##0.00", "int": "0",
    "pct": "0%", "pct2": "0.00%", "date": "yyyy-mm-dd",
}


class Formats:
    """The cell formats of one workbook, plain and bold (for Totalt rows)."""

    def __init__(self, wb: xlsxwriter.Workbook):
        self.header = wb.add_format({"bold": True, "bottom": 1})
        self.label = wb.add_format({"bold": True})
        self.title = wb.add_format({"bold": True, "font_size": 14})
        self.plain = {k: _fmt(wb, f) for k, f in NUM_FORMATS.items()}
        self.total = {k: _fmt(wb, f, {"bold": True, "top": 1}) for k, f in NUM_FORMATS.items()}


def _fmt(wb: xlsxwriter.Workbook, num_format: str | None, extra: dict | None = None):
    props = dict(extra or {})
    if num_format:
        props["num_format"] = num_format
    return wb.add_format(props) if props else None


def open_workbook(path: Path, run: RunInfo, title: str) -> tuple[xlsxwriter.Workbook, Formats]:
    """A workbook whose bytes depend only on what is written: fixed created date, in-memory
    parts (fixed zip timestamps, no temp files)."""
    wb = xlsxwriter.Workbook(str(path), {"in_memory": True})
    wb.set_properties({
        "title": title,
        "author": "lovkorning",
        "created": datetime.combine(run.filedatum, time()),
    })
    return wb, Formats(wb)


def close_workbook(wb: xlsxwriter.Workbook, path: Path) -> None:
    wb.close()
    os.chmod(path, 0o600)      # settlement sheets hold personnummer: owner only


def write_table(ws: Worksheet, fmts: Formats, top: int, cols: list[Col], rows,
                total: list | None = None, data_table: bool = True) -> int:
    """Header row at `top`, one row per tuple in `rows` (None = empty cell), an optional bold
    total row below the filtered range. A data table gets a frozen header and an autofilter.
    Returns the next free row."""
    for c, col in enumerate(cols):
        ws.set_column(c, c, col.width)
        ws.write_string(top, c, col.header, fmts.header)
    writers = _cell_writers(ws, cols, fmts.plain)
    n = 0
    for n, values in enumerate(rows, start=1):
        _write_values(top + n, values, writers)
    if data_table:
        ws.autofilter(top, 0, top + n, len(cols) - 1)
        ws.freeze_panes(top + 1, 0)
    if total is not None:
        n += 1
        _write_values(top + n, total, _cell_writers(ws, cols, fmts.total))
    return top + n + 1


def _cell_writers(ws: Worksheet, cols: list[Col], formats: dict) -> list:
    method = {"text": ws.write_string, "date": ws.write_datetime}
    return [(method.get(col.kind, ws.write_number), formats[col.kind]) for col in cols]


def _write_values(row: int, values, writers) -> None:
    for c, (value, (write, fmt)) in enumerate(zip(values, writers)):
        if value is not None:
            write(row, c, value, fmt)


def write_pairs(ws: Worksheet, fmts: Formats, top: int, pairs: list[tuple[str, object]]) -> int:
    """Label (bold) / value rows; dates and numbers as such, everything else as text."""
    for i, (label, value) in enumerate(pairs):
        ws.write_string(top + i, 0, label, fmts.label)
        if isinstance(value, date):
            ws.write_datetime(top + i, 1, value, fmts.plain["date"])
        elif isinstance(value, int) and not isinstance(value, bool):
            ws.write_number(top + i, 1, value, fmts.plain["int"])
        elif value is not None:
            ws.write_string(top + i, 1, str(value))
    return top + len(pairs)


def cells(df: pl.DataFrame, exprs: list[pl.Expr | str]) -> pl.DataFrame:
    """The cells of a table in column order (columns named by position, so they may repeat)."""
    return df.select([(pl.col(e) if isinstance(e, str) else e).alias(f"c{i}")
                      for i, e in enumerate(exprs)])


def hours(expr: pl.Expr) -> pl.Expr:
    """Seconds to decimal hours with two decimals (money.hours_value on a column)."""
    return (money.expr_div_round(expr * 100, 3600) / 100).round(2)


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

# --------------------------------------------------------------------------- one utförare

FRAMES = ("tid", "rader", "justeringar", "avvikelser")
TID_SUMS = ["beviljad_sek", "uppehall_sek", "beviljad_lov_sek", "utford_sek", "antal_besok"]

TIME_COLS = [
    Col("Beviljad tid", "hours", 12), Col("Uppehåll", "hours", 10),
    Col("Beviljad tid LOV", "hours", 17), Col("Utförd tid", "hours", 11),
    Col("Ersättn.timmar", "hours", 15), Col("Antal besök", "int", 12),
    Col("Tid per besök", "hours", 13),
]
TIMUNDERLAG_COLS = [Col("Insatstyp", "text", 24), *TIME_COLS, Col("Belopp (kr)", "money", 15)]
PER_BRUKARE_COLS = [Col("Brukare", "text", 15), Col("Insats", "text", 24), *TIME_COLS,
                    Col("Andel utförd", "pct", 13), Col("Belopp (kr)", "money", 15)]
AVVIKELSE_COLS = [Col("Kod", "text", 28), Col("Allvarlighet", "text", 12),
                  Col("Brukare", "text", 15), Col("Fil", "text", 24), Col("Rad", "int", 8),
                  Col("Kolumn", "text", 16), Col("Meddelande", "text", 80)]
RADER_COLS = [Col("Regel", "text", 24), Col("Insats", "text", 24), Col("Brukare", "text", 15),
              Col("Beställning", "text", 14), Col("Från", "date", 11), Col("Till", "date", 11),
              Col("Ersatt tid (h)", "hours", 14), Col("Antal", "int", 8),
              Col("Sats (kr)", "money", 12), Col("Belopp (kr)", "money", 15),
              Col("Zontillägg (kr)", "money", 15)]
AMOUNT_COLS = [Col("Post", "text", 30), Col("Underlag (kr)", "money", 22),
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


def write_utforare_workbook(avr: Avrakning, utforare_id: str, path: Path) -> int:
    """Write the settlement workbook of one utförare; return the öre in its "Att betala" cell."""
    frames = {n: getattr(avr, n).filter(pl.col("utforare_id") == utforare_id) for n in FRAMES}
    return _write_part(avr, Part(_utforare_row(avr, utforare_id), **frames), Path(path))


def write_all_workbooks(avr: Avrakning, out_dir: Path, workers: int = 1) -> dict[str, int]:
    """`out_dir/<utforare_id>.xlsx` for every utförare in the register (those without lines get
    a workbook of zeros); the frames are partitioned once. With `workers` > 1 the workbooks are
    written by that many processes (the output is the same). Returns {utforare_id: öre written}."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    jobs = _jobs(avr, out_dir)
    if workers <= 1 or len(jobs) < 2:
        return dict(map(_write_job, jobs))
    # spawn, not fork: polars' thread pool does not survive a fork
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        return dict(pool.map(_write_job, jobs, chunksize=max(1, len(jobs) // (4 * workers))))


def _jobs(avr: Avrakning, out_dir: Path) -> list[tuple[Avrakning, Part, Path]]:
    """One (run context, part, path) per utförare, in id order. The context is the Avrakning
    without its frames, so a job is small to hand to another process."""
    parts = {n: _partition(getattr(avr, n)) for n in FRAMES}
    context = replace(avr, **{n: getattr(avr, n).clear() for n in ("utforare", *FRAMES)})
    jobs = []
    for row in avr.utforare.sort("utforare_id").iter_rows(named=True):
        uid = _file_stem(row["utforare_id"])
        frames = {n: parts[n].get(uid, getattr(avr, n).clear()) for n in FRAMES}
        jobs.append((context, Part(row, **frames), out_dir / f"{uid}.xlsx"))
    return jobs


def _file_stem(utforare_id: str) -> str:
    """The id names the file: it must not reach outside the output folder."""
    if not utforare_id or utforare_id.startswith(".") or any(c in utforare_id for c in "/\\:"):
        raise ValueError(f"Utförare-id {utforare_id!r} kan inte användas som filnamn.")
    return utforare_id


def _write_job(job: tuple[Avrakning, Part, Path]) -> tuple[str, int]:
    context, part, path = job
    return part.id, _write_part(context, part, path)


def _partition(df: pl.DataFrame) -> dict[str, pl.DataFrame]:
    if df.is_empty():
        return {}
    return {key[0]: part for key, part in df.partition_by("utforare_id", as_dict=True).items()}


def _utforare_row(avr: Avrakning, utforare_id: str) -> dict:
    rows = avr.utforare.filter(pl.col("utforare_id") == utforare_id).to_dicts()
    if len(rows) != 1:
        raise ValueError(f"Utföraren {utforare_id} finns inte (en gång) i utförarregistret.")
    return rows[0]


def _write_part(avr: Avrakning, part: Part, path: Path) -> int:
    _check_own(part)
    amounts = _amount_rows(part)
    ore = _check_total(avr, part.id, sum(a[3] for a in amounts))
    wb, fmts = open_workbook(path, avr.run, f"LOV-avräkning {avr.period.label} {part.id}")
    summary = wb.add_worksheet("Sammanfattning")
    n_insats = _write_timunderlag(wb.add_worksheet("Timunderlag"), fmts, part)
    _write_per_brukare(wb.add_worksheet("Per brukare"), fmts, part)
    _write_avvikelser(wb.add_worksheet("Avvikelser"), fmts, part.avvikelser)
    _write_rader(wb.add_worksheet("Rader"), fmts, part.rader)
    _write_summary(summary, fmts, avr, part, amounts, ore)
    _add_chart(wb, summary, n_insats)
    close_workbook(wb, path)
    return ore


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
    tid = part.tid.group_by(keys).agg(pl.col(TID_SUMS).sum())
    lines = part.rader.group_by(keys).agg(
        pl.col("ersatt_sek").sum(),
        (pl.col("belopp_ore") + pl.col("tillagg_ore").fill_null(0)).sum().alias("belopp_ore"))
    return (tid.join(lines, on=keys, how="full", coalesce=True, nulls_equal=True)
            .with_columns(pl.col("ersatt_sek", "belopp_ore").fill_null(0)))


def _time_values() -> list[pl.Expr]:
    return [hours(nonzero("beviljad_sek")), hours(nonzero("uppehall_sek")),
            hours(nonzero("beviljad_lov_sek")), hours(pl.col("utford_sek")),
            hours(pl.col("ersatt_sek")), pl.col("antal_besok"), per_visit_hours()]


def _sums(df: pl.DataFrame) -> pl.DataFrame:
    return df.select(pl.col(TID_SUMS + ["ersatt_sek", "belopp_ore"]).sum())


def _write_timunderlag(ws: Worksheet, fmts: Formats, part: Part) -> int:
    df = _joined(part, ["insats"]).sort(
        pl.col("beviljad_sek").fill_null(0) <= 0, sv_key("insats"), "insats")
    values = [*_time_values(), kronor(pl.col("belopp_ore"))]
    rows = cells(df, ["insats", *values]).iter_rows()
    total = cells(_sums(df), [pl.lit("Totalt"), *values]).row(0)
    write_table(ws, fmts, 0, TIMUNDERLAG_COLS, rows, list(total))
    return df.height


def _write_per_brukare(ws: Worksheet, fmts: Formats, part: Part) -> None:
    df = _joined(part, ["brukare_id", "insats"]).sort(
        pl.col("brukare_id").is_null(), "brukare_id", sv_key("insats"), "insats")
    own = set(part.tid["brukare_id"].drop_nulls()) | set(part.rader["brukare_id"].drop_nulls())
    if not set(df["brukare_id"].drop_nulls()) <= own:
        raise ValueError(f"Per brukare för utförare {part.id} innehåller en annan utförares brukare.")
    values = [*_time_values(), share("utford_sek", "beviljad_lov_sek"), kronor(pl.col("belopp_ore"))]
    rows = cells(df, [personnummer("brukare_id").fill_null(NO_BRUKARE), "insats", *values]).iter_rows()
    total = cells(_sums(df), [pl.lit("Totalt"), pl.lit(None, pl.String), *values]).row(0)
    write_table(ws, fmts, 0, PER_BRUKARE_COLS, rows, list(total))


def _write_avvikelser(ws: Worksheet, fmts: Formats, avvikelser: pl.DataFrame) -> None:
    rows = cells(avvikelser, ["kod", "allvarlighet", personnummer("brukare_id"), "fil", "rad",
                              "kolumn", "meddelande"]).iter_rows()
    write_table(ws, fmts, 0, AVVIKELSE_COLS, rows)


def _write_rader(ws: Worksheet, fmts: Formats, rader: pl.DataFrame) -> None:
    df = rader.sort(pl.col("brukare_id").is_null(), "brukare_id", sv_key("insats"), "insats",
                    "fran", "till", "regel", "bestallning_id", nulls_last=True)
    money_cols = [kronor(pl.col(c).fill_null(0)) for c in ("sats_ore", "belopp_ore", "tillagg_ore")]
    rows = cells(df, ["regel", "insats", personnummer("brukare_id"), "bestallning_id", "fran",
                      "till", hours(pl.col("ersatt_sek")), nonzero("antal"), *money_cols]).iter_rows()
    sums = df.select(pl.col("ersatt_sek", "antal", "belopp_ore", "tillagg_ore").fill_null(0).sum()).row(0)
    total = ["Totalt", None, None, None, None, None, money.hours_value(sums[0]), sums[1] or None,
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


def _summary_pairs(avr: Avrakning, part: Part, ore: int) -> list[tuple[str, object]]:
    u = part.utforare
    pairs = [
        ("Kommun", avr.kommun.namn), ("Utförare", f"{u['namn']} ({u['utforare_id']})"),
        ("Regi", REGI.get(u["regi"], u["regi"])), ("Organisationsnummer", format_orgnr(u.get("orgnr"))),
        ("Bankgiro", format_bankgiro(u.get("bankgiro"), u["regi"])), ("Månad", avr.period.label),
        ("Körnings-id", avr.run.run_id), ("Status", avr.run.status),
        ("Betalningsdag", avr.run.betalningsdag),
    ]
    if u["regi"] == "egen":
        pairs.append(("Anmärkning", "Egen regi: ingen utbetalning"))
    elif ore <= 0:
        pairs.append(("Anmärkning", "Inget belopp att betala ut"))
    return pairs


def _write_summary(ws: Worksheet, fmts: Formats, avr: Avrakning, part: Part,
                   amounts: list, ore: int) -> None:
    ws.write_string(0, 0, f"LOV-avräkning {avr.period.label}", fmts.title)
    row = write_pairs(ws, fmts, 2, _summary_pairs(avr, part, ore)) + 1
    ws.write_string(row, 0, "Belopp per regel", fmts.title)
    rows = [(post, None if bas is None else bas / 100, None if bp is None else bp / 10_000,
             belopp / 100) for post, bas, bp, belopp in amounts]
    total = ["Att betala", None, None, ore / 100]
    write_table(ws, fmts, row + 1, AMOUNT_COLS, rows, total, data_table=False)


def _add_chart(wb: xlsxwriter.Workbook, ws: Worksheet, n: int) -> None:
    """Clustered columns of beviljad tid LOV and utförd tid per insats, read from Timunderlag."""
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
    ws.insert_chart(1, 5, chart, {"x_scale": 1.3, "y_scale": 1.2})
