"""A small xlsx toolkit shared by the workbook writers: formats, tables, label/value blocks, the
print layout every sheet gets, and the display expressions that turn seconds and öre into hours
and kronor cells."""

from __future__ import annotations

import math
import os

from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path

import polars as pl
import xlsxwriter
from xlsxwriter.exceptions import FileCreateError
from xlsxwriter.worksheet import Worksheet

from ..core import money
from ..core.errors import ReconciliationError
from ..settle.result import RunInfo


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


@dataclass(frozen=True)
class PageFooter:
    """What every printed page of a workbook says at its foot: who (left) and which month and run
    (centre); the sheet and "Sida x av y" go on the right."""
    left: str
    center: str


def open_workbook(path: Path, run: RunInfo, title: str,
                  footer: PageFooter) -> tuple[xlsxwriter.Workbook, Formats]:
    """A workbook whose bytes depend only on what is written: fixed created date, in-memory
    parts (fixed zip timestamps, no temp files)."""
    wb = xlsxwriter.Workbook(str(path), {"in_memory": True})
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


# --------------------------------------------------------------------------- print layout
#
# Every sheet prints on A4, one page wide and as many pages tall as it needs: portrait when its
# columns fit the portrait page, else landscape, scaled down when even that is too narrow. The
# table's header row repeats on every page, and the footer names the utförare (or kommun), the
# month, the run and "Sida x av y". The writers only say what the sheet holds (column widths
# from their content, the header row, charts, notes); lay_out_for_print does the rest, for
# every sheet of a workbook, in one place.

A4 = 9
MARGIN_SIDE, MARGIN_TOP, MARGIN_HEADER = 0.5, 0.75, 0.3          # inches
PRINT_WIDTH_PX = {"portrait": round((8.27 - 2 * MARGIN_SIDE) * 96),   # A4 less the margins, at 96 px/inch
                  "landscape": round((11.69 - 2 * MARGIN_SIDE) * 96)}
# a sheet a little wider than a portrait page prints portrait, scaled down to no less than this:
# a long table then takes half the pages it would in landscape, in type still easy to read
PORTRAIT_MIN_SCALE = 0.85
ROW_PX = 20                 # a default row: 15 points
ROW_POINTS = 15
DEFAULT_WIDTH = 8.43        # Excel's default column width, in characters
MIN_WIDTH = 6
PAIR_LABEL_MAX = 22         # a label/value pair's label widens column A up to this; longer wraps
PAIR_VALUE_MAX = 48         # and its value column B up to this
HEADER_PAD = 3              # room for the autofilter button beside a header word
# a column's width counts digits (7 px in Calibri 11); a letter of text is on average narrower,
# 6 px, bold included: text n characters long needs n · 6/7 widths, wide letters and all
TEXT_EM = 6 / 7


def text_width(text: str) -> int:
    """The column width a line of text needs, without the cell's padding."""
    return math.ceil(max(map(len, text.split("\n"))) * TEXT_EM)


@dataclass
class SheetPrint:
    """What the writers tell the print layout about one sheet."""
    widths: dict[int, float] = field(default_factory=dict)    # column -> width in characters
    header_row: int | None = None                             # repeated on every printed page
    last_row: int = -1                                        # beyond the cells: charts
    last_col: int = -1
    notes: list[tuple[int, str]] = field(default_factory=list)  # (row, text) across the print width
    breaks: list[int] = field(default_factory=list)            # a new page starts at these rows

    def need(self, col: int, width: float) -> None:
        self.widths[col] = max(self.widths.get(col, 0), width)

    def col_px(self, col: int) -> int:
        """A column's width in pixels, as Excel and xlsxwriter reckon it (Calibri 11)."""
        width = self.widths.get(col, DEFAULT_WIDTH)
        return int(width * 7 + 0.5) + 5 if width >= 1 else int(width * 12 + 0.5)


def sheet_print(ws: Worksheet) -> SheetPrint:
    if not hasattr(ws, "lov_print"):
        ws.lov_print = SheetPrint()
    return ws.lov_print


