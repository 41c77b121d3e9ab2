"""Reading a month of input files (contract §1): encodings, separators, Excel, dates and
timestamps, personnummer, missing columns, renaming, the utförare register, and the rule that
every input row is either typed or named by a finding.

Findings are asserted as (file, row, column, code) tuples, never on their prose. Personnummer
are synthetic (monthbuilder's BRUKARE_A..D, or built with luhn_complete)."""

from __future__ import annotations

import csv
import io
import shutil
import tempfile
from datetime import date, datetime, timezone
from pathlib import Path

import openpyxl
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from lovkorning.config.loaded import load
from lovkorning.core.errors import InputError
from lovkorning.core.ids import luhn_complete
from lovkorning.read.indata import read_month
from lovkorning.read.parse import parse_frame
from lovkorning.core.period import Period
from lovkorning.read.sniff import decode, sniff_separator
from lovkorning.read.csvfile import read_csv_text
from support.monthbuilder import BG_1, BG_2, BRUKARE_A, BRUKARE_B, BRUKARE_C, BRUKARE_D, COLUMNS, Month

SEPT = Period(2023, 9)
PNR_A = BRUKARE_A.replace("-", "")           # 194001011230, the normalised form
INPUT_NAMES = ("utforare", "bestallningar", "uppehall", "taggningar", "genomforandeplaner", "overtid")


# ---------------------------------------------------------------- helpers

def read(cfg_path: Path):
    return read_month(load(cfg_path), SEPT)


def found(indata, kod: str | None = None) -> set[tuple]:
    """The findings as (file, row, column, code)."""
    rows = indata.avvikelser.select("fil", "rad", "kolumn", "kod").rows()
    return {r for r in rows if kod is None or r[3] == kod}


def input_error(exc: pytest.ExceptionInfo) -> list[tuple]:
    return [(f.plats.fil, f.plats.rad, f.plats.kolumn) for f in exc.value.fel]


def month_dir(root: Path) -> Path:
    return root / "data" / "2023-09"


def write_csv(path: Path, header: list[str], rows: list[list[str]], sep: str = ";", encoding: str = "utf-8") -> None:
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=sep, lineterminator="\r\n")
    w.writerow(header)
    w.writerows(rows)
    path.write_bytes(buf.getvalue().encode(encoding))


def rewrite(root: Path, m: Month, sep: str, encoding: str) -> None:
    """Write m's files again with another separator and encoding (quoting where the separator needs it)."""
    for name, path, rows in m.files(root):
        write_csv(path, COLUMNS[name], [[str(r[c]) for c in COLUMNS[name]] for r in rows], sep, encoding)


def standard_month() -> Month:
    """Two utförare, orders with å/ä/ö and decimal comma, one visit."""
    m = Month().utforare("U1", "Åsa Öberg Omsorg AB").utforare("E1", "Hemtjänsten Söder", regi="egen")
    m.order("B1", BRUKARE_A, "U1", "Avlösning", "745,8")
    m.order("B2", BRUKARE_B, "U1", "RAM-tid", "12.5", per="vecka", zon="landsbygd")
    m.order("B3", BRUKARE_C, "E1", "Städ", "90", till="2023-12-31")
    m.visit(BRUKARE_A, "U1", "P1", "2023-09-04 08:00", 1800, "Avlösning|Städ")
    m.pause(BRUKARE_B, "2023-09-10", "2023-09-12", "sjukhus")
    return m


def replace_in_config(cfg: Path, old: str, new: str) -> None:
    text = cfg.read_text(encoding="utf-8")
    assert old in text
    cfg.write_text(text.replace(old, new, 1), encoding="utf-8")


# ---------------------------------------------------------------- encodings and separators

VARIANTS = [
    (";", "utf-8-sig"), (";", "utf-8"), (";", "cp1252"), (";", "utf-16"),
    (",", "utf-8"), (",", "cp1252"), ("\t", "utf-8"), ("\t", "utf-16"),
]


