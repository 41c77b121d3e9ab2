"""`lovkorning diff` through its entry point: where months come from, each format, no leaks."""

import json
import re
import shutil
from zipfile import ZipFile

import pytest

from support.monthbuilder import BG_2, BRUKARE_A, BRUKARE_B, Month
from support.cli import PNR, cli


def two_months(tmp_path, months=("2023-08", "2023-09")):
    """August and September: U01's brukare A at 50 % both months (review), U02's brukare B at 100 %."""
    for month in months:
        m = Month(month=month).utforare("U01", "Omsorg Öst AB").utforare("U02", "Väst AB", bankgiro=BG_2)
        m.order("B1", BRUKARE_A, "U01", "RAM-tid", "600").order("B2", BRUKARE_B, "U02", "RAM-tid", "120")
        for day in range(1, 11):
            m.visit(BRUKARE_A, "U01", "P1", f"{month}-{day:02d} 08:00:00", 1800, "RAM-tid")   # 5 h of 10
        for day in range(1, 5):
            m.visit(BRUKARE_B, "U02", "P2", f"{month}-{day:02d} 09:00:00", 1800, "RAM-tid")   # 2 h of 2
        m.event(BRUKARE_B, "U02", "P2", f"{month}-20 09:00:00", "avbojt", insatser="RAM-tid")
        cfg = m.write(tmp_path)
    return cfg


def test_settled_months_come_from_history_others_from_inputs(tmp_path):
    cfg = two_months(tmp_path)
    assert cli("run", "2023-09", "--config", str(cfg)).returncode == 0
    assert (tmp_path / "state/historik/2023-09/tid.parquet").exists()
    out = tmp_path / "d.json"
    r = cli("diff", "2023-09", "--months", "2", "--format", "json", "--out", str(out), "--config", str(cfg))
    assert r.returncode == 0, r.stderr
    doc = json.loads(out.read_text())
    assert doc["sources"] == {"2023-08": "indata", "2023-09": "historik"}
    assert set(doc) == {"month", "months", "by", "utforare", "thresholds", "sources", "months_without_data", "rows",
                        "flags"}
    assert doc["months_without_data"] == []
    u01 = [r for r in doc["rows"] if r["utforare_id"] == "U01"]
    assert [(r["month"], r["beviljad_lov_h"], r["utford_h"], r["andel_utford_procent"]) for r in u01] == [
        ("2023-08", 10.0, 5.0, 50.0), ("2023-09", 10.0, 5.0, 50.0), ("Totalt", 20.0, 10.0, 50.0)]
    flags = {(f["flagga"], f["utforare_id"], f["brukare_id"]) for f in doc["flags"]}
    assert flags == {("under-mal", "U01", None), ("granskning", "U01", BRUKARE_A.replace("-", "")),
                     ("avbojda-besok", "U02", None)}   # 1 declined per 4 visits = 25 per 100


def test_terminal_and_stdout_outputs_mask_personnummer(tmp_path):
    cfg = two_months(tmp_path)
    for args in (("--by", "brukare"), ("--by", "brukare", "--format", "json", "--out", "-"),
                 ("--by", "brukare", "--format", "csv", "--out", "-")):
        r = cli("diff", "2023-09", "--months", "2", *args, "--config", str(cfg))
        assert r.returncode == 0, r.stderr
        assert not PNR.search(r.stdout), r.stdout
        assert "19400101-****" in r.stdout


def test_csv_and_xlsx_files(tmp_path):
    cfg = two_months(tmp_path)
    r = cli("diff", "2023-09", "--months", "2", "--by", "insats", "--format", "csv", "--config", str(cfg))
    assert r.returncode == 0, r.stderr
    csv = (tmp_path / "out/2023-09/uppfoljning/diff-insats-2m.csv").read_bytes().decode("utf-8-sig")
    assert csv.splitlines()[0].startswith("Månad;Insats;Beviljad tid LOV (h)")
    assert "2023-09;RAM-tid;12,00;7,00;58,3;14;0,50" in csv
    r = cli("diff", "2023-09", "--months", "2", "--format", "xlsx", "--config", str(cfg))
    assert r.returncode == 0, r.stderr
    with ZipFile(tmp_path / "out/2023-09/uppfoljning/diff-2m.xlsx") as z:
        names = z.namelist()
        book = z.read("xl/workbook.xml").decode()
    assert all(s in book for s in ("Per utförare", "Per brukare", "Per insats", "Flaggor", "Diagram"))
    assert len([n for n in names if re.match(r"xl/charts/chart\d+\.xml", n)]) == 2   # one per utförare


