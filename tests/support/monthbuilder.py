"""Build a month of input files from readable rows, for tests that read like the seeds' examples."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

# Synthetic, checksum-valid identities (never real people).
BRUKARE_A = "19400101-1230"   # Luhn-valid, synthetic
BRUKARE_B = "19350612-4563"
BRUKARE_C = "19281224-7894"
BRUKARE_D = "19450830-3213"
KOMMUN_BG = "991-2346"
BG_1 = "123-4566"
BG_2 = "1234-5674"

COLUMNS = {
    "utforare": ["utforare_id", "namn", "regi", "orgnr", "bankgiro", "flaggor"],
    "bestallningar": ["bestallning_id", "brukare_id", "utforare_id", "insats", "minuter", "per", "giltig_fran",
                      "giltig_till", "verkstalld_fran", "antal", "zon", "dubbelbemanning"],
    "uppehall": ["brukare_id", "fran", "till", "orsak", "utforare_id"],
    "taggningar": ["handelse_id", "brukare_id", "utforare_id", "personal_id", "tidpunkt", "typ", "metod",
                   "insatser", "roll", "korrigerad"],
    "genomforandeplaner": ["brukare_id", "utforare_id", "godkand"],
    "overtid": ["brukare_id", "utforare_id", "minuter"],
}


@dataclass
class Month:
    month: str = "2023-09"
    rows: dict[str, list[dict]] = field(default_factory=lambda: {k: [] for k in COLUMNS})
    _event: int = 0

    def utforare(self, uid: str, namn: str, regi: str = "privat", bankgiro: str = BG_1, flaggor: str = "") -> "Month":
        self.rows["utforare"].append(dict(utforare_id=uid, namn=namn, regi=regi, orgnr="",
                                          bankgiro=bankgiro if regi == "privat" else "", flaggor=flaggor))
        return self

    def order(self, bid: str, brukare: str, uid: str, insats: str, minuter: str, per: str = "manad",
              fran: str = "2023-08-01", till: str = "", verkstalld: str | None = None, zon: str = "tätort",
              antal: str = "", dubbel: str = "nej") -> "Month":
        self.rows["bestallningar"].append(dict(
            bestallning_id=bid, brukare_id=brukare, utforare_id=uid, insats=insats, minuter=minuter, per=per,
            giltig_fran=fran, giltig_till=till, verkstalld_fran=fran if verkstalld is None else verkstalld,
            antal=antal, zon=zon, dubbelbemanning=dubbel))
        return self

    def event(self, brukare: str, uid: str, staff: str, when: str, typ: str, metod: str = "tagg",
              insatser: str = "", roll: str = "usk", korrigerad: str = "nej", hid: str | None = None) -> "Month":
        self._event += 1
        self.rows["taggningar"].append(dict(
            handelse_id=hid or f"H{self._event:07d}", brukare_id=brukare, utforare_id=uid, personal_id=staff,
            tidpunkt=when, typ=typ, metod=metod, insatser=insatser, roll=roll, korrigerad=korrigerad))
        return self

    def visit(self, brukare: str, uid: str, staff: str, start: str, seconds: int, insatser: str,
              metod_in: str = "tagg", metod_ut: str = "tagg", korrigerad: str = "nej", roll: str = "usk") -> "Month":
        t0 = datetime.fromisoformat(start)
        t1 = t0 + timedelta(seconds=seconds)
        self.event(brukare, uid, staff, t0.strftime("%Y-%m-%d %H:%M:%S"), "in", metod_in, "", roll, korrigerad)
        return self.event(brukare, uid, staff, t1.strftime("%Y-%m-%d %H:%M:%S"), "ut", metod_ut, insatser, roll, korrigerad)

    def pause(self, brukare: str, fran: str, till: str, orsak: str = "sjukhus", uid: str = "") -> "Month":
        self.rows["uppehall"].append(dict(brukare_id=brukare, fran=fran, till=till, orsak=orsak, utforare_id=uid))
        return self

    def plan(self, brukare: str, uid: str, godkand: str) -> "Month":
        self.rows["genomforandeplaner"].append(dict(brukare_id=brukare, utforare_id=uid, godkand=godkand))
        return self

    def files(self, root: Path) -> list[tuple[str, Path, list[dict]]]:
        """(name, path, rows) of each file the month writes: the register beside the month's
        folder; optional files only when they have rows."""
        out = []
        for name, rows in self.rows.items():
            if name == "utforare":
                out.append((name, root / "data" / "utforare.csv", rows))
            elif rows or name in ("bestallningar", "taggningar"):
                out.append((name, root / "data" / self.month / f"{name}.csv", rows))
        return out

    def write(self, root: Path, sep: str = ";", encoding: str = "utf-8-sig", config_extra: str = "") -> Path:
        """Write the files and a config; return the config path."""
        (root / "data" / self.month).mkdir(parents=True, exist_ok=True)
        for name, path, rows in self.files(root):
            lines = [sep.join(COLUMNS[name])] + [sep.join(str(r[c]) for c in COLUMNS[name]) for r in rows]
            path.write_text("\n".join(lines) + "\n", encoding=encoding)
        cfg = root / "lovkorning.yaml"
        cfg.write_text(NORRKOPING_TEST_CONFIG + config_extra, encoding="utf-8")
        return cfg


NORRKOPING_TEST_CONFIG = """\
version: 1
kommun: {namn: Norrköpings kommun, bankgiro: "991-2346"}
inputs:
  dir: "data/{month}"
  utforare: data/utforare.csv
output:
  dir: "out/{month}"
state:
  dir: state
schedule:
  run_workday: 6
  payment: {day: 15, roll: preceding}
visits: {min_minutes: 1, max_minutes: 480, require_tag: one}
rates:
  timpris: {2023-01-01: 452.00, 2023-10-01: 468.00}
rules:
  - {name: Ramtid, insatser: [RAM-tid], basis: beviljad, rate: timpris}
  - {name: Utförd tid upp till beviljad, insatser: [Avlösning, Ledsagning, Egenvård, Vak], basis: utford, cap: order, rate: timpris}
  - {name: Matdistribution, insatser: [Matdistribution], basis: beviljad, rate: timpris}
  - {name: Ingår ej i LOV, insatser: ["Natthjälp", "Tillsyn (digital)"], basis: none}
  - {name: Genomförandeplan, basis: genomforandeplan, hours: 2, rate: timpris}
supplements:
  - {name: Landsbygdstillägg, zon: [landsbygd], percent: 10}
deductions:
  - {name: Avdrag heltid och sammanhållen arbetstid, flagga: saknar_heltid, percent: 2}
"""
