"""How every sheet prints: A4, one page wide, portrait or landscape by width, the header row
repeated, a footer with who, month, run id and page; column widths and row heights from content.
"""

from __future__ import annotations

import math

from dataclasses import dataclass, field
from functools import lru_cache

import xlsxwriter
from xlsxwriter.worksheet import Worksheet


@dataclass(frozen=True)
class PageFooter:
    """What every printed page of a workbook says at its foot: who (left) and which month and run
    (centre); the sheet and "Sida x av y" go on the right."""
    left: str
    center: str


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


@lru_cache(maxsize=1 << 16)     # a table repeats its texts (codes, insatser, brukare) row after row
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


def landscape(width_px: int) -> bool:
    """Does a sheet this wide (its columns, in pixels) print landscape?"""
    return width_px * PORTRAIT_MIN_SCALE > PRINT_WIDTH_PX["portrait"]


def page_height_px(width_px: int) -> int:
    """The printed height of a page of a sheet this wide, at 96 px/inch (before any scaling)."""
    return round(((8.27 if landscape(width_px) else 11.69) - 2 * MARGIN_TOP) * 96)


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
        fit_row_height(ws, row, [(text, (width_px - 5) / 7)])
    last_row = max(sp.last_row, ws.dim_rowmax if ws.dim_rowmax is not None else 0, 0)

    ws.set_paper(A4)
    if landscape(width_px):
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


def fit_row_height(ws: Worksheet, row: int, texts: list[tuple[str, float]]) -> None:
    """Neither Excel nor LibreOffice sizes a row to wrapped text when it opens a file: a row with
    text that wraps (each text with the column width it wraps in) gets its height here."""
    lines = max((wrapped_lines(text, width) for text, width in texts), default=1)
    if lines > 1:
        ws.set_row(row, ROW_POINTS * lines)


@lru_cache(maxsize=1 << 16)
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
