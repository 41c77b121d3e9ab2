"""What every synthetic month stands on: the identities (Luhn-checked personnummer, orgnr and
bankgiro), the rows every model's files get that the reader rejects, local times and daylight
saving, writing a CSV file like a Swedish export, and progress reporting; and the Norrköping
month's world (insatser, planted counts, `World` with its brukare and their dates, the visit modes
the planter sets) that `planter`, `orders`, `streams`, `exports`, `followup` and `norrkoping` share.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import polars as pl
from stdnum import luhn

from ..core.period import Period

ZONE = ZoneInfo("Europe/Stockholm")
NULL = -(10**7)  # "no date" in integer day columns
Progress = Callable[[str, float], None]  # (description, share done 0..1) while a month is generated


def no_progress(description: str, done: float) -> None:
    """Report nowhere: the default when nobody shows the generation's progress."""


# ---------------------------------------------------------------- the Norrköping month's catalogue

RAMTID_INSATSER = (
    "Morgonhjälp", "Bad/dusch", "Förmiddagshjälp", "Lunchhjälp", "Eftermiddagshjälp",
    "Kvällshjälp 1", "Kvällshjälp 2", "Städning", "Tvätt", "Promenad", "Telefonservice", "Inköp",
    "Inköp sammanboende", "Inköp service", "Internethandel", "Social tid, träning", "Ärenden",
    "Övrigt",
)
ORDER_INSATSER = ("RAM-tid", "Avlösning", "Ledsagning", "Egenvård", "Vak", "Matdistribution",
                  "Natthjälp", "Tillsyn (digital)")
INSATSER = ORDER_INSATSER + RAMTID_INSATSER
INS = {name: i for i, name in enumerate(INSATSER)}
PER = ("dag", "vecka", "manad")
EGEN = 0  # index of the egen regi utförare (U01)

COMPANY_NAMES = (
    "Omsorgshuset i Norrköping AB", "Hemtjänst Öst AB", "Vårdgården Söderköpingsvägen AB",
    "Trygga Händer i Östergötland AB", "Äldreomsorg Hageby AB", "Hjärtats Hemtjänst AB",
    "Solrosen Omsorg i Kolmården AB", "Ängsbacken Hemtjänst AB",
)
NAME_PREFIXES = ("Omsorgshuset", "Hemtjänst", "Vårdkraft", "Trygg Omsorg", "Närvård",
                 "Åldersro Omsorg", "Gläntan Hemtjänst", "Ängsbacken Omsorg", "Solrosen Hemtjänst",
                 "Hjärtats Omsorg")
NAME_PLACES = ("Norrköping", "Öst", "Väst", "Söder", "Norr", "Kneippen", "Hageby", "Navestad",
               "Skärblacka", "Åby", "Kolmården", "Smedby", "Klockaretorpet", "Marielund", "Ljura",
               "Vilbergen", "Eneby", "Lindö", "Östra Husby", "Kvillinge")

# planted cases: how many of each (independent of the size of the month)
PLANT = {
    "dubbel-handelse": 4, "saknar-utcheckning": 3, "saknar-incheckning": 3, "ut-fore-in": 2,
    "kort-besok": 3, "langt-besok": 2, "saknar-tagg": 4, "korrigerad-manuell": 3,
    "besok-utan-bestallning": 3, "besok-under-uppehall": 3, "avbojt-besok": 5,
    "besok-fore-manaden": 2, "plan-fore-manaden": 3, "bestallning-fore-manaden": 2,
    "ej-verkstalld-ny-brukare": 2, "ej-verkstalld-tillagg": 2, "genomforandeplan-redan-ersatt": 2,
    "besok-utan-insats": 2,
}
# rows every model's files get that the run rejects or flags (plant_file_errors, in every model)
FILE_ERRORS = {"dubbel-rad": 1, "ogiltigt-tal": 1, "ogiltigt-datum": 1}

MODE_PAIR, MODE_ONLY_UT, MODE_ONLY_IN, MODE_SWAPPED, MODE_AVBOJT = range(5)  # how a visit is tagged


# ---------------------------------------------------------------- identities

def n_utforare(n_brukare: int) -> int:
    """Utförare for a month of this size (8 / 25 / 120 at 600 / 3 000 / 20 000 brukare)."""
    return max(6, round(0.0573 * n_brukare**0.772))


def _digits(rng: np.random.Generator, n: int) -> str:
    return "".join(str(d) for d in rng.integers(0, 10, n))


def _with_luhn(payload: str) -> str:
    return payload + luhn.calc_check_digit(payload)


def orgnr(rng: np.random.Generator, prefix: str) -> str:
    n = _with_luhn(prefix + _digits(rng, 9 - len(prefix)))
    return f"{n[:6]}-{n[6:]}"


