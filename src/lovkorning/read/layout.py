"""Where the table stands in a real export (`inputs.format.<file>`): a CSV's header below title
lines or on several lines, totals rows at the end, rows that match a pattern; and the check that
every column the config renames is in the file.
"""

from __future__ import annotations

import csv
import io

import polars as pl

from ..config.inputformat import FormatCfg
from ..core.errors import Fel, InputError, Plats
from .csvfile import read_csv_text
from .sniff import LINE_BREAK, MAX_LISTED, safe_name, sniff_separator
from .xlsxfile import header_names


def csv_below(text: str, header_rows: tuple[int, ...], fil: str) -> pl.DataFrame:
    """A CSV whose header stands on `header_rows` (the lines above it are skipped): read as a file
    beginning with its header, the lines numbered as in the file. A header on several lines
    becomes one, each column's parts joined (an empty cell takes the value on its left, as a
    merged cell exported to CSV leaves it)."""
    first, last = header_rows[0], header_rows[-1]
    starts = [0] + [m.end() for m in LINE_BREAK.finditer(text)]
    if len(starts) < last or not text[starts[first - 1]:].strip():
        raise InputError(Fel(f"Filen har ingen rubrikrad på rad {first} (inputs.format: header_row).", Plats(fil, first)))
    body = text[starts[last]:] if last < len(starts) else ""
    if len(header_rows) == 1:
        rest = text[starts[first - 1]:]
    else:
        lines = [text[starts[r - 1]:starts[r] if r < len(starts) else len(text)].rstrip("\r\n") for r in header_rows]
        sep = sniff_separator(lines[-1])
        cells = [next(csv.reader([line], delimiter=sep), []) for line in lines]
        for row in cells[:-1]:                    # merged cells: the value on the left, across
            for i in range(1, len(row)):
                row[i] = row[i] or row[i - 1]
        names = [n or "" for n in header_names(cells)]
        out = io.StringIO()
        csv.writer(out, delimiter=sep, lineterminator="\n").writerow(names)
        rest = out.getvalue() + body
    df = read_csv_text(rest, fil)
    return df.with_columns(pl.col("_rad") + (last - 1))


def cut_rows(df: pl.DataFrame, fmt: FormatCfg | None) -> tuple[pl.DataFrame, list[int]]:
    """The table without its last `footer_rows` rows and the rows where some cell matches
    `skip_matching`; and the lines of the rows cut."""
    if fmt is None or (not fmt.footer_rows and fmt.skip_matching is None):
        return df, []
    cut = pl.lit(False)
    if fmt.footer_rows:
        cut = cut | (pl.int_range(pl.len()) >= pl.len() - fmt.footer_rows)
    if fmt.skip_matching is not None:
        cells = [pl.col(c).cast(pl.String).str.contains(fmt.skip_matching).fill_null(False)
                 for c in df.columns if not c.startswith("_")]
        cut = cut | pl.any_horizontal(cells + [pl.lit(False)])
    rows = df.filter(cut)["_rad"].to_list()
    return (df.filter(~cut), rows) if rows else (df, [])


def check_renamed(columns: list[str], mapping: dict[str, str], base: str, fil: str, header: int) -> None:
    """Every column the config renames must be in the file: a wrong name would leave a column
    unread (a required one is named missing; an optional one would be lost without a word)."""
    present = {c.strip().lstrip("\ufeff").lower() for c in columns}
    missing = [(ours, theirs) for ours, theirs in mapping.items() if theirs.strip().lower() not in present]
    if missing:
        cols = ", ".join(f"'{safe_name(c)}'" for c in columns if not c.startswith("_"))
        raise InputError([Fel(f"Kolumnen '{theirs}' (inputs.columns.{base}.{ours}) finns inte i filen; filens "
                              f"kolumner: {cols}.", Plats(fil, header, safe_name(theirs)))
                          for ours, theirs in missing[:MAX_LISTED]])
