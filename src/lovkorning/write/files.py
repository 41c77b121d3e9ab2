"""Small output files: avvikelser.csv, the payment file, manifest.json. Owner-only permissions."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import polars as pl

from ..settle.result import Avrakning

AVVIKELSER_HEADER = ["kod", "allvarlighet", "utforare_id", "brukare_id", "fil", "rad", "kolumn", "meddelande"]


def private_file(path: Path, data: bytes | memoryview) -> None:
    """Write bytes readable by the owner only."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    os.chmod(path, 0o600)


def hashed_file(path: Path, data: bytes | memoryview) -> str:
    """private_file, and the SHA-256 (hex) of what it wrote, for the manifest: the file need not
    be read back to be hashed."""
    private_file(path, data)
    return hashlib.sha256(data).hexdigest()


def file_stem(utforare_id: str) -> str:
    """An utförare's id names its files (avrakning/, besok/, avvikelser/): it must not reach outside
    the output folder."""
    if not utforare_id or utforare_id.startswith(".") or any(c in utforare_id for c in "/\\:"):
        raise ValueError(f"Utförare-id {utforare_id!r} kan inte användas som filnamn.")
    return utforare_id


def by_utforare(df: pl.DataFrame) -> dict[str, pl.DataFrame]:
    """The rows of each utförare, partitioned once."""
    if df.is_empty():
        return {}
    return {key[0]: part for key, part in df.partition_by("utforare_id", as_dict=True).items()}


def avvikelser_csv(df: pl.DataFrame) -> bytes:
    """UTF-8 with BOM and ';' so Swedish Excel opens it as it is."""
    body = df.select(AVVIKELSER_HEADER).write_csv(separator=";", quote_style="necessary")
    return b"\xef\xbb\xbf" + body.encode("utf-8")


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


CONFIG_SHA256_OF = "the bytes of config.files, in that order, joined by one NUL byte (0x00)"


def config_files(cfg) -> list[dict]:
    """The config files that make up a LoadedConfig, base first, each with the sha256 of the bytes
    the loader read (`cfg.sha256` is over those bytes joined by NUL: CONFIG_SHA256_OF)."""
    return [{"path": str(p), "sha256": h} for p, h in cfg.files]


def manifest(avr: Avrakning, config_sha: str, config_path: Path, inputs: list, outputs: dict[str, str],
             payment: dict | None, reconciliation: dict, config_chain: list[dict] | None = None,
             schablon_veckor: dict | None = None) -> bytes:
    """manifest.json. `config_chain` (config_files): the config files behind `config_sha`;
    `schablon_veckor` (write.month.week_record): the weekly schablon caps carried between months."""
    config = {"path": config_path.name, "sha256": config_sha}
    if config_chain:
        config |= {"sha256_of": CONFIG_SHA256_OF, "files": config_chain}
    uts = {r["utforare_id"]: r for r in avr.utforare.iter_rows(named=True)}
    doc = {
        "tool": "lovkorning",
        "version": avr.run.version,
        "month": avr.period.label,
        "run_id": avr.run.run_id,
        "status": avr.run.status,
        "config": config,
        "run_day": avr.run.korningsdag.isoformat(),
        "payment_date": avr.run.betalningsdag.isoformat(),
        "file_date": avr.run.filedatum.isoformat(),
        "inputs": [{"name": s.name, "file": s.path.name, "sha256": s.sha256, "rows": s.rows} for s in inputs],
        "outputs": [{"file": k, "sha256": v} for k, v in sorted(outputs.items())],
        "totals": {u: {"ore": o, "namn": uts[u]["namn"], "regi": uts[u]["regi"]} for u, o in sorted(avr.totals.items())},
        "total_ore": sum(avr.totals.values()),
        "payment": payment,
        "avvikelser": dict(sorted(avr.avvikelser.group_by("kod").len().iter_rows())) if avr.avvikelser.height else {},
        "reconciliation": reconciliation,
    }
    if schablon_veckor is not None:
        doc["schablon_veckor"] = schablon_veckor
    return (json.dumps(doc, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
