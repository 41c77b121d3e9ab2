"""Issue 14, item 3: every sheet of every workbook the tool writes prints on A4, one page wide,
with its header row repeated and a footer naming the utförare (or kommun), the month, the run and
"Sida x av y"; the Sammanfattning chart sits below its table, inside the print area.

The page setup is read back with openpyxl from the sample month's workbooks (settlement, a
correction's Rättelse sheet, a PRELIMINÄR run, the sammanställning and the diff workbook). How the
pages look was checked by converting the workbooks to PDF with LibreOffice (not part of the suite).
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pytest
from openpyxl.utils import column_index_from_string

from lovkorning.config.loaded import load
from lovkorning.core.period import Period
from lovkorning.settle.month import settle_month
from lovkorning.write import diffout
from lovkorning.write.sammanstallning import write_sammanstallning
from lovkorning.write.workbook import write_all_workbooks, write_utforare_workbook
from lovkorning.write.printing import (
    PORTRAIT_MIN_SCALE, PRINT_WIDTH_PX, PageFooter, footer_text, wrapped_lines)
from lovkorning.write.cells import Options

REPO = Path(__file__).resolve().parents[2]
A4 = 9
WIDEST_COLUMN = 75          # no ultra-wide columns: long text wraps within its column


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    """The sample month settled and written: every utförare workbook and the sammanställning."""
    cfg = load(REPO / "lovkorning.yaml")
    avr = settle_month(cfg, Period(2023, 9), date(2023, 10, 9)).avr
    out = tmp_path_factory.mktemp("print")
    opts = Options.of(cfg)
    write_all_workbooks(avr, out / "avrakning", opts=opts)
    write_sammanstallning(avr, out / "sammanstallning.xlsx", opts)
    return avr, opts, out


def sheets(path: Path):
    wb = openpyxl.load_workbook(path)
    return [wb[name] for name in wb.sheetnames]


def area(ws) -> tuple[int, int]:
    """(last row, last column), 1-based, of the sheet's print area."""
    m = re.fullmatch(r"'?[^!]+'?!\$A\$1:\$([A-Z]+)\$(\d+)", ws.print_area)
    assert m, ws.print_area
    return int(m.group(2)), column_index_from_string(m.group(1))


def column_widths(ws, last_col: int) -> list[float]:
    widths = {}
    for dim in ws.column_dimensions.values():       # openpyxl groups equal neighbours (min..max)
        for c in range(dim.min or 0, (dim.max or 0) + 1):
            widths[c] = dim.width
    return [widths.get(c, 8.43) for c in range(1, last_col + 1)]


def width_px(ws, last_col: int) -> int:
    return sum(int(w * 7 + 0.5) + 5 for w in column_widths(ws, last_col))


def assert_prints_well(ws, footer: tuple[str, ...], header_row: int | None) -> None:
    """A4, portrait or landscape by width, one page wide and as tall as needed, everything
    written inside the print area, the header row repeated, the footer filled in."""
    ps = ws.page_setup
    assert int(ps.paperSize) == A4, ws.title
    assert ws.sheet_properties.pageSetUpPr.fitToPage, ws.title
    fit = [1 if v is None else int(v) for v in (ps.fitToWidth, ps.fitToHeight)]   # None: the schema's default, 1
    assert fit == [1, 0], ws.title
    last_row, last_col = area(ws)
    assert ws.max_row <= last_row and ws.max_column <= last_col, (ws.title, ws.print_area)
    wide = width_px(ws, last_col) * PORTRAIT_MIN_SCALE > PRINT_WIDTH_PX["portrait"]
    assert ps.orientation == ("landscape" if wide else "portrait"), ws.title
    assert max(column_widths(ws, last_col)) <= WIDEST_COLUMN, ws.title
    if header_row is None:
        assert ws.print_title_rows is None, ws.title
    else:
        assert ws.print_title_rows == f"${header_row}:${header_row}", ws.title
    f = ws.oddFooter
    text = " ".join(part.text or "" for part in (f.left, f.center, f.right))
    for bit in footer:
        assert bit in text, (ws.title, bit, text)
    assert "Sida &P av &N" in (f.right.text or ""), ws.title


