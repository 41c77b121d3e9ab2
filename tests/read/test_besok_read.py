"""The visit file `besok` (contract §1) row by row: what each row stands for, what is rejected and
named at its row, and what stops the run (both files, a length that contradicts the end).

Findings are asserted as (file, row, column, code) tuples, never on their prose."""

from __future__ import annotations

from datetime import date, datetime, timezone
from pathlib import Path

import polars as pl
import pytest

from lovkorning.config.loaded import load
from lovkorning.core.errors import InputError
from lovkorning.core.period import Period
from lovkorning.read.indata import read_month
from lovkorning.settle.month import settle_month
from support.besokconv import BESOK, visit_month
from support.monthbuilder import BRUKARE_A

SEPT = Period(2023, 9)


def utc(*a: int) -> datetime:
    return datetime(*a, tzinfo=timezone.utc)


def write_besok(tmp_path: Path, rows: list[dict], header: list[str] | None = None, name: str = "besok.csv",
                config_extra: str = "", sep: str = ";") -> Path:
    """A month with one utförare, orders for brukare A and B, and the visit rows given (defaults
    filled in), instead of a tag log; the config path."""
    cfg = visit_month(tmp_path, config_extra)
    folder = tmp_path / "data/2023-09"
    header = header or BESOK
    defaults = dict(besok_id="", brukare_id=BRUKARE_A, utforare_id="U1", personal_id="P1", start="", slut="",
                    metod_start="tagg", metod_slut="tagg", insatser="Avlösning", roll="usk", korrigerad="nej",
                    avbojt="nej")
    lines = [sep.join(header)]
    for i, r in enumerate(rows, start=1):
        full = {**defaults, "besok_id": f"V{i}", **r}
        lines.append(sep.join(str(full.get(c, "")) for c in header))
    (folder / name).write_text("\n".join(lines) + "\n", encoding="utf-8")
    return cfg


def read(cfg: Path):
    return read_month(load(cfg), SEPT)


def found(x, kod: str | None = None) -> set[tuple]:
    df = x.avvikelser if hasattr(x, "avvikelser") and isinstance(x.avvikelser, pl.DataFrame) else x.avr.avvikelser
    return {r for r in df.select("fil", "rad", "kolumn", "kod").rows() if kod is None or r[3] == kod}


def stops(cfg: Path) -> list[tuple]:
    with pytest.raises(InputError) as exc:
        read(cfg)
    return [(f.plats.fil, f.plats.rad, f.plats.kolumn) for f in exc.value.fel]


def test_a_visit_row_stands_for_its_check_in_and_check_out(tmp_path):
    cfg = write_besok(tmp_path, [
        dict(start="2023-09-04 08:00", slut="2023-09-04 08:45", metod_slut="manuell", insatser="Avlösning|Vak"),
        dict(start="2023-09-05 08:00", slut="", metod_slut=""),                      # no check-out
        dict(start="", slut="2023-09-06 09:00", metod_start="", personal_id="P2"),   # no check-in
        dict(start="2023-09-07 08:00", avbojt="ja", metod_start="", metod_slut=""),  # declined, planned time
    ])
    ev = read(cfg).taggningar.with_columns(pl.col(pl.Categorical).cast(pl.String))
    assert ev.select("handelse_id", "tidpunkt", "typ", "metod", "insatser", "_fil", "_rad").rows() == [
        ("V1/start", utc(2023, 9, 4, 6, 0), "in", "tagg", None, "besok.csv", 2),
        ("V1/slut", utc(2023, 9, 4, 6, 45), "ut", "manuell", "Avlösning|Vak", "besok.csv", 2),
        ("V2/start", utc(2023, 9, 5, 6, 0), "in", "tagg", None, "besok.csv", 3),
        ("V3/slut", utc(2023, 9, 6, 7, 0), "ut", "tagg", "Avlösning", "besok.csv", 4),
        ("V4/avbojt", utc(2023, 9, 7, 6, 0), "avbojt", "manuell", "Avlösning", "besok.csv", 5),
    ]
    s = settle_month(load(cfg), SEPT, date(2023, 10, 9))
    assert found(s) >= {("besok.csv", 3, None, "saknar-utcheckning"), ("besok.csv", 4, None, "saknar-incheckning"),
                        ("besok.csv", 5, None, "avbojt-besok")}
    visit = s.visits.besok.row(0, named=True)
    assert (visit["in_rad"], visit["ut_rad"], visit["sekunder"], visit["insatser"]) == (2, 2, 2700, ["Avlösning", "Vak"])


def test_rows_are_paired_as_their_tag_events_would_be(tmp_path):
    """The contract: the same visits as tag events. A row without its end and the next row of the
    same staff and brukare without its start make one visit, as their events would; two rows of
    the same staff and brukare that overlap pair in time order (docs/inputs.md)."""
    cfg = write_besok(tmp_path, [
        dict(start="2023-09-04 08:00", slut="", metod_slut=""),
        dict(start="", slut="2023-09-04 08:40", metod_start=""),
        dict(start="2023-09-05 08:00", slut="2023-09-05 09:00"),
        dict(start="2023-09-05 08:30", slut="2023-09-05 09:30"),                     # overlaps the row above
    ])
    s = settle_month(load(cfg), SEPT, date(2023, 10, 9))
    assert s.visits.besok.select("in_rad", "ut_rad", "sekunder").rows() == [(2, 3, 2400), (5, 4, 1800)]
    assert found(s) == {("besok.csv", 4, None, "saknar-utcheckning"), ("besok.csv", 5, None, "saknar-incheckning")}