def test_same_month_in_every_encoding_and_separator_gives_identical_frames(tmp_path):
    m = standard_month()
    reference = read(m.write(tmp_path / "ref"))
    assert reference.bestallningar["insats"].to_list() == ["Avlösning", "RAM-tid", "Städ"]
    assert reference.utforare["namn"].to_list() == ["Åsa Öberg Omsorg AB", "Hemtjänsten Söder"]
    assert reference.avvikelser.is_empty()
    for sep, encoding in VARIANTS:
        root = tmp_path / f"{encoding}-{ord(sep)}"
        cfg = m.write(root)
        rewrite(root, m, sep, encoding)
        if sep == ",":   # the decimal comma is quoted, as a CSV writer does
            assert '"745,8"' in (month_dir(root) / "bestallningar.csv").read_bytes().decode(encoding)
        got = read(cfg)
        assert got.avvikelser.is_empty(), (sep, encoding)
        for name in INPUT_NAMES:
            assert_frame_equal(got.frames[name].drop("_fil"), reference.frames[name].drop("_fil"))


def test_windows_1252_bytes_are_read_as_swedish_letters():
    assert decode("Avlösning;Åsa".encode("cp1252"), "x.csv") == "Avlösning;Åsa"
    assert decode(b"\xef\xbb\xbf" + "Avlösning".encode("utf-8"), "x.csv") == "Avlösning"
    assert decode("Avlösning".encode("utf-16"), "x.csv") == "Avlösning"


def test_bytes_neither_utf8_nor_windows_1252_stop_the_run():
    with pytest.raises(InputError) as exc:
        decode(b"a;b\n1;2\n\x81\x8d\n", "taggningar.csv")
    assert input_error(exc) == [("taggningar.csv", 3, None)]
    with pytest.raises(InputError):
        decode(b"\xff\xfe" + "a;b\n".encode("utf-16-le") + b"\x00\xd8", "taggningar.csv")   # a lone surrogate


def test_undecodable_month_file_stops_read_month(tmp_path):
    cfg = standard_month().write(tmp_path)
    (month_dir(tmp_path) / "taggningar.csv").write_bytes(b"handelse_id;brukare_id\n\x81\x8d\n")
    with pytest.raises(InputError) as exc:
        read(cfg)
    assert input_error(exc)[0][:2] == ("taggningar.csv", 2)


@pytest.mark.parametrize("header, sep", [("a;b;c", ";"), ("a,b,c", ","), ("a\tb\tc", "\t"), ("a", ";")])
def test_separator_is_sniffed_from_the_header(header, sep):
    assert sniff_separator(header) == sep


# ---------------------------------------------------------------- numbers

def test_minutes_with_decimal_comma_or_point_are_exact_thousandths(tmp_path):
    m = Month().utforare("U1", "Omsorg AB")
    m.order("B1", BRUKARE_A, "U1", "RAM-tid", "745,8")
    m.order("B2", BRUKARE_B, "U1", "RAM-tid", "12.5")
    m.order("B3", BRUKARE_C, "U1", "RAM-tid", "1,2345")      # four decimals: rejected
    m.order("B4", BRUKARE_D, "U1", "RAM-tid", "30")
    got = read(m.write(tmp_path))
    assert dict(got.bestallningar.select("bestallning_id", "minuter_milli").rows()) == {
        "B1": 745_800, "B2": 12_500, "B4": 30_000}
    assert found(got) == {("bestallningar.csv", 4, "minuter", "ogiltigt-tal")}


# ---------------------------------------------------------------- Excel

ORDER_HEADER = COLUMNS["bestallningar"]


def order_row(bid, brukare, minuter, fran, **kw):
    row = dict(bestallning_id=bid, brukare_id=brukare, utforare_id="U1", insats="RAM-tid", minuter=minuter,
               per="manad", giltig_fran=fran, giltig_till=None, verkstalld_fran=None, antal=None, zon="tätort",
               dubbelbemanning="nej")
    row.update(kw)
    return [row[c] for c in ORDER_HEADER]