@pytest.mark.parametrize("args", [("--by", "kommun"), ("--format", "pdf"), ("--months", "0")])
def test_bad_options_exit_2(tmp_path, args):
    cfg = two_months(tmp_path)
    assert cli("diff", "2023-09", *args, "--config", str(cfg)).returncode == 2


def test_a_settled_month_whose_inputs_changed_is_marked(tmp_path):
    cfg = two_months(tmp_path)
    assert cli("run", "2023-09", "--config", str(cfg)).returncode == 0
    f = tmp_path / "data/2023-09/bestallningar.csv"
    f.write_text(f.read_text(encoding="utf-8-sig").replace(";600;", ";660;"), encoding="utf-8")
    r = cli("diff", "2023-09", "--months", "1", "--format", "json", "--out", "-", "--config", str(cfg))
    assert json.loads(r.stdout)["sources"] == {"2023-09": "historik-indata-andrade"}
    assert "indata har ändrats" in cli("diff", "2023-09", "--months", "1", "--config", str(cfg)).stdout


def test_out_with_the_table_format_is_wrong_usage(tmp_path):
    cfg = two_months(tmp_path)
    target = tmp_path / "tabell.txt"
    r = cli("diff", "2023-09", "--months", "2", "--out", str(target), "--config", str(cfg))
    assert r.returncode == 2 and "gäller bara --format csv, xlsx eller json" in r.stderr, r.stderr
    assert not target.exists()
    assert cli("diff", "2023-09", "--months", "2", "--out", "-", "--config", str(cfg)).returncode == 0


# A municipality's first month with lovkorning: the months before it have no folder.

def test_the_first_month_shows_the_months_there_are_and_names_the_others(tmp_path):
    cfg = two_months(tmp_path, months=("2023-09",))
    r = cli("diff", "2023-09", "--config", str(cfg))          # --months 3: July and August have no data
    assert r.returncode == 0, r.stderr
    assert r.stderr.strip() == "Inga data för 2023-07, 2023-08; visar 2023-09."
    assert "2023-09 (beräknad från indata)" in r.stdout
    r = cli("diff", "2023-09", "--format", "json", "--out", "-", "--config", str(cfg))
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)                                 # standard out stays json: the note is on stderr
    assert (doc["months"], doc["sources"], doc["months_without_data"]) == (
        ["2023-09"], {"2023-09": "indata"}, ["2023-07", "2023-08"])
    assert {row["month"] for row in doc["rows"]} == {"2023-09", "Totalt"}
    r = cli("diff", "2023-09", "--format", "csv", "--out", "-", "--config", str(cfg))
    assert r.returncode == 0 and r.stdout.lstrip("\ufeff").startswith("Månad;"), r.stdout


def test_a_month_without_data_inside_the_window_breaks_a_run_of_months(tmp_path):
    """Brukare A is at 50 % in July and September; August has no data. Two months in a row are
    needed for granskning: July and September are not in a row."""
    cfg = two_months(tmp_path, months=("2023-07", "2023-09"))
    r = cli("diff", "2023-09", "--format", "json", "--out", "-", "--config", str(cfg))
    assert r.returncode == 0, r.stderr
    assert "Inga data för 2023-08; visar 2023-07, 2023-09." in r.stderr
    doc = json.loads(r.stdout)
    assert doc["months"] == ["2023-07", "2023-09"] and doc["months_without_data"] == ["2023-08"]
    assert "granskning" not in {f["flagga"] for f in doc["flags"]}


def test_a_settled_month_whose_folder_is_gone_comes_from_history(tmp_path):
    cfg = two_months(tmp_path)
    assert cli("run", "2023-08", "--config", str(cfg)).returncode == 0
    shutil.rmtree(tmp_path / "data/2023-08")
    r = cli("diff", "2023-09", "--months", "2", "--format", "json", "--out", "-", "--config", str(cfg))
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["sources"] == {"2023-08": "historik-indata-andrade", "2023-09": "indata"}


def test_the_month_asked_for_must_have_data(tmp_path):
    cfg = two_months(tmp_path)
    r = cli("diff", "2023-10", "--config", str(cfg))
    assert r.returncode == 1, r.stderr
    assert r.stderr.strip() == f"FEL: {tmp_path / 'data/2023-10'}: Inga indata för 2023-10: mappen finns inte."
