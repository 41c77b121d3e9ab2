"""A small xlsx toolkit shared by the workbook writers: opening and closing a workbook (pinned
properties, PRELIMINÄR marks, a full disk named), formats, tables and label/value blocks. How the
sheets print is in printing.py; what the cells show is in cells.py."""

from __future__ import annotations

import math
import os

from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path

import polars as pl
import xlsxwriter
from xlsxwriter.exceptions import FileCreateError
from xlsxwriter.worksheet import Worksheet

from ..core.errors import ReconciliationError
from ..settle.result import RunInfo
from .sheetxml import BlockSheet, Column, summary
from .printing import (HEADER_PAD, MARGIN_HEADER, MIN_WIDTH, PAIR_LABEL_MAX, PAIR_VALUE_MAX, PageFooter,
                       fit_row_height, lay_out_for_print, sheet_print, text_width)


class TotalMismatchError(ReconciliationError, ValueError):
    """A sheet's "Att betala" differs from the settled total: nothing may be paid."""


@dataclass(frozen=True)
class Col:
    header: str
    kind: str      # text | hours | money | int | pct | pct2 | dec1 | date
    width: float   # text: the widest the column gets (longer text wraps); numbers: as wide as they need


NUM_FORMATS = {
    "text": None, "hours": "0.00", "money": "#,##0.00", "int": "0",
    "pct": "0%", "pct2": "0.00%", "dec1": "0.0", "date": "yyyy-mm-dd",
}
# how a number of each kind is shown, to size its column (Excel shows "#,##0.00" with a space
# in Swedish; a comma here is as wide)
NUM_TEXT = {"hours": "{:.2f}", "money": "{:,.2f}", "int": "{:.0f}", "pct": "{:.0%}", "pct2": "{:.2%}",
            "dec1": "{:.1f}"}


class Formats:
    """The cell formats of one workbook, plain and bold (for Totalt rows). Text wraps within its
    column, headers too, so no column need be wider than its cap."""

    def __init__(self, wb: xlsxwriter.Workbook):
        self.header = wb.add_format({"bold": True, "bottom": 1, "text_wrap": True, "valign": "bottom"})
        self.label = wb.add_format({"bold": True, "text_wrap": True, "valign": "top"})
        self.title = wb.add_format({"bold": True, "font_size": 14})
        self.plain = {k: _fmt(wb, f, {"valign": "top"}) for k, f in NUM_FORMATS.items()}
        self.plain["text"] = wb.add_format({"text_wrap": True, "valign": "top"})
        self.total = {k: _fmt(wb, f, {"bold": True, "top": 1}) for k, f in NUM_FORMATS.items()}


def _fmt(wb: xlsxwriter.Workbook, num_format: str | None, extra: dict | None = None):
    props = dict(extra or {})
    if num_format:
        props["num_format"] = num_format
    return wb.add_format(props) if props else None


def open_workbook(path: Path, run: RunInfo, title: str,
                  footer: PageFooter) -> tuple[xlsxwriter.Workbook, Formats]:
    """A workbook whose bytes depend only on what is written: fixed created date, in-memory
    parts (fixed zip timestamps, no temp files)."""
    wb = xlsxwriter.Workbook(str(path), {"in_memory": True})
    wb.worksheet_class = BlockSheet         # large tables as blocks of XML (sheetxml)
    wb.lov_status = run.status
    wb.lov_footer = footer
    wb.set_properties({
        "title": title,
        "author": "lovkorning",
        "created": datetime.combine(run.filedatum, time()),
    })
    return wb, Formats(wb)


PRELIMINARY = "PRELIMINÄR"


def mark_preliminary(wb: xlsxwriter.Workbook) -> None:
    """A preliminary run says so on every sheet: a red cell beside the first row (outside the
    print area), the tab colour and the printed page header."""
    red = wb.add_format({"bold": True, "font_color": "#FFFFFF", "bg_color": "#C00000"})
    for ws in wb.worksheets():
        col = (ws.dim_colmax or 0) + 2
        ws.write(0, col, "PRELIMINÄR – ingen utbetalning", red)
        ws.set_column(col, col, 30)
        ws.set_tab_color("#C00000")
        ws.set_header('&C&"-,Bold"PRELIMINÄR – ingen utbetalning', {"margin": MARGIN_HEADER})


