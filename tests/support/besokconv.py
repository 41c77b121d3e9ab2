"""A month's tag log turned into visit rows (`besok`, contract §1), for tests that settle a month
both ways and compare to the öre.

The events are paired exactly as the contract pairs them, here in plain Python and apart from the
product's code: per (personal_id, brukare_id), in time order (a check-out before a check-in at the
same second, otherwise file order), duplicates left out (a repeated handelse_id, or the same staff,
brukare, time and type again), an `in` and the next `ut` make one visit. What pairs with nothing
becomes a row with one end; a duplicate or a row the reader rejects (a bad value, an unknown
utförare) becomes a row of its own with that one end, written after the row of the event it
repeats, so the visit file carries the same faults as the tag log. Which rows the reader rejects
is asked of the reader itself (`read_month`).
"""

from __future__ import annotations

import csv
from datetime import date, datetime, timedelta
from pathlib import Path

from lovkorning.config.loaded import load
from lovkorning.core.period import Period
from lovkorning.read.indata import read_month
from support.monthbuilder import BRUKARE_A, BRUKARE_B, Month

def visit_month(root: Path, config_extra: str = "") -> Path:
    """A month with one utförare (U1) and Avlösning orders for brukare A and B, without a tag log (the
    test writes its visit file); `config_extra` goes into the config's `inputs`. The config path."""
    m = Month().utforare("U1", "Omsorg AB")
    m.order("B1", BRUKARE_A, "U1", "Avlösning", "600")
    m.order("B2", BRUKARE_B, "U1", "Avlösning", "600")
    cfg = m.write(root)
    (root / "data/2023-09/taggningar.csv").unlink()
    text = cfg.read_text(encoding="utf-8")
    cfg.write_text(text.replace("  utforare: data/utforare.csv\n", "  utforare: data/utforare.csv\n" + config_extra),
                   encoding="utf-8")
    return cfg


BESOK = ["besok_id", "brukare_id", "utforare_id", "personal_id", "start", "slut", "metod_start", "metod_slut",
         "insatser", "roll", "korrigerad", "avbojt"]


def read_rows(path: Path) -> tuple[list[dict], str]:
    text = path.read_text(encoding="utf-8-sig")
    sep = max(";,\t", key=text.splitlines()[0].count)
    reader = csv.DictReader(text.splitlines(), delimiter=sep)
    rows = []
    for line, r in enumerate(reader, start=2):
        rows.append({**{k.strip().lower(): (v or "").strip() for k, v in r.items() if k}, "_rad": line})
    return rows, sep


def valid_lines(cfg_path: Path, month: str) -> dict[int, datetime]:
    """The tag log's lines the reader keeps, with their time (UTC), from the product's reader."""
    y, m = map(int, month.split("-"))
    tagg = read_month(load(cfg_path), Period(y, m)).taggningar
    return dict(zip(tagg["_rad"].to_list(), tagg["tidpunkt"].to_list()))


def pair(rows: list[dict], when: dict[int, datetime]) -> list[tuple[int, dict | None, dict | None, bool]]:
    """(sort line, in row, ut row, declined) per visit row to write, in the order to write them."""
    out, seen_ids = [], set()
    first_id = set()
    for r in rows:                                       # a repeated handelse_id: later rows are duplicates
        if r["_rad"] in when and r["handelse_id"] not in seen_ids:
            first_id.add(r["_rad"])
        seen_ids.add(r["handelse_id"])
    declined = [r for r in rows if r["_rad"] in when and r["typ"].lower() == "avbojt"]
    for r in declined:
        out.append((r["_rad"], r, None, True))
    groups: dict[tuple, list[dict]] = {}
    for r in rows:
        if r["_rad"] in when and r["typ"].lower() != "avbojt":
            groups.setdefault((r["personal_id"], r["brukare_id"]), []).append(r)
    for events in groups.values():
        events.sort(key=lambda r: (when[r["_rad"]], r["typ"].lower() == "in", r["_rad"]))
        kept, prev = [], None
        for r in events:
            key = (when[r["_rad"]], r["typ"].lower())
            if r["_rad"] not in first_id or key == prev:
                out.append((r["_rad"] + 0.5, *((r, None) if key[1] == "in" else (None, r)), False))
            else:
                kept.append(r)
            prev = key
        i = 0
        while i < len(kept):
            a = kept[i]
            if a["typ"].lower() == "in" and i + 1 < len(kept) and kept[i + 1]["typ"].lower() == "ut":
                b = kept[i + 1]
                out.append((min(a["_rad"], b["_rad"]), a, b, False))
                i += 2
            else:
                out.append((a["_rad"], *((a, None) if a["typ"].lower() == "in" else (None, a)), False))
                i += 1
    for r in rows:                                       # rejected by the reader: a row with that one end
        if r["_rad"] not in when:
            typ = r.get("typ", "").lower()
            out.append((r["_rad"], None if typ == "ut" else r, r if typ == "ut" else None, typ == "avbojt"))
    return sorted(out, key=lambda x: x[0])