# --------------------------------------------------------------------------- the workbooks

UTFORARE_HEADER_ROWS = {"Sammanfattning": None, "Timunderlag": 1, "Per brukare": 1, "Avvikelser": 1,
                        "Rader": 1, "Utanför LOV": 3, "Rättelse": None}


def test_every_utforare_sheet_prints_one_page_wide_with_header_and_footer(sample):
    avr, _, out = sample
    seen = set()
    for path in sorted((out / "avrakning").glob("*.xlsx")):
        u = avr.utforare.filter(avr.utforare["utforare_id"] == path.stem).row(0, named=True)
        for ws in sheets(path):
            assert_prints_well(ws, (u["namn"], u["utforare_id"], "2023-09", avr.run.run_id),
                               UTFORARE_HEADER_ROWS[ws.title])
            seen.add(ws.title)
    assert seen == set(UTFORARE_HEADER_ROWS) - {"Rättelse"}     # every kind of sheet, Utanför LOV included


def test_long_tables_print_landscape_and_the_summary_portrait(sample):
    _, _, out = sample
    books = {ws.title: ws for ws in sheets(out / "avrakning/U01.xlsx")}
    assert books["Sammanfattning"].page_setup.orientation == "portrait"
    for name in ("Per brukare", "Avvikelser", "Rader"):
        assert books[name].page_setup.orientation == "landscape", name


def test_summary_chart_sits_below_the_table_inside_the_print_area(sample):
    _, _, out = sample
    for path in sorted((out / "avrakning").glob("*.xlsx")):
        ws = openpyxl.load_workbook(path)["Sammanfattning"]
        total_row = next(r for r in range(1, ws.max_row + 1)
                         if ws.cell(r, 1).value in ("Att betala", "Ersättning (ingen utbetalning)"))
        (chart,) = ws._charts
        anchor = chart.anchor
        last_row, last_col = area(ws)
        assert anchor._from.row + 1 > total_row and anchor._from.col == 0, path.name   # 0-based anchor
        assert anchor.to.row + 1 <= last_row and anchor.to.col + 1 <= last_col, (path.name, ws.print_area)
        assert ws.page_setup.orientation == "portrait"


def test_long_messages_wrap_in_a_column_of_fixed_width_with_rows_tall_enough(sample):
    _, _, out = sample
    ws = openpyxl.load_workbook(out / "avrakning/U01.xlsx")["Avvikelser"]
    col = next(c for c in range(1, ws.max_column + 1) if ws.cell(1, c).value == "Meddelande")
    assert column_widths(ws, col)[-1] <= 72
    width = column_widths(ws, col)[-1]
    long_rows = [r for r in range(2, ws.max_row + 1) if wrapped_lines(ws.cell(r, col).value or "", width) > 1]
    assert long_rows
    for r in long_rows:
        assert ws.cell(r, col).alignment.wrap_text
        assert ws.row_dimensions[r].height >= 30, r
    assert ws.freeze_panes == "A2"


def test_sammanstallning_prints_with_the_kommun_and_run_in_the_footer(sample):
    avr, _, out = sample
    header = {"Sammanställning": None, "Avvikelser per kod": 1}
    for ws in sheets(out / "sammanstallning.xlsx"):
        if ws.title == "Sammanställning":
            header[ws.title] = next(r for r in range(1, ws.max_row + 1) if ws.cell(r, 1).value == "Utförare-id")
        assert_prints_well(ws, (avr.kommun.namn, "2023-09", avr.run.run_id), header[ws.title])
    assert openpyxl.load_workbook(out / "sammanstallning.xlsx")["Sammanställning"].page_setup.orientation == "landscape"


