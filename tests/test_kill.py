"""Runs killed at any moment (issue 5): the output folder holds the previous outputs or the
complete new ones, never a half-written payment file, and the next run pays exactly once."""

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time

import pytest

from lovkorning.write.versions import CRASH_ENV
from monthbuilder import BG_2, BRUKARE_A, BRUKARE_B, Month
from test_cli import cli
from test_ledger import digests

HOUR = 45_200
POINTS = ["efter-arbetsbocker", "fore-betalfil", "efter-betalfil", "fore-byte", "efter-byte"]


def month(ram_a="600") -> Month:
    m = Month().utforare("U01", "Omsorg Öst AB").utforare("U02", "Väst AB", bankgiro=BG_2)
    m.order("B1", BRUKARE_A, "U01", "RAM-tid", ram_a).order("B2", BRUKARE_B, "U02", "RAM-tid", "300")
    for day in range(1, 29):
        m.visit(BRUKARE_A, "U01", "P1", f"2023-09-{day:02d} 08:00:00", 1200, "RAM-tid")
    return m


def consistent(out) -> str:
    """'none', or the kind of the complete run the output folder shows; fails if it is partial."""
    if not out.exists():
        return "none"
    man = json.loads((out / "manifest.json").read_text())
    listed = {o["file"]: o["sha256"] for o in man["outputs"]}
    present = {k: v for k, v in digests(out).items() if k != "manifest.json"}
    assert present == listed, "files on disk differ from the manifest"
    if man["payment"] is not None:
        assert man["payment"]["file"] in present
    return man["status"]


def net_paid(tmp_path) -> dict[str, int]:
    db = sqlite3.connect(tmp_path / "state/ledger.sqlite")
    rows = db.execute("SELECT p.utforare_id, SUM(p.ore) FROM payments p JOIN runs r ON r.id = p.run "
                      "WHERE r.state = 'klar' GROUP BY p.utforare_id").fetchall()
    return dict(rows)


def crash(cfg, point, *args):
    return cli("run", "2023-09", "--config", str(cfg), "--datum", "2023-10-09", *args, env={CRASH_ENV: point})


@pytest.mark.parametrize("point", POINTS)
def test_first_run_killed_then_run_again_pays_once(tmp_path, point):
    cfg = month().write(tmp_path)
    assert crash(cfg, point).returncode == 99
    out = tmp_path / "out/2023-09"
    assert consistent(out) in ("none", "SLUTLIG")
    assert consistent(out) == ("SLUTLIG" if point == "efter-byte" else "none")
    r = cli("run", "2023-09", "--config", str(cfg), "--datum", "2023-10-09")
    assert r.returncode == 0, r.stderr
    assert consistent(out) == "SLUTLIG"
    assert net_paid(tmp_path) == {"U01": 10 * HOUR, "U02": 5 * HOUR}


@pytest.mark.parametrize("point", POINTS)
def test_correction_killed_leaves_the_paid_outputs_or_the_corrected_ones(tmp_path, point):
    cfg = month().write(tmp_path)
    assert cli("run", "2023-09", "--config", str(cfg), "--datum", "2023-10-09").returncode == 0
    out = tmp_path / "out/2023-09"
    paid_outputs = digests(out)
    month(ram_a="660").write(tmp_path)
    assert crash(cfg, point, "--rattelse").returncode == 99
    if point == "efter-byte":
        assert consistent(out) == "RÄTTELSE"
    else:
        assert digests(out) == paid_outputs
    r = cli("run", "2023-09", "--config", str(cfg), "--datum", "2023-10-20", "--rattelse")
    assert r.returncode == 0, r.stderr
    assert net_paid(tmp_path) == {"U01": 11 * HOUR, "U02": 5 * HOUR}
    assert consistent(out) == "RÄTTELSE"


def test_killed_at_random_moments(tmp_path):
    """SIGKILL a real run at random moments; after each, the folder is whole and a run pays once."""
    rng = random.Random(2023)
    cfg = month().write(tmp_path)
    out = tmp_path / "out/2023-09"
    env = {k: v for k, v in os.environ.items() if k != CRASH_ENV}
    cmd = [sys.executable, "-c", "from lovkorning.cli import main; main()", "run", "2023-09", "--config", str(cfg),
           "--datum", "2023-10-09"]
    for _ in range(8):
        p = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0.2, 2.5))
        p.send_signal(signal.SIGKILL)
        p.wait()
        assert consistent(out) in ("none", "SLUTLIG")
    r = cli("run", "2023-09", "--config", str(cfg), "--datum", "2023-10-09")
    assert r.returncode == 0, r.stderr
    assert consistent(out) == "SLUTLIG" and net_paid(tmp_path) == {"U01": 10 * HOUR, "U02": 5 * HOUR}


def test_outputs_are_on_disk_before_the_ledger_says_done(tmp_path, monkeypatch):
    """A power cut, not only a kill: every output file and folder is fsynced before the link is
    switched, and the folder holding the link after the switch, all before the run is 'klar'."""
    from datetime import date

    from lovkorning.run import runner
    from lovkorning.config.loaded import load
    from lovkorning.run.ledger import Ledger
    from lovkorning.core.period import Period

    cfg = month().write(tmp_path)
    out = tmp_path / "out/2023-09"
    events = []
    real_fsync, real_finish = os.fsync, Ledger.finish

    def fsync(fd):
        path = os.path.realpath(f"/proc/self/fd/{fd}")
        events.append(("fsync", path, os.path.realpath(out) if out.is_symlink() else None))
        real_fsync(fd)

    def finish(self, rid, state="klar"):
        events.append(("klar", None, None))
        real_finish(self, rid, state)
    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(Ledger, "finish", finish)
    runner.execute(load(cfg), Period.parse("2023-09"), date(2023, 10, 9))
    version = os.path.realpath(out)
    done = events.index(("klar", None, None))
    synced = [p for kind, p, _ in events[:done] if kind == "fsync"]
    files = [os.path.join(version, f) for f in ("betalning/lov-2023-09.txt", "manifest.json", "avvikelser.csv",
                                                 "avrakning/U01.xlsx", "sammanstallning.xlsx")]
    assert all(f in synced for f in files), synced
    assert version in synced and os.path.dirname(version) in synced
    after_switch = [p for kind, p, linked in events[:done] if kind == "fsync" and linked == version]
    assert os.path.realpath(tmp_path / "out") in after_switch