def besok_row(n: int, a: dict | None, b: dict | None, declined: bool) -> dict:
    one = a or b
    roll = (b or {}).get("roll") or (a or {}).get("roll") or ""
    korr = "ja" if any((r or {}).get("korrigerad", "").lower() in ("ja", "j", "true", "1", "yes", "x") for r in (a, b)) else "nej"
    typ = one.get("typ", "")
    return dict(besok_id=f"V{n:07d}", brukare_id=one["brukare_id"], utforare_id=one["utforare_id"],
                personal_id=one["personal_id"], start=a["tidpunkt"] if a else "", slut=b["tidpunkt"] if b else "",
                metod_start=a["metod"] if a else "", metod_slut=b["metod"] if b else "",
                insatser=(b or a)["insatser"] if (b or declined) else "", roll=roll, korrigerad=korr,
                avbojt="ja" if declined else ("nej" if typ.lower() in ("in", "ut", "avbojt") else typ))


def convert_rows(cfg_path: Path, month: str, taggningar: Path) -> list[dict]:
    rows, _ = read_rows(taggningar)
    return [besok_row(n, a, b, d) for n, (_, a, b, d) in enumerate(pair(rows, valid_lines(cfg_path, month)), start=1)]


def convert(cfg_path: Path, month: str, taggningar: Path) -> Path:
    """Write besok.csv beside taggningar.csv (which is moved away to `taggningar.csv.orig`)."""
    out = convert_rows(cfg_path, month, taggningar)
    target = taggningar.with_name("besok.csv")
    with target.open("w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, BESOK, delimiter=";", lineterminator="\n")
        w.writeheader()
        w.writerows(out)
    taggningar.rename(taggningar.with_name("taggningar.csv.orig"))
    return target


# ---------------------------------------------------------------- as a time system writes it

def excel_serial(text: str) -> float | None:
    """'2023-09-04 08:15:30' (local) as an Excel serial number."""
    if not text:
        return None
    t = datetime.fromisoformat(text)
    return (t - datetime(1899, 12, 30)) / timedelta(days=1)


def as_time_system_xlsx(rows: list[dict], path: Path, year: int = 2023) -> None:
    """The visit rows as a time system's report: a title merged over the table, the header on row
    3, the day as an Excel serial number in a column of its own, clock times as text `HH.MM.SS`,
    personnummer as YYMMDD-NNNN, insatser separated by ', ', method and flags in words, and a
    totals row at the end, on a sheet named 'Besök' after a cover sheet."""
    from openpyxl import Workbook

    wb = Workbook()
    wb.active.title = "Info"
    wb.active["A1"] = "Exporterad från tidssystemet"
    ws = wb.create_sheet("Besök")
    header = ["Besöks-ID", "Personnummer", "Utförare", "Anställd", "Datum", "Starttid", "Sluttid", "Start via",
              "Slut via", "Insatser", "Yrkesroll", "Korrigerad", "Avbokad"]
    ws.append(["Besöksrapport"])
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(header))
    ws.append([])
    ws.append(header)
    words = {"tagg": "Tagg", "manuell": "Manuell", "": None}
    for r in rows:
        start, slut = r["start"], r["slut"]
        day = (start or slut)[:10] if (start or slut) and len((start or slut)) >= 10 else None
        serial = excel_serial(day) if day and _iso_day(day) else day
        ws.append([r["besok_id"], _short_pnr(r["brukare_id"], year), r["utforare_id"], r["personal_id"], serial,
                   _clock(start), _clock(slut), words.get(r["metod_start"], r["metod_start"]),
                   words.get(r["metod_slut"], r["metod_slut"]), r["insatser"].replace("|", "\n") or None,
                   r["roll"] or None, "Ja" if r["korrigerad"] == "ja" else "Nej",
                   "Ja" if r["avbojt"] == "ja" else ("Nej" if r["avbojt"] == "nej" else r["avbojt"])])
    ws.append(["Summa", None, None, None, None, None, None, None, None, f"{len(rows)} besök"])
    wb.save(path)


def _iso_day(text: str) -> bool:
    try:
        date.fromisoformat(text)
        return True
    except ValueError:
        return False


def _clock(text: str) -> str | None:
    """The clock time of a timestamp as HH.MM.SS; a value that is no timestamp as it stands."""
    if not text:
        return None
    try:
        return datetime.fromisoformat(text).strftime("%H.%M.%S")
    except ValueError:
        return text


def _short_pnr(text: str, year: int) -> str:
    """YYMMDD-NNNN, or YYMMDD+NNNN from the year a person turns 100."""
    digits = text.replace("-", "")
    if len(digits) != 12 or not digits.isdigit():
        return text
    return f"{digits[2:8]}{'+' if int(digits[:4]) <= year - 100 else '-'}{digits[8:]}"


XLSX_CONFIG = """\
  besok: "{dir}/Besöksrapport.xlsx"
  columns:
    besok: {besok_id: Besöks-ID, brukare_id: Personnummer, utforare_id: Utförare, personal_id: Anställd,
            start: Starttid, slut: Sluttid, metod_start: Start via, metod_slut: Slut via, insatser: Insatser,
            roll: Yrkesroll, avbojt: Avbokad}
  values:
    besok: {metod_start: {Tagg: tagg, Manuell: manuell}, metod_slut: {Tagg: tagg, Manuell: manuell},
            korrigerad: {Ja: ja, Nej: nej}, avbojt: {Ja: ja, Nej: nej}}
  format:
    besok: {sheet: Besök, header_row: 3, footer_rows: 1, date_columns: {start: Datum, slut: Datum},
            time: "%H.%M.%S", list_separator: "\\n"}
"""