def write_xlsx(path: Path, header: list[str], rows: list[list]) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(header)
    for r in rows:
        ws.append(r)
    wb.save(path)


def excel_month(tmp_path: Path, rows: list[list]) -> Path:
    cfg = Month().utforare("U1", "Omsorg AB").write(tmp_path)
    (month_dir(tmp_path) / "bestallningar.csv").unlink()
    write_xlsx(month_dir(tmp_path) / "bestallningar.xlsx", ORDER_HEADER, rows)
    return cfg


def test_excel_orders_with_date_cells_text_dates_and_numbers(tmp_path):
    cfg = excel_month(tmp_path, [
        order_row("B1", BRUKARE_A, 745.8, date(2023, 8, 1), giltig_till=date(2023, 12, 31)),
        order_row("B2", BRUKARE_B, "12,5", "2023-08-01", antal=3),
        [None] * len(ORDER_HEADER),                                          # an empty Excel row 4
        order_row("B3", int(BRUKARE_C.replace("-", "")), 30, datetime(2023, 9, 1)),   # pnr as a number
        order_row("B4", BRUKARE_D, "många", date(2023, 8, 1)),                # Excel row 6: not a number
    ])
    got = read(cfg)
    orders = got.bestallningar.select("bestallning_id", "brukare_id", "minuter_milli", "giltig_fran",
                                      "giltig_till", "antal", "_rad", "_fil")
    assert orders.rows() == [
        ("B1", PNR_A, 745_800, date(2023, 8, 1), date(2023, 12, 31), None, 2, "bestallningar.xlsx"),
        ("B2", BRUKARE_B.replace("-", ""), 12_500, date(2023, 8, 1), None, 3, 3, "bestallningar.xlsx"),
        ("B3", BRUKARE_C.replace("-", ""), 30_000, date(2023, 9, 1), None, None, 5, "bestallningar.xlsx"),
    ]
    assert found(got) == {("bestallningar.xlsx", 6, "minuter", "ogiltigt-tal")}


def test_excel_datetime_cells_are_swedish_local_time_even_at_midnight(tmp_path):
    cfg = Month().utforare("U1", "Omsorg AB").order("B1", BRUKARE_A, "U1", "Avlösning", "60").write(tmp_path)
    (month_dir(tmp_path) / "taggningar.csv").unlink()
    header = COLUMNS["taggningar"]
    write_xlsx(month_dir(tmp_path) / "taggningar.xlsx", header, [
        ["H1", BRUKARE_A, "U1", "P1", datetime(2023, 9, 4, 0, 0), "in", "tagg", None, "usk", "nej"],
        ["H2", BRUKARE_A, "U1", "P1", datetime(2023, 9, 4, 0, 30), "ut", "tagg", "Avlösning", "usk", "nej"],
        ["H3", BRUKARE_A, "U1", "P1", "2023-09-05 08:00", "in", "tagg", None, "usk", "nej"],
    ])
    got = read(cfg)
    assert got.avvikelser.is_empty()
    assert got.taggningar["tidpunkt"].to_list() == [
        datetime(2023, 9, 3, 22, 0, tzinfo=timezone.utc),
        datetime(2023, 9, 3, 22, 30, tzinfo=timezone.utc),
        datetime(2023, 9, 5, 6, 0, tzinfo=timezone.utc),
    ]


def test_excel_formula_cell_stops_the_run_naming_row_and_column(tmp_path):
    cfg = excel_month(tmp_path, [
        order_row("B1", BRUKARE_A, 60, "2023-08-01"),
        order_row("B2", BRUKARE_B, "=30*2", "2023-08-01"),
    ])
    with pytest.raises(InputError) as exc:
        read(cfg)
    assert input_error(exc) == [("bestallningar.xlsx", 3, "minuter")]