def close_workbook(wb: xlsxwriter.Workbook, path: Path) -> None:
    lay_out_for_print(wb, wb.lov_footer)
    if getattr(wb, "lov_status", "") == PRELIMINARY:
        mark_preliminary(wb)
    try:
        wb.close()
    except FileCreateError as exc:   # xlsxwriter wraps the OSError (a full disk): hand on the OSError itself
        raise (exc.args[0] if exc.args and isinstance(exc.args[0], OSError) else OSError(str(exc))) from None
    os.chmod(path, 0o600)      # settlement sheets hold personnummer: owner only


def write_table(ws: Worksheet, fmts: Formats, top: int, cols: list[Col], rows,
                total: list | None = None, data_table: bool = True) -> int:
    """Header row at `top`, one row per tuple in `rows` (None = empty cell; or a frame of cells,
    its columns in `cols` order), an optional bold total row below the filtered range. A data
    table gets a frozen header, an autofilter, and its header repeated on every printed page.
    Each column is as wide as its header's longest word and its cells, text at most `Col.width`
    (wrapping beyond). Returns the next free row."""
    sp = sheet_print(ws)
    pad = HEADER_PAD if data_table else 2
    heads = [max(MIN_WIDTH, max(map(text_width, col.header.split())) + pad) for col in cols]
    # a text cell wraps only when it is longer than its cap (the column is never narrower)
    wrap_at = [max(head, col.width) if col.kind == "text" else None for col, head in zip(cols, heads)]
    widths = [0] * len(cols)
    for c, col in enumerate(cols):
        ws.write_string(top, c, col.header, fmts.header)
    writers = _cell_writers(ws, cols, fmts.plain)
    n = 0
    if isinstance(rows, pl.DataFrame):
        n = _write_frame(ws, top, rows, writers, cols, widths, wrap_at)
    else:
        for n, values in enumerate(rows, start=1):
            _write_values(ws, top + n, values, writers, cols, widths, wrap_at)
    if data_table:
        ws.autofilter(top, 0, top + n, len(cols) - 1)
        ws.freeze_panes(top + 1, 0)
        sp.header_row = top
    if total is not None:
        n += 1
        _write_values(ws, top + n, total, _cell_writers(ws, cols, fmts.total), cols, widths, wrap_at)
    final = [max(head, min(width, col.width) if col.kind == "text" else width)
             for col, head, width in zip(cols, heads, widths)]
    for c, width in enumerate(final):
        sp.need(c, width)
    # the header wraps beside its autofilter button
    fit_row_height(ws, top, [(col.header, width - pad + 2) for col, width in zip(cols, final)])
    return top + n + 1


def _cell_writers(ws: Worksheet, cols: list[Col], formats: dict) -> list:
    method = {"text": ws.write_string, "date": ws.write_datetime}
    return [(method.get(col.kind, ws.write_number), formats[col.kind]) for col in cols]


def _write_values(ws: Worksheet, row: int, values, writers, cols: list[Col], widths: list[float],
                  wrap_at: list[float | None]) -> None:
    """One row; `widths` grows to what the cells need (their text, or the number as shown), and
    the row is made tall enough for text that wraps at `wrap_at`."""
    wrapping = []
    for c, (value, (write, fmt)) in enumerate(zip(values, writers)):
        if value is not None:
            write(row, c, value, fmt)
            shown = _shown_len(value, cols[c].kind) + 2
            widths[c] = max(widths[c], shown)
            if wrap_at[c] is not None and shown > wrap_at[c]:
                wrapping.append((str(value), wrap_at[c]))
    fit_row_height(ws, row, wrapping)


# A frame of at least this many cells is written as a block of XML (sheetxml), its widths and
# wrapping rows worked out by polars; a smaller one cell by cell, in Python (a polars call costs
# some 60 µs, a cell some 9: measured on a Stockholm month, where most tables are small).
BLOCK_MIN_CELLS = 500


