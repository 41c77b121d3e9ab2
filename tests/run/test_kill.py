"""Runs killed at any moment (issue 5): the output folder holds the previous outputs or the
complete new ones, never a half-written payment file, and the next run pays exactly once.
And (issue 19) no moment has a file named for sending (`betalning/*.txt`, `*.xml`) outside the
published version: a killed run's payment file is staged (`.tmp`), earlier ones are `.historik`."""

import json
import os
import random
import signal
import subprocess
import sys
import time

import pytest

from lovkorning.write.versions import CRASH_ENV
from support.monthbuilder import BG_2, BRUKARE_A, BRUKARE_B, Month
from support.cli import cli
from support.runs import consistent, digests, net_paid

HOUR = 45_200
# every step of writing and publishing a version, in order (write.versions.crash_point)
POINTS = ["efter-arbetsbocker", "fore-betalfil", "efter-betalfil", "fore-byte", "fore-lank", "efter-lank", "efter-byte"]
SWITCHED = POINTS[POINTS.index("efter-lank"):]      # killed after the output folder was switched
KILLED = "Städade upp en avbruten körning"


def month(ram_a="600") -> Month:
    m = Month().utforare("U01", "Omsorg Öst AB").utforare("U02", "Väst AB", bankgiro=BG_2)
    m.order("B1", BRUKARE_A, "U01", "RAM-tid", ram_a).order("B2", BRUKARE_B, "U02", "RAM-tid", "300")
    for day in range(1, 29):
        m.visit(BRUKARE_A, "U01", "P1", f"2023-09-{day:02d} 08:00:00", 1200, "RAM-tid")
    return m


def to_send(tmp_path) -> list[str]:
    """Every file an upload would take: named *.txt or *.xml in any payment folder, of any
    version (the link out/2023-09 not followed), relative to out/."""
    found = []
    for folder, _, files in os.walk(tmp_path / "out"):
        if os.path.basename(folder) == "betalning":
            found += [os.path.relpath(os.path.join(folder, f), tmp_path / "out") for f in files
                      if f.endswith((".txt", ".xml"))]
    return sorted(found)


def published(tmp_path) -> str | None:
    link = tmp_path / "out/2023-09"
    return os.path.relpath(os.path.realpath(link), tmp_path / "out") if link.is_symlink() else None


def only_the_published_version_has_files_to_send(tmp_path) -> list[str]:
    """The files to send, each in the published version (fails otherwise), by name."""
    files = to_send(tmp_path)
    where = published(tmp_path)
    assert all(os.path.dirname(os.path.dirname(f)) == where for f in files), (files, where)
    return [os.path.basename(f) for f in files]


def crash(cfg, point, *args):
    return cli("run", "2023-09", "--config", str(cfg), "--datum", "2023-10-09", *args, env={CRASH_ENV: point})


@pytest.mark.parametrize("point", POINTS)
def test_first_run_killed_then_run_again_pays_once(tmp_path, point):
    cfg = month().write(tmp_path)
    assert crash(cfg, point).returncode == 99
    out = tmp_path / "out/2023-09"
    to_send_now = only_the_published_version_has_files_to_send(tmp_path)
    if point == "efter-lank":         # switched, its payment file still staged: none to send yet
        assert to_send_now == [] and (out / "betalning/lov-2023-09.txt.tmp").is_file()
    else:
        assert consistent(out) == ("SLUTLIG" if point in SWITCHED else "none")
        assert to_send_now == (["lov-2023-09.txt"] if point in SWITCHED else [])
    r = cli("run", "2023-09", "--config", str(cfg), "--datum", "2023-10-09")
    assert r.returncode == 0, r.stderr
    assert KILLED in r.stderr, r.stderr               # the rerun says what it put right
    assert consistent(out) == "SLUTLIG"
    assert net_paid(tmp_path) == {"U01": 10 * HOUR, "U02": 5 * HOUR}
    assert to_send(tmp_path) == [f"{published(tmp_path)}/betalning/lov-2023-09.txt"]
    assert len(os.listdir(tmp_path / "out/.2023-09.versions")) == 1      # the killed run's version removed


@pytest.mark.parametrize("point", POINTS)
def test_correction_killed_leaves_the_paid_outputs_or_the_corrected_ones(tmp_path, point):
    cfg = month().write(tmp_path)
    assert cli("run", "2023-09", "--config", str(cfg), "--datum", "2023-10-09").returncode == 0
    out = tmp_path / "out/2023-09"
    paid_outputs = digests(out)
    month(ram_a="660").write(tmp_path)
    assert crash(cfg, point, "--rattelse").returncode == 99
    to_send_now = only_the_published_version_has_files_to_send(tmp_path)
    if point == "efter-byte":
        assert consistent(out) == "RÄTTELSE" and to_send_now == ["lov-2023-09-rattelse-1.txt"]
    elif point == "efter-lank":        # the correction is published, its file not yet named: none to send
        assert to_send_now == [] and (out / "betalning/lov-2023-09-rattelse-1.txt.tmp").is_file()
    elif point == "fore-lank":         # the paid file already named as history, the switch not made: none to send
        assert to_send_now == [] and digests(out) == {k.replace("lov-2023-09.txt", "lov-2023-09.txt.historik"): v
                                                      for k, v in paid_outputs.items()}
    else:
        assert digests(out) == paid_outputs and to_send_now == ["lov-2023-09.txt"]
    r = cli("run", "2023-09", "--config", str(cfg), "--datum", "2023-10-20", "--rattelse")
    assert r.returncode == 0, r.stderr
    assert net_paid(tmp_path) == {"U01": 11 * HOUR, "U02": 5 * HOUR}
    assert consistent(out) == "RÄTTELSE"
    assert only_the_published_version_has_files_to_send(tmp_path) == ["lov-2023-09-rattelse-1.txt"]


