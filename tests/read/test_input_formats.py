"""Real exports read through `inputs.format` (docs/inputs.md): the sheet by name, a header below a
title or on two lines with merged cells, totals rows, date and time formats, a day in a column of
its own, Excel serial numbers, lists with other separators; and the bad mappings that stop the
run (a column the file does not have, a format that reads nothing) and the bad formats that stop
the config from loading, each named by file, row and column, or by file and line."""

from __future__ import annotations

from datetime import date, datetime, timezone
from pathlib import Path

import openpyxl
import polars as pl
import pytest

from lovkorning.config.loaded import load
from lovkorning.core.errors import ConfigError, InputError
from lovkorning.core.period import Period
from lovkorning.read.indata import read_month
from support.besokconv import visit_month
from support.monthbuilder import BRUKARE_A

SEPT = Period(2023, 9)
SHORT_A = "400101-1230"           # BRUKARE_A as YYMMDD-NNNN
HEADER = ["Besöks-ID", "Personnummer", "Utförare", "Anställd", "Datum", "Start", "Slut", "Start via", "Slut via",
          "Insatser"]
MAPPING = """\
  columns:
    besok: {besok_id: Besöks-ID, brukare_id: Personnummer, utforare_id: Utförare, personal_id: Anställd,
            metod_start: Start via, metod_slut: Slut via}
  values: {besok: {metod_start: {T: tagg, M: manuell}, metod_slut: {T: tagg, M: manuell}}}
"""


def utc(*a: int) -> datetime:
    return datetime(*a, tzinfo=timezone.utc)


def month(tmp_path: Path, config_extra: str) -> Path:
    return visit_month(tmp_path, config_extra)


def read(cfg: Path):
    return read_month(load(cfg), SEPT)


def visits(cfg: Path) -> list[tuple]:
    ev = read(cfg).taggningar.with_columns(pl.col(pl.Categorical).cast(pl.String))
    return ev.select("handelse_id", "tidpunkt", "insatser", "_rad").rows()


def stops(cfg: Path) -> list[tuple]:
    with pytest.raises(InputError) as exc:
        read(cfg)
    return [(f.plats.fil, f.plats.rad, f.plats.kolumn) for f in exc.value.fel]


def write_csv(path: Path, lines: list[list[str]]) -> None:
    path.write_text("\n".join(";".join(r) for r in lines) + "\n", encoding="utf-8")


def test_a_csv_with_a_title_a_day_column_clock_times_and_a_totals_row(tmp_path):
    cfg = month(tmp_path, MAPPING + """\
  format:
    besok: {header_row: 3, footer_rows: 1, date: "%d/%m/%Y", time: "%H.%M", date_columns: {start: Datum, slut: Datum},
            list_separator: [",", " och "]}
""")
    write_csv(tmp_path / "data/2023-09/besok.csv", [
        ["Besöksrapport september 2023"], [],
        HEADER,
        ["1", SHORT_A, "U1", "P1", "04/09/2023", "8.00", "8.45", "T", "M", "Avlösning, Vak"],
        ["2", SHORT_A, "U1", "P1", "4/9/2023", "22.30", "00.15", "T", "T", "Avlösning och Vak"],   # past midnight
        ["3", SHORT_A, "U1", "P2", "05/09/2023", "9.00", "", "T", "", ""],
        ["Summa", "", "", "", "", "", "", "", "", "3 besök"],
    ])
    assert visits(cfg) == [
        ("1/start", utc(2023, 9, 4, 6, 0), None, 4), ("1/slut", utc(2023, 9, 4, 6, 45), "Avlösning|Vak", 4),
        ("2/start", utc(2023, 9, 4, 20, 30), None, 5), ("2/slut", utc(2023, 9, 4, 22, 15), "Avlösning|Vak", 5),
        ("3/start", utc(2023, 9, 5, 7, 0), None, 6)]
    assert read(cfg).avvikelser.is_empty()


