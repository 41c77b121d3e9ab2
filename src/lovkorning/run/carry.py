"""The weekly schablon carry between months, as the ledger recorded it: what the previous month's
latest paying run paid in the week that goes on into this month.
"""

from __future__ import annotations

import sqlite3

import polars as pl

from ..config.loaded import LoadedConfig
from ..core.errors import os_cause
from .ledger import Ledger
from ..core.period import Period
from ..settle.fees import WEEKS
from ..settle.month import WeekCarry


def week_carry(ledger: Ledger | None, period: Period) -> WeekCarry:
    """What the previous month's latest paying run paid of weekly schablon in the week that goes
    on into `period` (nothing when that month is not paid, or there is no ledger yet)."""
    before = period.previous()
    run_id, rows = ledger.weeks_paid(before.label) if ledger else (None, [])
    return WeekCarry(before.label, run_id, pl.DataFrame(rows, schema=WEEKS, orient="row"))


def paid_month_carry(ledger: Ledger, period: Period) -> WeekCarry | None:
    """A paid month is settled again with the carry only if its first payment was: a month paid
    by a version that did not carry weeks stays settled without (ledger.carries_weeks)."""
    return week_carry(ledger, period) if ledger.carries_weeks(period.label) else None


def read_carry(cfg: LoadedConfig, period: Period) -> tuple[WeekCarry | None, str | None]:
    """week_carry from the ledger opened read-only (validate): no lock, nothing written. A ledger
    that cannot be read carries nothing, with a warning: validate still checks the inputs."""
    try:
        ledger = Ledger.read_only(cfg.state_dir() / "ledger.sqlite")
        try:
            return (paid_month_carry(ledger, period) if ledger else week_carry(None, period)), None
        finally:
            if ledger:
                ledger.close()
    except sqlite3.Error as exc:
        return None, (f"Liggaren i {cfg.state_dir()} kan inte läsas ({os_cause(exc, cfg.state_dir())[0]}): schablon per "
                      f"vecka räknas utan det som {period.previous().label} betalade.")
