"""Read back what was written, for the run's own reconciliation: the check compares files on
disk, not the numbers the writers meant to write."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

from openpyxl import load_workbook

from ..core.money import round_half_up
from .cells import PAID_HEADERS, TOTAL_LABELS


def _ore(value: object) -> int:
    if not isinstance(value, (int, float)):
        raise ValueError(f"inget belopp: {value!r}")
    return round_half_up(round(value * 1000), 10)   # kronor with two decimals, float noise removed


def cell_right_of(path: Path, sheet: str, label: str | tuple[str, ...], column: int) -> int:
    """Öre in the given column of the row whose first cell is `label` (or one of several), in one sheet."""
    labels = (label,) if isinstance(label, str) else label
    wb = load_workbook(path, read_only=True, data_only=True)
    try:
        for row in wb[sheet].iter_rows(values_only=True):
            if row and row[0] in labels:
                return _ore(row[column])
    finally:
        wb.close()
    raise ValueError(f"'{labels[0]}' saknas i {path.name}")


def workbook_total(path: Path) -> int:
    """The total on an utförare's Sammanfattning sheet ('Att betala'; for egen regi 'Ersättning
    (ingen utbetalning)'), read from the file's XML (fast; 120 workbooks in a fraction of a
    second), or with openpyxl when the file is laid out otherwise."""
    try:
        return _total_from_xml(path)
    except (KeyError, ValueError, AttributeError, zipfile.BadZipFile):
        return cell_right_of(path, "Sammanfattning", TOTAL_LABELS, 3)


def _total_from_xml(path: Path) -> int:
    with zipfile.ZipFile(path) as z:
        if 'name="Sammanfattning" sheetId="1"' not in z.read("xl/workbook.xml").decode("utf-8"):
            raise ValueError("first sheet is not Sammanfattning")
        sst = z.read("xl/sharedStrings.xml").decode("utf-8")
        found = [sst.find(f"<si><t>{t}</t></si>") for t in TOTAL_LABELS]
        found = [p for p in found if p >= 0]
        if len(found) != 1:
            raise ValueError("no single total label")
        label = sst.count("<si>", 0, found[0])
        sheet = z.read("xl/worksheets/sheet1.xml").decode("utf-8")
    row = re.search(rf'<c r="A(\d+)"[^>]*t="s"[^>]*><v>{label}</v></c>', sheet).group(1)
    value = re.search(rf'<c r="D{row}"[^>]*><v>([^<]+)</v>', sheet).group(1)
    return _ore(float(value))


def summary_paid(path: Path) -> int:
    """The Totalt row's 'Utbetalas' (a PRELIMINÄR run: 'Preliminärt, utbetalas ej') on the
    Sammanställning sheet."""
    wb = load_workbook(path, read_only=True, data_only=True)
    try:
        ws = wb["Sammanställning"]
        col = None
        for row in ws.iter_rows(values_only=True):
            if row and col is None and any(h in row for h in PAID_HEADERS):
                col = next(row.index(h) for h in PAID_HEADERS if h in row)
            elif col is not None and row and row[0] == "Totalt":
                return _ore(row[col])
    finally:
        wb.close()
    raise ValueError(f"Totalt/Utbetalas saknas i {path.name}")
