"""The rows of a large table as worksheet XML built column by column (polars), instead of one
xlsxwriter call per cell when the table is written and another when the sheet is closed: a
Stockholm month's workbooks hold some 500 000 cells, which cost about 9 µs each that way, most of
the time the workbooks took (issue 18; docs/performance.md).

A BlockSheet is an xlsxwriter Worksheet that holds such blocks of rows beside its ordinary cells
and writes each block in its place when the workbook is closed; everything else about the sheet
(formats, column widths, row heights, autofilter, print setup) stays xlsxwriter's. A block's
cells are what xlsxwriter writes for the same values: a text as a shared string, a number as
itself, a date as its Excel serial day, each with its cell format. Three differences, none
seen in the cells: the shared strings are numbered per column rather than per row; a block's
rows leave out the optional `spans` hint; and a number is the shortest text that reads back as
the same float, where xlsxwriter writes 16 significant digits, which can round the 17th. A frame the block cannot write as xlsxwriter
would (a number that is not finite, a text over Excel's limit, a date before March 1900) is
written cell by cell instead (add_block returns False).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date

import polars as pl
from xlsxwriter.utility import xl_col_to_name
from xlsxwriter.worksheet import Worksheet

# days from Excel's day 0 (1899-12-30, counting its 1900 leap day) to 1970-01-01: a date's
# serial number from March 1900 on
EXCEL_DAY_1970 = 25569
FIRST_SERIAL_DATE = date(1900, 3, 1)        # before it, Excel's day numbers count a day that never was
MAX_TEXT = 32767 // 2                        # text this short is within Excel's limit in any encoding


@dataclass(frozen=True)
class Block:
    first: int            # the sheet row (0-based) of its first row
    cells: pl.Series      # per row, its <c> elements ("" for a row without cells)

    @property
    def last(self) -> int:
        return self.first + self.cells.len() - 1


@dataclass(frozen=True)
class Column:
    """A column of cells, from one pass over its frame (summary): its distinct values in order of
    first appearance, or for numbers its smallest and largest; and whether it has any cell."""
    values: list
    cells: bool


NUMBERS = ("hours", "money", "int", "pct", "pct2", "dec1")


def summary(frame: pl.DataFrame, kinds: list[str]) -> list[Column] | None:
    """Each column's Column, in one query; None when the frame cannot be a block: a number that
    is not finite, a text beyond Excel's limit, a date before March 1900, a type that does not
    fit its kind."""
    exprs, schema = [], frame.schema
    for i, (name, kind) in enumerate(zip(frame.columns, kinds)):
        c, dtype = pl.col(name), schema[name]
        if kind in NUMBERS:
            if not dtype.is_numeric():
                return None
            exprs += [c.min().alias(f"lo{i}"), c.max().alias(f"hi{i}"),
                      (c.is_finite().all() if dtype.is_float() else pl.lit(True)).alias(f"ok{i}")]
        elif dtype != {"date": pl.Date, "text": pl.String}.get(kind):
            return None
        else:
            exprs.append(c.drop_nulls().unique(maintain_order=True).implode().alias(f"v{i}"))
            exprs.append((c.cast(pl.String).str.len_chars().max() <= MAX_TEXT).fill_null(True).alias(f"ok{i}")
                         if kind == "text" else (c.min() >= FIRST_SERIAL_DATE).fill_null(True).alias(f"ok{i}"))
    row = frame.select(exprs).row(0, named=True)
    if not all(row[f"ok{i}"] for i in range(frame.width)):
        return None
    return [Column([row[f"lo{i}"], row[f"hi{i}"]], row[f"lo{i}"] is not None) if f"lo{i}" in row
            else Column(row[f"v{i}"], bool(row[f"v{i}"])) for i in range(frame.width)]


class BlockSheet(Worksheet):
    """A worksheet that can hold blocks of rows as XML (add_block)."""

    def __init__(self) -> None:
        super().__init__()
        self.lov_blocks: list[Block] = []

    def add_block(self, first: int, frame: pl.DataFrame, kinds: list[str], formats: list,
                  columns: list[Column]) -> bool:
        """The frame's rows from sheet row `first` on, column c of the frame in sheet column c as
        a cell of kind kinds[c] (xlsx.Col.kind) with format formats[c] (`columns`: the frame's
        summary); a null is no cell. False (nothing written) when the sheet cannot hold blocks."""
        if self.constant_memory or self.date_1904 or self.default_row_height != self.original_row_height:
            return False
        used = [c for c, col in enumerate(columns) if col.cells]
        if not used:
            return True
        if self._check_dimensions(first, used[0]) or self._check_dimensions(first + frame.height - 1, used[-1]):
            return False
        row = pl.int_range(first + 1, first + 1 + frame.height).cast(pl.String)
        cells = [_cell(xl_col_to_name(c), row, self._values(pl.col(name), kind, col), kind, fmt)
                 for c, (name, kind, fmt, col) in enumerate(zip(frame.columns, kinds, formats, columns)) if col.cells]
        self.lov_blocks.append(Block(first, frame.select(pl.concat_str(cells, ignore_nulls=True)).to_series()))
        return True

    def _values(self, c: pl.Expr, kind: str, col: Column) -> pl.Expr:
        """The <v> of each cell as text (null: no cell): a text's shared string, a date's serial day."""
        if kind == "text":
            index = [str(self.str_table._get_shared_string_index(v)) for v in col.values]
            return c.replace_strict(col.values, index, return_dtype=pl.String)
        if kind == "date":
            return c.cast(pl.Int32).add(EXCEL_DAY_1970).cast(pl.String)
        return c.cast(pl.String)

    def _write_rows(self) -> None:
        """xlsxwriter's rows, with each block written in its place."""
        if not self.lov_blocks:
            return super()._write_rows()
        lo, hi = self.dim_rowmin, self.dim_rowmax
        try:
            row = lo
            for block in sorted(self.lov_blocks, key=lambda b: b.first):
                if block.first > row:
                    self.dim_rowmin, self.dim_rowmax = row, block.first - 1
                    super()._write_rows()
                self._write_block(block)
                row = block.last + 1
            if row <= hi:
                self.dim_rowmin, self.dim_rowmax = row, hi
                super()._write_rows()
        finally:
            self.dim_rowmin, self.dim_rowmax = lo, hi

    def _write_block(self, block: Block) -> None:
        rows = range(block.first, block.last + 1)
        if any(self.table.get(r) for r in rows):
            raise RuntimeError(f"cells written into the rows {block.first + 1}–{block.last + 1} of a block")
        own = {r: self._row_tag(r, block.cells[r - block.first] == "") for r in self.row_info if r in rows}
        frame = pl.DataFrame({"c": block.cells}).with_columns(
            pl.format('<row r="{}">', pl.int_range(block.first + 1, block.last + 2)).alias("t"), pl.lit(False).alias("own"))
        if own:
            at = pl.Series([r - block.first for r in own], dtype=pl.UInt32)
            frame = frame.with_columns(frame["t"].scatter(at, list(own.values())), frame["own"].scatter(at, True))
        end = pl.when(pl.col("t").str.ends_with("/>")).then(pl.lit("")).otherwise(pl.lit("</row>"))
        xml = frame.filter((pl.col("c") != "") | pl.col("own")).select(pl.concat_str("t", "c", end)).to_series()
        self.fh.write("".join(xml))

    def _row_tag(self, row: int, empty: bool) -> str:
        """xlsxwriter's own <row> tag for a row with a height of its own (no spans)."""
        fh, self.fh = self.fh, io.StringIO()
        try:
            self._write_row(row, None, self.row_info[row], empty_row=empty)
            return self.fh.getvalue()
        finally:
            self.fh = fh


def _cell(col: str, row: pl.Expr, value: pl.Expr, kind: str, fmt) -> pl.Expr:
    style = f' s="{fmt._get_xf_index()}"' if fmt is not None else ""
    shared = ' t="s"' if kind == "text" else ""
    return pl.concat_str([pl.lit(f'<c r="{col}'), row, pl.lit(f'"{style}{shared}><v>'), value, pl.lit("</v></c>")])