def insert_chart(ws: Worksheet, row: int, col: int, chart, width: int, height: int) -> None:
    """A chart of `width` × `height` pixels at (row, col), kept inside the print area."""
    chart.set_size({"width": width, "height": height})
    ws.insert_chart(row, col, chart, {"object_position": 2})     # moves with the cells, keeps its size
    sp = sheet_print(ws)
    last_col, px = col, sp.col_px(col)
    while px < width:
        last_col += 1
        px += sp.col_px(last_col)
    sp.last_row = max(sp.last_row, row + math.ceil(height / ROW_PX))
    sp.last_col = max(sp.last_col, last_col)


def print_width_px(ws: Worksheet, last_col: int) -> int:
    sp = sheet_print(ws)
    return sum(sp.col_px(c) for c in range(last_col + 1))


def write_note(ws: Worksheet, row: int, text: str) -> None:
    """A line of text that wraps across the sheet's printed width (merged when laid out)."""
    sheet_print(ws).notes.append((row, text))


def lay_out_for_print(wb: xlsxwriter.Workbook, footer: PageFooter) -> None:
    note = wb.add_format({"text_wrap": True, "valign": "top"})
    for ws in wb.worksheets():
        _lay_out_sheet(ws, footer, note)


def _lay_out_sheet(ws: Worksheet, footer: PageFooter, note_fmt) -> None:
    sp = sheet_print(ws)
    for col, width in sorted(sp.widths.items()):
        ws.set_column(col, col, width)
    last_col = max(sp.last_col, ws.dim_colmax if ws.dim_colmax is not None else 0, 0)
    width_px = print_width_px(ws, last_col)
    for row, text in sp.notes:
        if last_col > 0:
            ws.merge_range(row, 0, row, last_col, text, note_fmt)
        else:
            ws.write_string(row, 0, text, note_fmt)
        _fit_row_height(ws, row, [(text, (width_px - 5) / 7)])
    last_row = max(sp.last_row, ws.dim_rowmax if ws.dim_rowmax is not None else 0, 0)

    ws.set_paper(A4)
    if width_px * PORTRAIT_MIN_SCALE > PRINT_WIDTH_PX["portrait"]:
        ws.set_landscape()
    else:
        ws.set_portrait()
    ws.fit_to_pages(1, 0)                  # one page wide, as many tall as it takes
    ws.set_margins(left=MARGIN_SIDE, right=MARGIN_SIDE, top=MARGIN_TOP, bottom=MARGIN_TOP)
    ws.print_area(0, 0, last_row, last_col)
    if sp.breaks:
        ws.set_h_pagebreaks(sp.breaks)
    if sp.header_row is not None:
        ws.repeat_rows(sp.header_row)
    if sp.header_row == 0:
        ws.hide_gridlines(0)               # a sheet that is one long table: gridlines help follow a row
    ws.set_footer(footer_text(footer), {"margin": MARGIN_HEADER})


FOOTER_MAX = 255            # Excel's limit for a header or footer, codes included


def footer_text(footer: PageFooter) -> str:
    """&L who, &C month and run, &R sheet and page, in 8 points. '&' in a name is doubled, as
    Excel's codes ask; a long name is shortened to keep within Excel's 255 characters."""
    right = "&A · Sida &P av &N"
    center = _footer_escape(footer.center)
    room = FOOTER_MAX - len("&L&8&C&8&R&8") - len(center) - len(right)
    left = _footer_escape(footer.left)
    if len(left) > room:
        left = left[:room - 1].rstrip("&") + "…"
    return f"&L&8{left}&C&8{center}&R&8{right}"


def _footer_escape(text: str) -> str:
    text = text.replace("&", "&&")
    return f" {text}" if text[:1].isdigit() else text      # a leading digit would read as font size


def write_table(ws: Worksheet, fmts: Formats, top: int, cols: list[Col], rows,
                total: list | None = None, data_table: bool = True) -> int:
    """Header row at `top`, one row per tuple in `rows` (None = empty cell), an optional bold
    total row below the filtered range. A data table gets a frozen header, an autofilter, and
    its header repeated on every printed page. Each column is as wide as its header's longest
    word and its cells, text at most `Col.width` (wrapping beyond). Returns the next free row."""
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
    _fit_row_height(ws, top, [(col.header, width - pad + 2) for col, width in zip(cols, final)])
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
    _fit_row_height(ws, row, wrapping)


