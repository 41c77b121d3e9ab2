"""A time system's visit report on day one, through the command line: `validate --map` shows how each
column is mapped, the first rows as read and what nothing maps; a bad mapping stops `run` with
exit 1, the file, row and column, and nothing paid."""

from __future__ import annotations

from pathlib import Path

import openpyxl

from support.cli import PNR, cli, seed001_month

MAPPING = """\
  besok: "data/{month}/Besök.xlsx"
  columns:
    besok: {besok_id: Besöks-ID, brukare_id: Personnummer, utforare_id: Utförare, personal_id: Anställd,
            start: Från, slut: Till, metod_start: Start via, metod_slut: Slut via}
  values: {besok: {metod_start: {T: tagg, M: manuell}, metod_slut: {T: tagg, M: manuell}}}
  format:
    besok: {sheet: Besök, header_row: 2, footer_rows: 1, date_columns: {start: Datum, slut: Datum}, time: "%H.%M",
            list_separator: ", "}
"""


def report_month(tmp_path: Path, mapping: str = MAPPING) -> Path:
    """Seed 001's orders with four visits of 45 minutes, given as a time system's Excel report."""
    cfg = seed001_month().write(tmp_path)
    (tmp_path / "data/2023-09/taggningar.csv").unlink()
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Besök"
    ws.append(["Besök september 2023"])
    ws.merge_cells("A1:K1")
    ws.append(["Besöks-ID", "Personnummer", "Utförare", "Anställd", "Datum", "Från", "Till", "Start via", "Slut via",
               "Insatser", "Kommentar"])
    for i in range(4):
        ws.append([f"B{i}", "400101-1230", "U01", "P1", 45173 + i, "8.00", "8.45", "T", "M", "RAM-tid", None])
    ws.append(["Summa", None, None, None, None, None, None, None, None, None, "4 besök"])
    wb.save(tmp_path / "data/2023-09/Besök.xlsx")
    text = cfg.read_text(encoding="utf-8")
    cfg.write_text(text.replace("  utforare: data/utforare.csv\n", "  utforare: data/utforare.csv\n" + mapping),
                   encoding="utf-8")
    return cfg


def test_validate_map_shows_each_column_the_rows_as_read_and_what_nothing_maps(tmp_path):
    cfg = report_month(tmp_path)
    r = cli("validate", "2023-09", "--map", "--config", str(cfg))
    assert r.returncode == 0, r.stderr
    out = r.stdout
    assert "== besok:" in out and "blad 'Besök', rubrikrad 2, de sista 1 raderna läses inte" in out
    lines = {ln.split()[0]: ln for ln in out.split("== besok:")[1].splitlines() if ln.startswith("  ")}
    assert "← " in lines["besok_id"] and "Besöks-ID" in lines["besok_id"]
    assert "Datum + Från" in lines["start"] and "klockslag %H.%M" in lines["start"]
    assert "T → tagg" in lines["metod_start"]
    assert "saknas (valfri)" in lines["minuter"]
    assert "Omappade kolumner i filen: 'Kommentar'" in out
    assert "2023-09-04 08:00:00  2023-09-04 08:45:00" in out and "19400101-****" in out
    assert "Mappningen läser alla filer" in out
    assert not PNR.search(out.replace("19400101-****", ""))
    assert not (tmp_path / "out").exists() and not (tmp_path / "state").exists()


def test_the_report_is_settled_and_its_rows_counted(tmp_path):
    cfg = report_month(tmp_path)
    r = cli("run", "2023-09", "--dry-run", "--config", str(cfg))
    assert r.returncode == 0, r.stderr
    assert "besok              4" in r.stdout and "Besök: 4 (4 räknade), avböjda besök: 0" in r.stdout
    assert "Avvikelser: 0" in r.stdout


def test_a_bad_mapping_stops_the_run_with_file_row_and_column_and_pays_nothing(tmp_path):
    for old, new, where in [
        ("personal_id: Anställd", "personal_id: Personal", "Besök.xlsx, rad 2, kolumn 'Personal'"),
        ('time: "%H.%M"', 'time: "%H:%M:%S"', "Besök.xlsx, rad 3, kolumn 'Från'"),
    ]:
        cfg = report_month(tmp_path / old.split(":")[0], MAPPING.replace(old, new))
        r = cli("validate", "2023-09", "--map", "--config", str(cfg))
        assert r.returncode == 1 and where in r.stderr, r.stderr
        r = cli("run", "2023-09", "--final", "--config", str(cfg))
        assert r.returncode == 1 and "Traceback" not in r.stderr
        assert f"FEL: {where}" in r.stderr, r.stderr
        assert not (cfg.parent / "out").exists()


def test_a_length_that_disagrees_with_the_end_stops_the_run(tmp_path):
    cfg = report_month(tmp_path, MAPPING.replace("slut: Till,", "slut: Till, minuter: Kommentar,"))
    wb = openpyxl.load_workbook(tmp_path / "data/2023-09/Besök.xlsx")
    wb["Besök"]["K4"] = 30                              # the second visit: 45 minutes by its times
    wb.save(tmp_path / "data/2023-09/Besök.xlsx")
    r = cli("run", "2023-09", "--final", "--config", str(cfg))
    assert r.returncode == 1 and "FEL: Besök.xlsx, rad 4, kolumn 'minuter'" in r.stderr, r.stderr
    assert not (tmp_path / "out").exists()


def test_validate_map_names_both_files_when_a_month_has_tag_events_and_visit_rows(tmp_path):
    cfg = report_month(tmp_path)
    (tmp_path / "data/2023-09/taggningar.csv").write_text(
        "handelse_id;brukare_id;utforare_id;personal_id;tidpunkt;typ;metod\n", encoding="utf-8")
    r = cli("validate", "2023-09", "--map", "--config", str(cfg))
    assert r.returncode == 1 and "både taggningar (taggningar.csv) och besök (Besök.xlsx)" in r.stderr, r.stderr
    assert "== taggningar:" in r.stdout and "== besok:" in r.stdout


def test_a_fixed_value_is_shown_by_map_and_one_the_file_gives_too_stops_the_run(tmp_path):
    """A tag-only system has no method column: `fixed` gives it, and --map shows where it comes from."""
    mapping = MAPPING.replace(", metod_start: Start via", "").replace(
        "values: {besok: {metod_start: {T: tagg, M: manuell}, metod_slut: {T: tagg, M: manuell}}}",
        "values: {besok: {metod_slut: {T: tagg, M: manuell}}}").replace(
        'list_separator: ", "}', 'list_separator: ", ", fixed: {metod_start: tagg}}')
    cfg = report_month(tmp_path / "ok", mapping)
    r = cli("validate", "2023-09", "--map", "--config", str(cfg))
    assert r.returncode == 0, r.stderr
    lines = {ln.split()[0]: ln for ln in r.stdout.split("== besok:")[1].splitlines() if ln.startswith("  ")}
    assert "fast värde 'tagg'" in lines["metod_start"]
    r = cli("run", "2023-09", "--dry-run", "--config", str(cfg))
    assert r.returncode == 0 and "Avvikelser: 0" in r.stdout, r.stderr

    cfg = report_month(tmp_path / "both", MAPPING.replace('list_separator: ", "}', 'list_separator: ", ", fixed: {metod_start: tagg}}'))
    r = cli("run", "2023-09", "--final", "--config", str(cfg))
    assert r.returncode == 1 and "Traceback" not in r.stderr
    assert "FEL: Besök.xlsx, rad 2, kolumn 'Start via'" in r.stderr and "metod_start" in r.stderr, r.stderr
    assert not (cfg.parent / "out").exists()