# ---------------------------------------------------------------- dates and timestamps

def test_a_date_that_does_not_exist_is_rejected_at_its_row_and_column(tmp_path):
    m = Month().utforare("U1", "Omsorg AB")
    m.order("B1", BRUKARE_A, "U1", "RAM-tid", "60")
    m.order("B2", BRUKARE_B, "U1", "RAM-tid", "60", fran="2023-02-30", verkstalld="2023-08-01")
    m.order("B3", BRUKARE_C, "U1", "RAM-tid", "60", till="2023-13-01")
    m.order("B4", BRUKARE_D, "U1", "RAM-tid", "60", fran="2023-08-01 00:00:00")   # a midnight time is that date
    got = read(m.write(tmp_path))
    assert got.bestallningar.select("bestallning_id", "giltig_fran").rows() == [
        ("B1", date(2023, 8, 1)), ("B4", date(2023, 8, 1))]
    assert found(got) == {("bestallningar.csv", 3, "giltig_fran", "ogiltigt-datum"),
                          ("bestallningar.csv", 4, "giltig_till", "ogiltigt-datum")}


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=timezone.utc)


TIMESTAMPS = {   # text in the file -> the UTC instant (None: rejected)
    "2023-09-04 08:00": utc(2023, 9, 4, 6, 0),              # CEST, +02:00
    "2023-09-04 08:00:15": utc(2023, 9, 4, 6, 0, 15),
    "2023-09-04T08:00": utc(2023, 9, 4, 6, 0),
    "2023-09-04T08:00:15": utc(2023, 9, 4, 6, 0, 15),
    "2023-09-04T08:00:15+02:00": utc(2023, 9, 4, 6, 0, 15),
    "2023-09-04T06:00:15Z": utc(2023, 9, 4, 6, 0, 15),
    "2023-09-04 08:00+02:00": utc(2023, 9, 4, 6, 0),
    "2023-09-04T09:00:00+03:00": utc(2023, 9, 4, 6, 0),
    "2023-12-04 08:00": utc(2023, 12, 4, 7, 0),             # CET, +01:00
    "2023-03-26 03:30": utc(2023, 3, 26, 1, 30),            # just after the spring gap
    "2023-03-26T02:30+01:00": utc(2023, 3, 26, 1, 30),      # inside the gap, but with an offset
    "2023-10-29T02:30+02:00": utc(2023, 10, 29, 0, 30),     # the first 02:30 of the autumn night
    "2023-10-29T02:30+01:00": utc(2023, 10, 29, 1, 30),     # the second
    "2023-03-26 02:30": None,                               # does not exist in Swedish time
    "2023-10-29 02:30": None,                               # happens twice
    "2023-09-04": None,                                     # a date is not a tidpunkt
    "2023-09-04 8.00": None,
}


def test_timestamps_in_every_accepted_form_become_the_right_utc_instant(tmp_path):
    m = Month().utforare("U1", "Omsorg AB").order("B1", BRUKARE_A, "U1", "Avlösning", "60")
    for i, text in enumerate(TIMESTAMPS):
        m.event(BRUKARE_A, "U1", "P1", text, "in", hid=f"T{i}")
    got = read(m.write(tmp_path))
    parsed = dict(got.taggningar.select("handelse_id", "tidpunkt").rows())
    for i, (text, expected) in enumerate(TIMESTAMPS.items()):
        assert parsed.get(f"T{i}") == expected, text
    row = {text: i + 2 for i, text in enumerate(TIMESTAMPS)}
    assert found(got) == {
        ("taggningar.csv", row["2023-03-26 02:30"], "tidpunkt", "tvetydig-tidpunkt"),
        ("taggningar.csv", row["2023-10-29 02:30"], "tidpunkt", "tvetydig-tidpunkt"),
        ("taggningar.csv", row["2023-09-04"], "tidpunkt", "ogiltig-tidpunkt"),
        ("taggningar.csv", row["2023-09-04 8.00"], "tidpunkt", "ogiltig-tidpunkt"),
    }


