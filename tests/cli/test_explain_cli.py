"""`lovkorning explain` as a user runs it (contract §3, §5): JSON with exactly the contract's keys,
the same total as the run's manifest, no personnummer on the terminal (full ones only in --out),
clear Swedish messages and exit 2 for what the user got wrong, and nothing written."""

import json
import stat
from datetime import date
from pathlib import Path

import polars as pl
import pytest

from lovkorning.config.loaded import load
from lovkorning.core.period import Period
from lovkorning.settle.month import settle_month
from support.cli import PNR, REPO, cli
from support.explaincheck import explain_all

LINE_KEYS = {"regel", "insats", "brukare_id", "bestallning_id", "grund", "fran", "till", "sekunder", "antal",
             "sats_ore", "ore", "tillagg_ore", "rader"}


def config_in(tmp_path: Path) -> Path:
    cfg = tmp_path / "lovkorning.yaml"
    cfg.write_text(f"version: 1\nextends: {REPO / 'lovkorning.yaml'}\noutput: {{dir: \"{tmp_path}/out/{{month}}\"}}\n"
                   f"state: {{dir: {tmp_path / 'state'}}}\n", encoding="utf-8")
    return cfg


@pytest.fixture(scope="module")
def paid(tmp_path_factory):
    """The sample month run and paid, in a folder of its own."""
    tmp = tmp_path_factory.mktemp("explain")
    cfg = config_in(tmp)
    r = cli("run", "2023-09", "--config", str(cfg), "--datum", "2023-10-09", "--final")
    assert r.returncode == 0, r.stderr
    return tmp, cfg, json.loads((tmp / "out/2023-09/manifest.json").read_text(encoding="utf-8"))


def _files(folder: Path) -> dict[str, float]:
    return {str(p): p.stat().st_mtime for p in sorted(folder.rglob("*"))}


def test_json_has_the_contracts_keys_and_the_manifests_total(paid):
    tmp, cfg, manifest = paid
    before = _files(tmp)
    for uid, t in manifest["totals"].items():
        r = cli("explain", "2023-09", "--utforare", uid, "--format", "json", "--config", str(cfg))
        assert r.returncode == 0, r.stderr
        doc = json.loads(r.stdout)
        assert list(doc) == ["month", "utforare_id", "total_ore", "lines", "justeringar", "ej_ersatt"]
        assert doc["total_ore"] == t["ore"] == (sum(x["ore"] + x["tillagg_ore"] for x in doc["lines"])
                                                 + sum(j["ore"] for j in doc["justeringar"]))
        assert all(set(x) == LINE_KEYS and x["rader"] for x in doc["lines"])
        assert all(set(x) == {"fil", "rad", "koder"} for x in doc["ej_ersatt"])
        assert all(set(j) == {"namn", "ore"} for j in doc["justeringar"])
        assert not PNR.search(r.stdout + r.stderr)
        assert "är betald" in r.stderr and "oförändrade" in r.stderr
    assert _files(tmp) == before                       # explain writes nothing


def test_the_table_has_the_total_first_and_no_personnummer(paid):
    _, cfg, manifest = paid
    r = cli("explain", "2023-09", "--utforare", "U03", "--config", str(cfg))
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0].startswith("Förklaring: U03 Hemtjänst Öst AB") and "919 023,64 kr" in lines[1]
    assert "bestallningar.csv:" in r.stdout and "Rader som inte ersätts" in r.stdout
    assert "taggningar.csv:15859  avvisad: ogiltigt-personnummer" in r.stdout
    assert not PNR.search(r.stdout + r.stderr) and "-****" in r.stdout


def test_brukare_and_out_file_with_full_personnummer(paid, tmp_path):
    tmp, cfg, _ = paid
    r = cli("explain", "2023-09", "--utforare", "U03", "--format", "json", "--config", str(cfg),
            "--out", str(tmp_path / "u03.json"))
    assert r.returncode == 0 and r.stdout.startswith("Skrev ") and not PNR.search(r.stdout + r.stderr)
    full = json.loads((tmp_path / "u03.json").read_text(encoding="utf-8"))
    assert stat.S_IMODE((tmp_path / "u03.json").stat().st_mode) == 0o600
    pnr = full["lines"][0]["brukare_id"]
    assert len(pnr) == 12 and pnr.isdigit()
    r = cli("explain", "2023-09", "--utforare", "U03", "--brukare", f"{pnr[:8]}-{pnr[8:]}", "--format", "json",
            "--config", str(cfg))
    one = json.loads(r.stdout)
    assert list(one)[:4] == ["month", "utforare_id", "total_ore", "brukare_ore"]
    assert {x["brukare_id"] for x in one["lines"]} == {f"{pnr[:8]}-****"}
    assert one["brukare_ore"] == sum(x["ore"] + x["tillagg_ore"] for x in one["lines"]) > 0
    assert one["total_ore"] == full["total_ore"]
    r = cli("explain", "2023-09", "--utforare", "U03", "--brukare", pnr, "--config", str(cfg), "--out",
            str(tmp_path / "b.txt"))
    assert r.returncode == 0 and not PNR.search(r.stdout) and pnr[:8] in (tmp_path / "b.txt").read_text()


