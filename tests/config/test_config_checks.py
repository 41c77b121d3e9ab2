"""Config checks at load time (contract §2): what would otherwise pass check-config and then stop
a run, or be silently misread. Every error names the file and line; messages are Swedish."""

from __future__ import annotations

from pathlib import Path

import pytest

from lovkorning.config.schema import PaymentCfg, ScheduleCfg
from lovkorning.config.loaded import load
from lovkorning.config.checks import months_of, schedule_problems
from lovkorning.core.period import Period
from lovkorning.core.schedule import payment_date, run_day
from support.cli import cli
from test_config import BASE, config_errors, edited, error_at, line_of, single_error, write

REPO = Path(__file__).resolve().parents[2]


# ---------------------------------------------------------------- 1. percents: at most two decimals

@pytest.mark.parametrize("old,new,fragment", [
    ("flagga: saknar_heltid, percent: 2}", "flagga: saknar_heltid, percent: 2.555}", "2.555"),
    ("zon: [landsbygd], percent: 10}", "zon: [landsbygd], percent: 10.125}", "10.125"),
    ("flagga: saknar_heltid, percent: 2}", "flagga: saknar_heltid, percent: 2}\nmomskompensation: {percent: 1.555}",
     "1.555"),
    ("flagga: saknar_heltid, percent: 2}", "flagga: saknar_heltid, percent: 2}\ndiff: {target_percent: 85.005}",
     "85.005"),
    ("flagga: saknar_heltid, percent: 2}", "flagga: saknar_heltid, percent: 2, min_andel_utford: 80.001}",
     "80.001"),
    ("zon: [landsbygd], percent: 10}", "zon: [landsbygd], percent: 10}\n  - {name: K, flagga: k, per_utford_timme: 10.005}",
     "10.005"),
    ("basis: beviljad, rate: timpris}\n  - {name: Utförd",
     "basis: beviljad, rate: timpris, uppehall_percent: {sjukhus: [75.125]}}\n  - {name: Utförd", "75.125"),
])
def test_a_percent_with_more_than_two_decimals_is_rejected_at_its_line(tmp_path, old, new, fragment):
    text = edited(old, new)
    msg = error_at(tmp_path, text, fragment)
    assert fragment in msg and "två decimaler" in msg


def test_two_decimals_still_load(tmp_path):
    text = edited("percent: 2}", "percent: 2.55}\nmomskompensation: {percent: 1.5}\ndiff: {review_percent: 12.25}")
    cfg = load(write(tmp_path, text)).cfg
    assert (str(cfg.deductions[0].percent), str(cfg.momskompensation.percent)) == ("2.55", "1.5")


def test_a_run_with_a_three_decimal_percent_stops_with_exit_1_not_an_internal_error(tmp_path):
    from support.cli import cli, seed001_month
    cfg = seed001_month().write(tmp_path)
    cfg.write_text(cfg.read_text(encoding="utf-8").replace("percent: 2}", "percent: 2.555}"), encoding="utf-8")
    r = cli("run", "2023-09", "--config", str(cfg), "--dry-run")
    assert r.returncode == 1 and "Internt fel" not in r.stderr and "2.555" in r.stderr, r.stderr


# ---------------------------------------------------------------- 2. ranges

@pytest.mark.parametrize("old,new,fragment", [
    ("basis: beviljad, rate: timpris}\n  - {name: Utförd",
     "basis: beviljad, rate: timpris}\n  - {name: V, insatser: [Vak], basis: besok, rate: timpris, "
     "avbojt_percent: {default: 175}}\n  - {name: Utförd", "default: 175"),
    ("basis: beviljad, rate: timpris}\n  - {name: Utförd",
     "basis: beviljad, rate: timpris}\n  - {name: V, insatser: [Vak], basis: besok, rate: timpris, "
     "avbojt_percent: {default: -5}}\n  - {name: Utförd", "default: -5"),
    ("zon: [landsbygd], percent: 10}", "zon: [landsbygd], percent: -10}", "percent: -10"),
    ("zon: [landsbygd], percent: 10}", "zon: [landsbygd], percent: 10}\n  - {name: K, flagga: k, per_utford_timme: -1}",
     "per_utford_timme: -1"),
])
def test_shares_and_supplements_out_of_range_are_rejected(tmp_path, old, new, fragment):
    text = edited(old, new)
    if "Vak]" in new:       # the besok rule takes Vak from the utford rule
        text = text.replace("Egenvård, Vak]", "Egenvård]")
    msg = error_at(tmp_path, text, fragment)
    assert "minst 0" in msg or "högst 100" in msg