def bankgiro(rng: np.random.Generator) -> str:
    length = int(rng.choice([7, 8]))
    n = _with_luhn(str(rng.integers(1, 10)) + _digits(rng, length - 2))
    return f"{n[:-4]}-{n[-4:]}"


def _company_names(n: int) -> list[str]:
    combos = [f"{p} {q} AB" for q in NAME_PLACES for p in NAME_PREFIXES]
    names = list(dict.fromkeys(COMPANY_NAMES + tuple(combos)))
    names += [f"Hemtjänst {NAME_PLACES[i % len(NAME_PLACES)]} {i} AB" for i in range(n)]
    return names[:n]


def make_utforare(rng: np.random.Generator, n: int) -> pl.DataFrame:
    """The register: U01 is the municipality's own unit, the rest private companies."""
    width = max(2, len(str(n)))
    private = n - 1
    flagged = set(rng.choice(private, max(1, round(0.15 * private)), replace=False).tolist())
    bankgiros: list[str] = []
    while len(bankgiros) < private:
        bg = bankgiro(rng)
        if bg not in bankgiros and bg.replace("-", "") != "9912346":
            bankgiros.append(bg)
    rows = [("Norrköpings kommun hemtjänst", "egen", orgnr(rng, "2120"), None, None)]
    for i, name in enumerate(_company_names(private)):
        rows.append((name, "privat", orgnr(rng, "556"), bankgiros[i],
                     "saknar_heltid" if i in flagged else None))
    return pl.DataFrame(
        {"utforare_id": [f"U{i + 1:0{width}d}" for i in range(n)],
         "namn": [r[0] for r in rows], "regi": [r[1] for r in rows],
         "orgnr": [r[2] for r in rows], "bankgiro": [r[3] for r in rows],
         "flaggor": [r[4] for r in rows]},
        schema={c: pl.String for c in ("utforare_id", "namn", "regi", "orgnr", "bankgiro", "flaggor")},
    )


def make_personnummer(rng: np.random.Generator, n: int) -> list[str]:
    """Unique checksum-valid personnummer `YYYYMMDD-NNNN`, born 1925–1960; a few samordningsnummer."""
    m = n + n // 10 + 10
    span = (date(1960, 12, 31) - date(1925, 1, 1)).days + 1
    born = (np.datetime64("1925-01-01") + rng.integers(0, span, m)).astype(str)
    serial = rng.integers(2, 999, m)
    samord = rng.random(m) < 0.015
    samord[:3] = True
    out = []
    for b, s, sam in zip(born.tolist(), serial.tolist(), samord.tolist()):
        yyyy, mm, dd = b[:4], b[5:7], int(b[8:]) + 60 * sam
        payload = f"{yyyy[2:]}{mm}{dd:02d}{s:03d}"
        out.append(f"{yyyy}{mm}{dd:02d}-{s:03d}{luhn.calc_check_digit(payload)}")
    unique = list(dict.fromkeys(out))
    return unique[:n]


def invalid_personnummer(valid: str) -> str:
    """The same number with a wrong check digit."""
    return valid[:-1] + str((int(valid[-1]) + 1) % 10)


# ---------------------------------------------------------------- the month's world

@dataclass
class World:
    period: Period
    n: int
    utforare: pl.DataFrame
    pnr: list[str]
    utf: np.ndarray  # brukare -> utförare index
    landsbygd: np.ndarray
    kind: np.ndarray  # 0 existing, 1 new, 2 new but not verkställd, 3 ending in the month
    start: np.ndarray  # first order day (day index from the 1st; negative = before the month)
    verk: np.ndarray
    till: np.ndarray  # NULL: open-ended
    upp: np.ndarray | None = None  # bool [brukare, day + 1] for day -1 .. last (make_uppehall)
    special: np.ndarray | None = None  # bool [brukare]: planted off their beviljad tid (follow-up)

    @property
    def days(self) -> int:
        return self.period.days

    @property
    def weekday0(self) -> int:
        return self.period.start.weekday()


def make_world(rng_base: np.random.Generator, rng: np.random.Generator, period: Period,
               n: int) -> World:
    """Brukare with their utförare and zon (stable per seed), and this month's start/end dates."""
    utforare = make_utforare(rng_base, n_utforare(n))
    pnr = make_personnummer(rng_base, n)
    k = utforare.height
    weights = np.concatenate([[0.35 / 0.65 * (1 / np.arange(1, k) ** 0.6).sum()],
                              1 / np.arange(1, k) ** 0.6])
    utf = rng_base.choice(k, n, p=weights / weights.sum())
    landsbygd = rng_base.random(n) < 0.15
    kind = np.zeros(n, np.int64)
    order = rng.permutation(n)
    n_new, n_end = max(4, round(0.05 * n)), max(2, round(0.03 * n))
    kind[order[:n_new]] = 1
    n_unverk = PLANT["ej-verkstalld-ny-brukare"]
    kind[order[n_new:n_new + n_unverk]] = 2
    kind[order[n_new + n_unverk:n_new + n_unverk + n_end]] = 3
    start = -rng.integers(30, 2500, n)
    start[kind == 1] = rng.integers(1, 20, n_new)
    start[order[:2]] = rng.integers(1, 6, 2)  # room for two plans in the month
    start[kind == 2] = rng.integers(3, 20, n_unverk)
    verk = start + rng.integers(0, 6, n)
    verk[kind == 1] = start[kind == 1] + rng.choice([0, 0, 1, 2, 3], n_new)
    verk[kind == 2] = NULL
    till = np.where(rng.random(n) < 0.15, period.days + rng.integers(30, 365, n), NULL)
    till[kind != 0] = NULL
    till[kind == 3] = rng.integers(5, period.days - 5, n_end)
    return World(period, n, utforare, pnr, utf, landsbygd, kind, start, verk, till)