def test_the_paid_version_gets_its_payment_file_back_when_a_correction_is_killed_before_its_switch(tmp_path):
    """Publishing names the published version's payment file as history just before the switch;
    killed there, the next run (here: one refused, the inputs having changed) names it back."""
    cfg = month().write(tmp_path)
    assert cli("run", "2023-09", "--config", str(cfg), "--datum", "2023-10-09").returncode == 0
    out = tmp_path / "out/2023-09"
    paid_outputs = digests(out)
    month(ram_a="660").write(tmp_path)
    assert crash(cfg, "fore-lank", "--rattelse").returncode == 99
    assert to_send(tmp_path) == []
    r = cli("run", "2023-09", "--config", str(cfg), "--datum", "2023-10-20")
    assert r.returncode == 3 and "--rattelse" in r.stderr, r.stderr
    assert f"{KILLED}: versionen 001-" in r.stderr and "åter sitt namn" in r.stderr, r.stderr
    assert digests(out) == paid_outputs and os.listdir(tmp_path / "out/.2023-09.versions") == [published(tmp_path)
                                                                                               .split("/")[-1]]
    assert net_paid(tmp_path) == {"U01": 10 * HOUR, "U02": 5 * HOUR}


def test_a_payment_file_that_differs_from_its_manifest_is_not_made_sendable(tmp_path):
    cfg = month().write(tmp_path)
    assert crash(cfg, "efter-lank").returncode == 99
    staged = tmp_path / "out/2023-09/betalning/lov-2023-09.txt.tmp"
    staged.write_bytes(staged.read_bytes() + b"\r\n")            # not the file the run reconciled
    r = cli("run", "2023-09", "--config", str(cfg), "--datum", "2023-10-09")
    assert r.returncode == 1 and "lov-2023-09.txt.tmp stämmer inte med manifest.json" in r.stderr, r.stderr
    assert to_send(tmp_path) == [] and staged.is_file()


def test_killed_at_random_moments(tmp_path):
    """SIGKILL, SIGTERM or SIGINT a real run at a random moment while it writes and publishes its
    version (found by watching for it, not by the clock: the machine's speed varies), a first run
    and then a correction, until one gets through; after each kill the folder is whole and nothing
    outside the published version is named for sending, and a run then pays once."""
    rng = random.Random(2023)
    cfg = month().write(tmp_path)
    out, versions = tmp_path / "out/2023-09", tmp_path / "out/.2023-09.versions"
    env = {k: v for k, v in os.environ.items() if k != CRASH_ENV}
    cmd = [sys.executable, "-c", "from lovkorning.cli import main; main()", "run", "2023-09", "--config", str(cfg)]

    def kill(*args: str) -> None:
        before = set(os.listdir(versions)) if versions.is_dir() else set()
        p = subprocess.Popen(cmd + list(args), env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        while p.poll() is None and not any(v not in before and (versions / v / "avvikelser.csv").exists()
                                           for v in (os.listdir(versions) if versions.is_dir() else [])):
            time.sleep(0.002)            # until its version is being written
        time.sleep(rng.uniform(0, 0.2))  # the sheets, the payment file, the manifest, the ledger, the switch
        p.send_signal(rng.choice([signal.SIGKILL, signal.SIGKILL, signal.SIGTERM, signal.SIGINT]))
        p.wait()
        only_the_published_version_has_files_to_send(tmp_path)

    def shown() -> str:
        """The kind of run the output folder shows, checked whole; its payment file may still be
        staged or named as history when the kill fell between publishing's renames and the switch."""
        if out.is_symlink():
            pay = (json.loads((out / "manifest.json").read_text())["payment"] or {}).get("file")
            if pay and not (out / pay).exists():
                assert (out / f"{pay}.tmp").is_file() or (out / f"{pay}.historik").is_file()
                return json.loads((out / "manifest.json").read_text())["status"]
        return consistent(out)

    for _ in range(5):
        kill("--datum", "2023-10-09")
        if shown() == "SLUTLIG":
            break
        assert shown() == "none"
    r = cli("run", "2023-09", "--config", str(cfg), "--datum", "2023-10-09")
    assert r.returncode == 0, r.stderr
    assert consistent(out) == "SLUTLIG" and net_paid(tmp_path) == {"U01": 10 * HOUR, "U02": 5 * HOUR}
    month(ram_a="660").write(tmp_path)
    for _ in range(5):
        kill("--datum", "2023-10-20", "--rattelse")
        if shown() == "RÄTTELSE":
            break
        assert shown() == "SLUTLIG"
    r = cli("run", "2023-09", "--config", str(cfg), "--datum", "2023-10-20", "--rattelse")
    assert r.returncode == 0, r.stderr          # a correction, or (one was killed after its switch) paid already
    assert consistent(out) == "RÄTTELSE" and net_paid(tmp_path) == {"U01": 11 * HOUR, "U02": 5 * HOUR}
    assert only_the_published_version_has_files_to_send(tmp_path) == ["lov-2023-09-rattelse-1.txt"]


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
    files = [os.path.join(version, f) for f in ("betalning/lov-2023-09.txt.tmp", "manifest.json", "avvikelser.csv",
                                                 "avrakning/U01.xlsx", "sammanstallning.xlsx")]
    assert all(f in synced for f in files), synced
    assert version in synced and os.path.dirname(version) in synced
    after_switch = [p for kind, p, linked in events[:done] if kind == "fsync" and linked == version]
    assert os.path.realpath(tmp_path / "out") in after_switch
    # the payment file gets its name after the switch, and that rename is on disk before 'klar'
    assert os.path.join(version, "betalning") in after_switch and (out / "betalning/lov-2023-09.txt").is_file()
