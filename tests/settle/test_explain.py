"""`explain` over whole months (contract §5, issue 16): on every committed sample month, for every
utförare, the explained total is Σ lines + justeringar and the settlement's total, every line names
its rows, every tag row gets exactly one status agreeing with avvikelser.csv and the visits; and a
paid month, then corrected, says what the ledger paid and whether the inputs have changed.
The hand-computed months are in tests/cases/explain.yaml."""

import json
from datetime import date
from pathlib import Path

import polars as pl
import pytest

from lovkorning.config.loaded import load
from lovkorning.core.period import Period
from lovkorning.run.explain import explain_rows, explain_utforare, ledger_note, rows_doc, utforare_doc
from lovkorning.run.runner import execute
from lovkorning.settle.month import settle_month
from support.explaincheck import check_invariants
from support.monthbuilder import BRUKARE_A, BRUKARE_B, Month

REPO = Path(__file__).resolve().parents[2]
CONFIGS = ["lovkorning.yaml", "config/norrtalje.yaml", "config/osteraker.yaml", "config/osteraker-insats.yaml"]
DAY = date(2023, 10, 9)


@pytest.mark.parametrize("name", CONFIGS)
def test_every_sample_month_is_explained_to_the_ore(name):
    cfg = load(REPO / name)
    settled = settle_month(cfg, Period(2023, 9), DAY)
    st = check_invariants(cfg, settled)
    assert set(st["status"].unique().to_list()) >= {"avvisad", "ej_ersatt", "ersatt"}


def test_the_sample_months_rows_agree_with_its_visit_files():
    """besok/*.csv's raknas=nej is a visit that pays nothing: its rows are ej_ersatt (or avvisad); a
    row with a `fel` finding in avvikelser.csv is avvisad and nothing else is."""
    cfg = load(REPO / "lovkorning.yaml")
    settled = settle_month(cfg, Period(2023, 9), DAY)
    st = check_invariants(cfg, settled)
    tags = st.filter(pl.col("fil") == "taggningar.csv")
    counts = dict(tags.group_by("status").len().iter_rows())
    assert counts["underlag"] > 40_000 and counts["ersatt"] > 100        # RAM-tid visits; Avlösning, Vak …
    v = settled.visits.besok
    not_counted = set(v.filter(~pl.col("giltig"))["in_rad"].to_list()) | set(v.filter(~pl.col("giltig"))["ut_rad"].to_list())
    assert set(tags.filter(pl.col("rad").is_in(sorted(not_counted)))["status"].unique().to_list()) == {"ej_ersatt"}
    findings = settled.avr.avvikelser.filter(pl.col("fil") == "taggningar.csv")
    for kod, rad in findings.select("kod", "rad").iter_rows():
        assert kod in tags.filter(pl.col("rad") == rad)["koder"].item()


def _month(minuter: str = "600") -> Month:
    m = Month().utforare("U01", "Omsorg Öst AB")
    m.order("B1", BRUKARE_A, "U01", "RAM-tid", minuter)
    m.order("B2", BRUKARE_B, "U01", "Avlösning", "60")
    m.visit(BRUKARE_A, "U01", "P1", "2023-09-04 08:00:00", 3600, "RAM-tid")
    m.visit(BRUKARE_B, "U01", "P2", "2023-09-05 10:00:00", 4500, "Avlösning")      # 75 min above the 60 granted
    return m


def test_a_paid_month_then_corrected_says_what_the_ledger_paid_and_whether_inputs_changed(tmp_path):
    cfg_path = _month().write(tmp_path)
    cfg, period = load(cfg_path), Period(2023, 9)
    execute(cfg, period, DAY, final=True)
    manifest = json.loads((tmp_path / "out/2023-09/manifest.json").read_text())

    paid = explain_utforare(cfg, period, DAY, "U01")
    # 600 min = 36 000 s × 45 200 / 3 600 = 452 000; Avlösning capped at 60 min = 45 200
    assert utforare_doc(paid, mask=False)["total_ore"] == manifest["totals"]["U01"]["ore"] == 497200
    assert paid.month.paid.unchanged and paid.month.paid.paid == {"U01": 497200}
    assert "oförändrade sedan körningen" in ledger_note(paid)

    _month("900").write(tmp_path)                  # the order changed after the month was paid
    changed = explain_utforare(cfg, period, DAY, "U01")
    assert not changed.month.paid.unchanged
    assert utforare_doc(changed, mask=False)["total_ore"] == 452000 * 3 // 2 + 45200
    note = ledger_note(changed)
    assert "har ändrats sedan körningen" in note and "betalat 4 972,00 kr" in note.replace("\u00a0", " ")

    execute(cfg, period, date(2023, 10, 20), rattelse=True)
    corrected = explain_utforare(cfg, period, date(2023, 10, 20), "U01")
    assert corrected.month.paid.unchanged and corrected.month.paid.run.kind == "RÄTTELSE"
    assert corrected.month.paid.paid == {"U01": 723200} == {"U01": utforare_doc(corrected, mask=False)["total_ore"]}
    # the order row of the corrected line
    line = next(x for x in utforare_doc(corrected, mask=False)["lines"] if x["bestallning_id"] == "B1")
    assert line == {"regel": "Ramtid", "insats": "RAM-tid", "brukare_id": "194001011230", "bestallning_id": "B1",
                    "grund": "beviljad", "fran": "2023-09-01", "till": "2023-09-30", "sekunder": 54000, "antal": None,
                    "sats_ore": 45200, "ore": 678000, "tillagg_ore": 0, "rader": ["bestallningar.csv:2"]}


def test_rows_asked_about_in_one_call(tmp_path):
    """"We were there on the 5th at 10:00, why is that not paid in full?" One call answers it."""
    cfg = load(_month().write(tmp_path))
    e = explain_rows(cfg, Period(2023, 9), DAY, [("taggningar", 4), ("taggningar.csv", 5), ("bestallningar.csv", 3)])
    doc = rows_doc(e)
    assert [(r["fil"], r["rad"], r["status"]) for r in doc["rader"]] == [
        ("taggningar.csv", 4, "ersatt"), ("taggningar.csv", 5, "ersatt"), ("bestallningar.csv", 3, "ersatt")]
    assert doc["rader"][0]["lines"] == [{"regel": "Utförd tid upp till beviljad", "insats": "Avlösning",
                                         "bestallning_id": "B2"}]
    assert set(doc) == {"month", "rader"} and set(doc["rader"][0]) == {
        "fil", "rad", "utforare_id", "status", "koder", "besok_id", "lines"}