# ---------------------------------------------------------------- 3. visits and windows

def test_min_minutes_above_max_minutes_is_rejected(tmp_path):
    text = edited("min_minutes: 1, max_minutes: 480", "min_minutes: 600, max_minutes: 480")
    msg = error_at(tmp_path, text, "min_minutes: 600")
    assert "min_minutes" in msg and "max_minutes" in msg


@pytest.mark.parametrize("old,new,fragment", [
    ("require_tag: one}", 'require_tag: one, window: ["07:00", "07:00"]}', "window"),
    ("require_tag: one}", 'require_tag: one, window: ["24:00", "00:00"]}', "window"),
    ("cap: order, rate: timpris}", 'cap: order, rate: timpris, tid: ["22:00", "22:00"]}', "tid: ["),
])
def test_a_window_whose_start_equals_its_end_is_rejected(tmp_path, old, new, fragment):
    text = edited(old, new)
    msg = error_at(tmp_path, text, fragment)
    assert "samma klockslag" in msg


def test_the_whole_day_window_still_loads(tmp_path):
    cfg = load(write(tmp_path, edited("require_tag: one}", 'require_tag: one, window: ["00:00", "24:00"]}')))
    assert cfg.cfg.visits.window == ("00:00", "24:00")


# ---------------------------------------------------------------- 4. the schedule against the calendar

def test_a_payment_day_before_the_run_day_is_an_error_for_check_config(tmp_path):
    """run_workday 12 and day 15: 2023-09 is paid 2023-10-13 but run 2023-10-17. check-config
    checks this year and the next, and the month it is asked about."""
    text = edited("run_workday: 6", "run_workday: 12")
    path = write(tmp_path, text)
    load(path)                             # the loader does not read the clock: the config loads
    r = cli("check-config", str(path), "--manad", "2023-09")
    assert r.returncode == 1, r.stdout
    line = line_of(text, "payment: {day: 15")
    assert f"lovkorning.yaml, rad {line}: betalningsdagen (15, roll preceding) infaller före körningsdagen " \
           "(12:e arbetsdagen) för " in r.stderr
    assert "2023-09" in r.stderr and "till exempel för" in r.stderr


def test_the_schedule_check_finds_the_month_of_the_example():
    """2023-09 with run_workday 12 and day 15: paid 2023-10-13, run 2023-10-17."""
    late = ScheduleCfg(run_workday=12, payment=PaymentCfg(day=15, roll="preceding"))
    [(key, msg)] = schedule_problems(late, months_of(2023))
    assert key == ("payment", "day") and "2023-09" in msg
    assert "för 2023-09 betalas 2023-10-13 men körningen sker 2023-10-17" in schedule_problems(late, [Period(2023, 9)])[0][1]
    assert payment_date(Period(2023, 9), {"day": 15, "roll": "preceding"}) < run_day(Period(2023, 9), 12)
    assert schedule_problems(ScheduleCfg(run_workday=6, payment=PaymentCfg(days_after_run=0)), months_of(2023)) == []


def test_a_run_workday_some_months_lack_is_named_with_every_such_month():
    """Settling 2023-03 runs in April 2023, which has 18 workdays (Easter)."""
    [(key, msg), _] = schedule_problems(ScheduleCfg(run_workday=20), months_of(2023))
    assert key == ("run_workday",) and "körningen för 2 månader: 2023-03, 2023-11 får ingen körningsdag" in msg


def test_the_shipped_schedules_hold_for_years_to_come():
    for path in sorted((REPO / "config").glob("*.yaml")) + [REPO / "lovkorning.yaml"]:
        assert load(path).schedule_problems(months_of(*range(2023, 2041))) == [], path


