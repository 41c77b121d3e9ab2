"""`lovkorning generate` (issue 6): a month in a folder of its own that `run` settles as it is."""

import json

import pytest

from support.cli import cli


@pytest.mark.parametrize("model", ["norrkoping", "osteraker-insats"])
def test_generate_writes_a_month_that_settles(tmp_path, model):
    d = tmp_path / "m"
    r = cli("generate", "2023-09", "--size", "small", "--model", model, "--seed", "5", "--dir", str(d))
    assert r.returncode == 0, r.stderr
    assert (d / "lovkorning.yaml").exists() and (d / "data/2023-09/taggningar.csv").exists()
    r = cli("run", "2023-09", "--config", str(d / "lovkorning.yaml"), "--datum", "2023-10-09")
    assert r.returncode == 0, r.stderr
    man = json.loads((d / "out/2023-09/manifest.json").read_text())
    facit = json.loads((d / "data/2023-09/facit.json").read_text())
    assert man["reconciliation"]["ok"] and man["avvikelser"] == facit["avvikelser"]


def test_generate_refuses_unknown_size_and_model(tmp_path):
    assert cli("generate", "2023-09", "--size", "huge", "--dir", str(tmp_path / "x")).returncode == 2
    too_few = cli("generate", "2023-09", "--size", "20", "--dir", str(tmp_path / "x"))   # the generator needs 150
    assert too_few.returncode == 2 and "minst 150" in too_few.stderr and not (tmp_path / "x").exists()
    assert cli("generate", "2023-09", "--model", "uppsala", "--dir", str(tmp_path / "x")).returncode == 2