def _write_frame(ws: Worksheet, top: int, frame: pl.DataFrame, writers, cols: list[Col], widths: list[float],
                 wrap_at: list[float | None]) -> int:
    """The rows of a frame of cells below `top`, as _write_values writes rows, with each column's
    width and the rows whose text wraps worked out per column (from its smallest and largest
    number, or from its distinct texts) instead of per cell. A large frame on a BlockSheet is one
    block of XML. Returns the number of rows."""
    kinds = [col.kind for col in cols]
    columns = summary(frame, kinds) if frame.height * frame.width >= BLOCK_MIN_CELLS else None
    tall = _tall_rows(frame, cols, widths, wrap_at, columns or _distinct(frame))
    if not (columns is not None and isinstance(ws, BlockSheet)
            and ws.add_block(top + 1, frame, kinds, [fmt for _, fmt in writers], columns)):
        for r, values in enumerate(frame.iter_rows(), start=top + 1):
            for c, value in enumerate(values):
                if value is not None:
                    write, fmt = writers[c]
                    write(r, c, value, fmt)
    for i in sorted(tall):
        fit_row_height(ws, top + 1 + i, tall[i])
    return frame.height


def _distinct(frame: pl.DataFrame) -> list[Column]:
    """sheetxml.summary of a small frame, in Python: each column's distinct values."""
    out = []
    for series in frame.iter_columns():
        present = list(dict.fromkeys(v for v in series.to_list() if v is not None))
        out.append(Column(present, bool(present)))
    return out


def _tall_rows(frame: pl.DataFrame, cols: list[Col], widths: list[float], wrap_at: list[float | None],
               columns: list[Column]) -> dict[int, list[tuple[str, float]]]:
    """Widen `widths` to the frame's cells, from each column's summary (its distinct values, or
    its smallest and largest number); the rows (from 0) with text that wraps, and the texts."""
    tall: dict[int, list[tuple[str, float]]] = {}
    for c, (col, column) in enumerate(zip(cols, columns)):
        if not column.cells:
            continue
        widths[c] = max(widths[c], _column_len(column.values, col.kind) + 2)
        wide = {v for v in column.values if _shown_len(v, "text") + 2 > wrap_at[c]} if wrap_at[c] is not None else ()
        if wide:            # the rows holding them found by polars, not by a loop over every row
            series = frame.to_series(c)
            at = series.is_in(pl.Series(list(wide), dtype=series.dtype).implode()).fill_null(False).arg_true()
            for i, v in zip(at.to_list(), series.gather(at).to_list()):
                tall.setdefault(i, []).append((str(v), wrap_at[c]))
    return tall


def _column_len(values: list, kind: str) -> int:
    """The most any of the (non-empty) cells needs (_shown_len). A shown number is no shorter
    for a larger magnitude, and a minus sign adds to it, so finite numbers need what their
    smallest or their largest needs."""
    if kind in NUM_TEXT and {type(v) for v in values} <= {int, float}:
        finite = [v for v in values if math.isfinite(v)]
        ends = [min(finite), max(finite)] if finite else []
        return max(_shown_len(v, kind) for v in ends + list({v for v in values if not math.isfinite(v)}))
    return max(_shown_len(v, kind) for v in set(values))


def _shown_len(value, kind: str) -> int:
    """The column width a cell needs, without the cell's padding."""
    if kind == "date":
        return 10
    if kind in NUM_TEXT and isinstance(value, (int, float)):
        return len(NUM_TEXT[kind].format(value))       # digits: one width each
    return text_width(str(value))


def write_pairs(ws: Worksheet, fmts: Formats, top: int, pairs: list[tuple[str, object]]) -> int:
    """Label (bold) / value rows; dates and numbers as such, everything else as text. A long
    label or value wraps, so that the pairs above a table do not widen its columns much."""
    sp = sheet_print(ws)
    for i, (label, value) in enumerate(pairs):
        ws.write_string(top + i, 0, label, fmts.label)
        sp.need(0, min(PAIR_LABEL_MAX, text_width(label) + 2))
        if isinstance(value, date):
            ws.write_datetime(top + i, 1, value, fmts.plain["date"])
        elif isinstance(value, int) and not isinstance(value, bool):
            ws.write_number(top + i, 1, value, fmts.plain["int"])
        elif value is not None:
            ws.write_string(top + i, 1, str(value), fmts.plain["text"])
        wrapping = [(label, PAIR_LABEL_MAX)]
        if value is not None:
            kind = "date" if isinstance(value, date) else "int" if isinstance(value, int) else "text"
            sp.need(1, min(PAIR_VALUE_MAX, _shown_len(value, kind) + 2))
            wrapping.append((str(value), PAIR_VALUE_MAX))
        fit_row_height(ws, top + i, wrapping)
    return top + len(pairs)