def make_uppehall(rng: np.random.Generator, w: World) -> pl.DataFrame:
    """~5 % of the existing brukare pause a few days inside the month; fills `w.upp`."""
    candidates = np.flatnonzero((w.kind == 0) & (w.till == NULL) & ~special_mask(w))
    who = np.sort(rng.choice(candidates, max(3, round(0.05 * w.n)), replace=False))
    length = rng.integers(2, 11, who.size)
    fran = rng.integers(0, w.days - length + 1)
    till = fran + length - 1
    w.upp = np.zeros((w.n, w.days + 1), bool)
    for b, f, t in zip(who, fran, till):  # one row per paused brukare
        w.upp[b, f + 1:t + 2] = True
    orsak = rng.choice(["sjukhus", "korttidsboende", "avbojt"], who.size, p=[0.6, 0.25, 0.15])
    return pl.DataFrame({"b": who, "fran": fran, "till": till, "orsak": orsak})


def special_mask(w: World) -> np.ndarray:
    """Brukare planted off their beviljad tid (follow-up); none before followup.fix_world."""
    return np.zeros(w.n, bool) if w.special is None else w.special


# ---------------------------------------------------------------- files and times

def write_csv(df: pl.DataFrame, path: Path) -> int:
    """Write `df` like a Swedish export (UTF-8 with BOM, `;`); returns its number of rows."""
    path.parent.mkdir(parents=True, exist_ok=True)
    df.write_csv(path, separator=";", include_bom=True)
    return df.height


def local_time(start: datetime, seconds: int) -> str:
    """`seconds` after `start` as a local time `YYYY-MM-DD HH:MM:SS`."""
    return (start + timedelta(seconds=seconds)).strftime("%Y-%m-%d %H:%M:%S")


def dst_time(period: Period) -> str | None:
    """A local time of the month that does not exist or occurs twice (02:30 on the day of a
    daylight-saving change), or None when the month has no change."""
    for d in range(period.days):
        t = datetime.combine(period.start + timedelta(days=d), datetime.min.time()) + timedelta(hours=2, minutes=30)
        if t.replace(tzinfo=ZONE, fold=0).utcoffset() != t.replace(tzinfo=ZONE, fold=1).utcoffset():
            return t.strftime("%Y-%m-%d %H:%M:%S")
    return None


def plant_file_errors(rng: np.random.Generator, period: Period, orders: pl.DataFrame,
                      upp: pl.DataFrame, pnr: str) -> tuple[pl.DataFrame, pl.DataFrame, dict]:
    """Rows the reader rejects, appended to the order and uppehåll frames (all columns strings or
    as written): an order line repeated as is (dubbel-rad), an order line with minuter '12,5x'
    (ogiltigt-tal), an uppehåll of brukare `pnr` ending on {year}-02-30 (ogiltigt-datum)."""
    orders = orders.with_columns(pl.col("bestallning_id").cast(pl.String))
    i, j = (int(x) for x in rng.choice(orders.height, 2, replace=False))
    ids = orders["bestallning_id"]
    new_id = "B" + str(orders.height + 1).zfill(len(ids[0]) - 1)
    dup = orders.slice(i, 1)
    bad = orders.slice(j, 1).with_columns(pl.lit(new_id).alias("bestallning_id"),
                                          pl.lit("12,5x").alias("minuter"))
    orders = pl.concat([orders, dup, bad.cast(orders.schema)])
    till = f"{period.year}-02-30"
    row = pl.DataFrame({"brukare_id": [pnr], "fran": [str(period.start)], "till": [till],
                        "orsak": ["sjukhus"], "utforare_id": [None]}, schema=upp.schema)
    upp = pl.concat([upp, row])
    details = {"dubbel-rad": [{"bestallning_id": ids[i]}],
               "ogiltigt-tal": [{"bestallning_id": new_id, "minuter": "12,5x"}],
               "ogiltigt-datum": [{"brukare_id": pnr, "till": till}]}
    return orders, upp, details
