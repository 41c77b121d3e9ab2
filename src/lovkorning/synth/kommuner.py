"""The parts of a Norrtälje or Österåker month: clock units and windows, the municipalities
(`Kommun`: utförare names and weights, zoner, the payer's bankgiro), the utförare register, and
the month's pieces (`Routine`, `Brukare`, `Order`, `Req`, `Visit`) that `modelmonth.Month` builds.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import polars as pl

from .world import bankgiro, orgnr

DAY = 86_400
MIN = 60
TRAVEL = 5 * MIN          # a staff member's least gap between two brukare
BRUKARE_GAP = 10 * MIN    # least gap between two visits at one brukare
WINDOW = (7 * 3600, 22 * 3600 + 30 * MIN)   # Österåker's paid window, 07:00–22:30
MAX_SEK = 480 * MIN       # visits.max_minutes of the configs


def clock(text: str) -> int:
    """'07:30' -> seconds after midnight."""
    h, m = text.split(":")
    return int(h) * 3600 + int(m) * MIN


# ---------------------------------------------------------------- the municipalities

@dataclass(frozen=True)
class Kommun:
    key: int
    names: tuple[str, ...]
    weights: tuple[float, ...]
    zoner: tuple[tuple[str, float], ...]
    payer_bankgiro: str   # digits; no utförare may have it


KOMMUNER = {
    "norrtalje": Kommun(
        3, ("Roslagens Omsorg AB", "Skärgårdens Hemtjänst i Norrtälje AB", "Rimbo Vård och Omsorg AB",
            "Hallstaviks Hemtjänst AB", "Vårdgruppen Norrtälje Stad AB"),
        (0.30, 0.22, 0.20, 0.16, 0.12), (("tätort", 0.55), ("landsbygd", 0.30), ("skärgård", 0.15)),
        "5500129"),
    "osteraker": Kommun(
        4, ("Åkersberga Hemtjänst AB", "Ljusterö Omsorg AB", "Trygga Hem i Österåker AB",
            "Roslagskustens Vård AB", "Margretelunds Omsorg AB", "Täljö Hemtjänst AB"),
        (0.26, 0.12, 0.20, 0.16, 0.14, 0.12), (("tätort", 0.65), ("landsbygd", 0.25), ("glesbygd", 0.10)),
        "5512348"),
}
KOMMUN_OF = {"norrtalje": "norrtalje", "osteraker": "osteraker", "osteraker-insats": "osteraker"}
MODEL_KEY = {"norrtalje": 3, "osteraker": 4, "osteraker-insats": 5}
ROLES = {"omsorg": (("usk", "vardbitrade"), (0.55, 0.45)),
         "ssk": (("sjukskoterska", "distriktsskoterska"), (0.6, 0.4)),
         "rehab": (("fysioterapeut", "arbetsterapeut"), (0.5, 0.5))}
OMSORG = ("Dusch", "Morgonhjälp", "Kvällshjälp", "Förflyttning", "Toalettbesök", "Måltidsstöd", "Tillsyn")
SERVICE = ("Städning", "Tvätt", "Inköp", "Ärenden")
HSL = ("Ögondroppar", "Läkemedel", "Omläggning", "Stödstrumpor")
SCHABLON = {"Personlig omvårdnad": 30, "Dusch": 45, "Städning": 90, "Tvätt": 60, "Inköp": 60, "Måltid": 20,
            "Tillsyn": 10, "Ledsagning": 60}   # minutes, as in config/osteraker-insats.yaml


def make_register(rng: np.random.Generator, k: Kommun) -> pl.DataFrame:
    """The utförare register: all private, numbered U01 …, none with the payer's bankgiro."""
    bankgiros: list[str] = []
    while len(bankgiros) < len(k.names):
        bg = bankgiro(rng)
        if bg not in bankgiros and bg.replace("-", "") != k.payer_bankgiro:
            bankgiros.append(bg)
    n = len(k.names)
    return pl.DataFrame({
        "utforare_id": [f"U{i + 1:02d}" for i in range(n)], "namn": list(k.names), "regi": ["privat"] * n,
        "orgnr": [orgnr(rng, "556") for _ in range(n)], "bankgiro": bankgiros, "flaggor": [None] * n,
    }, schema={c: pl.String for c in ("utforare_id", "namn", "regi", "orgnr", "bankgiro", "flaggor")})


# ---------------------------------------------------------------- the month's parts

@dataclass
class Routine:
    """A recurring visit: its insatser with granted minutes, when, and what follows it."""
    parts: tuple[tuple[str, float], ...]   # (insats, granted minutes per visit)
    pref: int                              # preferred start, seconds after midnight
    freq: str = "dag"                      # dag | vecka | varannan | manad
    mask: int = 127                        # weekdays (bit 0 = Monday) for vecka and varannan
    parity: int = 0                        # varannan: ISO week parity
    days: frozenset[int] = frozenset()     # manad: day indices of the month
    extra: tuple[tuple[int, str, float], ...] = ()   # (weekday mask, insats, minutes) added those days
    hsl: tuple[tuple[str, float, int], ...] = ()     # delegated HSL registered right after
    kind: str = "bistand"                  # bistand | hsl | larm | hembesok
    pool: str = "omsorg"                   # omsorg | ssk | rehab
    staff: int = 1                         # 2: dubbelbemanning
    spread: int = 15 * MIN                 # jitter of the start


@dataclass
class Brukare:
    pnr: str
    utf: int
    zon: str
    profile: str
    fran: int                      # first order day (index from the 1st; negative: before the month)
    verk: int | None               # verkställd from (None: not verkställd)
    till: int | None               # last order day (None: open-ended)
    share: float = 1.0             # performed / granted time
    upp: set[int] = field(default_factory=set)
    byte: tuple[int, int] | None = None   # (new utförare, first day there)
    routines: list[Routine] = field(default_factory=list)
    larm: float = 0.0              # Norrtälje: call-outs per day


@dataclass
class Order:
    bru: int
    utf: int
    insats: str
    milli: int                     # minutes × 1000
    per: str
    fran: int
    till: int | None
    verk: int | None
    antal: int | None = None
    dubbel: bool = False


@dataclass
class Req:
    bru: int
    utf: int
    day: int
    pref: int                      # seconds from the 1st, 00:00
    parts: list[tuple[int, int, tuple[str, ...], str]]   # (gap before, seconds, insatser, kind)
    pool: str = "omsorg"
    staff: int = 1
    fresh: bool = False            # staffed by a new person of its own (planted cases)
    start: int = 0


@dataclass
class Visit:
    bru: int
    utf: int
    staff: int
    day: int
    t_in: int
    t_out: int
    insatser: tuple[str, ...]
    kind: str = "bistand"
    plain: bool = True             # may carry a planted case
    man_in: bool = False
    man_out: bool = False
    korr: bool = False
    mode: str = "pair"             # pair | only_in | only_ut | avbojt | gone
    dup: str | None = None
    follow: bool = False           # the second registration right after a bistånd visit