# ---------------------------------------------------------------- personnummer

SAMORDNING = "19400161" + luhn_complete("400161123")[-4:]     # born 1940-01-01, day + 60
OVER_100 = luhn_complete("200505123")                          # born 1920-05-05


@pytest.mark.parametrize("text, normalised", [
    ("194001011230", PNR_A),
    ("19400101-1230", PNR_A),
    ("400101-1230", PNR_A),
    (f"{OVER_100[:6]}+{OVER_100[6:]}", "19" + OVER_100),       # '+': turned 100, so 1920, not 2020
    (SAMORDNING, SAMORDNING),
    (f"{SAMORDNING[2:8]}-{SAMORDNING[8:]}", SAMORDNING),
])
def test_personnummer_in_every_form_is_normalised_to_12_digits(tmp_path, text, normalised):
    m = Month().utforare("U1", "Omsorg AB").order("B1", text, "U1", "RAM-tid", "60")
    got = read(m.write(tmp_path))
    assert got.avvikelser.is_empty()
    assert got.bestallningar["brukare_id"].to_list() == [normalised]


def test_wrong_check_digit_is_rejected_and_the_message_hides_the_number(tmp_path):
    bad = "19400101-1231"
    m = Month().utforare("U1", "Omsorg AB")
    m.order("B1", BRUKARE_A, "U1", "RAM-tid", "60").order("B2", bad, "U1", "RAM-tid", "60")
    m.event(bad, "U1", "P1", "2023-09-04 08:00", "in")
    got = read(m.write(tmp_path))
    assert got.bestallningar["bestallning_id"].to_list() == ["B1"]
    assert found(got) == {("bestallningar.csv", 3, "brukare_id", "ogiltigt-personnummer"),
                          ("taggningar.csv", 2, "brukare_id", "ogiltigt-personnummer")}
    for message in got.avvikelser["meddelande"]:
        for secret in ("194001011231", "4001011231", "400101", "1231"):
            assert secret not in message
    assert got.avvikelser["brukare_id"].to_list() == [None, None]


# ---------------------------------------------------------------- structure of a file

def test_a_missing_required_column_stops_the_run_naming_file_row_1_and_column(tmp_path):
    cfg = standard_month().write(tmp_path)
    path = month_dir(tmp_path) / "bestallningar.csv"
    lines = path.read_text(encoding="utf-8-sig").splitlines()
    header = lines[0].split(";")
    keep = [i for i, c in enumerate(header) if c != "zon"]
    path.write_text("\n".join(";".join(ln.split(";")[i] for i in keep) for ln in lines), encoding="utf-8")
    with pytest.raises(InputError) as exc:
        read(cfg)
    assert input_error(exc) == [("bestallningar.csv", 1, "zon")]


def test_an_empty_file_stops_the_run(tmp_path):
    cfg = standard_month().write(tmp_path)
    (month_dir(tmp_path) / "taggningar.csv").write_bytes(b"\xef\xbb\xbf\r\n")
    with pytest.raises(InputError) as exc:
        read(cfg)
    assert input_error(exc) == [("taggningar.csv", 1, None)]


def test_a_header_only_file_is_an_empty_month(tmp_path):
    m = Month().utforare("U1", "Omsorg AB")
    got = read(m.write(tmp_path))          # bestallningar and taggningar: just their header
    assert got.bestallningar.is_empty() and got.taggningar.is_empty()
    assert got.avvikelser.is_empty()
    assert got.bestallningar.schema["minuter_milli"] == pl.Int64
    assert got.taggningar.schema["tidpunkt"] == pl.Datetime("us", "UTC")