# ---------------------------------------------------------------- 5. rate dates

@pytest.mark.parametrize("bad", ["20231001", "2023-W40", "2023-274"])
def test_a_rate_date_must_be_written_yyyy_mm_dd(tmp_path, bad):
    text = edited("timpris: {2023-01-01: 452.00, 2023-10-01: 468.00}",
                  f"timpris:\n    2023-01-01: 452.00\n    {bad}: 468.00")
    msg = error_at(tmp_path, text, f"{bad}: 468")
    assert bad in msg and "ÅÅÅÅ-MM-DD" in msg


def test_a_date_repeated_in_a_series_is_rejected_at_the_second(tmp_path):
    text = edited("timpris: {2023-01-01: 452.00, 2023-10-01: 468.00}",
                  'timpris:\n    2023-01-01: 452.00\n    2023-10-01: 468.00\n    "2023-10-01": 470.00')
    msg = error_at(tmp_path, text, '"2023-10-01"')
    assert "2023-10-01" in msg and "found" not in msg


def test_a_repeated_date_is_caught_by_the_series_itself():
    from lovkorning.core.errors import ConfigError
    from lovkorning.config.rates import compile_rate

    class Keys(dict):      # two keys that are different text for the same day cannot come from YAML
        def items(self):
            return [("2023-10-01", 1), ("2023-10-01", 2)]
    with pytest.raises(ConfigError) as exc:
        compile_rate("timpris", Keys(x=1), "c.yaml", 3)
    assert "flera gånger" in exc.value.fel[0].meddelande


# ---------------------------------------------------------------- 6. Swedish messages

@pytest.mark.parametrize("old,new,fragment,expected", [
    ("require_tag: one}", "require_tag: no}", "require_tag", "ska vara en av 'one', 'both', 'none'"),
    ("percent: 10}", "percent: '10,5'}", "percent: '10,5'", "decimalpunkt"),
    ("min_minutes: 1,", "min_minutes: x,", "min_minutes: x", "heltal"),
    ("min_minutes: 1,", "min_minutes: 1.5,", "min_minutes: 1.5", "heltal"),
    ("max_minutes: 480,", "max_minutes: 0,", "max_minutes: 0", "minst 1"),
    ("run_workday: 6", "run_workday: 21", "run_workday: 21", "högst 20"),
    ("visits: {", "payment_format: on\nvisits: {", "payment_format", "'bankgirot-lb'"),
    ('kommun: {namn: Norrköpings kommun, bankgiro: "991-2346"}', "kommun: Norrköping", "kommun:", "mappning"),
    ("insatser: [RAM-tid]", "insatser: RAM-tid", "insatser: RAM-tid", "lista"),
    ("insatser: [RAM-tid]", "insatser: [RAM-tid, 12]", "insatser: [RAM-tid, 12]", "text"),
    ("version: 1", 'version: "1"', "version", "ska vara 1"),
    ("version: 1", "version: 1\ndiff: {review_months: ja}", "review_months", "heltal"),
    ("require_tag: one}", "require_tag: one, window: [\"07:00\"]}", "window", "för få"),
    ("flagga: saknar_heltid, percent: 2}", "flagga: saknar_heltid, percent: 2}\nmomskompensation: {percent: 1,5}",
     "momskompensation", "decimalkomma"),
])
def test_pydantic_errors_are_said_in_swedish(tmp_path, old, new, fragment, expected):
    text = edited(old, new)
    errors = config_errors(write(tmp_path, text))
    assert errors, text
    fil, line, msg = errors[0]
    assert (fil, line) == ("lovkorning.yaml", line_of(text, fragment)), errors
    assert expected in msg, msg
    assert not any(w in msg for w in ("Input should", "valid", "Field required", "Keys should")), msg


def test_numbers_in_value_and_column_maps_are_read_as_text(tmp_path):
    text = edited("  utforare: data/utforare.csv\n", "  utforare: data/utforare.csv\n"
                  "  values: {taggningar: {korrigerad: {1: ja, 0: nej}}}\n  columns: {overtid: {minuter: 2023}}\n")
    inputs = load(write(tmp_path, text)).cfg.inputs
    assert inputs.values == {"taggningar": {"korrigerad": {"1": "ja", "0": "nej"}}}
    assert inputs.columns == {"overtid": {"minuter": "2023"}}


