"""Bank days, run days and payment dates."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lovkorning.core.period import Period
from lovkorning.core.schedule import (
    PaymentRule, as_payment_rule, execution_date, is_bank_day, lb_payment_date_field, next_bank_day, payment_date, roll, run_day, workday_of_month)


# --- bank days -------------------------------------------------------------------------------

@pytest.mark.parametrize(
    "d",
    [
        date(2024, 6, 21),   # Midsommarafton (Friday)
        date(2024, 12, 24),  # Julafton (Tuesday)
        date(2024, 12, 31),  # Nyårsafton (Tuesday)
        date(2024, 4, 1),    # Annandag påsk
        date(2024, 3, 29),   # Långfredagen
        date(2024, 1, 1),    # Nyårsdagen
        date(2025, 1, 6),    # Trettondedag jul (Monday)
        date(2024, 5, 9),    # Kristi himmelfärdsdag
        date(2024, 6, 6),    # Nationaldagen (Thursday)
        date(2024, 5, 1),    # Första maj
        date(2024, 12, 25),
        date(2024, 12, 26),
        date(2023, 10, 14),  # Saturday
        date(2023, 10, 15),  # Sunday
    ],
)
def test_not_bank_days(d):
    assert not is_bank_day(d)


@pytest.mark.parametrize(
    "d", [date(2024, 6, 20), date(2024, 12, 23), date(2024, 12, 27), date(2024, 4, 2),
          date(2023, 10, 13), date(2024, 11, 1)],  # Alla helgons afton is a normal day
)
def test_bank_days(d):
    assert is_bank_day(d)


# --- workdays and run day ------------------------------------------------------------------

def test_sixth_workday_october_2023():
    assert workday_of_month(2023, 10, 6) == date(2023, 10, 9)
    assert run_day(Period(2023, 9), 6) == date(2023, 10, 9)


def test_sixth_workday_january_2024():
    # Jan 1 (Mon) Nyårsdagen; Jan 6 Trettondedag jul falls on a Saturday in 2024.
    # Workdays: 2, 3, 4, 5, 8, 9 -> the 6th is Tuesday 9 January.
    assert workday_of_month(2024, 1, 6) == date(2024, 1, 9)
    assert run_day(Period(2023, 12), 6) == date(2024, 1, 9)


def test_sixth_workday_january_2025_trettondedag_on_monday():
    # Jan 1 (Wed) holiday; 2, 3, (6 Mon holiday) 7, 8, 9, 10 -> 6th is Friday 10 January.
    assert workday_of_month(2025, 1, 6) == date(2025, 1, 10)


def test_workday_out_of_range():
    with pytest.raises(ValueError):
        workday_of_month(2023, 10, 0)
    with pytest.raises(ValueError):
        workday_of_month(2023, 10, 23)  # October 2023 has 22 workdays
    assert workday_of_month(2023, 10, 22) == date(2023, 10, 31)


# --- roll and payment date -----------------------------------------------------------------

def test_roll():
    assert roll(date(2023, 10, 15), "preceding") == date(2023, 10, 13)
    assert roll(date(2023, 10, 15), "following") == date(2023, 10, 16)
    assert roll(date(2023, 10, 16), "preceding") == date(2023, 10, 16)
    assert roll(date(2024, 12, 24), "following") == date(2024, 12, 27)
    assert roll(date(2024, 12, 26), "preceding") == date(2024, 12, 23)
    with pytest.raises(ValueError):
        roll(date(2023, 10, 15), "modified")


def test_payment_on_the_15th_rolls_back_from_sunday():
    assert payment_date(Period(2023, 9), {"day": 15, "roll": "preceding"}) == date(2023, 10, 13)
    assert payment_date(Period(2023, 9), {"day": 15}) == date(2023, 10, 13)  # default preceding
    following = PaymentRule(day=15, roll="following")
    assert payment_date(Period(2023, 9), following) == date(2023, 10, 16)


def test_payment_day_beyond_month_end_is_its_last_day():
    # 31 November does not exist: 30 November 2023 (Thursday)
    assert payment_date(Period(2023, 10), {"day": 31}) == date(2023, 11, 30)


def test_payment_days_after_run():
    # run day 2023-10-09 + 10 days = Thursday 2023-10-19
    rule = {"days_after_run": 10}
    assert payment_date(Period(2023, 9), rule, run_workday=6) == date(2023, 10, 19)
    # + 12 days = Saturday 21st: preceding -> Friday 20th, following -> Monday 23rd
    rule = PaymentRule(day=None, days_after_run=12, roll="preceding")
    assert payment_date(Period(2023, 9), rule, run_workday=6) == date(2023, 10, 20)
    rule = PaymentRule(day=None, days_after_run=12, roll="following")
    assert payment_date(Period(2023, 9), rule, run_workday=6) == date(2023, 10, 23)


def test_payment_from_a_whole_schedule_section():
    schedule = {"run_workday": 6, "payment": {"days_after_run": 10, "roll": "following"}}
    assert payment_date(Period(2023, 9), schedule) == date(2023, 10, 19)
    with pytest.raises(ValueError):
        payment_date(Period(2023, 9), {"days_after_run": 10})  # no run_workday anywhere


def test_payment_rule_from_an_object():
    class Cfg:
        day = 25
        days_after_run = None
        roll = "following"

    assert as_payment_rule(Cfg()) == PaymentRule(day=25, days_after_run=None, roll="following")
    # 2023-11-25 is a Saturday
    assert payment_date(Period(2023, 10), Cfg()) == date(2023, 11, 27)


@pytest.mark.parametrize(
    "kwargs",
    [{}, {"day": 15, "days_after_run": 10}, {"day": 0}, {"day": 32}, {"days_after_run": -1},
     {"day": 15, "roll": "nearest"}],
)
def test_payment_rule_rejects_nonsense(kwargs):
    with pytest.raises(ValueError):
        PaymentRule(**kwargs)


# --- the LB payment date field ---------------------------------------------------------------

def test_lb_payment_date_field():
    file_date = date(2023, 10, 9)  # Monday, the run day
    assert lb_payment_date_field(date(2023, 10, 13), file_date) == "231013"
    assert lb_payment_date_field(date(2023, 10, 10), file_date) == "231010"  # next bank day
    assert lb_payment_date_field(date(2023, 10, 9), file_date) == "GENAST"   # same day
    assert lb_payment_date_field(date(2023, 10, 2), file_date) == "GENAST"   # past


def test_lb_payment_date_field_across_a_weekend_and_holidays():
    # a file on Thursday 2024-06-20: next bank day is Monday 24 June (21 is Midsommarafton)
    assert lb_payment_date_field(date(2024, 6, 24), date(2024, 6, 20)) == "240624"
    # a file on Saturday counts from Monday: a Monday payment is too late
    assert lb_payment_date_field(date(2023, 10, 16), date(2023, 10, 14)) == "GENAST"
    assert lb_payment_date_field(date(2023, 10, 17), date(2023, 10, 14)) == "231017"


def test_pain001_execution_date_is_the_payment_date_or_the_first_bank_day_of_a_late_file():
    assert execution_date(date(2023, 10, 13), date(2023, 10, 9)) == date(2023, 10, 13)
    assert execution_date(date(2023, 10, 13), date(2023, 10, 20)) == date(2023, 10, 20)   # a Friday correction
    # a correction on Saturday 21 October is executed on Monday, not on the Saturday
    assert execution_date(date(2023, 10, 13), date(2023, 10, 21)) == date(2023, 10, 23)
    # made on Julafton 2024: the next bank day is 27 December
    assert execution_date(date(2024, 12, 13), date(2024, 12, 24)) == date(2024, 12, 27)


def test_next_bank_day():
    assert next_bank_day(date(2024, 12, 23)) == date(2024, 12, 27)
    assert next_bank_day(date(2023, 10, 13)) == date(2023, 10, 16)


# --- properties ------------------------------------------------------------------------------

any_day = st.dates(min_value=date(2000, 1, 1), max_value=date(2080, 12, 31))


@given(any_day, st.sampled_from(["preceding", "following"]))
def test_roll_returns_a_near_bank_day(d, direction):
    rolled = roll(d, direction)
    assert is_bank_day(rolled)
    assert abs((rolled - d).days) <= 10
    assert (rolled <= d) if direction == "preceding" else (rolled >= d)
    assert rolled == d or not is_bank_day(d)


@given(st.integers(2000, 2080), st.integers(1, 12), st.integers(1, 15))  # December can have only 17 workdays (2018)
def test_workdays_are_bank_days_in_order(year, month, n):
    d = workday_of_month(year, month, n)
    assert is_bank_day(d) and (d.year, d.month) == (year, month)
    if n > 1:
        assert workday_of_month(year, month, n - 1) < d
