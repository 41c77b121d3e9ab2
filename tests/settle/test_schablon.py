"""A schablon registration beyond the order's `antal` is not paid, and says so (over-antal):
the provider sees, at the tag row, which registration went unpaid and why (seeds/004: inköp is
paid once a week, however the utförare splits it)."""

import json
import sqlite3
from datetime import date

import polars as pl
import pytest

from conftest import BASE_CONFIG, run_case
from lovkorning.run import runner
from lovkorning.config.loaded import load
from lovkorning.core.errors import RefusedError
from lovkorning.core.period import Period
from support.monthbuilder import BRUKARE_A, Month

CASE = {
    "config": """
rates: {service: {2023-01-01: 382.00}}
rules:
  - {name: Service, basis: schablon, rate: service, schablon: {Inköp: 60}, avbojt_percent: {default: 55}}
""",
    "bestallningar": [{"id": "B7", "brukare": "A", "insats": "Inköp", "minuter": 60, "per": "vecka", "antal": 1}],
    "taggningar": [
        {"brukare": "A", "in": "2023-09-04 10:00", "ut": "2023-09-04 10:20", "insatser": "Inköp"},   # rows 2, 3: paid
        {"brukare": "A", "in": "2023-09-06 10:00", "ut": "2023-09-06 10:25", "insatser": "Inköp"},   # rows 4, 5
        {"brukare": "A", "avbojt": "2023-09-07 10:00", "insatser": "Inköp"},                          # row 6
    ],
}


def test_registrations_beyond_antal_are_named_at_their_tag_row(tmp_path):
    avr = run_case(CASE, tmp_path)
    over = avr.avvikelser.filter(avr.avvikelser["kod"] == "over-antal")
    assert over.select("allvarlighet", "utforare_id", "fil", "rad", "kolumn", "meddelande").rows() == [
        ("info", "U01", "taggningar.csv", 5, "insatser",
         "'Inköp' den 2023-09-06 ersätts inte: beställning B7 ersätter högst 1 per vecka (2023-V36), och så många "
         "är redan ersatta (regel 'Service')."),
        ("info", "U01", "taggningar.csv", 6, "insatser",
         "'Inköp' (avböjt) den 2023-09-07 ersätts inte: beställning B7 ersätter högst 1 per vecka (2023-V36), och "
         "så många är redan ersatta (regel 'Service')."),
    ]
    assert avr.rader.filter(avr.rader["regel"] == "Service")["antal"].sum() == 1


# ---------------------------------------------------------------- a week across two months

# ISO week 35 of 2023 runs from Monday 28 August to Sunday 3 September.
TWO_MONTHS_CONFIG = BASE_CONFIG + """
rates: {service: {2023-01-01: 382.00}}
rules:
  - {name: Service, basis: schablon, rate: service, schablon: {Inköp: 60}}
"""


def month_of(label: str, *days: str) -> Month:
    m = Month(month=label).utforare("U01", "Omsorg Öst AB")
    m.order("B7", BRUKARE_A, "U01", "Inköp", "60", per="vecka", antal="1")
    for i, day in enumerate(days):
        m.visit(BRUKARE_A, "U01", f"P{i + 1}", f"{day} 10:00:00", 1200, "Inköp")
    return m


def settle(tmp_path, label: str, run_day: date):
    cfg = tmp_path / "lovkorning.yaml"
    outcome = runner.execute(load(cfg), Period.parse(label), run_day)
    manifest = json.loads((tmp_path / "out" / label / "manifest.json").read_text())
    return outcome.settled.avr, manifest


def paid_inkop(avr) -> int:
    return avr.rader.filter(pl.col("regel") == "Service")["antal"].sum()


def test_a_week_across_two_months_is_capped_once_when_the_month_before_was_paid(tmp_path):
    """Inköp once a week (seeds/004): registered Thursday 31 August and again Friday 1 September,
    both in week 35. August pays the first; September's part of week 35 has nothing left."""
    month_of("2023-08", "2023-08-31").write(tmp_path)
    month_of("2023-09", "2023-09-01", "2023-09-05").write(tmp_path)
    (tmp_path / "lovkorning.yaml").write_text(TWO_MONTHS_CONFIG, encoding="utf-8")

    august, aug_manifest = settle(tmp_path, "2023-08", date(2023, 9, 8))
    assert paid_inkop(august) == 1
    assert aug_manifest["schablon_veckor"]["till_nasta_manad"] == 1      # week 35 goes on into September

    dry = runner.preview(load(tmp_path / "lovkorning.yaml"), Period.parse("2023-09"), date(2023, 10, 9))
    assert paid_inkop(dry.settled.avr) == 1                               # the dry run reads the ledger too
    september, sep_manifest = settle(tmp_path, "2023-09", date(2023, 10, 9))
    assert paid_inkop(september) == 1                                     # week 36 only
    assert sep_manifest["schablon_veckor"] == {
        "fran": {"month": "2023-08", "run_id": august.run.run_id, "registreringar": 1}, "till_nasta_manad": 0}
    [msg] = september.avvikelser.filter(pl.col("kod") == "over-antal")["meddelande"].to_list()
    assert msg == ("'Inköp' den 2023-09-01 ersätts inte: beställning B7 ersätter högst 1 per vecka (2023-V35), och så "
                   "många är redan ersatta, varav 1 i föregående månad (regel 'Service').")


