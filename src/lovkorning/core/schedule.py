"""Run days and bank days.

A bank day is Monday-Friday except Swedish public holidays and the de facto holidays
Midsommarafton, Julafton and Nyårsafton (`helgdagar`, checked against the `holidays` package,
Sweden, categories public + de_facto). Workdays of a month, the run day and the payment date are all counted in bank days.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from .helgdagar import helgdagar
from .period import Period

ROLLS = ("preceding", "following")
_MAX_ROLL_DAYS = 31  # far more than any run of Swedish non-bank days; guards the loop


@dataclass(frozen=True)
class PaymentRule:
    """When the utförare are paid: `day` of the month after the settled month, or
    `days_after_run` calendar days after the run day; then moved to a bank day by `roll`."""

    day: int | None = None
    days_after_run: int | None = None
    roll: str = "preceding"

    def __post_init__(self) -> None:
        if (self.day is None) == (self.days_after_run is None):
            raise ValueError("Betalningsdag: ange antingen 'day' eller 'days_after_run'.")
        if self.day is not None and not 1 <= self.day <= 31:
            raise ValueError(f"Betalningsdag: 'day' måste vara 1–31, inte {self.day}.")
        if self.days_after_run is not None and self.days_after_run < 0:
            raise ValueError("Betalningsdag: 'days_after_run' får inte vara negativt.")
        _check_roll(self.roll)


def _check_roll(direction: str) -> None:
    if direction not in ROLLS:
        raise ValueError(f"Okänd 'roll': '{direction}'. Tillåtna: preceding, following.")


def is_bank_day(d: date) -> bool:
    """Monday-Friday and neither a public holiday nor Midsommar-, Jul- or Nyårsafton."""
    return d.weekday() < 5 and d not in helgdagar(d.year)


def workday_of_month(year: int, month: int, n: int) -> date:
    """The nth (1-based) bank day of the month."""
    if n < 1:
        raise ValueError(f"Arbetsdag nummer {n}: måste vara minst 1.")
    days_in_month = calendar.monthrange(year, month)[1]
    workdays = [
        d for d in (date(year, month, i) for i in range(1, days_in_month + 1)) if is_bank_day(d)
    ]
    if n > len(workdays):
        raise ValueError(f"{year:04d}-{month:02d} har bara {len(workdays)} arbetsdagar, inte {n}.")
    return workdays[n - 1]


def run_day(period: Period, run_workday: int) -> date:
    """The day the run for `period` is due: the nth workday of the following month."""
    following = period.next()
    return workday_of_month(following.year, following.month, run_workday)


def roll(d: date, direction: str) -> date:
    """d if it is a bank day, else the bank day before (preceding) or after (following)."""
    _check_roll(direction)
    step = timedelta(days=-1 if direction == "preceding" else 1)
    for _ in range(_MAX_ROLL_DAYS):
        if is_bank_day(d):
            return d
        d += step
    raise ValueError(f"Ingen bankdag inom {_MAX_ROLL_DAYS} dagar.")  # pragma: no cover


def next_bank_day(d: date) -> date:
    """The first bank day strictly after d."""
    return roll(d + timedelta(days=1), "following")


def _field(schedule: Any, name: str) -> Any:
    if isinstance(schedule, dict):
        return schedule.get(name)
    return getattr(schedule, name, None)


def as_payment_rule(schedule: Any) -> PaymentRule:
    """A PaymentRule from a PaymentRule, a dict/object with day|days_after_run and roll, or a
    whole schedule section holding it under `payment`."""
    if isinstance(schedule, PaymentRule):
        return schedule
    inner = _field(schedule, "payment")
    if inner is not None:
        return as_payment_rule(inner)
    return PaymentRule(
        day=_field(schedule, "day"),
        days_after_run=_field(schedule, "days_after_run"),
        roll=_field(schedule, "roll") or "preceding",
    )


def payment_date(period: Period, schedule: Any, run_workday: int | None = None) -> date:
    """The payment date for the settled `period` under `schedule` (see as_payment_rule).

    `days_after_run` needs the run day: from `run_workday`, else the schedule's own
    `run_workday` (when the whole schedule section is passed).
    """
    rule = as_payment_rule(schedule)
    if rule.day is not None:
        following = period.next()
        day = min(rule.day, following.days)  # day 31 in a 30-day month: its last day
        return roll(date(following.year, following.month, day), rule.roll)
    workday = run_workday if run_workday is not None else _field(schedule, "run_workday")
    if workday is None:
        raise ValueError("Betalningsdag 'days_after_run' kräver 'run_workday'.")
    start = run_day(period, int(workday))
    return roll(start + timedelta(days=rule.days_after_run), rule.roll)


def lb_payment_date_field(payment: date, file_date: date) -> str:
    """The 6-character payment date of an LB record: YYMMDD when the file (sent on file_date)
    reaches Bankgirot at least the bank day before `payment`, else 'GENAST'.

    A file sent on a non-bank day counts as received on the next bank day.
    """
    received = roll(file_date, "following")
    if payment >= next_bank_day(received):
        return payment.strftime("%y%m%d")
    return "GENAST"


def execution_date(payment: date, file_date: date) -> date:
    """The requested execution date of an ISO 20022 file (pain.001 has no GENAST): the payment
    date, or, for a file made after it (a late run, a correction), the first bank day on or
    after the file date, never a weekend or holiday."""
    return max(payment, roll(file_date, "following"))
