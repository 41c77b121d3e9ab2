"""Read back what was written, for the run's own reconciliation: the check compares files on
disk, not the numbers the writers meant to write."""

from __future__ import annotations

from pathlib import Path

from openpyxl import load_workbook

from ..money import round_half_up


def _ore(value: object) -> int:
    if not isinstance(value, (int, float)):
        raise ValueError(f"inget belopp: {value!r}")
    return round_half_up(round(value * 1000), 10)   # kronor with two decimals, float noise removed


def cell_right_of(path: Path, sheet: str, label: str, column: int) -> int:
    """Öre in the given column of the row whose first cell is `label`, in one sheet."""
    wb = load_workbook(path, read_only=True, data_only=True)
    try:
        for row in wb[sheet].iter_rows(values_only=True):
            if row and row[0] == label:
                return _ore(row[column])
    finally:
        wb.close()
    raise ValueError(f"'{label}' saknas i {path.name}")


def workbook_total(path: Path) -> int:
    """'Att betala' on an utförare's Sammanfattning sheet."""
    return cell_right_of(path, "Sammanfattning", "Att betala", 3)


def summary_paid(path: Path) -> int:
    """The Totalt row's 'Utbetalas' on the Sammanställning sheet."""
    wb = load_workbook(path, read_only=True, data_only=True)
    try:
        ws = wb["Sammanställning"]
        col = None
        for row in ws.iter_rows(values_only=True):
            if row and "Utbetalas (kr)" in row:
                col = row.index("Utbetalas (kr)")
            elif col is not None and row and row[0] == "Totalt":
                return _ore(row[col])
    finally:
        wb.close()
    raise ValueError(f"Totalt/Utbetalas saknas i {path.name}")
