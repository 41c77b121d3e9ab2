"""`lovkorning diff` output: one column definition feeds the terminal table, CSV, JSON and xlsx.

Hours are numbers with two decimals, shares are percent with one decimal. Brukare are masked
(YYYYMMDD-****) wherever the output may reach a terminal or a log.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from datetime import datetime, time
from pathlib import Path

import polars as pl
import xlsxwriter

from ..core.ids import mask_personnummer
from ..core.money import hours_value, round_half_up
from .files import private_file
from .xlsx import Col, Formats, write_table
from .printing import PageFooter, insert_chart, lay_out_for_print, sheet_print
from ..core.period import Period


@dataclass(frozen=True)
class Field:
    key: str          # JSON key
    header: str       # Swedish heading
    kind: str         # text | hours | pct | int


ENTITY = {
    "utforare": [Field("utforare_id", "Utförare", "text"), Field("namn", "Namn", "text")],
    "brukare": [Field("utforare_id", "Utförare", "text"), Field("namn", "Namn", "text"),
                Field("brukare_id", "Brukare", "text")],
    "insats": [Field("insats", "Insats", "text")],
}
FIGURES = [Field("beviljad_lov_h", "Beviljad tid LOV (h)", "hours"), Field("utford_h", "Utförd tid (h)", "hours"),
           Field("andel_utford_procent", "Andel utförd (%)", "pct"), Field("antal_besok", "Antal besök", "int"),
           Field("tid_per_besok_h", "Tid per besök (h)", "hours")]
VERIFIED = [Field("tagg_bada_procent", "Tagg båda (%)", "pct"), Field("tagg_en_procent", "Tagg en (%)", "pct"),
            Field("manuell_procent", "Manuell (%)", "pct"), Field("avbojda", "Avböjda besök", "int"),
            Field("avbojda_per_100", "Avböjda per 100 besök", "pct")]


def fields(by: str) -> list[Field]:
    return [Field("month", "Månad", "text"), *ENTITY[by], *FIGURES, *(VERIFIED if by == "utforare" else [])]


def _h(sec: int | None) -> float | None:
    return None if sec is None else hours_value(sec)


def _p(num: int | None, den: int | None) -> float | None:
    return None if not den or num is None else round_half_up(num * 1000, den) / 10


def records(df: pl.DataFrame, by: str, mask: bool) -> list[dict]:
    """The view's rows as plain values keyed by the JSON keys."""
    out = []
    for r in df.iter_rows(named=True):
        rec = {"month": r["month"], "utforare_id": r.get("utforare_id"), "namn": r.get("namn"),
               "brukare_id": r.get("brukare_id"), "insats": r.get("insats"),
               "beviljad_lov_h": _h(r["beviljad_sek"]), "utford_h": _h(r["utford_sek"]),
               "andel_utford_procent": _p(r["utford_mot_sek"], r["beviljad_sek"]), "antal_besok": r["antal_besok"],
               "tid_per_besok_h": None if not r["antal_besok"] else round_half_up(r["utford_sek"] * 100, r["antal_besok"] * 3600) / 100}
        if by == "utforare":
            rec.update(tagg_bada_procent=_p(r.get("sek_tagg_bada"), r.get("sek")), tagg_en_procent=_p(r.get("sek_tagg_en"), r.get("sek")),
                       manuell_procent=_p(r.get("sek_manuell"), r.get("sek")), avbojda=r.get("avbojda"),
                       avbojda_per_100=_p(r.get("avbojda"), r.get("besok")))
        if mask and rec["brukare_id"]:
            rec["brukare_id"] = mask_personnummer(rec["brukare_id"])
        out.append({f.key: rec.get(f.key) for f in fields(by)})
    return out


def flag_records(flags: pl.DataFrame, text, mask: bool) -> list[dict]:
    out = []
    for f in flags.iter_rows(named=True):
        b = f["brukare_id"]
        out.append({"flagga": f["flagga"], "utforare_id": f["utforare_id"],
                    "brukare_id": mask_personnummer(b) if (mask and b) else b,
                    "manader": f["manader"], "varden_procent": f["varden"], "text": text(f["flagga"])})
    return out