def test_a_timestamp_format_in_one_cell_also_for_the_tag_log_and_dates_of_orders(tmp_path):
    cfg = month(tmp_path, """\
  format:
    taggningar: {datetime: "%d.%m.%Y %H:%M"}
    bestallningar: {date: "%Y%m%d"}
""")
    folder = tmp_path / "data/2023-09"
    write_csv(folder / "taggningar.csv", [
        ["handelse_id", "brukare_id", "utforare_id", "personal_id", "tidpunkt", "typ", "metod", "insatser"],
        ["H1", BRUKARE_A, "U1", "P1", "04.09.2023 08:00", "in", "tagg", ""],
        ["H2", BRUKARE_A, "U1", "P1", "2023-09-04 08:30:00+02:00", "ut", "tagg", "Avlösning"],     # the contract's form too
        ["H3", BRUKARE_A, "U1", "P1", "31.09.2023 09:00", "in", "tagg", ""],
    ])
    orders = (folder / "bestallningar.csv").read_text(encoding="utf-8-sig").replace("2023-08-01", "20230801")
    (folder / "bestallningar.csv").write_text(orders, encoding="utf-8")
    got = read(cfg)
    assert got.taggningar["tidpunkt"].to_list() == [utc(2023, 9, 4, 6, 0), utc(2023, 9, 4, 6, 30)]
    assert got.bestallningar["giltig_fran"].dt.to_string().to_list() == ["2023-08-01", "2023-08-01"]
    bad = got.avvikelser.row(0, named=True)
    assert (bad["fil"], bad["rad"], bad["kolumn"], bad["kod"]) == ("taggningar.csv", 4, "tidpunkt", "ogiltig-tidpunkt")
    assert "%d.%m.%Y %H:%M" in bad["meddelande"]


def excel(path: Path, rows: list[list], sheet: str = "Besök", merges: tuple[str, ...] = ()) -> None:
    wb = openpyxl.Workbook()
    wb.active.title = "Om rapporten"
    ws = wb.create_sheet(sheet)
    for r in rows:
        ws.append(r)
    for ref in merges:
        ws.merge_cells(ref)
    wb.save(path)


def test_an_excel_report_by_sheet_name_with_a_two_line_merged_header_and_serial_numbers(tmp_path):
    cfg = month(tmp_path, """\
  besok: "data/{month}/Rapport.xlsx"
  columns:
    besok: {besok_id: ID, brukare_id: Brukare, utforare_id: Utförare, personal_id: Personal, start: Start Tid,
            slut: Slut Tid, metod_start: Start Metod, metod_slut: Slut Metod}
  format:
    besok: {sheet: besök, header_row: [2, 3], skip_matching: "^(Summa|Delsumma)", date_columns: {start: Start Datum, slut: Slut Datum}}
""")
    excel(tmp_path / "data/2023-09/Rapport.xlsx", [
        ["Besök september"],
        ["ID", "Brukare", "Utförare", "Personal", "Start", None, None, "Slut", None, None, "Insatser"],
        [None, None, None, None, "Datum", "Tid", "Metod", "Datum", "Tid", "Metod", None],
        ["1", BRUKARE_A, "U1", "P1", 45173, 0.3333333333333333, "tagg", 45173, "08:45", "manuell", "Avlösning"],
        ["2", BRUKARE_A, "U1", "P1", 45174, "07:00:00", "tagg", 45174.0, 0.3125, "tagg", "Avlösning"],
        ["Delsumma", None, None, None, None, None, None, None, None, None, None],
    ], merges=("A1:K1", "E2:G2", "H2:J2"))
    assert visits(cfg) == [
        ("1/start", utc(2023, 9, 4, 6, 0), None, 4), ("1/slut", utc(2023, 9, 4, 6, 45), "Avlösning", 4),
        ("2/start", utc(2023, 9, 5, 5, 0), None, 5), ("2/slut", utc(2023, 9, 5, 5, 30), "Avlösning", 5)]


def test_merged_cells_in_the_data_still_stop_the_run(tmp_path):
    cfg = month(tmp_path, MAPPING + """\
  besok: "data/{month}/Rapport.xlsx"
  format: {besok: {sheet: Besök, header_row: 2}}
""")
    excel(tmp_path / "data/2023-09/Rapport.xlsx", [
        ["Besök september"], HEADER[:4] + ["start", "slut"] + HEADER[7:],
        ["1", BRUKARE_A, "U1", "P1", "2023-09-04 08:00", "2023-09-04 08:45", "T", "T", "Avlösning"],
        ["2", BRUKARE_A, "U1", "P1", "2023-09-05 08:00", "2023-09-05 08:45", "T", "T", "Avlösning"],
    ], merges=("A1:I1", "C3:C4"))
    assert stops(cfg) == [("Rapport.xlsx", 3, "Utförare")]


def test_a_sheet_that_is_not_there_is_named_with_the_sheets_that_are(tmp_path):
    cfg = month(tmp_path, MAPPING + '  besok: "data/{month}/Rapport.xlsx"\n  format: {besok: {sheet: Visits}}\n')
    excel(tmp_path / "data/2023-09/Rapport.xlsx", [HEADER])
    with pytest.raises(InputError) as exc:
        read(cfg)
    assert "'Visits'" in str(exc.value) and "'Besök'" in str(exc.value)


