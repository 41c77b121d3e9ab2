"""What the terminal shows. Readable when piped or in cron (no colour, no width tricks); never a
personnummer: brukare are not named here at all."""

from __future__ import annotations

import polars as pl
from rich.console import Console
from rich.table import Table

from .tables import Tabell

from ..core import avvikelser as av
from ..config.loaded import LoadedConfig
from ..config.schema import RuleCfg
from ..core.money import format_kronor
from ..core.period import Period
from ..config.rates import Rate
import sys
from ..config.insatser import insats_classes
from ..settle.month import count_visits, rows_read


def console(stderr: bool = False) -> Console:
    stream = sys.stderr if stderr else sys.stdout
    tty = stream.isatty()
    # Piped or from cron: no colour, and one line per row (no wrapping to a guessed width).
    # markup off: messages quote file names and values, and "[…]" in them must print as it is
    return Console(file=stream, no_color=not tty, highlight=False, soft_wrap=not tty, width=None if tty else 1000,
                   emoji=False, markup=False)


def _table(*columns: str, right: tuple[int, ...] = ()) -> Tabell:
    return Tabell(*columns, right=right)


def rows_table(rows: dict[str, int]) -> Table:
    t = _table("fil", "rader", right=(1,))
    for k, v in rows.items():
        t.add_row(k, f"{v:,}".replace(",", " "))
    return t


def findings_table(df: pl.DataFrame) -> Table:
    t = _table("kod", "allvarlighet", "antal", "beskrivning", right=(2,))
    for kod, n in av.counts_by_code(df).items():
        k = av.KODER[kod]
        t.add_row(kod, k.allvarlighet, str(n), k.rubrik)
    return t


def payees_table(utforare: pl.DataFrame, totals: dict[str, int]) -> Table:
    t = _table("utförare", "namn", "regi", "att betala (kr)", "utbetalas", right=(3,))
    for r in utforare.sort("utforare_id").iter_rows(named=True):
        ore = totals.get(r["utforare_id"], 0)
        paid = "ja" if r["regi"] == "privat" and ore > 0 else "nej (egen regi)" if r["regi"] == "egen" else "nej"
        t.add_row(r["utforare_id"], r["namn"], r["regi"], format_kronor(ore), paid)
    return t


UNIT = {"beviljad": "kr/h", "utford": "kr/h", "schablon": "kr/h", "genomforandeplan": "kr/h",
        "besok": "kr/besök", "manad": "kr/månad", "start": "kr/gång"}


def how_paid(r: RuleCfg, insats: str | None) -> str:
    """One line of Swedish saying how a rule pays an insats."""
    text = {
        "beviljad": "beviljad tid LOV (verkställd, utom uppehåll)",
        "utford": {"none": "utförd tid", "order": "utförd tid, högst beviljad per beställning (+ övertid)",
                   "brukare": "utförd tid, högst beviljad per brukare och månad (+ övertid)"}.get(r.cap or "", "utförd tid"),
        "schablon": f"{(r.schablon or {}).get(insats, '?')} min per registrerad insats, högst 'antal' per beställningsperiod",
        "besok": "avgift per giltigt besök",
        "manad": "avgift per månad, i proportion till aktiva dagar",
        "start": "en gång per ny brukare hos utföraren",
        "genomforandeplan": f"{r.hours} h en gång per brukare och utförare (första godkända planen)",
        "none": "ersätts inte",
    }[r.basis]
    extra = []
    if r.roller:
        extra.append("endast " + ", ".join(r.roller))
    if r.tid:
        extra.append(f"endast tid {r.tid[0]}–{r.tid[1]}")
    if r.max_andel:
        extra.append(f"högst {r.max_andel.percent} % av utförd tid för {', '.join(r.max_andel.av)}")
    if r.uppehall_percent:
        extra.append("uppehåll: " + "; ".join(f"{k} {'/'.join(str(x) for x in v)} %" for k, v in r.uppehall_percent.items()))
    if r.avbojt_percent:
        extra.append("avböjt: " + ", ".join(f"{k} {v} %" for k, v in r.avbojt_percent.items()))
    return text + (f" ({'; '.join(extra)})" if extra else "")


def rate_in_month(cfg: LoadedConfig, name: str | None, period: Period) -> str:
    """The rate's values in force during the month, compactly."""
    if not name:
        return "—"
    rate = cfg.rates[name]
    parts = []
    for key, a, b, ore in rate.describe(period):
        label = " ".join(key)
        when = "" if (a, b) == (period.start, period.end) else f" ({a.day}–{b.day}/{a.month})"
        parts.append(f"{label + ' ' if label else ''}{'—' if ore is None else format_kronor(ore)}{when}")
    return " · ".join(parts)


def insats_table(cfg: LoadedConfig, period: Period) -> Table:
    """For the month: every insats the rules name, how it is paid and at which rate; then the
    insatser of the config's catalogue (`insatser`) that no rule names."""

    t = _table("insats", "regel", "betalas för", "sats", "enhet")
    for r in cfg.cfg.rules:
        names = r.named_insatser() or ["(alla)" if r.basis in ("besok", "utford", "start") else "—"]
        for insats in names:
            t.add_row(insats, r.name, how_paid(r, insats), rate_in_month(cfg, r.rate, period), UNIT.get(r.basis, ""))
    paid, unpaid, _, catch_all = insats_classes(cfg.cfg)
    for insats in [i for i in cfg.cfg.insatser or [] if i not in paid | unpaid]:
        # as the run treats it (checks.visit_findings): an avvikelse, unless a rule for every insats pays visits
        how = ("ingen regel nämner insatsen – ersätts bara av regler för alla insatser" if catch_all
               else "ingen regel – avvikelse, ersätts inte")
        t.add_row(insats, "—", how, "—", "")
    return t


