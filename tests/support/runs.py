"""What a run left on disk: the files of a version folder and their digests, the kind of run the
published folder shows, and what the ledger says was paid."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from pathlib import Path


def digests(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def consistent(out) -> str:
    """'none', or the kind of the complete run the output folder shows; fails if it is partial."""
    if not out.exists():
        return "none"
    man = json.loads((out / "manifest.json").read_text())
    listed = {o["file"]: o["sha256"] for o in man["outputs"]}
    present = {k: v for k, v in digests(out).items() if k != "manifest.json"}
    assert present == listed, "files on disk differ from the manifest"
    if man["payment"] is not None:
        assert man["payment"]["file"] in present
    return man["status"]


def net_paid(tmp_path) -> dict[str, int]:
    db = sqlite3.connect(tmp_path / "state/ledger.sqlite")
    rows = db.execute("SELECT p.utforare_id, SUM(p.ore) FROM payments p JOIN runs r ON r.id = p.run "
                      "WHERE r.state = 'klar' GROUP BY p.utforare_id").fetchall()
    return dict(rows)
