"""Settlement workbooks and the sammanställning, read back with openpyxl.

Every Avrakning here is built by hand. Personnummer are synthetic: 19121212-1212 is the
well-known test number; the others have the impossible date 1900-00-00, so no real person has them.
"""

from __future__ import annotations

import zipfile
from datetime import date

import openpyxl
import polars as pl
import pytest

from lovkorning.core import avvikelser as avv
from lovkorning.core.money import hours_value, time_amount
from lovkorning.core.period import Period
from lovkorning.settle.result import JUSTERINGAR_SCHEMA, RADER_SCHEMA, TID_SCHEMA, Avrakning, Kommun, RunInfo
from lovkorning.write.sammanstallning import write_sammanstallning
from lovkorning.settle.adjust import andel_utford
from lovkorning.write import readback
from lovkorning.write.workbook import write_all_workbooks, write_utforare_workbook
from lovkorning.write.cells import Options

PNR_A = "191212121212"
PNR_A2 = "190000008888"
PNR_B = "190000009999"
RATE = 45_000                      # öre per hour (450 kr/h)
UTFORARE_SCHEMA = {"utforare_id": pl.String, "namn": pl.String, "regi": pl.String,
                   "orgnr": pl.String, "bankgiro": pl.String, "flaggor": pl.List(pl.String)}


def utforare(uid: str, namn: str, regi: str = "privat", bankgiro: str | None = "56781234") -> dict:
    return {"utforare_id": uid, "namn": namn, "regi": regi, "orgnr": "5560000000",
            "bankgiro": bankgiro, "flaggor": []}


def tid(uid, pnr, insats, beviljad=0, uppehall=0, utford=0, besok=0, forsta=None) -> dict:
    """`forsta`: the visits whose first insats this is (default: all, visits of one insats each)."""
    return {"utforare_id": uid, "brukare_id": pnr, "insats": insats, "beviljad_sek": beviljad,
            "uppehall_sek": uppehall, "beviljad_lov_sek": beviljad - uppehall,
            "utford_sek": utford, "antal_besok": besok, "besok_forsta": besok if forsta is None else forsta}


def line(uid, pnr, insats, regel="Ramtid", sek=0, antal=0, sats=RATE, belopp=None, tillagg=0,
         fran=date(2023, 9, 1)) -> dict:
    if belopp is None:
        belopp = time_amount(sek, sats) if sek else antal * sats
    return {"utforare_id": uid, "brukare_id": pnr, "zon": "tätort", "insats": insats,
            "regel": regel, "basis": "beviljad", "bestallning_id": f"B-{pnr[-4:] if pnr else 0}",
            "fran": fran, "till": date(2023, 9, 30), "ersatt_sek": sek, "antal": antal,
            "sats_ore": sats, "belopp_ore": belopp, "tillagg_ore": tillagg}