def to_json(doc: dict) -> bytes:
    return (json.dumps(doc, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def to_csv(recs: list[dict], by: str) -> bytes:
    heads = [f.header for f in fields(by)]
    lines = [";".join(heads)]
    for r in recs:
        lines.append(";".join(_csv_cell(r[f.key], f.kind) for f in fields(by)))
    return b"\xef\xbb\xbf" + ("\r\n".join(lines) + "\r\n").encode("utf-8")


def _csv_cell(v, kind: str) -> str:
    if v is None:
        return ""
    if kind in ("hours", "pct"):
        return f"{v:.2f}".replace(".", ",") if kind == "hours" else f"{v:.1f}".replace(".", ",")
    text = str(v)
    return f'"{text}"' if ";" in text or '"' in text else text


XLSX_KIND = {"text": "text", "hours": "hours", "pct": "dec1", "int": "int"}   # percent with one decimal
SHEETS = {"utforare": "Per utförare", "brukare": "Per brukare", "insats": "Per insats"}
FLAG_COLS = [Col("Flagga", "text", 16), Col("Utförare", "text", 12), Col("Brukare", "text", 15),
             Col("Månader", "text", 30), Col("Värden (%)", "text", 20), Col("Beskrivning", "text", 60)]
CHART_COLS = [Col("Utförare", "text", 12), Col("Månad", "text", 10), Col("Beviljad tid LOV (h)", "hours", 12),
              Col("Utförd tid (h)", "hours", 12)]


def write_xlsx(path: Path, views: dict[str, list[dict]], flags: list[dict], months: list[str]) -> None:
    """One sheet per view, the flags, and a line chart per utförare over the months; laid out
    for print as the settlement workbooks are. Its bytes depend only on what it shows: the created
    date is the day after the last month, not the clock."""
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True})
    wb.set_properties({"title": "Uppföljning: utförd mot beviljad tid", "author": "lovkorning",
                       "created": datetime.combine(Period.parse(months[-1]).next().start, time())})
    fmts = Formats(wb)
    for by, recs in views.items():
        cols = [Col(f.header, XLSX_KIND[f.kind], 40) for f in fields(by)]
        write_table(wb.add_worksheet(SHEETS[by]), fmts, 0, cols,
                    ([rec[f.key] for f in fields(by)] for rec in recs))
    _flag_sheet(wb, fmts, flags)
    _charts(wb, fmts, views.get("utforare", []), months)
    span = months[0] if len(months) == 1 else f"{months[0]} – {months[-1]}"
    lay_out_for_print(wb, PageFooter("Uppföljning: utförd mot beviljad tid", f"Månader {span}"))
    wb.close()
    private_file(path, buf.getvalue())


def _flag_sheet(wb, fmts: Formats, flags: list[dict]) -> None:
    rows = ([f["flagga"], f["utforare_id"], f["brukare_id"] or "", ", ".join(f["manader"]),
             ", ".join(f"{v:.1f}".replace(".", ",") for v in f["varden_procent"]), f["text"]] for f in flags)
    write_table(wb.add_worksheet("Flaggor"), fmts, 0, FLAG_COLS, rows)


CHART_SIZE = (520, 260)     # pixels
CHART_ROWS = 14             # rows from one chart to the next
CHARTS_PER_PAGE = 2         # a printed page holds two charts whole: a new page before every other


def _charts(wb, fmts: Formats, recs: list[dict], months: list[str]) -> None:
    """A sheet 'Diagram' with, per utförare, beviljad and utförd hours over the months."""
    ws = wb.add_worksheet("Diagram")
    by_utf: dict[str, dict[str, dict]] = {}
    for r in recs:
        if r["month"] in months:
            by_utf.setdefault(r["utforare_id"], {})[r["month"]] = r
    utf = sorted(by_utf.items())
    rows = [[uid, m, per.get(m, {}).get("beviljad_lov_h") or 0, per.get(m, {}).get("utford_h") or 0]
            for uid, per in utf for m in months]
    write_table(ws, fmts, 0, CHART_COLS, rows, data_table=False)
    for i, (uid, _) in enumerate(utf):
        first, last = 1 + i * len(months), (i + 1) * len(months)
        chart = wb.add_chart({"type": "line"})
        for col, name in ((2, "Beviljad tid LOV"), (3, "Utförd tid")):
            chart.add_series({"name": name, "categories": ["Diagram", first, 1, last, 1],
                              "values": ["Diagram", first, col, last, col], "marker": {"type": "circle"}})
        chart.set_title({"name": f"{uid}: beviljad och utförd tid per månad"})
        chart.set_y_axis({"name": "timmar"})
        insert_chart(ws, 1 + i * CHART_ROWS, len(CHART_COLS) + 1, chart, *CHART_SIZE)
        if i and i % CHARTS_PER_PAGE == 0:
            sheet_print(ws).breaks.append(1 + i * CHART_ROWS)
