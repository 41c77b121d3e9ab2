"""Effective-dated rates (contract §2).

A rate is a series `{date: kronor}` (in force from that date; `null` ends it), or
`{by: [zon|regi|roll, …], values: {…}}`: a nested map keyed by those dimensions that ends in
series. Compiled once into öre; looked up by date and key, or as a frame of constant segments
within a month for the columnar engine.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import polars as pl

from ..core.errors import ConfigError, Fel, Plats
from ..core.money import kronor_to_ore
from ..core.period import Period

DIMENSIONS = ("zon", "regi", "roll")
# The closed lists of contract §1: staff roles (taggningar.roll) and regi (utforare.regi). Zon is open.
ROLLER = ("usk", "vardbitrade", "sjukskoterska", "distriktsskoterska", "fysioterapeut", "arbetsterapeut")
REGI = ("privat", "egen")
CLOSED = {"roll": ROLLER, "regi": REGI}
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


@dataclass(frozen=True)
class Series:
    points: tuple[tuple[date, int | None], ...]   # sorted by date; öre, None = not in force

    def at(self, d: date) -> int | None:
        i = bisect_right([p[0] for p in self.points], d)
        return self.points[i - 1][1] if i else None

    def segments(self, fran: date, till: date) -> list[tuple[date, date, int | None]]:
        """Constant pieces of [fran, till] (inclusive)."""
        cuts = sorted({fran} | {p[0] for p in self.points if fran < p[0] <= till})
        ends = [c - timedelta(days=1) for c in cuts[1:]] + [till]
        return [(a, b, self.at(a)) for a, b in zip(cuts, ends)]

    def changes(self, fran: date, till: date) -> set[date]:
        """Days in (fran, till] on which the value differs from the day before."""
        return {d for d, _ in self.points if fran < d <= till and self.at(d) != self.at(d - timedelta(days=1))}


@dataclass(frozen=True)
class Rate:
    name: str
    by: tuple[str, ...]
    table: dict[tuple[str, ...], Series] = field(hash=False)

    def lookup(self, d: date, key: tuple[str, ...] = ()) -> int | None:
        s = self.table.get(key)
        return s.at(d) if s else None

    def frame(self, fran: date, till: date) -> pl.DataFrame:
        """Every key's constant segments within [fran, till]: columns *by, r_fran, r_till, ore."""
        rows = []
        for key, series in sorted(self.table.items()):
            for a, b, ore in series.segments(fran, till):
                rows.append((*key, a, b, ore))
        schema = {**{d: pl.String for d in self.by}, "r_fran": pl.Date, "r_till": pl.Date, "ore": pl.Int64}
        return pl.DataFrame(rows, schema=schema, orient="row")

    def changes(self, fran: date, till: date) -> set[date]:
        """Days in (fran, till] on which any key's value changes: where this rate's lines split."""
        return set().union(*(s.changes(fran, till) for s in self.table.values()))

    def describe(self, period: Period) -> list[tuple[tuple[str, ...], date, date, int | None]]:
        return [(k, a, b, o) for k, s in sorted(self.table.items()) for a, b, o in s.segments(period.start, period.end)]


@dataclass
class RateBook:
    rates: dict[str, Rate]

    def __getitem__(self, name: str) -> Rate:
        return self.rates[name]


def _series(spec: Any, where: str, line: int | None, fil: str) -> Series:
    if not isinstance(spec, dict) or not spec:
        raise ConfigError(Fel(f"rate '{where}': förväntade {{datum: kronor}}", Plats(fil, line)))
    points = []
    seen: dict[date, str] = {}
    for k, v in spec.items():
        kline = spec.lc.key(k)[0] + 1 if hasattr(spec, "lc") else line
        try:
            # exactly ÅÅÅÅ-MM-DD: Python's fromisoformat also takes 20231001 and 2023-W40
            if not ISO_DATE.fullmatch(str(k)):
                raise ValueError
            d = date.fromisoformat(str(k))
        except ValueError:
            raise ConfigError(Fel(f"rate '{where}': '{k}' är inget giltigt datum (ÅÅÅÅ-MM-DD)", Plats(fil, kline))) from None
        if d in seen:
            raise ConfigError(Fel(f"rate '{where}': datumet {d} förekommer flera gånger ('{seen[d]}' och '{k}')",
                                  Plats(fil, kline)))
        seen[d] = str(k)
        try:
            ore = None if v is None else kronor_to_ore(v)
        except ValueError as exc:
            raise ConfigError(Fel(f"rate '{where}': {exc}", Plats(fil, kline))) from None
        if ore is not None and ore < 0:
            raise ConfigError(Fel(f"rate '{where}': negativt belopp", Plats(fil, kline)))
        points.append((d, ore))
    return Series(tuple(sorted(points)))


def _walk(values: Any, by: tuple[str, ...], key: tuple[str, ...], name: str, fil: str, line: int | None,
          out: dict[tuple[str, ...], Series]) -> None:
    if len(key) == len(by):
        out[key] = _series(values, f"{name}[{', '.join(key)}]", line, fil)
        return
    if not isinstance(values, dict) or not values:
        raise ConfigError(Fel(f"rate '{name}': förväntade en nivå till under {list(key) or 'values'}", Plats(fil, line)))
    dimension = by[len(key)]
    for k, v in values.items():
        kline = values.lc.key(k)[0] + 1 if hasattr(values, "lc") else line
        allowed = CLOSED.get(dimension)
        if allowed and str(k) not in allowed:
            raise ConfigError(Fel(f"rate '{name}': okänd {dimension} '{k}'; tillåtna: {', '.join(allowed)}",
                                  Plats(fil, kline)))
        _walk(v, by, key + (str(k),), name, fil, kline, out)


def compile_rate(name: str, spec: Any, fil: str, line: int | None) -> Rate:
    if isinstance(spec, dict) and "by" in spec:
        extra = set(spec) - {"by", "values"}
        by = spec.get("by")
        if extra or not isinstance(by, list) or not by or "values" not in spec:
            raise ConfigError(Fel(f"rate '{name}': skrivs {{by: [dimension, …], values: {{…}}}}", Plats(fil, line)))
        bad = [d for d in by if d not in DIMENSIONS]
        if bad:
            raise ConfigError(Fel(f"rate '{name}': okänd dimension {bad}; tillåtna: {', '.join(DIMENSIONS)}", Plats(fil, line)))
        table: dict[tuple[str, ...], Series] = {}
        _walk(spec["values"], tuple(by), (), name, fil, line, table)
        return Rate(name, tuple(by), table)
    return Rate(name, (), {(): _series(spec, name, line, fil)})


def compile_rates(raw: dict, fil: Path) -> RateBook:
    errors: list[Fel] = []
    rates: dict[str, Rate] = {}
    for name, spec in raw.items():
        line = raw.lc.key(name)[0] + 1 if hasattr(raw, "lc") else None
        try:
            rates[str(name)] = compile_rate(str(name), spec, str(fil), line)
        except ConfigError as exc:
            errors.extend(exc.fel)
    if errors:
        raise ConfigError(errors)
    return RateBook(rates)
