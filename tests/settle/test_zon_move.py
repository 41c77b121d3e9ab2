"""Österåker (seed 004): utförd tid by zon, tätort 430 and glesbygd 520 kr/h. A brukare who moves
from tätort to glesbygd on 16 September has one 1 h visit before and one after: 43 000 + 52 000 öre.

Each visit carries the zon of its own day (bases.visit_time), and the lines of `cap: none` and
`cap: brukare` are grouped per brukare × zon × insats × rate segment, so a move inside a segment
splits the line; with `cap: order` each order line has its own zon. The fee bases split at a move
too (tests/cases/zon.yaml).
"""

from datetime import date
from pathlib import Path

import pytest

from conftest import check, run_case

MOVE = {
    "name": "utförd tid of a brukare who moves mid-month, each visit at the zon of its day",
    "config": """\
visits: {min_minutes: 1, max_minutes: 480, require_tag: one, window: ["07:00", "22:30"]}
rates:
  timpris: {by: [zon], values: {tätort: {2023-01-01: 430.00}, landsbygd: {2023-01-01: 470.00}, glesbygd: {2023-01-01: 520.00}}}
rules:
  - {name: Utförd tid, insatser: [Dusch], basis: utford, cap: CAP, rate: timpris}
""",
    "bestallningar": [
        {"id": "B1", "brukare": "A", "insats": "Dusch", "minuter": 600, "fran": "2023-01-01", "till": "2023-09-15", "zon": "tätort"},
        {"id": "B2", "brukare": "A", "insats": "Dusch", "minuter": 600, "fran": "2023-09-16", "zon": "glesbygd"},
    ],
    "taggningar": [
        {"brukare": "A", "in": "2023-09-04 10:00", "ut": "2023-09-04 11:00", "insatser": "Dusch"},
        {"brukare": "A", "in": "2023-09-20 10:00", "ut": "2023-09-20 11:00", "insatser": "Dusch"},
    ],
    # 1 h × 430 kr tätort + 1 h × 520 kr glesbygd = 43 000 + 52 000 = 95 000 öre
    "expect": {"totals": {"U01": 95_000}, "lines": [
        {"zon": "tätort", "ersatt_sek": 3600, "belopp_ore": 43_000},
        {"zon": "glesbygd", "ersatt_sek": 3600, "belopp_ore": 52_000}]},
}


@pytest.mark.parametrize("cap", ["none", "brukare", "order"])
def test_utford_of_a_brukare_who_moves_mid_month(tmp_path: Path, cap: str):
    case = {**MOVE, "config": MOVE["config"].replace("CAP", cap)}
    check(case, run_case(case, tmp_path))


def test_cap_brukare_across_a_move_pays_the_earlier_zon_first(tmp_path: Path):
    # beviljad 60 min a month on each order: 30 min of B1 (1–15 Sept) + 30 min of B2 (16–30 Sept) = 3 600 s,
    # the brukare's cap; 7 200 s utförd. In time order the tätort hour uses the cap up:
    # 3 600 s × 430 kr/h = 43 000 öre, and the glesbygd hour is not paid
    case = {**MOVE, "config": MOVE["config"].replace("CAP", "brukare"),
            "bestallningar": [{**b, "minuter": 60, "per": "manad"} for b in MOVE["bestallningar"]],
            "expect": {"totals": {"U01": 43_000}, "lines_count": 1, "lines": [
                {"zon": "tätort", "fran": date(2023, 9, 4), "till": date(2023, 9, 4), "ersatt_sek": 3600, "belopp_ore": 43_000}]}}
    check(case, run_case(case, tmp_path))