def test_a_corrections_rattelse_sheet_and_a_preliminary_run_print_too(sample, tmp_path):
    avr, opts, _ = sample
    uid = "U02"
    owed = avr.totals[uid]
    corr = replace(avr, rattelse={uid: (owed - 12_345, owed, 12_345)})
    write_utforare_workbook(corr, uid, tmp_path / "corr.xlsx", opts)
    rattelse = openpyxl.load_workbook(tmp_path / "corr.xlsx")["Rättelse"]
    assert_prints_well(rattelse, (uid, "2023-09", avr.run.run_id), None)
    note = next(r for r in range(1, rattelse.max_row + 1)
                if (rattelse.cell(r, 1).value or "").startswith("Rättelsen betalar"))
    assert any(str(m).startswith(f"A{note}:") for m in rattelse.merged_cells.ranges)   # across the print width

    prel = replace(avr, run=replace(avr.run, status="PRELIMINÄR"))
    write_utforare_workbook(prel, uid, tmp_path / "prel.xlsx", opts)
    for ws in sheets(tmp_path / "prel.xlsx"):
        assert "PRELIMINÄR" in (ws.oddHeader.center.text or "")
        last_row, last_col = area(ws)
        marker = next(c for c in range(1, ws.max_column + 1)
                      if (ws.cell(1, c).value or "") == "PRELIMINÄR – ingen utbetalning")
        assert marker > last_col          # the red marker cell stays off the page; the header says it


def test_diff_workbook_prints_every_view_and_keeps_its_charts_inside(tmp_path):
    from lovkorning.run import followup, history
    cfg_path = tmp_path / "lovkorning.yaml"
    cfg_path.write_text(f"version: 1\nextends: {REPO / 'lovkorning.yaml'}\nstate: {{dir: {tmp_path / 'state'}}}\n")
    cfg = load(cfg_path)
    months, fig, _, _ = history.window(cfg, Period(2023, 9), 3, date(2023, 10, 9))
    views = {b: diffout.records(followup.view(fig, b, months, None), b, mask=False)
             for b in ("utforare", "brukare", "insats")}
    flags = diffout.flag_records(followup.flags(fig, cfg.cfg.diff, months), lambda f: f, mask=False)
    path = tmp_path / "diff.xlsx"
    diffout.write_xlsx(path, views, flags, months)
    header = {"Per utförare": 1, "Per brukare": 1, "Per insats": 1, "Flaggor": 1, "Diagram": None}
    for ws in sheets(path):
        assert_prints_well(ws, ("Uppföljning", "2023-07 – 2023-09"), header[ws.title])
    ws = openpyxl.load_workbook(path)["Diagram"]
    last_row, last_col = area(ws)
    assert len(ws._charts) == 6
    for chart in ws._charts:
        assert chart.anchor.to.row + 1 <= last_row and chart.anchor.to.col + 1 <= last_col
    # the same figures give the same bytes: the created date is the day after the last month, not the clock
    assert openpyxl.load_workbook(path).properties.created == datetime(2023, 10, 1)
    assert ws.row_breaks.count == 2            # two charts a page, none cut by a page break


# --------------------------------------------------------------------------- the footer


def test_footer_doubles_ampersands_and_stays_within_excels_limit():
    text = footer_text(PageFooter("Utförare: Vård & Omsorg AB (U7)", "LOV-avräkning 2023-09 · Körnings-id abc"))
    assert text.startswith("&L&8Utförare: Vård && Omsorg AB (U7)&C&8LOV-avräkning 2023-09")
    assert text.endswith("&R&8&A · Sida &P av &N")
    long = footer_text(PageFooter("Utförare: " + "Å" * 400, "LOV-avräkning 2023-09 · Körnings-id abc"))
    assert len(long) <= 255 and "Sida &P av &N" in long and "…" in long
    assert footer_text(PageFooter("24 Omsorg", "x")).startswith("&L&8 24 Omsorg")   # not font size 824


def test_wrapped_lines():
    assert wrapped_lines("kort", 10) == 1
    assert wrapped_lines("ett två tre fyra fem sex sju åtta nio tio", 12) > 1
    assert wrapped_lines("a\nb", 40) == 2
    assert wrapped_lines("x" * 100, 12) >= 8
