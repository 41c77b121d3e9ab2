"""payment_format: pain.001 through a whole run: the file validates against the XSD and reconciles;
a correction's credit cannot go in an ISO file and is reported instead."""

import json
from pathlib import Path

import pytest
from lxml import etree

from lovkorning.pay.pain001 import parse_pain001_totals
from support.cli import cli
from test_kill import only_the_published_version_has_files_to_send
from test_ledger import HOUR, month

XSD = Path(__file__).resolve().parents[2].parent / "shared" / "xsd" / "pain.001.001.03.xsd"


@pytest.mark.skipif(not XSD.exists(), reason="../shared/xsd is not beside the repo")
def test_pain001_run_validates_and_reconciles(tmp_path):
    cfg = month().write(tmp_path, config_extra="payment_format: pain.001\n")
    r = cli("run", "2023-09", "--config", str(cfg), "--datum", "2023-10-09")
    assert r.returncode == 0, r.stderr
    out = tmp_path / "out/2023-09"
    data = (out / "betalning/lov-2023-09.xml").read_bytes()
    etree.XMLSchema(etree.parse(str(XSD))).assertValid(etree.fromstring(data))
    assert parse_pain001_totals(data) == (2, 15 * HOUR)
    assert "Omsorg Öst AB" in data.decode("utf-8")
    man = json.loads((out / "manifest.json").read_text())
    assert man["payment"]["format"] == "pain.001" and man["reconciliation"]["ok"]

    month(ram_a="660", ram_b="240").write(tmp_path, config_extra="payment_format: pain.001\n")
    r = cli("run", "2023-09", "--config", str(cfg), "--datum", "2023-10-21", "--rattelse")    # a Saturday
    assert r.returncode == 0, r.stderr
    data = (out / "betalning/lov-2023-09-rattelse-1.xml").read_bytes()
    assert parse_pain001_totals(data) == (1, HOUR)           # U01's extra hour
    assert b"<ReqdExctnDt>2023-10-23</ReqdExctnDt>" in data   # the Monday after, never a weekend day
    man = json.loads((out / "manifest.json").read_text())
    assert man["reconciliation"]["remaining_credits_ore"] == {"12345674": HOUR}   # U02's credit, reported
    ledger = __import__("sqlite3").connect(tmp_path / "state/ledger.sqlite")
    paid = dict(ledger.execute("SELECT utforare_id, SUM(ore) FROM payments GROUP BY utforare_id").fetchall())
    assert paid == {"U01": 11 * HOUR, "U02": 5 * HOUR}      # the credit was not made, so it is not recorded
    assert "skyldiga kommunen" in r.stdout
    # one file to send, in the published version; the first one is kept as history (issue 19)
    assert only_the_published_version_has_files_to_send(tmp_path) == ["lov-2023-09-rattelse-1.xml"]
    assert (out / "betalning/lov-2023-09.xml.historik").is_file()
