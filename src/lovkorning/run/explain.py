"""`lovkorning explain` (contract §5): why an utförare is paid what it is, line by line with the
input rows behind every line, and what became of given input rows.

It settles the month exactly as `run --dry-run` does (the inputs, the config, the weekly carry
from the ledger opened read-only) and writes nothing. It checks itself as `run` reconciles its
outputs: the traced lines are the month's lines (settle.lineage), and Σ lines + justeringar is the
utförare's total, the figure the manifest and the payment file carry; otherwise it stops (exit 1)
rather than print a wrong explanation. For a paid month it says what the ledger paid, and whether
the inputs, config or carry have changed since that run (the ledger's fingerprint).
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import date

import polars as pl

from ..config.loaded import LoadedConfig
from ..core.errors import Fel, ReconciliationError, UsageError
from ..core.ids import mask_personnummer, normalize_personnummer
from ..core.money import format_kronor
from ..core.period import Period
from ..settle.lineage import Lineage, trace
from ..settle.month import Settled, settle_month
from ..settle.rowstatus import UNPAID, month_rows, statuses, unpaid_rows
from .carry import read_carry
from .commit import fingerprint
from .ledger import Ledger, Run

TIME_BASES = ("beviljad", "utford", "genomforandeplan", "schablon")    # lines with seconds (sekunder)
COUNT_BASES = ("besok", "manad", "start", "schablon")                  # lines with a count (antal)


@dataclass(frozen=True)
class Paid:
    """What the ledger holds of a paid month: its latest paying run, what was paid and settled per
    utförare, and whether the month settled now was settled from the same inputs."""
    run: Run
    paid: dict[str, int]          # net öre paid per utförare by every completed run
    settled: dict[str, int]       # what the latest paying run settled per utförare
    unchanged: bool


@dataclass
class Month:
    settled: Settled
    paid: Paid | None
    warnings: list[str]


@dataclass
class Explanation:
    month: Month
    utforare_id: str
    lineage: Lineage
    rows: pl.DataFrame            # settle.rowstatus.STATUS_SCHEMA: the utförare's rows that pay nothing, or those asked about
    brukare_id: str | None = None


def settle(cfg: LoadedConfig, period: Period, today: date) -> Month:
    """The month as `run --dry-run` settles it, and what the ledger paid for it."""
    carry, problem = read_carry(cfg, period)
    last, paid, settled_last = _ledger(cfg, period)
    settled = settle_month(cfg, period, last.file_date if last else today, carry)
    record = Paid(last, paid, settled_last, fingerprint(cfg, settled) == last.fingerprint) if last else None
    return Month(settled, record, [problem] if problem else [])


def _ledger(cfg: LoadedConfig, period: Period) -> tuple[Run | None, dict[str, int], dict[str, int]]:
    """The latest paying run of the month and what it paid, from the ledger opened read-only (none:
    not paid; a ledger that cannot be read is named by read_carry's warning)."""
    try:
        ledger = Ledger.read_only(cfg.state_dir() / "ledger.sqlite")
        if ledger is None:
            return None, {}, {}
        try:
            runs = ledger.paid_runs(period.label)
            if not runs:
                return None, {}, {}
            return runs[-1], ledger.paid_so_far(period.label), ledger.settled_last(period.label)
        finally:
            ledger.close()
    except sqlite3.Error:
        return None, {}, {}


def check_utforare(settled: Settled, uid: str) -> None:
    known = settled.avr.utforare["utforare_id"].to_list()
    if uid not in known:
        raise UsageError(f"Utföraren '{uid}' finns inte i utförarregistret för {settled.avr.period.label} "
                         f"(där finns {', '.join(sorted(known))}).")


def check_total(settled: Settled, lineage: Lineage, uid: str) -> int:
    """Σ (ore + tillägg) of the utförare's lines + Σ justeringar, which must be its total in the
    settlement (the manifest's and the payment file's figure); otherwise nothing is shown."""
    mine = lineage.lines.filter(pl.col("utforare_id") == uid)
    lines = int(mine.select((pl.col("belopp_ore") + pl.col("tillagg_ore")).sum()).item() or 0)
    adj = int(settled.avr.justeringar.filter(pl.col("utforare_id") == uid)["belopp_ore"].sum() or 0)
    total = settled.avr.totals.get(uid, 0)
    if lines + adj != total:
        raise ReconciliationError(Fel(
            f"Förklaringen för {uid} går inte ihop: rader {format_kronor(lines)} kr + justeringar "
            f"{format_kronor(adj)} kr är inte avräkningens {format_kronor(total)} kr. Den visas inte; rapportera felet."))
    return total


def explain_utforare(cfg: LoadedConfig, period: Period, today: date, uid: str,
                     brukare: str | None = None) -> Explanation:
    month = settle(cfg, period, today)
    settled = month.settled
    check_utforare(settled, uid)
    pnr = _brukare(brukare, period) if brukare is not None else None
    lineage = trace(cfg, settled, [uid])
    check_total(settled, lineage, uid)
    rows = unpaid_rows(settled, lineage, [uid])
    if pnr is not None:
        lineage = Lineage(lineage.lines.filter(pl.col("brukare_id") == pnr), lineage.links, lineage.items)
        rows = rows.filter(pl.col("brukare_id") == pnr)
        if lineage.lines.is_empty() and rows.is_empty():
            raise UsageError(f"Brukaren {mask_personnummer(pnr)} har inga rader hos utföraren {uid} i {period.label}.")
    return Explanation(month, uid, lineage, rows, pnr)


def _brukare(text: str, period: Period) -> str:
    pnr = normalize_personnummer(text, period.end)
    if pnr is None:
        raise UsageError("--brukare: det angivna är inget giltigt person- eller samordningsnummer "
                         "(ÅÅÅÅMMDD-NNNN, kontrollsiffran räknas).")
    return pnr


def explain_rows(cfg: LoadedConfig, period: Period, today: date, asked: list[tuple[str, int]],
                 uid: str | None = None) -> Explanation:
    """What became of each row asked about (file name or base name, row as in avvikelser.csv)."""
    month = settle(cfg, period, today)
    settled = month.settled
    if uid is not None:
        check_utforare(settled, uid)
    known = month_rows(settled)
    wanted = pl.DataFrame([(_file_name(settled, f), r) for f, r in asked], schema={"fil": pl.String, "rad": pl.Int64},
                          orient="row").with_row_index("_nr")
    last = dict(known.group_by("fil").agg(pl.col("rad").max()).iter_rows())
    found = wanted.join(known.with_columns(pl.lit(True).alias("_known")), on=["fil", "rad"], how="left")
    for r in found.filter(pl.col("_known").is_null()).iter_rows(named=True):
        _not_a_row(r["fil"], r["rad"], last.get(r["fil"], 1))
    found = found.drop("_known")
    scope = _scope(settled, found, uid)
    lineage = trace(cfg, settled, scope)
    for u in scope:
        check_total(settled, lineage, u)
    rows = statuses(settled, lineage, found.drop("_nr").unique(["fil", "rad"], maintain_order=True))
    return Explanation(month, uid or "", lineage, wanted.join(rows, on=["fil", "rad"]).sort("_nr").drop("_nr"))


def _file_name(settled: Settled, given: str) -> str:
    """The month's input file `given` names: its file name (as in avvikelser.csv) or base name."""
    names = {s.path.name for s in settled.indata.sources}
    by = {n.lower(): n for n in names} | {n.rsplit(".", 1)[0].lower(): n for n in names}
    if given.lower() in by:
        return by[given.lower()]
    raise UsageError(f"--rad: '{given}' är ingen av månadens indatafiler ({', '.join(sorted(names))}).")


def _not_a_row(fil: str, rad: int, last: int) -> None:
    if rad == 1:
        raise UsageError(f"--rad {fil}:1 är rubrikraden; raderna räknas som i avvikelser.csv, första dataraden är 2.")
    if rad > last or rad < 1:
        raise UsageError(f"--rad {fil}:{rad}: filen har ingen rad {rad}; sista raden är {last}.")
    raise UsageError(f"--rad {fil}:{rad} är ingen datarad (tom rad, eller en del av ett fält som sträcker sig över "
                     f"flera rader); filens rader går till {last}.")


def _scope(settled: Settled, found: pl.DataFrame, uid: str | None) -> list[str]:
    """The utförare whose lines the rows asked about may feed: each row's own; for an uppehåll for
    every utförare, those with orders for the brukare. With `uid`, every row must be its."""
    own = {u for u in found["utforare_id"].drop_nulls().to_list()}
    if uid is not None:
        other = found.filter(pl.col("utforare_id").is_not_null() & (pl.col("utforare_id") != uid))
        if other.height:
            r = other.row(0, named=True)
            raise UsageError(f"--rad {r['fil']}:{r['rad']} hör till utföraren {r['utforare_id']}, inte till {uid}.")
        return [uid]
    shared = found.filter(pl.col("utforare_id").is_null())["brukare_id"].drop_nulls().implode()
    orders = settled.indata.bestallningar.filter(pl.col("brukare_id").is_in(shared))
    register = set(settled.avr.utforare["utforare_id"].to_list())
    return sorted((own | set(orders["utforare_id"].to_list())) & register)


# ---------------------------------------------------------------- documents (contract §5, keys exactly)


def _pnr(value: str | None, mask: bool) -> str | None:
    return mask_personnummer(value) if (mask and value) else value


def line_records(lineage: Lineage, mask: bool) -> list[dict]:
    rows = dict(lineage.links.group_by("_line", maintain_order=True).agg(
        pl.format("{}:{}", "fil", "rad").alias("r")).iter_rows())
    out = []
    for x in lineage.lines.iter_rows(named=True):
        out.append({"regel": x["regel"], "insats": x["insats"], "brukare_id": _pnr(x["brukare_id"], mask),
                    "bestallning_id": x["bestallning_id"], "grund": x["basis"], "fran": x["fran"].isoformat(),
                    "till": x["till"].isoformat(),
                    "sekunder": x["ersatt_sek"] if x["basis"] in TIME_BASES else None,
                    "antal": x["antal"] if x["basis"] in COUNT_BASES else None,
                    "sats_ore": x["sats_ore"], "ore": x["belopp_ore"], "tillagg_ore": x["tillagg_ore"],
                    "rader": rows.get(x["_line"], [])})
    return out


def utforare_doc(e: Explanation, mask: bool) -> dict:
    avr = e.month.settled.avr
    adj = avr.justeringar.filter(pl.col("utforare_id") == e.utforare_id)
    doc = {"month": avr.period.label, "utforare_id": e.utforare_id, "total_ore": avr.totals.get(e.utforare_id, 0)}
    if e.brukare_id is not None:
        doc["brukare_ore"] = int(e.lineage.lines.select((pl.col("belopp_ore") + pl.col("tillagg_ore")).sum()).item() or 0)
    unpaid = e.rows.filter(pl.col("status").is_in(UNPAID)).sort("fil", "rad")
    return doc | {"lines": line_records(e.lineage, mask),
                  "justeringar": [{"namn": n, "ore": o} for n, o in adj.select("namn", "belopp_ore").iter_rows()],
                  "ej_ersatt": [{"fil": f, "rad": r, "koder": k} for f, r, k in unpaid.select("fil", "rad", "koder").iter_rows()]}


def rows_doc(e: Explanation) -> dict:
    named = {x["_line"]: {"regel": x["regel"], "insats": x["insats"], "bestallning_id": x["bestallning_id"]}
             for x in e.lineage.lines.iter_rows(named=True)}
    return {"month": e.month.settled.avr.period.label, "rader": [
        {"fil": r["fil"], "rad": r["rad"], "utforare_id": r["utforare_id"], "status": r["status"], "koder": r["koder"],
         "besok_id": r["besok_id"], "lines": [named[i] for i in r["lines"]]} for r in e.rows.iter_rows(named=True)]}


def ledger_note(e: Explanation) -> str:
    """What the ledger paid for the month (and the utförare), and whether the inputs have changed."""
    label, p = e.month.settled.avr.period.label, e.month.paid
    if p is None:
        return f"{label} är inte betald: liggaren har ingen slutlig körning av månaden."
    head = f"{label} är betald (körning {p.run.run_id}, {p.run.kind}, den {p.run.file_date})"
    if e.utforare_id:
        u = e.utforare_id
        head += (f": liggaren har betalat {format_kronor(p.paid.get(u, 0))} kr till {u} "
                 f"(avräknat {format_kronor(p.settled.get(u, 0))} kr)")
    if p.unchanged:
        return head + "; indata och konfiguration är oförändrade sedan körningen."
    now = " Förklaringen gäller dagens indata"
    if e.utforare_id:
        now += f" ({format_kronor(e.month.settled.avr.totals.get(e.utforare_id, 0))} kr)"
    return (head + ". OBS: indata, konfiguration eller det som föregående månad betalade per vecka har ändrats sedan "
            f"körningen.{now}; en rättelse (run --rattelse) skulle betala eller kräva tillbaka skillnaden.")