def test_without_a_paid_month_before_the_weeks_part_in_this_month_is_capped_alone(tmp_path):
    """The first month settled with lovkorning (or the month before not yet paid): nothing to
    carry, and the manifest says so."""
    month_of("2023-09", "2023-09-01", "2023-09-05").write(tmp_path)
    (tmp_path / "lovkorning.yaml").write_text(TWO_MONTHS_CONFIG, encoding="utf-8")
    september, manifest = settle(tmp_path, "2023-09", date(2023, 10, 9))
    assert paid_inkop(september) == 2
    assert manifest["schablon_veckor"] == {"fran": {"month": "2023-08", "run_id": None, "registreringar": 0},
                                           "till_nasta_manad": 0}


def test_a_correction_of_the_month_before_that_frees_the_week_is_a_correction_of_this_month_too(tmp_path):
    """August's inköp moves from 31 August (week 35) to 24 August (week 34) in a correction of
    August: September's 1 September registration is now within week 35's antal. A plain rerun of
    September is refused and says why; --rattelse pays the one registration."""
    month_of("2023-08", "2023-08-31").write(tmp_path)
    month_of("2023-09", "2023-09-01", "2023-09-05").write(tmp_path)
    (tmp_path / "lovkorning.yaml").write_text(TWO_MONTHS_CONFIG, encoding="utf-8")
    settle(tmp_path, "2023-08", date(2023, 9, 8))
    september, _ = settle(tmp_path, "2023-09", date(2023, 10, 9))
    assert paid_inkop(september) == 1

    month_of("2023-08", "2023-08-24").write(tmp_path)
    (tmp_path / "lovkorning.yaml").write_text(TWO_MONTHS_CONFIG, encoding="utf-8")   # as it was
    assert runner.execute(load(tmp_path / "lovkorning.yaml"), Period.parse("2023-08"), date(2023, 10, 20),
                          rattelse=True).kind == "RÄTTELSE"
    with pytest.raises(RefusedError, match="det som 2023-08 betalade av schablon per vecka i veckan som fortsätter "
                                           "in i 2023-09 har ändrats sedan dess"):
        runner.execute(load(tmp_path / "lovkorning.yaml"), Period.parse("2023-09"), date(2023, 10, 20))
    corrected = runner.execute(load(tmp_path / "lovkorning.yaml"), Period.parse("2023-09"), date(2023, 10, 20),
                               rattelse=True)
    assert paid_inkop(corrected.settled.avr) == 2 and corrected.settled.avr.totals == {"U01": 2 * 38_200}
    # a run of its own: its id (and a pain.001 MsgId made from it) is not the first run's
    assert corrected.settled.avr.run.run_id != september.run.run_id
    db = sqlite3.connect(tmp_path / "state/ledger.sqlite")
    assert db.execute("SELECT ore FROM payments WHERE month = '2023-09' ORDER BY rowid").fetchall() == [(38_200,), (38_200,)]


def test_a_month_paid_before_weeks_were_recorded_carries_nothing(tmp_path):
    """A ledger from before the veckor table: what that run paid in the week is not known, so
    nothing is carried, and the manifest says so (no run to carry from)."""
    month_of("2023-08", "2023-08-31").write(tmp_path)
    month_of("2023-09", "2023-09-01", "2023-09-05").write(tmp_path)
    (tmp_path / "lovkorning.yaml").write_text(TWO_MONTHS_CONFIG, encoding="utf-8")
    settle(tmp_path, "2023-08", date(2023, 9, 8))
    db = sqlite3.connect(tmp_path / "state/ledger.sqlite")
    db.execute("UPDATE runs SET veckor_sparade = NULL")
    db.execute("DELETE FROM veckor")
    db.commit()
    db.close()
    september, manifest = settle(tmp_path, "2023-09", date(2023, 10, 9))
    assert paid_inkop(september) == 2
    assert manifest["schablon_veckor"]["fran"] == {"month": "2023-08", "run_id": None, "registreringar": 0}


def test_an_upgrade_reopens_no_paid_month(tmp_path):
    """August and September paid by a version that did not carry weeks (September capped its part
    of week 35 alone, paying 1 September). A correction of August by this version records August's
    week 35; September, run again, stays as it was paid: unchanged, not refused."""
    month_of("2023-08", "2023-08-31").write(tmp_path)
    month_of("2023-09", "2023-09-01", "2023-09-05").write(tmp_path)
    (tmp_path / "lovkorning.yaml").write_text(TWO_MONTHS_CONFIG, encoding="utf-8")
    settle(tmp_path, "2023-08", date(2023, 9, 8))
    db = sqlite3.connect(tmp_path / "state/ledger.sqlite")
    db.execute("UPDATE runs SET veckor_sparade = NULL")      # as the earlier version left them
    db.execute("DELETE FROM veckor")
    db.commit()
    september, _ = settle(tmp_path, "2023-09", date(2023, 10, 9))
    assert paid_inkop(september) == 2
    db.execute("UPDATE runs SET veckor_sparade = NULL")
    db.execute("DELETE FROM veckor")
    db.commit()

    m = month_of("2023-08", "2023-08-31", "2023-08-08")              # a correction of August for another week
    m.write(tmp_path)
    (tmp_path / "lovkorning.yaml").write_text(TWO_MONTHS_CONFIG, encoding="utf-8")
    runner.execute(load(tmp_path / "lovkorning.yaml"), Period.parse("2023-08"), date(2023, 10, 20), rattelse=True)
    again = runner.execute(load(tmp_path / "lovkorning.yaml"), Period.parse("2023-09"), date(2023, 10, 20))
    assert "redan betald" in again.message and paid_inkop(again.settled.avr) == 2
