"""The command line as a user runs it: the real entry point in a subprocess, and a check that no
personnummer reaches its output."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from support.monthbuilder import BRUKARE_A, Month

REPO = Path(__file__).resolve().parents[2]


PNR = re.compile(r"\b(19|20)?\d{6}[-+ ]?\d{4}\b")


def cli(*args: str, cwd: Path | None = None, env: dict | None = None) -> subprocess.CompletedProcess:
    e = {**os.environ, **(env or {})}
    e.pop("LOVKORNING_CONFIG", None) if env is None or "LOVKORNING_CONFIG" not in env else None
    return subprocess.run([sys.executable, "-c", "from lovkorning.cli import main; main()", *args],
                          cwd=cwd or REPO, env=e, capture_output=True, text=True, timeout=300)


def seed001_month() -> Month:
    """Seed 001's Timunderlag LOV: ramtid 12,43 h granted, 32 visits of 8,13 h, and one
    Morgonhjälp visit of 0,15 h registered instead of RAM-tid, which earns nothing."""
    m = Month().utforare("U01", "Omsorg Öst AB")
    m.order("B1", BRUKARE_A, "U01", "RAM-tid", "745,8")
    durations = [900] * 31 + [29_268 - 900 * 31]
    for i, s in enumerate(durations):
        m.visit(BRUKARE_A, "U01", "P1", f"2023-09-{1 + i % 28:02d} {8 + 4 * (i // 28):02d}:00:00", s, "RAM-tid")
    m.visit(BRUKARE_A, "U01", "P2", "2023-09-05 12:00:00", 540, "Morgonhjälp")
    return m