def test_a_column_the_mapping_names_but_the_file_lacks_stops_the_run(tmp_path):
    cfg = month(tmp_path, MAPPING.replace("Anställd", "Personal-ID") + "  format: {besok: {date_columns: {start: Dag}}}\n")
    write_csv(tmp_path / "data/2023-09/besok.csv", [
        HEADER[:4] + ["start", "slut"] + HEADER[7:],
        ["1", BRUKARE_A, "U1", "P1", "2023-09-04 08:00", "2023-09-04 08:45", "T", "T", "Avlösning"]])
    assert stops(cfg) == [("besok.csv", 1, "Personal-ID")]
    cfg.write_text(cfg.read_text(encoding="utf-8").replace("Personal-ID", "Anställd"), encoding="utf-8")
    assert stops(cfg) == [("besok.csv", 1, "Dag")]


@pytest.mark.parametrize("sep", [":", "."])
def test_a_format_that_reads_none_of_its_values_is_a_wrong_mapping_not_a_bad_row(tmp_path, sep):
    """'%H.%M' on times written 08:00 reads none of them: the mapping is wrong, and the run stops at
    the first value no form reads. When it reads some, a value it cannot read is a bad row."""
    cfg = month(tmp_path, MAPPING + "  format: {besok: {time: \"%H.%M\", date_columns: {start: Datum, slut: Datum}}}\n")
    write_csv(tmp_path / "data/2023-09/besok.csv", [
        HEADER,
        ["1", SHORT_A, "U1", "P1", "2023-09-04", f"08{sep}00", f"08{sep}45", "T", "T", "Avlösning"],
        ["2", SHORT_A, "U1", "P1", "2023-09-04", "kl 9", f"09{sep}45", "T", "T", "Avlösning"]])
    if sep == ".":
        got = read(cfg)
        assert got.avvikelser.select("fil", "rad", "kolumn", "kod").rows() == [("besok.csv", 3, "start", "ogiltig-tidpunkt")]
        return
    with pytest.raises(InputError) as exc:
        read(cfg)
    assert [(f.plats.fil, f.plats.rad, f.plats.kolumn) for f in exc.value.fel] == [("besok.csv", 3, "start")]
    assert "'%H.%M'" in str(exc.value) and "'kl 9'" in str(exc.value)


@pytest.mark.parametrize("extra, key", [
    ('  format: {besok: {time: "%d/%m"}}\n', "time"),
    ('  format: {besok: {date: "%H:%M"}}\n', "date"),
    ('  format: {besok: {datetime: "dd/mm/yyyy"}}\n', "datetime"),
    ('  format: {besok: {date_columns: {tidpunkt: Datum}}}\n', "format"),
    ('  format: {besok: {skip_matching: "(Summa"}}\n', "skip_matching"),
    ('  format: {besok: {header_row: [3, 5]}}\n', "header_row"),
    ('  format: {besoks: {header_row: 2}}\n', "format"),
    ('  columns: {besok: {starttid: Start}}\n', "columns"),
    ('  format: {besok: {fixed: {metod: tagg}}}\n', "besok.fixed: okänd kolumn 'metod'"),
    ('  format: {taggningar: {fixed: {metod_start: tagg}}}\n', "taggningar.fixed: okänd kolumn 'metod_start'"),
    ('  format: {besok: {fixed: {metod_start: " "}}}\n', "tom text"),
])
def test_a_format_the_reader_cannot_follow_stops_the_config_from_loading(tmp_path, extra, key):
    cfg = month(tmp_path, extra)
    with pytest.raises(ConfigError) as exc:
        load(cfg)
    fel = exc.value.fel[0]
    assert fel.plats.fil.endswith("lovkorning.yaml") and fel.plats.rad == 6 and key in fel.meddelande


def test_personnummer_in_every_form_of_the_contract(tmp_path):
    cfg = month(tmp_path, MAPPING)
    write_csv(tmp_path / "data/2023-09/besok.csv", [
        HEADER[:4] + ["start", "slut"] + HEADER[7:],
        *[[str(i), pnr, "U1", f"P{i}", "2023-09-04 08:00", "2023-09-04 08:45", "T", "T", "Avlösning"]
          for i, pnr in enumerate(["19400101-1230", "194001011230", "400101-1230", "4001011230", " 19400101-1230 "])]])
    got = read(cfg)
    assert got.avvikelser.is_empty()
    assert set(got.taggningar["brukare_id"].cast(pl.String).to_list()) == {"194001011230"}


