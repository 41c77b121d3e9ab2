"""An utförare's avvikelser: every row on its Avvikelser sheet when they are few, a count per code
and the file that lists them all when they are many; avvikelser/<utforare_id>.csv always."""

from datetime import date

import polars as pl
import pytest

from lovkorning.config.loaded import load
from lovkorning.core.period import Period
from lovkorning.run import runner
from lovkorning.write import workbook
from lovkorning.write.avvikelselista import AVVIKELSER_I_BLADET, write_avvikelser_per_utforare
from lovkorning.write.files import avvikelser_csv
from lovkorning.write.workbook import write_utforare_workbook

from support.monthbuilder import BRUKARE_A, Month
from test_workbook import PNR_A, PNR_A2, PNR_B, avvikelse, build, sheet_rows, two_utforare, utforare


def many(n_kort: int, n_tagg: int):
    """Alfa Omsorg: n_kort short visits at one brukare and n_tagg visits without tag at another;
    Beta: one lone check-in."""
    avvs = [avvikelse("A", PNR_A, "kort-besok", rad=i) for i in range(2, 2 + n_kort)]
    avvs += [avvikelse("A", PNR_A2, "saknar-tagg", rad=i) for i in range(5000, 5000 + n_tagg)]
    avvs += [avvikelse("B", PNR_B, "saknar-utcheckning")]
    return build([utforare("A", "Alfa Omsorg AB"), utforare("B", "Beta Hemtjänst AB", bankgiro="1234566")],
                 avvs=avvs)


def test_up_to_the_limit_every_avvikelse_has_its_row(tmp_path):
    path = tmp_path / "A.xlsx"
    write_utforare_workbook(many(AVVIKELSER_I_BLADET - 1, 1), "A", path)
    rows = sheet_rows(path, "Avvikelser")
    assert rows[0] == ("Kod", "Allvarlighet", "Brukare", "Fil", "Rad", "Kolumn", "Meddelande")
    assert len(rows) == 1 + AVVIKELSER_I_BLADET


def test_beyond_the_limit_the_sheet_counts_per_code_and_names_the_csv(tmp_path):
    # 1 001 avvikelser: 700 short visits, 301 without tag
    path = tmp_path / "A.xlsx"
    write_utforare_workbook(many(700, 301), "A", path)
    rows = [r for r in sheet_rows(path, "Avvikelser") if any(v is not None for v in r)]
    assert rows[0][0].startswith("1\u00a0001 avvikelser, fler än de 1\u00a0000")
    assert "avvikelser/A.csv" in rows[0][0]
    assert rows[1:] == [("Kod", "Allvarlighet", "Vad", "Antal"),
                        ("kort-besok", "varning", "Kort besök", 700),
                        ("saknar-tagg", "varning", "Besöket är inte verifierat med tagg", 301),
                        ("Totalt", None, None, 1001)]


def test_the_count_sheet_names_no_brukare(tmp_path):
    path = tmp_path / "A.xlsx"
    write_utforare_workbook(many(1200, 0), "A", path)
    text = repr(sheet_rows(path, "Avvikelser"))
    assert PNR_A[:8] not in text and PNR_A.replace("-", "") not in text


def test_each_utforare_gets_its_own_rows_in_the_form_of_avvikelser_csv(tmp_path):
    avr = two_utforare()
    write_avvikelser_per_utforare(avr.avvikelser, tmp_path, ["A", "B", "E"])
    for uid in ("A", "B", "E"):
        own = avr.avvikelser.filter(pl.col("utforare_id") == uid)
        assert (tmp_path / f"{uid}.csv").read_bytes() == avvikelser_csv(own)
    a = pl.read_csv(tmp_path / "A.csv", separator=";", infer_schema=False)
    assert a["utforare_id"].to_list() == ["A"] and PNR_B.replace("-", "") not in (tmp_path / "A.csv").read_text()
    e = (tmp_path / "E.csv").read_text(encoding="utf-8-sig")
    assert e.splitlines() == ["kod;allvarlighet;utforare_id;brukare_id;fil;rad;kolumn;meddelande"]
    assert (tmp_path / "A.csv").stat().st_mode & 0o777 == 0o600


def test_the_limit_is_read_where_the_sheet_is_written():
    # the sheet and the CSV module agree on one number
    assert workbook.AVVIKELSER_I_BLADET == AVVIKELSER_I_BLADET == 1000


def test_an_id_that_would_name_a_file_outside_the_output_stops_before_any_file_is_written(tmp_path):
    # the per-utförare CSVs are written beside the workbooks: the id is checked before either starts
    m = Month().utforare("../../U09", "Utanför AB").order("B1", BRUKARE_A, "../../U09", "RAM-tid", "600")
    m.visit(BRUKARE_A, "../../U09", "P1", "2023-09-04 08:00:00", 1200, "RAM-tid")
    cfg = m.write(tmp_path)
    with pytest.raises(ValueError, match="kan inte användas som filnamn"):
        runner.execute(load(cfg), Period.parse("2023-09"), date(2023, 10, 9))
    assert not [p for p in tmp_path.rglob("U09*")]
