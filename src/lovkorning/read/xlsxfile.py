"""Excel (.xlsx) into string frames: the first sheet, header on row 1, every row and cell the sheet
holds whatever size it records; merged cells and formulas named as problems.
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
    """The first sheet's merged ranges. Read-only worksheets do not parse them, so scan the sheet's
    XML for <mergeCell ref=…> (a streaming regex, no second parse); if openpyxl changes, load the
    sheet in full."""
    source = getattr(ws, "_get_source", None)
    if source is None:     # pragma: no cover - depends on openpyxl internals
        from openpyxl import load_workbook  # lazy: startup
        return [str(r) for r in load_workbook(path, read_only=False).worksheets[0].merged_cells.ranges]
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


def read_xlsx(path: Path, fil: str, head: bytes | None = None) -> pl.DataFrame:
    from openpyxl.utils.cell import range_boundaries  # lazy: startup

    if head is None:
        with path.open("rb") as f:
            head = f.read(HEAD_BYTES)
    wb = _open_workbook(path, head, fil)
    try:
        if not wb.worksheets:
            raise InputError(Fel("Arbetsboken har inget kalkylblad (bara diagramblad?).", Plats(fil)))
        ws = wb.worksheets[0]
        # A read-only sheet trusts its recorded size (<dimension ref=…>), which writers other than
        # Excel often get wrong (too small: rows and columns would be lost without a word). Forget
        # it, so iter_rows reads every row and cell the sheet's XML actually holds.
        ws.reset_dimensions()
        rows = ws.iter_rows(values_only=False)
        header = next(rows, None)
        if not header or all(c.value is None for c in header):
            raise InputError(Fel(f"Första bladet ('{ws.title}') är tomt: rubrikraden saknas på rad 1. "
                                 "Indata läses från arbetsbokens första blad.", Plats(fil, 1)))
        names = [str(c.value).strip() if c.value is not None else f"_tom{i}" for i, c in enumerate(header)]
        check_header_names(names, fil)
        data: list[list[str | None]] = []
        problems: list[Fel] = []
        for r, row in enumerate(rows, start=2):
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
        merged = _merged_ranges(ws, path)
    except LovError:
        raise
    except Exception:      # a damaged sheet inside a sound zip: bad XML, a bad member, …
        raise InputError(Fel("Excelfilen är skadad: första bladet kan inte läsas.", Plats(fil))) from None
    finally:
        wb.close()
    for ref in merged[:MAX_LISTED]:
        min_col, min_row, _, _ = range_boundaries(ref)
        col = safe_name(names[min_col - 1]) if min_col - 1 < len(names) else None
        problems.append(Fel(f"Sammanfogade celler ({ref}): värdet står bara i den första cellen och de andra blir tomma. "
                            "Dela upp cellerna och skriv värdet på varje rad.", Plats(fil, min_row, col)))
    if problems:
        raise InputError(problems[: 2 * MAX_LISTED])
    return pl.DataFrame(data, schema={**{n: pl.String for n in names}, "_rad": pl.Int64}, orient="row")
