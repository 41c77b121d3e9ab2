"""Workbook processes started before a large month is settled (run.runner._early_writers): the
same outputs as without them, and a month that stops while it is settled leaves no process."""

import multiprocessing
from datetime import date

import pytest

from lovkorning.config.loaded import load
from lovkorning.core.errors import InputError
from lovkorning.core.period import Period
from lovkorning.run import runner
from lovkorning.write import workbook
from support.monthbuilder import BG_2, BRUKARE_A, BRUKARE_B, Month
from support.runs import digests

SEPT, RUN_DAY = Period.parse("2023-09"), date(2023, 10, 9)


def month(bankgiro_2=BG_2) -> Month:
    m = Month().utforare("U01", "Omsorg Öst AB").utforare("U02", "Väst AB", bankgiro=bankgiro_2)
    m.order("B1", BRUKARE_A, "U01", "RAM-tid", "600").order("B2", BRUKARE_B, "U02", "RAM-tid", "300")
    for day in range(1, 29):
        m.visit(BRUKARE_A, "U01", "P1", f"2023-09-{day:02d} 08:00:00", 1200, "RAM-tid")
        m.visit(BRUKARE_B, "U02", "P2", f"2023-09-{day:02d} 09:00:00", 600, "RAM-tid")
    return m


@pytest.fixture
def started(monkeypatch) -> list[int]:
    """The worker counts of the pools the runner starts ahead, as they are started."""
    pools, real = [], workbook.writers

    def counted(n):
        pools.append(n)
        return real(n)
    monkeypatch.setattr(workbook, "writers", counted)     # the runner imports it when it starts them
    return pools


def test_workbooks_from_processes_started_ahead_are_the_files_written_without_them(tmp_path, monkeypatch, started):
    plain = month().write(tmp_path / "plain")
    runner.execute(load(plain), SEPT, RUN_DAY)
    assert started == []                                  # a small month: nothing started ahead
    monkeypatch.setattr(runner, "EARLY_WRITERS_BYTES", 0)
    ahead = month().write(tmp_path / "ahead")
    runner.execute(load(ahead), SEPT, RUN_DAY)
    assert started == [2]
    without_manifest = lambda d: {k: v for k, v in d.items() if k != "manifest.json"}  # noqa: E731
    assert without_manifest(digests(tmp_path / "ahead/out/2023-09")) == \
        without_manifest(digests(tmp_path / "plain/out/2023-09"))
    assert not multiprocessing.active_children()


def test_a_month_that_stops_while_settled_leaves_no_process_behind(tmp_path, monkeypatch, started):
    monkeypatch.setattr(runner, "EARLY_WRITERS_BYTES", 0)
    cfg = month(bankgiro_2="1234-5679").write(tmp_path)     # a bankgiro that fails its check: the run stops
    with pytest.raises(InputError):
        runner.execute(load(cfg), SEPT, RUN_DAY)
    assert started == [2]                                    # the processes were started, then the month stopped
    assert not multiprocessing.active_children()
    assert not (tmp_path / "out/2023-09").exists()
