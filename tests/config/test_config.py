"""Loading a config (contract §2) and looking up its rates.

A config error must say where: the file and the line of the offending key. Tests assert on
(file, line) and on the key or name the message must mention, not on the wording around it."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lovkorning.config.loaded import load
from lovkorning.core.errors import ConfigError
from lovkorning.core.period import Period
from lovkorning.config.rates import Series
from support.monthbuilder import NORRKOPING_TEST_CONFIG

REPO = Path(__file__).resolve().parents[2]
BASE = NORRKOPING_TEST_CONFIG


def write(tmp_path: Path, text: str, name: str = "lovkorning.yaml") -> Path:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def edited(old: str, new: str, text: str = BASE) -> str:
    assert old in text, old
    return text.replace(old, new, 1)


def line_of(text: str, fragment: str, nth: int = 1) -> int:
    """The 1-based line of the nth line containing fragment."""
    hits = [i + 1 for i, ln in enumerate(text.splitlines()) if fragment in ln]
    return hits[nth - 1]


def config_errors(path: Path) -> list[tuple[str, int | None, str]]:
    with pytest.raises(ConfigError) as exc:
        load(path)
    return [(Path(f.plats.fil).name, f.plats.rad, f.meddelande) for f in exc.value.fel]


def single_error(path: Path) -> tuple[str, int | None, str]:
    errors = config_errors(path)
    assert len(errors) == 1, errors
    return errors[0]


def error_at(tmp_path: Path, text: str, fragment: str, nth: int = 1) -> str:
    """The one error of the config `text`, which must stand at the line holding `fragment`: its message."""
    fil, line, msg = single_error(write(tmp_path, text))
    assert (fil, line) == ("lovkorning.yaml", line_of(text, fragment, nth))
    return msg


# ---------------------------------------------------------------- configs that load

def test_the_repo_configs_load_and_point_at_the_sample_data():
    norrkoping = load(REPO / "config" / "norrkoping.yaml")
    root = load(REPO / "lovkorning.yaml")
    for cfg in (norrkoping, root):
        assert cfg.input_dir("2023-09") == REPO / "sample_data" / "2023-09"
        assert cfg.input_path("utforare", "2023-09") == REPO / "sample_data" / "utforare.csv"
        assert cfg.output_dir("2023-09") == REPO / "out" / "2023-09"
        assert cfg.state_dir() == REPO / "state"
        assert [r.name for r in cfg.cfg.rules][0] == "Ramtid"
        assert cfg.rates["timpris"].lookup(date(2023, 9, 30)) == 45_200
        assert cfg.rates["timpris"].lookup(date(2023, 10, 1)) == 46_800
    assert root.sha256 != norrkoping.sha256      # the hash covers every file read


def test_extends_resolves_paths_relative_to_the_file_that_names_them(tmp_path):
    write(tmp_path, edited("visits: {min_minutes: 1,", "visits: {min_minutes: 2,"), "models/base.yaml")
    child = write(tmp_path, 'extends: models/base.yaml\noutput:\n  dir: "utdata/{month}"\n'
                            "visits: {max_minutes: 600}\n")
    cfg = load(child)
    assert cfg.input_dir("2023-09") == tmp_path / "models" / "data" / "2023-09"     # named in base.yaml
    assert cfg.output_dir("2023-09") == tmp_path / "utdata" / "2023-09"             # named in the child
    # a top-level key of the extending file replaces the base's key as a whole
    assert (cfg.cfg.visits.min_minutes, cfg.cfg.visits.max_minutes) == (1, 600)
    assert cfg.cfg.kommun.bankgiro == "9912346"


def test_extends_in_a_circle_is_an_error(tmp_path):
    a = write(tmp_path, "extends: b.yaml\n" + BASE, "a.yaml")
    write(tmp_path, "extends: a.yaml\n", "b.yaml")
    assert config_errors(a)[0][0] == "a.yaml"


def test_yaml_1_2_keeps_no_and_yes_as_strings(tmp_path):
    text = edited('insatser: ["Natthjälp", "Tillsyn (digital)"]', "insatser: [no, yes, on, off, Natthjälp]")
    cfg = load(write(tmp_path, text))
    assert cfg.cfg.rules[3].insatser == ["no", "yes", "on", "off", "Natthjälp"]


# ---------------------------------------------------------------- errors name their line

def test_a_duplicate_key_is_an_error_at_the_second_occurrence(tmp_path):
    text = edited("state:\n  dir: state\n", "state:\n  dir: state\n  dir: other\n")
    msg = error_at(tmp_path, text, "dir: other")
    assert "dir" in msg


def test_an_unknown_top_level_key_is_named_with_its_line(tmp_path):
    text = BASE + "rulez:\n  - {name: X}\n"
    msg = error_at(tmp_path, text, "rulez:")
    assert "'rulez'" in msg


def test_a_typo_inside_a_rule_is_named_with_the_rule_line(tmp_path):
    text = edited("{name: Matdistribution, insatser: [Matdistribution], basis: beviljad, rate: timpris}",
                  "{name: Matdistribution, insatser: [Matdistribution], basis: beviljad, rat: timpris}")
    errors = config_errors(write(tmp_path, text))
    assert ("lovkorning.yaml", line_of(text, "rat: timpris")) in [e[:2] for e in errors]
    assert any("rules.2.rat" in msg for _, _, msg in errors)


def test_an_unknown_key_in_an_extending_file_names_that_file_and_line(tmp_path):
    write(tmp_path, BASE, "models/base.yaml")
    text = "extends: models/base.yaml\n\n# Norrköping, testmiljö\nrulez: []\nversion: 2\n"
    errors = config_errors(write(tmp_path, text))
    assert sorted(e[:2] for e in errors) == [("lovkorning.yaml", 4), ("lovkorning.yaml", 5)]


def test_a_bad_date_in_a_rate_series_names_the_line_of_that_date(tmp_path):
    text = edited("timpris: {2023-01-01: 452.00, 2023-10-01: 468.00}",
                  "timpris:\n    2023-01-01: 452.00\n    2023-02-30: 468.00")
    msg = error_at(tmp_path, text, "2023-02-30")
    assert "2023-02-30" in msg


def test_an_unknown_basis_lists_the_allowed_ones(tmp_path):
    text = edited("basis: none", "basis: timme")
    msg = error_at(tmp_path, text, "basis: timme")
    assert "'timme'" in msg and all(b in msg for b in ("beviljad", "utford", "schablon", "genomforandeplan"))


def test_a_rule_with_an_unknown_rate_lists_the_defined_rates(tmp_path):
    text = edited("timpris: {2023-01-01: 452.00, 2023-10-01: 468.00}",
                  "timpris: {2023-01-01: 452.00, 2023-10-01: 468.00}\n  startavgift: {2023-01-01: 1500}")
    text = edited("hours: 2, rate: timpris", "hours: 2, rate: timpeng", text)
    msg = error_at(tmp_path, text, "rate: timpeng")
    assert "'timpeng'" in msg and "startavgift, timpris" in msg


def test_utford_without_cap_is_an_error_of_that_rule(tmp_path):
    text = edited("basis: utford, cap: order,", "basis: utford,")
    msg = error_at(tmp_path, text, "basis: utford")
    assert "cap" in msg


def test_the_kommun_bankgiro_is_checked(tmp_path):
    text = edited('bankgiro: "991-2346"', 'bankgiro: "123-4567"')
    msg = error_at(tmp_path, text, "kommun:")
    assert "123-4567" in msg


def test_payment_takes_a_day_or_days_after_run_not_both(tmp_path):
    text = edited("payment: {day: 15, roll: preceding}", "payment: {day: 15, days_after_run: 10}")
    msg = error_at(tmp_path, text, "payment:")
    assert "day" in msg and "days_after_run" in msg
    assert load(write(tmp_path, edited("payment: {day: 15, roll: preceding}", "payment: {days_after_run: 10}"),
                      "ok.yaml")).cfg.schedule.payment.days_after_run == 10


def test_a_rate_with_three_decimals_is_rejected_at_its_line(tmp_path):
    text = edited("timpris: {2023-01-01: 452.00, 2023-10-01: 468.00}",
                  "timpris:\n    2023-01-01: 452.00\n    2023-10-01: 468.125")
    error_at(tmp_path, text, "468.125")


# ---------------------------------------------------------------- rates

RATES = """\
rates:
  timpris: {2023-01-01: 452.00, 2023-09-15: 460.50, 2023-11-01: null}
  zonpris:
    by: [zon]
    values:
      tätort: {2023-01-01: 452}
      landsbygd: {2023-01-01: 500, 2023-09-20: 510}
