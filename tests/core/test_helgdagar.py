"""The computed Swedish holidays (core/helgdagar) against the `holidays` package they replace."""

from datetime import date

import holidays
import pytest

from lovkorning.core.helgdagar import easter_sunday, helgdagar
from lovkorning.core.schedule import is_bank_day


def test_every_year_2005_to_2099_agrees_with_the_holidays_package():
    for year in range(2005, 2100):
        package = holidays.country_holidays("SE", categories=("public", "de_facto"), years=year)
        assert helgdagar(year) == frozenset(package.keys()), year


@pytest.mark.parametrize("year, sunday", [(2023, date(2023, 4, 9)), (2024, date(2024, 3, 31)),
                                          (2025, date(2025, 4, 20)), (2038, date(2038, 4, 25))])
def test_easter_sunday(year, sunday):
    assert easter_sunday(year) == sunday


def test_2023_worked_example():
    # Midsommarafton fredag 23 juni, Alla helgons dag lördag 4 november, Kristi himmelsfärd 18 maj
    days = helgdagar(2023)
    assert {date(2023, 6, 23), date(2023, 6, 24), date(2023, 11, 4), date(2023, 5, 18), date(2023, 4, 7)} <= days
    assert not is_bank_day(date(2023, 6, 23)) and is_bank_day(date(2023, 6, 22))
    assert not is_bank_day(date(2023, 4, 10))      # Annandag påsk


def test_years_before_2005_follow_their_own_rules():
    # 2004: Annandag pingst (31 maj) was a holiday and 6 juni was not
    assert date(2004, 5, 31) in helgdagar(2004) and date(2004, 6, 6) not in helgdagar(2004)