def rates_table(cfg: LoadedConfig, period: Period) -> Table:
    t = _table("rate", "nyckel", "från", "till", "kr", right=(4,))
    for name, rate in sorted(cfg.rates.rates.items()):
        for key, a, b, ore in rate.describe(period):
            t.add_row(name, _key(rate, key), a.isoformat(), b.isoformat(), "—" if ore is None else format_kronor(ore))
    return t


def _key(rate: Rate, key: tuple[str, ...]) -> str:
    return ", ".join(f"{d}={k}" for d, k in zip(rate.by, key)) or "—"


DIFF_SHORT = {"utforare_id": "utförare", "namn": "namn", "brukare_id": "brukare", "insats": "insats", "month": "månad",
              "beviljad_lov_h": "beviljad h", "utford_h": "utförd h", "andel_utford_procent": "andel %",
              "antal_besok": "besök", "tid_per_besok_h": "h/besök", "tagg_bada_procent": "tagg båda %",
              "tagg_en_procent": "tagg en %", "manuell_procent": "manuell %", "avbojda": "avböjda",
              "avbojda_per_100": "avböjda/100"}


def _num(v, key: str = "") -> str:
    if v is None:
        return ""
    if isinstance(v, float):
        decimals = 1 if key.endswith(("_procent", "_100")) else 2
        return f"{v:.{decimals}f}".replace(".", ",")
    return str(v)


def print_diff(out: Console, months: list[str], sources: dict[str, str], by: str, recs: list[dict],
               flags: list[dict]) -> None:
    """The diff as a plain table, then the flags. Personnummer arrive masked."""
    label = {"historik": "avräknad, ur historiken", "indata": "beräknad från indata",
             "historik-indata-andrade": "avräknad, ur historiken; OBS indata har ändrats sedan körningen"}
    src = ", ".join(f"{m} ({label[s]})" for m, s in sources.items())
    view = {"utforare": "utförare"}.get(by, by)      # the option's value (utforare) in words
    out.print(f"Utförd jämfört med beviljad tid per {view}: {src}")
    keys = list(recs[0]) if recs else []
    numeric = tuple(i for i, k in enumerate(keys) if k not in ("month", "utforare_id", "namn", "brukare_id", "insats"))
    t = _table(*(DIFF_SHORT.get(k, k) for k in keys), right=numeric)
    for r in recs:
        t.add_row(*(_num(r[k], k) for k in keys))
    out.print(t)
    if not flags:
        out.print("Inga flaggor.")
        return
    out.print(f"Flaggor ({len(flags)}):")
    f = _table("flagga", "utförare", "brukare", "månader", "värden %", "beskrivning")
    for x in flags:
        f.add_row(x["flagga"], x["utforare_id"], x["brukare_id"] or "", ", ".join(x["manader"]),
                  ", ".join(f"{v:.1f}".replace(".", ",") for v in x["varden_procent"]), x["text"])
    out.print(f)


def print_run(out: Console, settled, outcome) -> None:
    """What a run did: inputs read, visits, findings, what each utförare is owed, where it went."""
    avr = settled.avr
    out.print(f"lovkorning: {avr.kommun.namn}, månad {avr.period.label} ({avr.run.status}, körnings-id {avr.run.run_id})")
    out.print(rows_table(rows_read(settled.indata)))
    v = count_visits(settled.visits)
    out.print(f"Besök: {v['besok']} ({v['giltiga']} räknade), avböjda besök: {v['avbojda']}")
    out.print(f"Avvikelser: {avr.avvikelser.height}")
    out.print(findings_table(avr.avvikelser))
    out.print(payees_table(avr.utforare, avr.totals))
    if avr.rattelse:
        out.print(correction_table(avr))
    private = sum(o for *_, o in avr.private_payees())
    if outcome is None or outcome.kind in ("SLUTLIG", "PRELIMINÄR"):
        out.print(f"Att betala till privata utförare: {format_kronor(private)} kr, betalningsdag {avr.run.betalningsdag}")
    else:       # a paid month: its figures, not a new payment (the message says what is paid now)
        out.print(f"Avräknat för privata utförare: {format_kronor(private)} kr, betalningsdag {avr.run.betalningsdag}")
    if outcome is None or outcome.dry_run:
        if outcome is not None:
            out.print(outcome.message)
        out.print("Provkörning (--dry-run): inga filer skrevs.")
        return
    out.print(outcome.message)
    if outcome.out_dir:
        out.print(f"Utdata: {outcome.out_dir}")
    if outcome.payment_path:
        out.print(f"Betalfil: {outcome.payment_path}")
    elif outcome.kind in ("SLUTLIG", "RÄTTELSE"):
        out.print("Ingen betalfil: inget att betala ut.")


def correction_table(avr) -> Table:
    t = _table("utförare", "tidigare (kr)", "nu (kr)", "skillnad (kr)", right=(1, 2, 3))
    for uid, (before, now, diff) in sorted(avr.rattelse.items()):
        t.add_row(uid, format_kronor(before), format_kronor(now), format_kronor(diff))
    return t


def print_schedule(out: Console, rows, run_workday: int) -> None:
    out.print(f"Körning på den {run_workday}:e arbetsdagen i månaden efter; betalning på bankdag.")
    t = _table("månad", "körningsdag", "betalningsdag")
    for label, run, pay in rows:      # a month without its run day: – (the warning below names it)
        t.add_row(label, run.isoformat() if run else "–", pay.isoformat() if pay else "–")
    out.print(t)