@pytest.mark.parametrize("sep, extra", [(";", ";extra"), (",", ',"1,5"')])
def test_a_row_with_more_fields_than_the_header_stops_the_run_naming_the_row(tmp_path, sep, extra):
    m = standard_month()
    cfg = m.write(tmp_path)
    rewrite(tmp_path, m, sep, "utf-8")
    path = month_dir(tmp_path) / "bestallningar.csv"
    lines = path.read_bytes().decode("utf-8").split("\r\n")
    lines[2] += extra                                   # line 3 of the file
    path.write_text("\r\n".join(lines), encoding="utf-8")
    with pytest.raises(InputError) as exc:
        read(cfg)
    assert input_error(exc) == [("bestallningar.csv", 3, None)]


def test_truncated_rows_are_rejected_for_each_missing_required_value(tmp_path):
    cfg = standard_month().write(tmp_path)
    path = month_dir(tmp_path) / "bestallningar.csv"
    with path.open("a", encoding="utf-8") as f:
        f.write(f"B9;{BRUKARE_D};U1;RAM-tid\n")          # line 5: stops after insats
    got = read(cfg)
    assert "B9" not in got.bestallningar["bestallning_id"].to_list()
    assert found(got) == {("bestallningar.csv", 5, col, "saknat-varde")
                          for col in ("minuter", "per", "giltig_fran", "zon")}


def test_blank_lines_are_not_rows_and_do_not_shift_row_numbers():
    df = read_csv_text("a;b\n1;2\n\n;\n3;x\n\n", "f.csv")
    assert df.select("a", "b", "_rad").rows() == [("1", "2", 2), ("3", "x", 5)]


def test_headers_are_case_insensitive(tmp_path):
    m = standard_month()
    reference = read(m.write(tmp_path / "ref"))
    cfg = m.write(tmp_path / "upper")
    path = month_dir(tmp_path / "upper") / "bestallningar.csv"
    head, rest = path.read_text(encoding="utf-8-sig").split("\n", 1)
    path.write_text(head.upper().replace("ZON", "Zon") + "\n" + rest, encoding="utf-8-sig")
    assert_frame_equal(read(cfg).bestallningar, reference.bestallningar)


# ---------------------------------------------------------------- config: renaming and value mapping

def test_config_maps_their_column_names_and_values_onto_ours(tmp_path):
    m = Month().utforare("U1", "Omsorg AB").order("B1", BRUKARE_A, "U1", "Avlösning", "60")
    cfg = m.write(tmp_path)
    header = ["HANDELSE_ID", "Brukare_Id", "utforare_id", "personal_id", "Tid", "typ", "metod", "insatser"]
    write_csv(month_dir(tmp_path) / "taggningar.csv", header, [
        ["H1", BRUKARE_A, "U1", "P1", "2023-09-04 08:00", "Incheckning", "tagg", ""],
        ["H2", BRUKARE_A, "U1", "P1", "2023-09-04 08:30", "Utcheckning", "tagg", "Avlösning"],
        ["H3", BRUKARE_A, "U1", "P1", "2023-09-04 09:00", "Paus", "tagg", ""],
    ])
    replace_in_config(cfg, "  utforare: data/utforare.csv\n", "  utforare: data/utforare.csv\n"
                      "  columns: {taggningar: {tidpunkt: Tid}}\n"
                      "  values: {taggningar: {typ: {Incheckning: in, Utcheckning: ut}}}\n")
    got = read(cfg)
    assert got.taggningar.select("handelse_id", "typ", "tidpunkt").rows() == [
        ("H1", "in", utc(2023, 9, 4, 6, 0)), ("H2", "ut", utc(2023, 9, 4, 6, 30))]
    assert found(got) == {("taggningar.csv", 4, "typ", "ogiltigt-varde")}


# ---------------------------------------------------------------- the utförare register