def justering(uid, namn, typ, bp, bas) -> dict:
    sign = -1 if typ == "avdrag" else 1
    return {"utforare_id": uid, "namn": namn, "typ": typ, "procent_bp": bp, "bas_ore": bas,
            "belopp_ore": sign * (bas * bp // 10_000)}


def avvikelse(uid, pnr, kod="kort-besok", rad=7) -> dict:
    return {"kod": kod, "allvarlighet": avv.KODER[kod].allvarlighet, "utforare_id": uid,
            "brukare_id": pnr, "fil": "taggningar.csv", "rad": rad, "kolumn": None,
            "meddelande": "Besöket är kortare än 2 minuter."}


def build(utf, tids=(), rader=(), just=(), avvs=(), totals=None) -> Avrakning:
    rader_df = pl.DataFrame(list(rader), schema=RADER_SCHEMA)
    just_df = pl.DataFrame(list(just), schema=JUSTERINGAR_SCHEMA)
    if totals is None:
        totals = {u["utforare_id"]: 0 for u in utf}
        for r in rader:
            totals[r["utforare_id"]] += r["belopp_ore"] + r["tillagg_ore"]
        for j in just:
            totals[j["utforare_id"]] += j["belopp_ore"]
    return Avrakning(
        period=Period(2023, 9),
        kommun=Kommun("Norrköpings kommun", "9912346"),
        run=RunInfo("2023-09-K1", "SLUTLIG", date(2023, 10, 9), date(2023, 10, 13),
                    date(2023, 10, 9), "0.1.0"),
        utforare=pl.DataFrame(list(utf), schema=UTFORARE_SCHEMA),
        tid=pl.DataFrame(list(tids), schema=TID_SCHEMA),
        rader=rader_df, justeringar=just_df,
        avvikelser=pl.DataFrame(list(avvs), schema=avv.SCHEMA),
        totals=totals,
    )


def seed_001() -> Avrakning:
    """Norrköping's Timunderlag LOV example (seed 001): RAM-tid and a misregistered visit."""
    return build(
        [utforare("U1", "Omsorg Öst AB")],
        [tid("U1", PNR_A, "RAM-tid", beviljad=44_748, utford=29_268, besok=32),
         tid("U1", PNR_A, "Morgonhjälp", utford=540, besok=1)],
        [line("U1", PNR_A, "RAM-tid", sek=44_748)],
    )


def two_utforare() -> Avrakning:
    return build(
        [utforare("A", "Alfa Omsorg AB"), utforare("B", "Beta Hemtjänst AB", bankgiro="1234566"),
         utforare("E", "Hemtjänsten egen regi", regi="egen", bankgiro=None)],
        [tid("A", PNR_A, "RAM-tid", beviljad=36_000, uppehall=7_200, utford=20_000, besok=20),
         tid("A", PNR_A2, "RAM-tid", beviljad=18_000, utford=18_000, besok=10),
         tid("B", PNR_B, "RAM-tid", beviljad=7_200, utford=3_600, besok=4),
         tid("B", PNR_B, "Avlösning", beviljad=3_600, utford=3_600, besok=1),
         tid("E", PNR_B, "Städning", beviljad=3_600, utford=1_800, besok=1)],
        [line("A", PNR_A, "RAM-tid", sek=28_800, tillagg=1_234),
         line("A", PNR_A2, "RAM-tid", sek=18_000),
         line("A", PNR_A2, "Genomförandeplan", regel="Genomförandeplan", antal=1, sats=90_000),
         line("B", PNR_B, "RAM-tid", sek=7_200),
         line("B", PNR_B, "Avlösning", regel="Utförd tid", sek=3_600),
         line("E", PNR_B, "Städning", sek=3_600)],
        [justering("A", "Heltidsavdrag", "avdrag", 150, 1_000_000),
         justering("B", "Momskompensation", "momskompensation", 300, 495_000)],
        [avvikelse("A", PNR_A), avvikelse("B", PNR_B, "saknar-utcheckning"),
         avvikelse(None, None, "ogiltigt-datum")],
    )


def sheet_rows(path, sheet) -> list[tuple]:
    return list(openpyxl.load_workbook(path)[sheet].iter_rows(values_only=True))


def row_labelled(rows, label) -> tuple:
    return next(r for r in rows if r[0] == label)


# --------------------------------------------------------------------------- Timunderlag


def test_timunderlag_reproduces_seed_001(tmp_path):
    path = tmp_path / "U1.xlsx"
    write_utforare_workbook(seed_001(), "U1", path)
    rows = sheet_rows(path, "Timunderlag")
    assert rows[0] == ("Insatstyp", "Beviljad tid", "Uppehåll", "Beviljad tid LOV", "Utförd tid",
                       "Ersättn.timmar", "Antal besök", "Tid per besök", "Belopp inkl. zontillägg (kr)")
    assert rows[1] == ("RAM-tid", 12.43, None, 12.43, 8.13, 12.43, 32, 0.25, 5593.5)
    assert rows[2] == ("Morgonhjälp", None, None, None, 0.15, 0, 1, 0.15, 0)
    assert rows[3] == ("Totalt", 12.43, None, 12.43, 8.28, 12.43, 33, 0.25, 5593.5)
    assert len(rows) == 4
    assert hours_value(29_268 + 540) == 8.28


def test_timunderlag_totals_count_a_visit_with_two_insatser_once(tmp_path):
    """Two 1 h visits registered Avlösning|Ledsagning: 1 800 s on each insats per visit. Per insats
    2 visits of 0,50 h; in total 2 visits (not 4) of 1,00 h, in Timunderlag, Per brukare and the
    sammanställning alike."""
    avr = build([utforare("U1", "Omsorg Öst AB")],
                [tid("U1", PNR_A, "Avlösning", beviljad=7_200, utford=3_600, besok=2, forsta=2),
                 tid("U1", PNR_A, "Ledsagning", beviljad=7_200, utford=3_600, besok=2, forsta=0)],
                [line("U1", PNR_A, "Avlösning", sek=3_600), line("U1", PNR_A, "Ledsagning", sek=3_600)])
    write_utforare_workbook(avr, "U1", tmp_path / "U1.xlsx")
    rows = sheet_rows(tmp_path / "U1.xlsx", "Timunderlag")
    assert [r[6:8] for r in rows[1:]] == [(2, 0.5), (2, 0.5), (2, 1.0)]
    assert rows[-1] == ("Totalt", 4.0, None, 4.0, 2.0, 2.0, 2, 1.0, 900.0)    # 2 × 3 600 s × 450 kr
    assert sheet_rows(tmp_path / "U1.xlsx", "Per brukare")[-1][7:9] == (2, 1.0)
    write_sammanstallning(avr, tmp_path / "s.xlsx")
    summary = sheet_rows(tmp_path / "s.xlsx", "Sammanställning")
    assert row_labelled(summary, "U1")[7] == 2 and row_labelled(summary, "Totalt")[7] == 2


def test_timunderlag_rows_for_money_only_insats_and_sort_order(tmp_path):
    avr = two_utforare()
    path = tmp_path / "A.xlsx"
    write_utforare_workbook(avr, "A", path)
    rows = sheet_rows(path, "Timunderlag")
    assert [r[0] for r in rows[1:]] == ["RAM-tid", "Genomförandeplan", "Totalt"]
    gp = row_labelled(rows, "Genomförandeplan")
    assert gp == ("Genomförandeplan", None, None, None, None, 0, None, None, 900)
    assert row_labelled(rows, "RAM-tid")[1:4] == (15.0, 2.0, 13.0)


def test_cell_formats_header_freeze_and_filter(tmp_path):
    path = tmp_path / "U1.xlsx"
    write_utforare_workbook(seed_001(), "U1", path)
    ws = openpyxl.load_workbook(path)["Timunderlag"]
    assert ws.freeze_panes == "A2"
    assert ws.auto_filter.ref == "A1:I3"          # the Totalt row stays outside the filter
    assert all(c.font.b for c in ws[1])
    assert ws["B2"].number_format == "0.00"
    assert ws["G2"].number_format == "0"
    assert ws["I2"].number_format == "#,##0.00"
    assert ws.column_dimensions["A"].width > 10


# --------------------------------------------------------------------------- Sammanfattning


def test_att_betala_equals_totals_and_is_returned(tmp_path):
    avr = two_utforare()
    path = tmp_path / "A.xlsx"
    ore = write_utforare_workbook(avr, "A", path)
    assert ore == avr.totals["A"]
    rows = sheet_rows(path, "Sammanfattning")
    assert row_labelled(rows, "Att betala")[3] == avr.totals["A"] / 100
    assert row_labelled(rows, "Ramtid")[3] == (360_000 + 225_000) / 100
    assert row_labelled(rows, "Zontillägg")[3] == 12.34
    assert row_labelled(rows, "Heltidsavdrag")[1:] == (10_000.0, 0.015, -150.0)
    assert row_labelled(rows, "Bankgiro")[1] == "5678-1234"
    assert row_labelled(rows, "Organisationsnummer")[1] == "556000-0000"
    assert row_labelled(rows, "Betalningsdag")[1].date() == date(2023, 10, 13)


def test_att_betala_mismatch_raises_and_writes_nothing(tmp_path):
    avr = two_utforare()
    avr.totals["A"] += 1
    path = tmp_path / "A.xlsx"
    with pytest.raises(ValueError, match="summerar till"):
        write_utforare_workbook(avr, "A", path)
    assert not path.exists()


def test_egen_regi_has_no_bankgiro(tmp_path):
    path = tmp_path / "E.xlsx"
    write_utforare_workbook(two_utforare(), "E", path)
    rows = sheet_rows(path, "Sammanfattning")
    assert row_labelled(rows, "Bankgiro")[1] == "—"
    assert row_labelled(rows, "Anmärkning")[1] == "Egen regi: ingen utbetalning"


def test_summary_has_chart_reading_timunderlag(tmp_path):
    path = tmp_path / "U1.xlsx"
    write_utforare_workbook(seed_001(), "U1", path)
    assert openpyxl.load_workbook(path).sheetnames == [
        "Sammanfattning", "Timunderlag", "Per brukare", "Avvikelser", "Rader"]
    with zipfile.ZipFile(path) as z:
        chart_xml = z.read("xl/charts/chart1.xml").decode()
        drawing_rels = z.read("xl/worksheets/_rels/sheet1.xml.rels").decode()
    assert "drawing1.xml" in drawing_rels            # the chart sits on Sammanfattning
    assert "Timunderlag!$D$2:$D$3" in chart_xml and "Timunderlag!$E$2:$E$3" in chart_xml
    assert 'barDir val="col"' in chart_xml and 'grouping val="clustered"' in chart_xml


# --------------------------------------------------------------------------- Per brukare, Avvikelser, Rader


def test_per_brukare_rows_andel_and_total(tmp_path):
    path = tmp_path / "A.xlsx"
    write_utforare_workbook(two_utforare(), "A", path)
    rows = sheet_rows(path, "Per brukare")
    assert [(r[0], r[1]) for r in rows[1:-1]] == [
        ("19000000-8888", "Genomförandeplan"), ("19000000-8888", "RAM-tid"),
        ("19121212-1212", "RAM-tid")]
    pnr_a = row_labelled(rows, "19121212-1212")
    assert pnr_a[9] == pytest.approx(20_000 / 28_800)
    assert pnr_a[10] == 3600.0 + 12.34
    total = rows[-1]
    assert total[0] == "Totalt" and total[6] == 8.0 + 5.0 and total[7] == 30
    assert total[10] == (360_000 + 1_234 + 225_000 + 90_000) / 100


def test_avvikelser_sheet_holds_only_own(tmp_path):
    path = tmp_path / "A.xlsx"
    write_utforare_workbook(two_utforare(), "A", path)
    rows = sheet_rows(path, "Avvikelser")
    assert rows == [("Kod", "Allvarlighet", "Brukare", "Fil", "Rad", "Kolumn", "Meddelande"),
                    ("kort-besok", "varning", "19121212-1212", "taggningar.csv", 7, None,
                     "Besöket är kortare än 2 minuter.")]


def test_rader_sheet_explains_every_ore(tmp_path):
    avr = two_utforare()
    path = tmp_path / "A.xlsx"
    write_utforare_workbook(avr, "A", path)
    rows = sheet_rows(path, "Rader")
    assert len(rows) == 1 + 3 + 1
    total = rows[-1]
    assert total[0] == "Totalt"
    just = avr.justeringar.filter(pl.col("utforare_id") == "A")["belopp_ore"].sum()
    assert round((total[9] + total[10]) * 100) + just == avr.totals["A"]
    assert rows[1][4].date() == date(2023, 9, 1)


# --------------------------------------------------------------------------- leaks, numbers, determinism


def test_workbook_never_holds_another_utforares_brukare(tmp_path):
    avr = two_utforare()
    written = write_all_workbooks(avr, tmp_path / "all")
    forbidden = {"A": [PNR_B, "19000000-9999", "9999"], "B": [PNR_A, PNR_A2, "1212-1212", "8888"]}
    for uid, needles in forbidden.items():
        write_utforare_workbook(avr, uid, tmp_path / f"{uid}.xlsx")
        for path in (tmp_path / f"{uid}.xlsx", tmp_path / "all" / f"{uid}.xlsx"):
            _assert_absent(path, needles)
    assert written == avr.totals


def _assert_absent(path, needles) -> None:
    wb = openpyxl.load_workbook(path)
    cells = [str(v) for ws in wb for row in ws.iter_rows(values_only=True) for v in row if v is not None]
    assert cells
    for needle in needles:
        assert not [c for c in cells if needle in c], (path.name, needle)


def test_numbers_are_numeric_cells(tmp_path):
    avr = two_utforare()
    write_utforare_workbook(avr, "A", tmp_path / "A.xlsx")
    write_sammanstallning(avr, tmp_path / "s.xlsx")
    for name in ("A.xlsx", "s.xlsx"):
        for ws in openpyxl.load_workbook(tmp_path / name):
            for row in ws.iter_rows():
                for cell in row:
                    if isinstance(cell.value, str):
                        assert not _looks_numeric(cell.value), (ws.title, cell.coordinate, cell.value)
    ws = openpyxl.load_workbook(tmp_path / "A.xlsx")["Timunderlag"]
    assert ws["B2"].data_type == "n" and ws["G2"].data_type == "n"
    assert isinstance(ws["G2"].value, int)            # counts are integers


def _looks_numeric(text: str) -> bool:
    try:
        float(text.replace(",", ".").replace("\u00a0", "").replace(" ", ""))
    except ValueError:
        return False
    return True


def test_same_inputs_give_identical_bytes(tmp_path):
    avr = two_utforare()
    write_utforare_workbook(avr, "A", tmp_path / "one.xlsx")
    write_utforare_workbook(avr, "A", tmp_path / "two.xlsx")
    write_all_workbooks(avr, tmp_path / "all")
    assert write_all_workbooks(avr, tmp_path / "par", workers=2) == avr.totals
    one = (tmp_path / "one.xlsx").read_bytes()
    assert one == (tmp_path / "two.xlsx").read_bytes()
    for uid in avr.totals:
        assert (tmp_path / "all" / f"{uid}.xlsx").read_bytes() == (tmp_path / "par" / f"{uid}.xlsx").read_bytes()
    assert one == (tmp_path / "all" / "A.xlsx").read_bytes()
    write_sammanstallning(avr, tmp_path / "s1.xlsx")
    write_sammanstallning(avr, tmp_path / "s2.xlsx")
    assert (tmp_path / "s1.xlsx").read_bytes() == (tmp_path / "s2.xlsx").read_bytes()
    for name in ("one.xlsx", "s1.xlsx"):             # no clock: created is the file date
        with zipfile.ZipFile(tmp_path / name) as z:
            core = z.read("docProps/core.xml").decode()
        assert core.count("2023-10-09T00:00:00Z") == 2, core


def test_write_all_includes_utforare_without_lines(tmp_path):
    avr = two_utforare()
    utf = pl.concat([avr.utforare, pl.DataFrame([utforare("C", "Ceta AB")], schema=UTFORARE_SCHEMA)])
    avr = Avrakning(avr.period, avr.kommun, avr.run, utf, avr.tid, avr.rader, avr.justeringar,
                    avr.avvikelser, {**avr.totals})
    written = write_all_workbooks(avr, tmp_path)
    assert set(written) == {"A", "B", "C", "E"} and written["C"] == 0
    rows = sheet_rows(tmp_path / "C.xlsx", "Timunderlag")
    assert rows == [rows[0], ("Totalt", None, None, None, 0, 0, 0, None, 0)]
    assert row_labelled(sheet_rows(tmp_path / "C.xlsx", "Sammanfattning"), "Att betala")[3] == 0


# --------------------------------------------------------------------------- Sammanställning


def test_sammanstallning_totals_and_payout(tmp_path):
    avr = two_utforare()
    path = tmp_path / "sammanstallning.xlsx"
    paid = write_sammanstallning(avr, path)
    assert paid == sum(p[3] for p in avr.private_payees()) == avr.totals["A"] + avr.totals["B"]
    rows = sheet_rows(path, "Sammanställning")
    header = rows.index(next(r for r in rows if r[0] == "Utförare-id"))
    table = rows[header + 1:]
    assert [r[0] for r in table] == ["A", "B", "E", "Totalt"]
    egen = row_labelled(table, "E")
    assert egen[2:4] == ("Egen regi", "—") and egen[10] == 450.0 and egen[11] == 0
    assert row_labelled(table, "B")[3] == "123-4566"
    total = table[-1]
    assert total[10] == sum(avr.totals.values()) / 100
    assert total[11] == paid / 100
    assert total[12] == 2 and total[7] == 36
    assert row_labelled(rows, "Avvikelser utan utförare i registret")[1] == 1
    koder = sheet_rows(path, "Avvikelser per kod")
    assert koder[1:] == [("ogiltigt-datum", "fel", "Ogiltigt datum", 1),
                         ("kort-besok", "varning", "Kort besök", 1),
                         ("saknar-utcheckning", "varning", "Incheckning utan utcheckning", 1),
                         ("Totalt", None, None, 3)]


def test_sammanstallning_mismatch_raises(tmp_path):
    avr = two_utforare()
    avr.totals["B"] -= 100
    with pytest.raises(ValueError):
        write_sammanstallning(avr, tmp_path / "s.xlsx")


# --------------------------------------------------------------------------- review: one definition, LOV only, labels


def _table(rows, first="Utförare-id") -> tuple[tuple, list[tuple], tuple]:
    """(header, body, Totalt) of the table whose header row starts with `first`."""
    top = next(i for i, r in enumerate(rows) if r[0] == first)
    end = next(i for i in range(top + 1, len(rows)) if rows[i][0] == "Totalt")
    return rows[top], rows[top + 1:end], rows[end]


def test_andel_utford_counts_only_time_on_insatser_with_beviljad_tid(tmp_path):
    """Andel utförd = utförd on insatser with beviljad tid / beviljad tid LOV (docs/choices.md, settle.adjust.time_sums):
    a misregistered Morgonhjälp hour without beviljad tid does not raise it, in the Per brukare
    Totalt row nor in the sammanställning (it was 25 200 / 36 000 = 70 %; by definition 50 %)."""
    avr = build([utforare("U1", "Omsorg Öst AB")],
                [tid("U1", PNR_A, "RAM-tid", beviljad=36_000, utford=18_000, besok=20),
                 tid("U1", PNR_A, "Morgonhjälp", utford=7_200, besok=2)],
                [line("U1", PNR_A, "RAM-tid", sek=36_000)])
    mot, bev = andel_utford(avr.tid)["U1"]
    assert (mot, bev) == (18_000, 36_000)
    write_utforare_workbook(avr, "U1", tmp_path / "U1.xlsx")
    per_brukare = sheet_rows(tmp_path / "U1.xlsx", "Per brukare")
    assert per_brukare[0][9] == "Andel utförd"
    assert per_brukare[-1][9] == pytest.approx(mot / bev)
    assert [r[9] for r in per_brukare[1:-1]] == [None, 0.5]     # Morgonhjälp has no beviljad tid
    write_sammanstallning(avr, tmp_path / "s.xlsx")
    header, body, total = _table(sheet_rows(tmp_path / "s.xlsx", "Sammanställning"))
    k = header.index("Andel utförd")
    assert body[0][k] == pytest.approx(0.5) and total[k] == pytest.approx(0.5)
    assert body[0][header.index("Utförd tid (h)")] == 7.0        # utförd tid itself stays all of it


OUTSIDE = Options(utanfor_lov=frozenset({"Natthjälp", "Tillsyn (digital)"}))


def with_natthjalp() -> Avrakning:
    avr = seed_001()
    extra = pl.DataFrame([tid("U1", PNR_A, "Natthjälp", beviljad=3_600, utford=1_800, besok=2)], schema=TID_SCHEMA)
    avr.tid = pl.concat([avr.tid, extra])
    return avr


def test_insatser_outside_lov_are_not_in_the_lov_rows_or_sums(tmp_path):
    """Seed 001: the Timunderlag LOV covers only insatser within LOV. Natthjälp (basis none) is
    left out of Timunderlag, Per brukare and the sammanställning's LOV figures, and shown apart."""
    avr = with_natthjalp()
    path = tmp_path / "U1.xlsx"
    write_utforare_workbook(avr, "U1", path, OUTSIDE)
    rows = sheet_rows(path, "Timunderlag")
    assert [r[0] for r in rows[1:]] == ["RAM-tid", "Morgonhjälp", "Totalt"]
    assert rows[3] == ("Totalt", 12.43, None, 12.43, 8.28, 12.43, 33, 0.25, 5593.5)
    assert [r[1] for r in sheet_rows(path, "Per brukare")[1:-1]] == ["Morgonhjälp", "RAM-tid"]
    apart = sheet_rows(path, "Utanför LOV")
    assert "utanför LOV" in apart[0][0] and "ingår inte" in apart[0][0]
    assert apart[2:] == [("Brukare", "Insats", "Beviljad tid", "Utförd tid", "Antal besök"),
                         ("19121212-1212", "Natthjälp", 1.0, 0.5, 2)]
    write_sammanstallning(avr, tmp_path / "s.xlsx", OUTSIDE)
    srows = sheet_rows(tmp_path / "s.xlsx", "Sammanställning")
    header, body, total = _table(srows)
    for h, want in (("Beviljad tid LOV (h)", 12.43), ("Utförd tid (h)", 8.28), ("Antal besök", 33)):
        assert body[0][header.index(h)] == want and total[header.index(h)] == want, h
    assert row_labelled(srows, "Utanför LOV, ingår inte i tiderna")[1] == "Natthjälp"


def test_workbook_without_time_outside_lov_has_no_extra_sheet(tmp_path):
    write_utforare_workbook(seed_001(), "U1", tmp_path / "U1.xlsx", OUTSIDE)
    assert "Utanför LOV" not in openpyxl.load_workbook(tmp_path / "U1.xlsx").sheetnames


def late(avr: Avrakning, filedatum: date) -> Avrakning:
    from dataclasses import replace
    return replace(avr, run=replace(avr.run, filedatum=filedatum))


def test_payment_day_is_what_the_payment_file_says(tmp_path):
    """A file made after the payment day (2023-10-13) carries GENAST (LB) or asks for the first
    bank day after it (pain.001): the sheets say so instead of showing the planned day."""
    avr = late(two_utforare(), date(2023, 10, 20))
    write_utforare_workbook(avr, "A", tmp_path / "A.xlsx")
    want = "Omgående (GENAST), planerad 2023-10-13"
    assert row_labelled(sheet_rows(tmp_path / "A.xlsx", "Sammanfattning"), "Betalningsdag")[1] == want
    write_sammanstallning(avr, tmp_path / "s.xlsx")
    assert row_labelled(sheet_rows(tmp_path / "s.xlsx", "Sammanställning"), "Betalningsdag")[1] == want
    pain = Options(payment_format="pain.001")
    write_utforare_workbook(avr, "A", tmp_path / "P.xlsx", pain)
    rows = sheet_rows(tmp_path / "P.xlsx", "Sammanfattning")
    assert row_labelled(rows, "Betalningsdag")[1].date() == date(2023, 10, 20)
    assert row_labelled(rows, "Planerad betalningsdag")[1].date() == date(2023, 10, 13)
    write_sammanstallning(avr, tmp_path / "ps.xlsx", pain)
    assert row_labelled(sheet_rows(tmp_path / "ps.xlsx", "Sammanställning"), "Betalningsdag")[1].date() == date(2023, 10, 20)


def test_belopp_says_it_includes_the_zon_supplement_and_ties_to_sammanfattning(tmp_path):
    avr = two_utforare()
    path = tmp_path / "A.xlsx"
    write_utforare_workbook(avr, "A", path)
    summary = sheet_rows(path, "Sammanfattning")
    rules = [r[3] for r in summary[summary.index(row_labelled(summary, "Post")) + 1:]
             if r[0] in ("Ramtid", "Genomförandeplan", "Zontillägg")]
    for sheet in ("Timunderlag", "Per brukare"):
        rows = sheet_rows(path, sheet)
        assert rows[0][-1] == "Belopp inkl. zontillägg (kr)"
        assert round(rows[-1][-1] * 100) == round(sum(rules) * 100) == 360_000 + 1_234 + 225_000 + 90_000


def test_avvikelser_naming_an_utforare_not_in_the_register_count_as_unattributed(tmp_path):
    """okand-utforare names U99, which has no row: the rows plus the unattributed add up to the total."""
    avr = two_utforare()
    extra = pl.DataFrame([avvikelse("U99", None, "okand-utforare", rad=3)], schema=avv.SCHEMA)
    avr.avvikelser = pl.concat([avr.avvikelser, extra])
    write_sammanstallning(avr, tmp_path / "s.xlsx")
    rows = sheet_rows(tmp_path / "s.xlsx", "Sammanställning")
    header, body, total = _table(rows)
    k = header.index("Antal avvikelser")
    unattributed = row_labelled(rows, "Avvikelser utan utförare i registret")[1]
    per_kod = sheet_rows(tmp_path / "s.xlsx", "Avvikelser per kod")[-1][3]
    assert (sum(r[k] for r in body), unattributed, per_kod) == (2, 2, 4)
    assert total[k] + unattributed == per_kod


def test_egen_regi_total_is_labelled_no_payment_and_reads_back(tmp_path):
    path = tmp_path / "E.xlsx"
    avr = two_utforare()
    assert write_utforare_workbook(avr, "E", path) == 45_000
    rows = sheet_rows(path, "Sammanfattning")
    assert row_labelled(rows, "Ersättning (ingen utbetalning)")[3] == 450.0
    assert not [r for r in rows if r[0] == "Att betala"]
    assert readback.workbook_total(path) == 45_000
    assert readback.cell_right_of(path, "Sammanfattning", ("Att betala", "Ersättning (ingen utbetalning)"), 3) == 45_000
    write_utforare_workbook(avr, "A", tmp_path / "A.xlsx")
    assert readback.workbook_total(tmp_path / "A.xlsx") == avr.totals["A"]


def test_preliminary_sammanstallning_says_nothing_is_paid(tmp_path):
    from dataclasses import replace
    avr = two_utforare()
    avr = replace(avr, run=replace(avr.run, status="PRELIMINÄR"))
    paid = write_sammanstallning(avr, tmp_path / "s.xlsx")
    header, _, _ = _table(sheet_rows(tmp_path / "s.xlsx", "Sammanställning"))
    assert "Utbetalas (kr)" not in header and "Preliminärt, utbetalas ej (kr)" in header
    assert readback.summary_paid(tmp_path / "s.xlsx") == paid
    write_sammanstallning(two_utforare(), tmp_path / "f.xlsx")
    assert "Utbetalas (kr)" in _table(sheet_rows(tmp_path / "f.xlsx", "Sammanställning"))[0]


HOURS_HEADERS = {"Beviljad tid", "Uppehåll", "Beviljad tid LOV", "Utförd tid", "Ersättn.timmar",
                 "Ersatt tid (h)", "Beviljad tid LOV (h)", "Utförd tid (h)"}


def _assert_hours_add_up(header, body, total) -> int:
    checked = 0
    for k, h in enumerate(header):
        if h in HOURS_HEADERS and total[k] is not None:
            assert sum(round((r[k] or 0) * 100) for r in body) == round(total[k] * 100), h
            checked += 1
    return checked


def test_displayed_hours_add_up_to_the_totalt_row(tmp_path):
    """Three rows of 3 618 s (1,005 h): each rounded alone 1,01 (3,03), the total 10 854 s is 3,02 h.
    The rows take their hundredths by largest remainder, so they add up to the Totalt row."""
    sek = 3_618
    utf = [utforare(u, f"{u} AB") for u in ("A", "B", "C")]
    tids, rader = [], []
    for u in ("A", "B", "C"):
        for pnr in (PNR_A, PNR_A2, PNR_B):
            tids.append(tid(u, pnr, "RAM-tid", beviljad=sek, uppehall=0, utford=sek, besok=1))
            rader.append(line(u, pnr, "RAM-tid", sek=sek))
    avr = build(utf, tids, rader)
    write_utforare_workbook(avr, "A", tmp_path / "A.xlsx")
    rows = sheet_rows(tmp_path / "A.xlsx", "Per brukare")
    assert [r[2] for r in rows[1:]] == [1.01, 1.01, 1.0, 3.02]     # the earlier rows on a tie
    checked = _assert_hours_add_up(rows[0], rows[1:-1], rows[-1])
    rows = sheet_rows(tmp_path / "A.xlsx", "Rader")
    checked += _assert_hours_add_up(rows[0], rows[1:-1], rows[-1])
    write_sammanstallning(avr, tmp_path / "s.xlsx")
    checked += _assert_hours_add_up(*_table(sheet_rows(tmp_path / "s.xlsx", "Sammanställning")))
    assert checked == 4 + 1 + 2