"""


def rates_config(tmp_path):
    text = edited("rates:\n  timpris: {2023-01-01: 452.00, 2023-10-01: 468.00}\n", RATES)
    return load(write(tmp_path, text)).rates


def test_a_series_is_in_force_from_its_date_and_null_ends_it(tmp_path):
    timpris = rates_config(tmp_path)["timpris"]
    assert timpris.lookup(date(2022, 12, 31)) is None
    assert timpris.lookup(date(2023, 1, 1)) == 45_200
    assert timpris.lookup(date(2023, 9, 14)) == 45_200
    assert timpris.lookup(date(2023, 9, 15)) == 46_050
    assert timpris.lookup(date(2023, 10, 31)) == 46_050
    assert timpris.lookup(date(2023, 11, 1)) is None


def test_a_rate_by_zon_is_looked_up_by_key_and_date(tmp_path):
    zonpris = rates_config(tmp_path)["zonpris"]
    assert zonpris.by == ("zon",)
    assert zonpris.lookup(date(2023, 9, 19), ("landsbygd",)) == 50_000
    assert zonpris.lookup(date(2023, 9, 20), ("landsbygd",)) == 51_000
    assert zonpris.lookup(date(2023, 9, 20), ("tätort",)) == 45_200
    assert zonpris.lookup(date(2023, 9, 20), ("skärgård",)) is None


def test_a_month_is_split_into_segments_at_the_change_date(tmp_path):
    book = rates_config(tmp_path)
    sept = Period(2023, 9)
    assert book["timpris"].describe(sept) == [
        ((), date(2023, 9, 1), date(2023, 9, 14), 45_200),
        ((), date(2023, 9, 15), date(2023, 9, 30), 46_050),
    ]
    assert book["zonpris"].frame(sept.start, sept.end).rows() == [
        ("landsbygd", date(2023, 9, 1), date(2023, 9, 19), 50_000),
        ("landsbygd", date(2023, 9, 20), date(2023, 9, 30), 51_000),
        ("tätort", date(2023, 9, 1), date(2023, 9, 30), 45_200),
    ]


DAY0 = date(2023, 1, 1)
days = st.integers(min_value=0, max_value=120)
series_points = st.dictionaries(days, st.one_of(st.none(), st.integers(min_value=0, max_value=100_000)),
                                max_size=6)


def brute_force(points: dict[int, int | None], day: int) -> int | None:
    value = None
    for d in range(0, day + 1):
        if d in points:
            value = points[d]
    return value


@given(series_points, days)
def test_series_at_equals_a_scan_of_the_series(points, day):
    s = Series(tuple(sorted((DAY0 + timedelta(days=d), v) for d, v in points.items())))
    assert s.at(DAY0 + timedelta(days=day)) == brute_force(points, day)


@given(series_points, days, st.integers(min_value=0, max_value=40))
def test_segments_tile_the_span_and_agree_with_at(points, start, length):
    s = Series(tuple(sorted((DAY0 + timedelta(days=d), v) for d, v in points.items())))
    fran, till = DAY0 + timedelta(days=start), DAY0 + timedelta(days=start + length)
    segments = s.segments(fran, till)
    assert segments[0][0] == fran and segments[-1][1] == till
    for (_, b, _), (a, _, _) in zip(segments, segments[1:]):
        assert a == b + timedelta(days=1)
    for a, b, value in segments:
        assert a <= b
        d = a
        while d <= b:
            assert s.at(d) == value
            d += timedelta(days=1)
    # a new segment starts exactly where a point of the series lies
    assert {a for a, _, _ in segments[1:]} == {DAY0 + timedelta(days=d) for d in points if start < d <= start + length}
