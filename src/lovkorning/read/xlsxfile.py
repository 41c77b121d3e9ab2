"""Excel (.xlsx) into string frames: the first sheet (or one by name), header on row 1 (or on the
rows the config names), every row and cell the sheet holds whatever size it records; merged
cells in the data and formulas named as problems.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time
from pathlib import Path

import polars as pl

from ..core.errors import Fel, InputError, LovError, Plats
from .sniff import HEAD_BYTES, MAX_LISTED, OLE_MAGIC, ZIP_MAGIC, safe_name, check_header_names
import zipfile


# ---------------------------------------------------------------- Excel


def _cell_text(v: object, fmt: str | None = None) -> str | None:
    if v is None:
        return None
    if isinstance(v, datetime):   # a date cell, unless it has a time or is formatted with one (00:00 is a time)
        timed = (v.hour, v.minute, v.second) != (0, 0, 0) or "h" in (fmt or "").lower()
        return v.strftime("%Y-%m-%d %H:%M:%S") if timed else v.date().isoformat()
    if isinstance(v, date):
        return v.isoformat()
    if isinstance(v, time):
        return v.strftime("%H:%M:%S")
    if isinstance(v, bool):
        return "ja" if v else "nej"
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v).strip()


MERGE_CELL = re.compile(rb'<(?:[A-Za-z_][\w.-]*:)?mergeCell\b[^>]*?\bref="([A-Z]{1,3}[0-9]+(?::[A-Z]{1,3}[0-9]+)?)"')


def _open_workbook(path: Path, head: bytes, fil: str):
    """openpyxl's read-only workbook, or an InputError saying what the file really is."""

    from openpyxl import load_workbook  # lazy: startup

    if head.startswith(OLE_MAGIC):
        raise InputError(Fel("Filen är i Excels gamla format (.xls) eller lösenordsskyddad. "
                             "Spara den som .xlsx utan lösenord.", Plats(fil)))
    if not head.startswith(ZIP_MAGIC):
        text = b"\x00" not in head[:4096] and len(head) > 0
        raise InputError(Fel("Filen heter .xlsx men är ingen Excelfil" + (
            " (den ser ut som text; är det en CSV-fil? Byt då filändelsen till .csv)." if text else "."), Plats(fil)))
    try:
        with zipfile.ZipFile(path) as z:
            members = {n.lower() for n in z.namelist()}
    except (zipfile.BadZipFile, OSError):
        raise InputError(Fel("Excelfilen är skadad: zip-arkivet kan inte läsas (avbruten kopiering eller "
                             "nedladdning?).", Plats(fil))) from None
    if "xl/workbook.xml" not in members:
        raise InputError(Fel("Filen är en zip-fil men ingen Excelarbetsbok (xl/workbook.xml saknas).", Plats(fil)))
    try:
        return load_workbook(path, read_only=True, data_only=False)
    except Exception:
        raise InputError(Fel("Excelfilen kan inte öppnas (skadad eller inte .xlsx).", Plats(fil))) from None


def _merged_ranges(ws, path: Path) -> list[str]:
    """The sheet's merged ranges. Read-only worksheets do not parse them, so scan the sheet's
    XML for <mergeCell ref=…> (a streaming regex, no second parse); if openpyxl changes, load the
    sheet in full."""
    source = getattr(ws, "_get_source", None)
    if source is None:     # pragma: no cover - depends on openpyxl internals
        from openpyxl import load_workbook  # lazy: startup
        return [str(r) for r in load_workbook(path, read_only=False)[ws.title].merged_cells.ranges]
    found: dict[str, None] = {}
    tail = b""
    with source() as f:
        while chunk := f.read(1 << 20):
            buf = tail + chunk
            end = 0
            for m in MERGE_CELL.finditer(buf):
                found[m.group(1).decode("ascii")] = None
                end = m.end()
            tail = buf[max(end, len(buf) - 256):]
    return list(found)


def _sheet(wb, sheet: str | None, fil: str):
    """The sheet by name (case and spaces aside), else the first."""
    if not wb.worksheets:
        raise InputError(Fel("Arbetsboken har inget kalkylblad (bara diagramblad?).", Plats(fil)))
    if sheet is None:
        return wb.worksheets[0]
    for ws in wb.worksheets:
        if ws.title.strip().lower() == sheet.strip().lower():
            return ws
    names = ", ".join(f"'{ws.title}'" for ws in wb.worksheets)
    raise InputError(Fel(f"Bladet '{sheet}' (inputs.format) finns inte i arbetsboken; bladen heter {names}.", Plats(fil)))


def header_names(lines: list[list[object]]) -> list[str | None]:
    """Column names from the header's line or lines: on several lines, the parts of a column joined
    by a space (a merged cell's value stands over each of its columns), each part once."""
    width = max((len(r) for r in lines), default=0)
    names: list[str | None] = []
    for i in range(width):
        parts: list[str] = []
        for line in lines:
            v = line[i] if i < len(line) else None
            text = str(v).strip() if v is not None else ""
            if text and text not in parts:
                parts.append(text)
        names.append(" ".join(parts) or None)
    return names