# ---------------------------------------------------------------- 7. extends that cannot be read

def test_extends_naming_a_folder_is_an_error_at_the_extends_line(tmp_path):
    (tmp_path / "models").mkdir()
    text = "# test\nextends: models\n"
    fil, line, msg = single_error(write(tmp_path, text))
    assert (fil, line) == ("lovkorning.yaml", 2)
    assert "kan inte läsas" in msg and "models" in msg


def test_an_unreadable_config_is_an_error_not_a_crash(tmp_path, monkeypatch):
    write(tmp_path, BASE, "base.yaml")
    child = write(tmp_path, "extends: base.yaml\n")
    real = Path.read_bytes

    def denied(self):
        if self.name == "base.yaml":
            raise PermissionError(13, "Permission denied")
        return real(self)
    monkeypatch.setattr(Path, "read_bytes", denied)
    fil, line, msg = single_error(child)
    assert (fil, line) == ("lovkorning.yaml", 1)
    assert "kan inte läsas" in msg and "base.yaml" in msg


def test_check_config_of_a_folder_exits_1_in_swedish(tmp_path):
    from support.cli import cli
    child = write(tmp_path, "extends: /tmp\n")
    for target in (child, tmp_path):
        r = cli("check-config", str(target))
        assert r.returncode == 1 and "kan inte läsas" in r.stderr, r.stderr
        assert "Traceback" not in r.stderr and "Internt fel" not in r.stderr


# ---------------------------------------------------------------- 8. insatser both unpaid and paid

def test_an_insats_both_unpaid_and_paid_is_rejected_at_the_none_rule(tmp_path):
    text = edited('insatser: ["Natthjälp", "Tillsyn (digital)"], basis: none',
                  'insatser: ["Natthjälp", "RAM-tid"], basis: none')
    msg = error_at(tmp_path, text, "basis: none")
    assert "'RAM-tid'" in msg and "Ramtid" in msg


# ---------------------------------------------------------------- 9. closed lists: roll and regi

def test_an_unknown_role_in_a_rule_is_rejected(tmp_path):
    text = edited("cap: order, rate: timpris}", "cap: order, rate: timpris, roller: [usk, sjukskotersk]}")
    msg = error_at(tmp_path, text, "sjukskotersk")
    assert "'sjukskotersk'" in msg and "sjukskoterska" in msg


@pytest.mark.parametrize("by,bad,good", [("regi", "privta", "egen"), ("roll", "Usk", "sjukskoterska")])
def test_an_unknown_regi_or_roll_in_a_rate_table_is_rejected(tmp_path, by, bad, good):
    text = edited("timpris: {2023-01-01: 452.00, 2023-10-01: 468.00}",
                  f"timpris: {{2023-01-01: 452.00, 2023-10-01: 468.00}}\n  extra:\n    by: [{by}]\n    values:\n"
                  f"      {good}: {{2023-01-01: 1}}\n      {bad}: {{2023-01-01: 2}}")
    msg = error_at(tmp_path, text, f"{bad}:")
    assert f"'{bad}'" in msg and by in msg


# ---------------------------------------------------------------- YAML syntax, said in Swedish

@pytest.mark.parametrize("text,line,said", [
    ("version: 1\n\tfoo: 1\n", 2, "tabbtecken"),
    ("version: 1\nkommun: a: b\n", 2, "kolon på fel ställe"),
    ("version: 1\nkommun: {namn: x\n", 3, "'}'"),
    ("version: 1\nrules: [a, b\n", 3, "']'"),
    ('version: 1\nkommun:\n  namn: "x\n', 4, "citattecken"),
])
def test_yaml_syntax_errors_are_said_in_swedish_at_their_line(tmp_path, text, line, said):
    fil, at, msg = single_error(write(tmp_path, text))
    assert at == line and said in msg and msg.startswith("ogiltig YAML: ")
    assert not any(w in msg for w in ("found", "expected", "mapping", "token", "stream"))