def _fit_row_height(ws: Worksheet, row: int, texts: list[tuple[str, float]]) -> None:
    """Neither Excel nor LibreOffice sizes a row to wrapped text when it opens a file: a row with
    text that wraps (each text with the column width it wraps in) gets its height here."""
    lines = max((wrapped_lines(text, width) for text, width in texts), default=1)
    if lines > 1:
        ws.set_row(row, ROW_POINTS * lines)


def wrapped_lines(text: str, width: float) -> int:
    """How many lines `text` takes in a column `width` wide, wrapped at spaces, a letter reckoned
    TEXT_EM of a width: text_width's inverse, so text that `width` was sized to holds one line."""
    room = max(1, int((width - 0.5) / TEXT_EM))        # the cell keeps a few pixels free
    lines = 0
    for paragraph in text.split("\n"):
        lines += 1
        used = 0
        for word in paragraph.split():
            if used and used + 1 + len(word) > room:
                lines += 1
                used = 0
            used += (1 if used else 0) + len(word)
            while used > room:          # a word longer than the line breaks inside it
                lines += 1
                used -= room
    return lines


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
        _fit_row_height(ws, top + i, wrapping)
    return top + len(pairs)


def cells(df: pl.DataFrame, exprs: list[pl.Expr | str]) -> pl.DataFrame:
    """The cells of a table in column order (columns named by position, so they may repeat)."""
    return df.select([(pl.col(e) if isinstance(e, str) else e).alias(f"c{i}")
                      for i, e in enumerate(exprs)])


def hours(expr: pl.Expr) -> pl.Expr:
    """Seconds to decimal hours with two decimals (money.hours_value on a column)."""
    return (money.expr_div_round(expr * 100, 3600) / 100).round(2)


def table_hours(expr: pl.Expr) -> pl.Expr:
    """Seconds to hours with two decimals for the rows of a table with a Totalt row, so that the
    rows add up to the Totalt (hours() of the column's sum, rounded once): each row gets its
    hundredths rounded down, and the hundredths left over go to the rows with the largest
    remainders (the earlier row on a tie). A row differs from its own rounding by less than
    0,01 h. Evaluated over the whole frame the rows are selected from; null stays null."""
    num = expr.cast(pl.Int64) * 100
    down = num // 3600
    extra = money.expr_div_round(num.sum(), 3600) - down.sum()
    bump = ((-(num % 3600)).rank("ordinal") <= extra).cast(pl.Int64)
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
    (named only by `basis: none` rules, as checks.insats_classes finds them) and the payment
    file's format, which decides how the payment day is shown."""
    utanfor_lov: frozenset[str] = frozenset()
    payment_format: str = "bankgirot-lb"

    @classmethod
    def of(cls, cfg) -> "Options":
        from ..config.insatser import insats_classes
        _, unpaid, _, _ = insats_classes(cfg.cfg)
        return cls(frozenset(unpaid), cfg.cfg.payment_format)


def lov_only(tid: pl.DataFrame, opts: Options) -> pl.DataFrame:
    """The time rows of insatser within LOV: the Timunderlag LOV and every LOV total leave out
    insatser outside LOV, as the follow-up (history.figures) does."""
    from ..config.insatser import within_lov
    return within_lov(tid, opts.utanfor_lov)


def outside_lov(tid: pl.DataFrame, opts: Options) -> pl.DataFrame:
    if not opts.utanfor_lov:
        return tid.clear()
    return tid.filter(pl.col("insats").is_in(sorted(opts.utanfor_lov)).fill_null(False))


def payment_day_pairs(run: RunInfo, opts: Options) -> list[tuple[str, object]]:
    """The payment day as the payment file gives it: the scheduled day, or for a file made too
    late for it, "GENAST" (Bankgirot LB) or the requested execution date (pain.001)."""
    from ..core.schedule import execution_date, lb_payment_date_field
    planned = run.betalningsdag
    if opts.payment_format == "pain.001":
        when = execution_date(planned, run.filedatum)
        return [("Betalningsdag", when)] + ([("Planerad betalningsdag", planned)] if when != planned else [])
    if lb_payment_date_field(planned, run.filedatum) == "GENAST":
        return [("Betalningsdag", f"Omgående (GENAST), planerad {planned.isoformat()}")]
    return [("Betalningsdag", planned)]
