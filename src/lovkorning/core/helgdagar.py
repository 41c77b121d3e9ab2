"""Swedish public and de facto holidays of a year, computed: the days a bank is closed on a
weekday besides Saturday and Sunday.

The rules are those of lag (1989:253) om allmänna helgdagar as in force since 2005 (Sveriges
nationaldag a holiday, Annandag pingst not), plus the three days banks keep closed by custom
(Midsommarafton, Julafton, Nyårsafton). They were computed with the `holidays` package before;
its import and first Swedish calendar cost a run about a quarter of a second (measured: 0.18 s
import, 0.17 s first year), a tenth of a Stockholm dry run, so the few dates are computed here and
`tests/core/test_helgdagar.py` checks them against that package for every year 2005–2099. Years
before 2005 (other rules) still ask the package.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache

FIRST_YEAR = 2005     # the rules below hold from this year on


def easter_sunday(year: int) -> date:
    """Gregorian Easter Sunday (the anonymous Gregorian algorithm, Meeus/Jones/Butcher)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = b // 4, b % 4
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = c // 4, c % 4
    l = (32 + 2 * e + 2 * i - h - k) % 7  # noqa: E741
    m = (a + 11 * h + 22 * l) // 451
    month, day = divmod(h + l - 7 * m + 114, 31)
    return date(year, month, day + 1)


def _weekday_between(year: int, month: int, first: int, weekday: int) -> date:
    """The day of `weekday` (Monday 0) among the seven days from `first` of the month."""
    start = date(year, month, first)
    return start + timedelta(days=(weekday - start.weekday()) % 7)


@lru_cache(maxsize=None)
def helgdagar(year: int) -> frozenset[date]:
    """The year's public holidays and Midsommar-, Jul- and Nyårsafton (some fall on weekends)."""
    if year < FIRST_YEAR:         # older rules (Annandag pingst, no nationaldag): the package knows them
        import holidays  # lazy: startup
        return frozenset(holidays.country_holidays("SE", categories=("public", "de_facto"), years=year).keys())
    easter = easter_sunday(year)
    midsommar = _weekday_between(year, 6, 20, 5)           # the Saturday 20–26 June
    alla_helgon = _weekday_between(year, 10, 31, 5)         # the Saturday 31 October–6 November
    return frozenset({
        date(year, 1, 1), date(year, 1, 6),
        easter - timedelta(days=2), easter, easter + timedelta(days=1), easter + timedelta(days=39),
        easter + timedelta(days=49),
        date(year, 5, 1), date(year, 6, 6),
        midsommar - timedelta(days=1), midsommar,
        alla_helgon,
        date(year, 12, 24), date(year, 12, 25), date(year, 12, 26), date(year, 12, 31),
    })