def test_the_configs_lists_of_visit_columns_are_the_readers():
    from lovkorning.config.inputformat import BESOK_COLUMNS, CONTRACT_COLUMNS, TIMESTAMP_COLUMNS
    from lovkorning.read.parse import SPECS
    assert BESOK_COLUMNS == tuple(c.name for c in SPECS["besok"])
    assert CONTRACT_COLUMNS == {name: tuple(c.name for c in cols) for name, cols in SPECS.items()}
    assert TIMESTAMP_COLUMNS == {name: tuple(c.name for c in cols if c.kind == "datetime")
                                 for name, cols in SPECS.items() if any(c.kind == "datetime" for c in cols)}


FIXED = """\
  columns:
    besok: {besok_id: Besöks-ID, brukare_id: Personnummer, utforare_id: Utförare, personal_id: Anställd}
  format: {besok: {fixed: {metod_start: tagg, metod_slut: tagg}}}
"""
NO_METHOD = [HEADER[:4] + ["start", "slut", "insatser"],
             ["1", SHORT_A, "U1", "P1", "2023-09-04 08:00", "2023-09-04 08:45", "Avlösning"],
             ["2", SHORT_A, "U1", "P1", "2023-09-05 08:00", "", "Avlösning"],
             ["3", SHORT_A, "U1", "P1", "2023-09-06 08:00", "2023-09-06 09:00", "Avlösning"]]


def test_a_fixed_value_settles_a_file_without_the_column_as_the_file_with_it_filled(tmp_path):
    """A time system that registers only by tag has no method column: `fixed` gives it, read as a
    cell is, so the month settles exactly as the same file with the columns filled 'tagg'."""
    from lovkorning.settle.month import settle_month
    filled = month(tmp_path / "filled", FIXED.replace("  format: {besok: {fixed: {metod_start: tagg, metod_slut: tagg}}}\n", ""))
    write_csv(tmp_path / "filled/data/2023-09/besok.csv",
              [NO_METHOD[0] + ["metod_start", "metod_slut"]] + [r + ["tagg", "tagg"] for r in NO_METHOD[1:]])
    fixed = month(tmp_path / "fixed", FIXED)
    write_csv(tmp_path / "fixed/data/2023-09/besok.csv", NO_METHOD)
    a, b = read(filled), read(fixed)
    assert a.taggningar.drop("_fil").equals(b.taggningar.drop("_fil")) and a.avvikelser.equals(b.avvikelser)
    assert set(b.taggningar["metod"].cast(pl.String).to_list()) == {"tagg"}
    assert b.taggningar.height == 5
    pay = [settle_month(load(c), SEPT, date(2023, 10, 9)).avr for c in (filled, fixed)]
    assert pay[0].totals == pay[1].totals and pay[0].totals


def test_a_fixed_value_is_read_as_a_cell_is(tmp_path):
    """Through the values map, and checked: a value the column does not take is the row's bad value."""
    cfg = month(tmp_path, FIXED.replace("metod_slut: tagg}", "metod_slut: T}")
                + "  values: {besok: {metod_slut: {T: tagg}}}\n")
    write_csv(tmp_path / "data/2023-09/besok.csv", NO_METHOD)
    assert set(read(cfg).taggningar["metod"].cast(pl.String).to_list()) == {"tagg"}
    cfg = month(tmp_path / "bad", FIXED.replace("metod_slut: tagg}", "metod_slut: taggad}"))
    write_csv(tmp_path / "bad/data/2023-09/besok.csv", NO_METHOD)
    got = read(cfg).avvikelser.select("rad", "kolumn").rows()
    assert got == [(2, "metod_slut"), (3, "metod_slut"), (4, "metod_slut")]   # every row has the value


def test_a_column_both_in_the_file_and_fixed_stops_the_run(tmp_path):
    cfg = month(tmp_path, FIXED.replace("personal_id: Anställd}", "personal_id: Anställd, metod_start: Start via}"))
    write_csv(tmp_path / "data/2023-09/besok.csv",
              [NO_METHOD[0] + ["Start via"]] + [r + ["T"] for r in NO_METHOD[1:]])
    with pytest.raises(InputError) as exc:
        read(cfg)
    assert [(f.plats.fil, f.plats.rad, f.plats.kolumn) for f in exc.value.fel] == [("besok.csv", 1, "Start via")]
    assert "'metod_start'" in str(exc.value) and "fixed" in str(exc.value)