def register_with(tmp_path: Path, **kw) -> Path:
    m = Month().utforare("U1", "Omsorg AB").utforare("E1", "Egen regi", regi="egen")
    cfg = m.write(tmp_path)
    rows = [["U1", "Omsorg AB", "privat", "", BG_1, ""], ["E1", "Egen regi", "egen", "", "", ""]]
    rows.append(kw["row"])
    write_csv(tmp_path / "data" / "utforare.csv", COLUMNS["utforare"], rows)
    return cfg


@pytest.mark.parametrize("row, column", [
    (["U2", "Utan bankgiro AB", "privat", "", "", ""], "bankgiro"),
    (["U2", "Fel bankgiro AB", "privat", "", "123-4567", ""], "bankgiro"),
    (["U1", "Samma id AB", "privat", "", BG_2, ""], "utforare_id"),
    (["U2", "Okänd regi AB", "kooperativ", "", BG_2, ""], "regi"),
])
def test_an_unusable_utforare_register_stops_the_run(tmp_path, row, column):
    with pytest.raises(InputError) as exc:
        read(register_with(tmp_path, row=row))
    assert ("utforare.csv", 4, column) in input_error(exc)


def test_egen_regi_needs_no_bankgiro_and_a_bad_orgnr_is_a_warning(tmp_path):
    got = read(register_with(tmp_path, row=["E2", "Egen regi Norr", "egen", "556000-0000", "", ""]))
    assert got.utforare.select("utforare_id", "bankgiro").rows() == [("U1", "1234566"), ("E1", None), ("E2", None)]
    assert found(got) == {("utforare.csv", 4, "orgnr", "ogiltigt-orgnr")}


def test_unknown_utforare_and_duplicate_order_ids_are_rejected_rows(tmp_path):
    m = Month().utforare("U1", "Omsorg AB")
    m.order("B1", BRUKARE_A, "U1", "RAM-tid", "60")
    m.order("B2", BRUKARE_B, "U1", "RAM-tid", "60")
    m.order("B1", BRUKARE_C, "U1", "RAM-tid", "90")            # line 4: B1 again
    m.event(BRUKARE_A, "U1", "P1", "2023-09-04 08:00", "in")
    m.event(BRUKARE_A, "U9", "P1", "2023-09-04 09:00", "in")    # line 3: no such utförare
    got = read(m.write(tmp_path))
    assert got.bestallningar.select("bestallning_id", "_rad").rows() == [("B1", 2), ("B2", 3)]
    assert got.taggningar["_rad"].to_list() == [2]
    assert found(got) == {("bestallningar.csv", 4, "bestallning_id", "dubbel-rad"),
                          ("taggningar.csv", 3, "utforare_id", "okand-utforare")}


# ---------------------------------------------------------------- conservation of rows

VALID = dict(minuter="60", per="manad", fran="2023-08-01", till="", zon="tätort", uid="U1", brukare=BRUKARE_A)
FLAWS = {   # one way each to spoil a row
    "minuter": "1,2345", "per": "fortnight", "fran": "2023-02-30", "till": "2023-07-01",
    "zon": "", "uid": "U9", "brukare": "19400101-1231",
}
row_strategy = st.tuples(st.sampled_from([None, *FLAWS]), st.booleans())   # (flaw, reuse the previous id)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(row_strategy, min_size=1, max_size=8))
def test_every_order_row_is_typed_or_named_by_an_error_never_both(rows):
    m = Month().utforare("U1", "Omsorg AB")
    for i, (flaw, reuse) in enumerate(rows):
        v = dict(VALID)
        if flaw:
            v[flaw] = FLAWS[flaw]
        bid = f"B{i - 1 if reuse and i else i}"
        m.order(bid, v["brukare"], v["uid"], "RAM-tid", v["minuter"], per=v["per"], fran=v["fran"],
                till=v["till"], zon=v["zon"])
    root = Path(tempfile.mkdtemp())
    try:
        got = read(m.write(root))
    finally:
        shutil.rmtree(root)
    typed = set(got.bestallningar["_rad"].to_list())
    errors = got.avvikelser.filter((pl.col("fil") == "bestallningar.csv") & (pl.col("allvarlighet") == "fel"))
    named = set(errors["rad"].to_list())
    lines = set(range(2, len(rows) + 2))
    assert typed | named == lines
    assert typed & named == set()
    for line, (flaw, _) in zip(sorted(lines), rows):
        if flaw:
            assert line in named


