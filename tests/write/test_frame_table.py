"""A table written from a frame of cells (the workbooks' tables, write/tables.py) gets the same
cells, column widths and row heights as the same table written row by row: widths and wrapping
rows are worked out per column, from the smallest and largest number or the distinct texts."""

from __future__ import annotations

from datetime import date

import polars as pl
import xlsxwriter

from lovkorning.write.printing import sheet_print
from lovkorning.write.xlsx import Col, Formats, write_table

COLS = [Col("Brukare", "text", 15), Col("Meddelande", "text", 30), Col("Från", "date", 11),
        Col("Timmar", "hours", 10), Col("Belopp (kr)", "money", 12), Col("Antal", "int", 8),
        Col("Andel", "pct", 8)]

ROWS = [
    ("19450101-0001", "Kort.", date(2023, 9, 1), 1.5, 12345.67, 3, 0.5),
    ("19450101-0002", "Ett längre meddelande som inte ryms på en rad i kolumnen och därför bryts.",
     date(2023, 9, 2), None, -987654.32, None, 1.25),
    (None, None, None, 123.45, 0.0, 1200, None),
    ("Utan brukare", "Kort.", date(2023, 9, 30), -0.25, 5.0, 7, 12.0),
]
TOTAL = ["Totalt", None, None, 1.0, 2.0, 3, None]


def written(tmp_path, rows) -> tuple[dict, dict, dict]:
    wb = xlsxwriter.Workbook(str(tmp_path / "t.xlsx"), {"in_memory": True})
    ws = wb.add_worksheet("T")
    end = write_table(ws, Formats(wb), 0, COLS, rows, TOTAL)
    cells = {(r, c): getattr(cell, "number", getattr(cell, "string", None))
             for r, cols in ws.table.items() for c, cell in cols.items()}
    heights = {r: info.height for r, info in ws.row_info.items()}
    wb.close()
    assert end == len(ROWS) + 2
    return cells, dict(sheet_print(ws).widths), heights


def test_a_frame_of_cells_is_written_as_its_rows_are(tmp_path):
    frame = pl.DataFrame(ROWS, schema={f"c{i}": t for i, t in enumerate(
        [pl.String, pl.String, pl.Date, pl.Float64, pl.Float64, pl.Int64, pl.Float64])}, orient="row")
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    by_rows = written(tmp_path / "a", iter(ROWS))
    by_frame = written(tmp_path / "b", frame)
    assert by_frame == by_rows
    cells, widths, heights = by_frame
    assert heights, "the long message wraps and makes its row taller"
    assert widths[4] >= len("-987,654.32") + 2     # the widest number is the smallest one
