"""A large table written as a block of XML (write/sheetxml.py) reads back, in a spreadsheet
reader, as the same table written cell by cell by xlsxwriter: the same values, formats, row
heights, column widths, filter and frozen header, with the pairs above it and the Totalt row
below it in place."""

from __future__ import annotations

import math
from datetime import date

import openpyxl
import polars as pl
import pytest
import xlsxwriter

from lovkorning.write.sheetxml import BlockSheet
from lovkorning.write.xlsx import BLOCK_MIN_CELLS, Col, Formats, write_pairs, write_table

COLS = [Col("Brukare", "text", 15), Col("Meddelande", "text", 30), Col("Från", "date", 11),
        Col("Timmar", "hours", 10), Col("Belopp (kr)", "money", 12), Col("Antal", "int", 8),
        Col("Andel", "pct", 8)]
SCHEMA = {f"c{i}": t for i, t in enumerate([pl.String, pl.String, pl.Date, pl.Float64, pl.Float64, pl.Int64,
                                            pl.Float64])}
LONG = "Ett längre meddelande som inte ryms på en rad i kolumnen & därför bryts <här>."


def rows(n: int) -> list[tuple]:
    out = []
    for i in range(n):
        out.append((f"19450101-{i % 97:04d}" if i % 5 else None,
                    LONG if i % 7 == 0 else ("" if i % 11 == 0 else f"Kort {i % 13} \"citat\"."),
                    date(2023, 9, 1 + i % 30) if i % 3 else None,
                    round(i * 0.37 - 40, 2) if i % 4 else None,
                    (i * 12345.67 - 987654.32) if i % 6 else 0.0,
                    i * 3 - 100 if i % 2 else None,
                    i / 7))
    return out


def written(path, table, block: bool) -> openpyxl.Workbook:
    wb = xlsxwriter.Workbook(str(path), {"in_memory": True})
    if block:
        wb.worksheet_class = BlockSheet
    ws = wb.add_worksheet("T")
    fmts = Formats(wb)
    top = write_pairs(ws, fmts, 0, [("Utförare", "Omsorg & Co"), ("Månad", date(2023, 9, 1))]) + 1
    end = write_table(ws, fmts, top, COLS, table, ["Totalt", None, None, 1.0, 2.0, 3, None])
    ws.write_string(end + 1, 0, "Under tabellen")
    assert bool(getattr(ws, "lov_blocks", None)) == block
    wb.close()
    return openpyxl.load_workbook(path)


def same(a, b) -> bool:
    """Equal, floats to 15 significant digits (what a spreadsheet shows: xlsxwriter writes 16, the
    block the shortest text that reads back as the same float)."""
    if isinstance(a, float) and isinstance(b, float):
        return math.isclose(a, b, rel_tol=1e-15, abs_tol=1e-12)
    if isinstance(a, (tuple, list)) and isinstance(b, (tuple, list)):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    return a == b


def seen(wb: openpyxl.Workbook) -> dict:
    ws = wb["T"]
    cells = {c.coordinate: (c.value, c.number_format, c.font.b, c.alignment.wrap_text, c.border.top.style)
             for row in ws.iter_rows() for c in row if c.value is not None or c.has_style}
    return {"cells": cells, "heights": {r: d.height for r, d in ws.row_dimensions.items() if d.height},
            "widths": {c: d.width for c, d in ws.column_dimensions.items()}, "filter": ws.auto_filter.ref,
            "panes": ws.freeze_panes, "dimensions": ws.dimensions}


def test_a_large_table_reads_back_as_the_table_written_cell_by_cell(tmp_path):
    table = rows(400)
    assert len(table) * len(COLS) >= BLOCK_MIN_CELLS
    by_cell = seen(written(tmp_path / "a.xlsx", iter(table), block=False))
    by_block = seen(written(tmp_path / "b.xlsx", pl.DataFrame(table, schema=SCHEMA, orient="row"), block=True))
    assert same(by_block, by_cell)
    assert len(by_block["heights"]) >= 400 // 7, "every long message makes its row taller"
    assert by_block["cells"]["B5"][0].startswith("Ett längre meddelande")
    exact = openpyxl.load_workbook(tmp_path / "b.xlsx")["T"]
    assert [exact.cell(5 + i, 5).value for i in range(400)] == [r[4] for r in table]   # not one bit lost


@pytest.mark.parametrize("odd", [("c3", float("inf")), ("c3", float("nan")), ("c2", date(1900, 2, 28))])
def test_a_table_the_block_cannot_write_as_xlsxwriter_would_is_written_cell_by_cell(tmp_path, odd):
    table = pl.DataFrame(rows(400), schema=SCHEMA, orient="row")
    name, value = odd
    table = table.with_columns(pl.when(pl.int_range(pl.len()) == 1).then(pl.lit(value)).otherwise(pl.col(name))
                               .cast(SCHEMA[name]).alias(name))
    wb = xlsxwriter.Workbook(str(tmp_path / "t.xlsx"), {"in_memory": True, "nan_inf_to_errors": True})
    wb.worksheet_class = BlockSheet
    ws = wb.add_worksheet("T")
    write_table(ws, Formats(wb), 0, COLS, table)
    assert not ws.lov_blocks
    assert ws.table[2][name == "c3" and 3 or 2] is not None


def test_a_cell_written_into_a_blocks_rows_stops_the_close(tmp_path):
    wb = xlsxwriter.Workbook(str(tmp_path / "t.xlsx"), {"in_memory": True})
    wb.worksheet_class = BlockSheet
    ws = wb.add_worksheet("T")
    write_table(ws, Formats(wb), 0, COLS, pl.DataFrame(rows(400), schema=SCHEMA, orient="row"))
    ws.write_string(10, 9, "i tabellen")
    with pytest.raises(RuntimeError, match="block"):
        wb.close()