# ---------------------------------------------------------------- parse_frame directly

def test_parse_frame_reports_each_bad_value_with_its_column():
    raw = pl.DataFrame({
        "brukare_id": [BRUKARE_A, BRUKARE_A, "nonsense"],
        "utforare_id": ["U1", "U1", "U1"],
        "minuter": ["15", "15 min", "15"],
        "_fil": ["overtid.csv"] * 3,
        "_rad": [2, 3, 4],
    })
    typed, findings = parse_frame("overtid", raw, SEPT.end)
    assert typed.select("brukare_id", "minuter_milli", "_rad").rows() == [(PNR_A, 15_000, 2)]
    assert set(findings.select("fil", "rad", "kolumn", "kod").rows()) == {
        ("overtid.csv", 3, "minuter", "ogiltigt-tal"),
        ("overtid.csv", 4, "brukare_id", "ogiltigt-personnummer"),
    }
    assert findings.filter(pl.col("rad") == 3)["brukare_id"].to_list() == [PNR_A]


@pytest.mark.parametrize("odd", [" U1", "U1\t", "U1\u00a0", "", "   "])
def test_a_large_file_tidies_a_value_with_spaces_around_it_as_a_small_one_does(odd):
    """A file of 10 000 rows or more is first checked for values to tidy (on every core) and
    tidied only if it has some: one value with a space around it (a tab, a no-break space), or
    blank, is found and tidied as in a small file."""
    def raw(n: int) -> pl.DataFrame:
        ids = ["U1"] * n
        ids[n // 2] = odd
        return pl.DataFrame({"brukare_id": [BRUKARE_A] * n, "utforare_id": ids, "minuter": ["15"] * n,
                             "_fil": ["overtid.csv"] * n, "_rad": list(range(2, n + 2))})
    for n in (12, 12_000):
        typed, findings = parse_frame("overtid", raw(n), SEPT.end)
        if odd.strip():
            assert typed.height == n and typed["utforare_id"].unique().to_list() == ["U1"]
        else:           # blank is missing: the row is rejected, named
            assert typed.height == n - 1 and findings.select("rad", "kolumn", "kod").rows() == [
                (n // 2 + 2, "utforare_id", "saknat-varde")]


def test_blank_lines_keep_every_later_row_numbered_by_its_line(tmp_path):
    """Without quotes the fast path trusts polars' rows to be the file's lines (no line count):
    blank lines must stay rows while numbering, so the row after them keeps its own line."""
    from lovkorning.read.files import read_table
    for eol in ("\n", "\r\n"):
        path = tmp_path / "overtid.csv"
        path.write_bytes(eol.join(["brukare_id;utforare_id;minuter", "A;U1;1", "", "", "B;U1;2", ""]).encode())
        df, _ = read_table(path, "overtid", {})
        assert df.select("brukare_id", "_rad").rows() == [("A", 2), ("B", 5)]


def test_problems_of_one_kind_are_listed_up_to_twenty_then_counted():
    from lovkorning.core.errors import Fel, Plats
    from lovkorning.read.sniff import MAX_LISTED, listed
    err = listed([Fel("Raden har fler fält än rubrikraden (3).", Plats("t.csv", r)) for r in range(2, 27)], "t.csv")
    assert len(err.fel) == MAX_LISTED + 1
    assert [f.plats.rad for f in err.fel[:MAX_LISTED]] == list(range(2, 2 + MAX_LISTED))
    assert str(err.fel[-1]).endswith("… och ytterligare 5 sådana rader.")
    assert len(listed([Fel("x", Plats("t.csv", 2))], "t.csv").fel) == 1