def test_every_visit_finding_names_the_visit_row(tmp_path):
    cfg = write_besok(tmp_path, [
        dict(start="2023-09-04 08:00", slut="2023-09-04 08:30"),
        dict(start="2023-09-04 10:00", slut="2023-09-04 10:00:30"),                  # 30 s: short
        dict(start="2023-09-04 12:00", slut="2023-09-04 12:30", metod_start="manuell", metod_slut="manuell"),
        dict(start="2023-09-04 14:00", slut="2023-09-04 14:30", insatser=""),
    ])
    s = settle_month(load(cfg), SEPT, date(2023, 10, 9))
    assert found(s) == {("besok.csv", 3, None, "kort-besok"), ("besok.csv", 4, None, "saknar-tagg"),
                        ("besok.csv", 5, None, "besok-utan-insats")}
    assert s.avr.totals["U1"] == 452 * 30 * 100 // 60          # the one valid 30-minute visit


def test_rows_that_stand_for_no_event_are_rejected_at_their_row(tmp_path):
    cfg = write_besok(tmp_path, [
        dict(start="", slut=""),                                                     # no time at all
        dict(start="", slut="", avbojt="ja"),                                        # declined, no planned time
        dict(start="2023-09-04 08:00", slut="2023-09-04 08:30", metod_start=""),     # how was it registered?
        dict(start="2023-09-04 09:00", slut="2023-09-04 09:30", metod_slut="nfc"),   # not a method
        dict(start="2023-09-31 08:00", slut="2023-09-04 09:30"),                     # no such day: the whole row
        dict(besok_id="V1", start="2023-09-05 08:00", slut="2023-09-05 08:30"),      # V1 again
        dict(utforare_id="U9", start="2023-09-05 09:00", slut="2023-09-05 09:30"),   # unknown utförare
        dict(brukare_id="19400101-1231", start="2023-09-05 10:00", slut="2023-09-05 10:30"),
    ])
    got = read(cfg)
    assert found(got) == {
        ("besok.csv", 2, "start", "saknat-varde"), ("besok.csv", 3, "start", "saknat-varde"),
        ("besok.csv", 4, "metod_start", "saknat-varde"), ("besok.csv", 5, "metod_slut", "ogiltigt-varde"),
        ("besok.csv", 6, "start", "ogiltig-tidpunkt"), ("besok.csv", 7, "besok_id", "dubbel-rad"),
        ("besok.csv", 8, "utforare_id", "okand-utforare"), ("besok.csv", 9, "brukare_id", "ogiltigt-personnummer"),
    }
    assert got.taggningar.height == 0


def test_a_length_in_minutes_stands_for_the_end(tmp_path):
    header = [c for c in BESOK if c != "slut"] + ["minuter"]
    cfg = write_besok(tmp_path, [
        dict(start="2023-09-04 08:00", minuter="45"),
        dict(start="2023-09-05 08:00", minuter="12,5"),
        dict(start="2023-09-06 08:00", minuter="1:30"),                             # H:MM
        dict(start="2023-09-07 08:00", minuter="", metod_slut=""),                  # no end: a lone check-in
    ], header=header)
    ev = read(cfg).taggningar.filter(pl.col("typ") == "ut")
    assert ev.select("tidpunkt", "_rad").rows() == [
        (utc(2023, 9, 4, 6, 45), 2), (utc(2023, 9, 5, 6, 12, 30), 3), (utc(2023, 9, 6, 7, 30), 4)]


def test_a_length_that_contradicts_the_end_stops_the_run(tmp_path):
    header = BESOK + ["minuter"]
    cfg = write_besok(tmp_path, [
        dict(start="2023-09-04 08:00", slut="2023-09-04 08:45", minuter="45"),
        dict(start="2023-09-04 09:00", slut="2023-09-04 09:45:59", minuter="45"),    # within the minute: agree
        dict(start="2023-09-04 10:00", slut="2023-09-04 10:45", minuter="30"),
    ], header=header)
    assert stops(cfg) == [("besok.csv", 4, "minuter")]


def test_a_month_has_tag_events_or_visit_rows_not_both(tmp_path):
    cfg = write_besok(tmp_path, [dict(start="2023-09-04 08:00", slut="2023-09-04 08:45")])
    (tmp_path / "data/2023-09/taggningar.csv").write_text("handelse_id;brukare_id;utforare_id;personal_id;tidpunkt;typ;metod\n",
                                                        encoding="utf-8")
    with pytest.raises(InputError) as exc:
        read(cfg)
    assert "taggningar.csv" in str(exc.value) and "besok.csv" in str(exc.value)


def test_without_either_the_tag_log_is_missing(tmp_path):
    cfg = write_besok(tmp_path, [])
    (tmp_path / "data/2023-09/besok.csv").unlink()
    with pytest.raises(InputError) as exc:
        read(cfg)
    assert "'taggningar'" in str(exc.value) and "'besok'" in str(exc.value)


def test_required_columns_of_the_visit_file(tmp_path):
    header = [c for c in BESOK if c not in ("slut", "metod_start")]
    cfg = write_besok(tmp_path, [dict(start="2023-09-04 08:00")], header=header)
    assert stops(cfg) == [("besok.csv", 1, "slut"), ("besok.csv", 1, "metod_start")]