def _fill_merged(rows: dict[int, list[object]], merged: list[str]) -> None:
    """Each header cell of a merged range takes the range's value (openpyxl gives it to the first)."""
    from openpyxl.utils.cell import range_boundaries  # lazy: startup

    for ref in merged:
        min_col, min_row, max_col, max_row = range_boundaries(ref)
        first = rows.get(min_row)
        if first is None or min_col - 1 >= len(first):
            continue
        value = first[min_col - 1]
        for r in range(min_row, max_row + 1):
            if r in rows:
                line = rows[r]
                line += [None] * (max_col - len(line))
                for c in range(min_col - 1, max_col):
                    line[c] = value


def read_xlsx(path: Path, fil: str, head: bytes | None = None, sheet: str | None = None,
              header_rows: tuple[int, ...] = (1,)) -> pl.DataFrame:
    """The sheet (`sheet`, else the first) as text with `_rad`, the header on `header_rows` (rows
    above it are skipped). Merged cells in the header (on several lines) or above it are read as
    their value; in the data they are an error (the other cells would be empty)."""
    from openpyxl.utils.cell import range_boundaries  # lazy: startup

    if head is None:
        with path.open("rb") as f:
            head = f.read(HEAD_BYTES)
    wb = _open_workbook(path, head, fil)
    first, last = header_rows[0], header_rows[-1]
    try:
        ws = _sheet(wb, sheet, fil)
        # A read-only sheet trusts its recorded size (<dimension ref=…>), which writers other than
        # Excel often get wrong (too small: rows and columns would be lost without a word). Forget
        # it, so iter_rows reads every row and cell the sheet's XML actually holds.
        ws.reset_dimensions()
        rows = ws.iter_rows(values_only=False)
        above: dict[int, list[object]] = {}
        for r in range(1, last + 1):
            above[r] = [c.value for c in next(rows, ())]
        merged = _merged_ranges(ws, path)
        in_header = [ref for ref in merged if range_boundaries(ref)[3] <= last]
        if len(header_rows) > 1:
            _fill_merged(above, in_header)
        header = [above[r] for r in header_rows]
        if all(v is None for line in header for v in line):
            if sheet is None and header_rows == (1,):
                raise InputError(Fel(f"Första bladet ('{ws.title}') är tomt: rubrikraden saknas på rad 1. "
                                     "Indata läses från arbetsbokens första blad.", Plats(fil, 1)))
            where = f"rad {first}" if len(header_rows) == 1 else f"raderna {first}–{last}"
            raise InputError(Fel(f"Bladet '{ws.title}' har ingen rubrikrad på {where} (inputs.format: sheet, "
                                 "header_row).", Plats(fil, first)))
        names = [n if n is not None else f"_tom{i}" for i, n in enumerate(header_names(header))]
        check_header_names(names, fil)
        data: list[list[str | None]] = []
        problems: list[Fel] = []
        for r, row in enumerate(rows, start=last + 1):
            vals = []
            if len(row) > len(names):      # cells right of the header (rows are as long as their last cell)
                names += [f"_tom{i}" for i in range(len(names), len(row))]
            for i, c in enumerate(row):
                kind = getattr(c, "data_type", None)
                if kind == "f":
                    problems.append(Fel("Cellen innehåller en formel; spara värden, inte formler.", Plats(fil, r, safe_name(names[i]))))
                elif kind == "e":
                    problems.append(Fel(f"Cellen innehåller ett Excelfel ({c.value}).", Plats(fil, r, safe_name(names[i]))))
                vals.append(_cell_text(c.value, getattr(c, "number_format", None)))
            vals += [None] * (len(names) - len(vals))
            if any(v not in (None, "") for v in vals):
                data.append(vals + [r])
        for vals in data:                  # rows read before a wider one: pad to the final width
            if len(vals) <= len(names):
                vals[-1:] = [None] * (len(names) + 1 - len(vals)) + vals[-1:]
    except LovError:
        raise
    except Exception:      # a damaged sheet inside a sound zip: bad XML, a bad member, …
        raise InputError(Fel("Excelfilen är skadad: första bladet kan inte läsas." if sheet is None else
                             f"Excelfilen är skadad: bladet '{sheet}' kan inte läsas.", Plats(fil))) from None
    finally:
        wb.close()
    allowed = in_header if len(header_rows) > 1 else [ref for ref in in_header if range_boundaries(ref)[3] < first]
    for ref in [ref for ref in merged if ref not in allowed][:MAX_LISTED]:
        min_col, min_row, _, _ = range_boundaries(ref)
        col = safe_name(names[min_col - 1]) if min_col - 1 < len(names) else None
        problems.append(Fel(f"Sammanfogade celler ({ref}): värdet står bara i den första cellen och de andra blir tomma. "
                            "Dela upp cellerna och skriv värdet på varje rad.", Plats(fil, min_row, col)))
    if problems:
        raise InputError(problems[: 2 * MAX_LISTED])
    return pl.DataFrame(data, schema={**{n: pl.String for n in names}, "_rad": pl.Int64}, orient="row")