def test_rows_in_one_call(paid):
    _, cfg, _ = paid
    r = cli("explain", "2023-09", "--rad", "taggningar.csv:15859", "--rad", "bestallningar.csv:326", "--format", "json",
            "--config", str(cfg))
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert [(x["status"], x["koder"]) for x in doc["rader"]] == [("avvisad", ["ogiltigt-personnummer"]), ("ersatt", [])]
    t = cli("explain", "2023-09", "--rad", "taggningar.csv:15859", "--config", str(cfg))
    assert "avvisad" in t.stdout and "brukare_id" in t.stdout and not PNR.search(t.stdout)


@pytest.mark.parametrize("args,message", [
    (["--utforare", "U99"], "Utföraren 'U99' finns inte i utförarregistret"),
    (["--rad", "taggningar.csv:999999"], "filen har ingen rad 999999; sista raden är 45814"),
    (["--rad", "taggningar.csv:1"], "är rubrikraden"),
    (["--rad", "overtid.csv:2"], "'overtid.csv' är ingen av månadens indatafiler"),
    (["--rad", "taggningar.csv"], "ange FIL:RAD"),
    (["--rad", "taggningar.csv:21656", "--utforare", "U03"], "hör till utföraren U01, inte till U03"),
    (["--brukare", "19400101-1230"], "gäller bara med --utforare"),
    ([], "ange --utforare ID, eller --rad FIL:RAD"),
])
def test_wrong_usage_is_named_in_swedish_exit_2(paid, args, message):
    _, cfg, _ = paid
    r = cli("explain", "2023-09", *args, "--config", str(cfg))
    assert r.returncode == 2, (r.returncode, r.stderr)
    assert message in r.stderr and "Traceback" not in r.stderr and not PNR.search(r.stderr)


def test_a_month_without_inputs_stops_with_exit_1(paid):
    _, cfg, _ = paid
    r = cli("explain", "2031-01", "--utforare", "U01", "--config", str(cfg))
    assert r.returncode == 1 and "Inga indata för 2031-01" in r.stderr and "Traceback" not in r.stderr


def test_every_tag_row_has_one_status_agreeing_with_the_runs_files(paid):
    """The statuses against what `run` wrote: avvikelser.csv (a `fel` row is avvisad, and only
    those; every finding is among its row's codes) and besok/*.csv (raknas=nej: ej_ersatt)."""
    tmp, cfg_path, _ = paid
    cfg = load(cfg_path)
    _, st = explain_all(cfg, settle_month(cfg, Period(2023, 9), date(2023, 10, 9)))
    out = tmp / "out/2023-09"
    tags = st.filter(pl.col("fil") == "taggningar.csv")
    assert tags.height == 45_813 and tags["rad"].n_unique() == 45_813
    visits = pl.concat([pl.read_csv(f, separator=";", infer_schema=False) for f in sorted((out / "besok").glob("*.csv"))])
    for raknas, allowed in (("nej", {"ej_ersatt"}), ("ja", {"ersatt", "underlag", "ej_ersatt"})):
        v = visits.filter(pl.col("raknas") == raknas)
        rows = [int(x) for x in v["in_rad"].to_list() + v["ut_rad"].to_list()]
        assert set(tags.filter(pl.col("rad").is_in(rows))["status"].unique().to_list()) <= allowed
    found = pl.read_csv(out / "avvikelser.csv", separator=";", infer_schema=False).filter(pl.col("rad").is_not_null())
    fel = {(f, int(r)) for f, r in found.filter(pl.col("allvarlighet") == "fel").select("fil", "rad").iter_rows()}
    assert {(f, r) for f, r in st.filter(pl.col("status") == "avvisad").select("fil", "rad").iter_rows()} == fel
    codes = {(f, r): set(k) for f, r, k in st.select("fil", "rad", "koder").iter_rows()}
    assert all(k in codes[(f, int(r))] for k, f, r in found.select("kod", "fil", "rad").iter_rows())
