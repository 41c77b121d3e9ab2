"""`lovkorning compare` output: the comparison's document (contract §5, built by
run.compare.Comparison.doc) as JSON, CSV or a workbook a nämnd can read. Every format shows the
document's figures; nothing here computes money. No brukare is named in any of them.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from ..core.money import format_kronor
from ..settle.result import RunInfo
from .printing import ROW_PX, PageFooter, insert_chart, page_height_px, print_width_px, sheet_print, write_note
from .xlsx import Col, close_workbook, open_workbook, write_pairs, write_table

ENTITY = {"utforare": ["utforare_id", "namn"], "insats": ["insats"]}
FIGURES = ["a_ore", "b_ore", "diff_ore"]
TOTAL = "Totalt"


def to_json(doc: dict) -> bytes:
    return (json.dumps(doc, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def kr(ore: int) -> str:
    """Kronor with a decimal comma and no thousands separator, as Swedish Excel reads a number."""
    return format_kronor(ore).replace("\u00a0", "")


def pct(value: float | None) -> str:
    return "" if value is None else f"{value:.1f}".replace(".", ",")


def to_csv(doc: dict) -> bytes:
    """UTF-8 with BOM and ';' (Swedish Excel opens it as it is): the rows' keys, öre, then kronor
    and the difference in percent with decimal commas. No total row: the JSON has the totals."""
    keys = ENTITY[doc["by"]]
    lines = [";".join(keys + FIGURES + ["a_kr", "b_kr", "diff_kr", "diff_procent"])]
    for r in doc["rader"]:
        cells = [_text(r[k]) for k in keys] + [str(r[k]) for k in FIGURES]
        lines.append(";".join(cells + [kr(r[k]) for k in FIGURES] + [pct(r["diff_procent"])]))
    return b"\xef\xbb\xbf" + ("\r\n".join(lines) + "\r\n").encode("utf-8")


def _text(v) -> str:
    text = "" if v is None else str(v)
    return '"' + text.replace('"', '""') + '"' if any(c in text for c in ';"\r\n') else text


# ---------------------------------------------------------------- the workbook

SHEET = "Jämförelse"
HEADS = {"utforare": [Col("Utförare-id", "text", 13), Col("Namn", "text", 32)], "insats": [Col("Insats", "text", 32)]}
AMOUNTS = [Col("A (kr)", "money", 16), Col("B (kr)", "money", 16), Col("Skillnad B − A (kr)", "money", 16),
           Col("Skillnad (%)", "dec1", 10)]
CHART_WIDTH_MIN = 480       # pixels
BAR_PX, BAR_MIN_PX = 22, 8  # pixels per bar of the chart: as wide as that, and no narrower to fit a page
CHART_FRAME_PX = 90         # title and axis
MANY_BARS = 40              # more bars than this: the names in 7 points, no value beside each bar


def summary_pairs(doc: dict) -> list[tuple[str, object]]:
    """What the sheet says above the table: the configs by file name (their paths are in a note)."""
    pairs = [("Månad", doc["month"]), ("A (nuvarande modell)", Path(doc["a"]["config"]).name),
             ("B (jämförd modell)", Path(doc["b"]["config"]).name),
             ("Totalt A (kr)", format_kronor(doc["a"]["total_ore"])), ("Totalt B (kr)", format_kronor(doc["b"]["total_ore"])),
             ("Skillnad B − A (kr)", f"{format_kronor(doc['diff_ore'])} ({pct(doc['diff_procent']) or '–'} %)"),
             ("Flyttas mellan utförare (kr)", format_kronor(doc["flyttat_ore"]))]
    if "brukare" in doc:
        b = doc["brukare"]
        pairs += [("Brukare som får mer", b["okar"]), ("Brukare som får mindre", b["minskar"]),
                  ("Brukare oförändrade", b["oforandrade"])]
    return pairs


def notes(doc: dict) -> list[str]:
    """The definitions behind the figures, under the pairs."""
    out = [f"A: {doc['a']['config']}. B: {doc['b']['config']}, tillämpad på A:s indata (B:s inputs-avsnitt läses "
           "inte). Skillnad = B − A; procent av A.",
           "Flyttas mellan utförare: det som utförare som får mer under B får och som andra utförare förlorar, det "
           "mindre av summan av ökningarna och summan av minskningarna; resten är nettoförändringen av totalen."]
    if doc["by"] == "utforare":
        out.append("Brukare: ersättningsraderna per brukare, över alla utförare; avdrag och momskompensation per "
                   "utförare ingår inte.")
    else:
        out.append("Per insats: '(justeringar)' är belopp per utförare (avdrag, momskompensation, tillägg per timme) "
                   "som inte hör till någon insats; raderna summerar till totalen.")
    return out + doc["anmarkningar"]


def write_xlsx(path: Path, doc: dict, kommun: str, stamp: date, version: str) -> None:
    """One sheet: what is compared, the table (a total row) and, below it, a bar chart of the
    difference per row; laid out for print as the other workbooks. The document properties are
    pinned (`stamp`: A's run day of the month), so the same comparison gives the same bytes."""
    by = doc["by"]
    run = RunInfo(run_id="", status="JÄMFÖRELSE", korningsdag=stamp, betalningsdag=stamp, filedatum=stamp,
                  version=version)
    title = f"Jämförelse av ersättningsmodeller {doc['month']}"
    names = f"A {Path(doc['a']['config']).name} · B {Path(doc['b']['config']).name}"
    wb, fmts = open_workbook(path, run, title, PageFooter(f"Kommun: {kommun}", f"{title}: {names}"))
    ws = wb.add_worksheet(SHEET)
    ws.write_string(0, 0, title, fmts.title)
    row = write_pairs(ws, fmts, 2, summary_pairs(doc)) + 1
    for text in notes(doc):
        write_note(ws, row, text)
        row += 1
    top = row + 1
    keys = ENTITY[by]
    rows = ([r[k] for k in keys] + [r[k] / 100 for k in FIGURES] + [r["diff_procent"]] for r in doc["rader"])
    total = [TOTAL] + [None] * (len(keys) - 1) + [doc[k]["total_ore"] / 100 for k in ("a", "b")] + [
        doc["diff_ore"] / 100, doc["diff_procent"]]
    end = write_table(ws, fmts, top, HEADS[by] + AMOUNTS, rows, total, data_table=False)
    _chart(wb, ws, by, top, len(doc["rader"]), len(keys), end + 1)
    close_workbook(wb, path)


def _chart(wb, ws, by: str, top: int, n: int, keys: int, row: int) -> None:
    """Horizontal bars of the difference (kr) per utförare or insats, read from the table, the
    first row at the top. Below the table on its page when both fit, else from a new page; as tall
    as its bars need, up to one page."""
    if n == 0:
        return
    chart = wb.add_chart({"type": "bar"})
    label, diff = keys - 1, keys + 2          # the utförare's name (or the insats), and Skillnad (kr)
    series = {"name": [SHEET, top, diff], "categories": [SHEET, top + 1, label, top + n, label],
              "values": [SHEET, top + 1, diff, top + n, diff], "invert_if_negative": False}
    if n <= MANY_BARS:
        series["data_labels"] = {"value": True, "num_format": "#,##0"}
    chart.add_series(series)
    chart.set_title({"name": f"Skillnad B − A per {'utförare' if by == 'utforare' else 'insats'} (kr)"})
    chart.set_x_axis({"num_format": "#,##0", "major_gridlines": {"visible": True}})
    # the names beside the plot, not at the zero line the bars grow from
    chart.set_y_axis({"reverse": True, "label_position": "low",
                      "num_font": {"size": 7 if n > MANY_BARS else 9}})
    chart.set_legend({"none": True})
    table_px = print_width_px(ws, len(HEADS[by]) + len(AMOUNTS) - 1)
    page = page_height_px(table_px) - ROW_PX
    height = CHART_FRAME_PX + max(BAR_MIN_PX, min(BAR_PX, (page - CHART_FRAME_PX) // n)) * n
    if row * ROW_PX + height > page:
        sheet_print(ws).breaks.append(row)
    insert_chart(ws, row, 0, chart, max(CHART_WIDTH_MIN, table_px - 2), height)
