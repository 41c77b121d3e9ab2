"""`explain` as a person at a terminal reads it: Swedish, the total first, then the lines grouped by
brukare and insats, each with how it is computed and, one level down, the rows it rests on (a
visit's two tag rows on one line); then the utförare's rows that pay nothing, with their codes.
Plain text (no colour, no table widths guessed), so that a Stockholm-size utförare prints fast
and reads the same piped. Brukare are masked unless the text goes to the file the user named.
"""

from __future__ import annotations

import polars as pl

from ..core import avvikelser as av
from ..core.columnar import on_every_core
from ..core.ids import mask_personnummer
from ..core.localtime import local_times
from ..core.money import expr_div_round, format_hours, format_kronor
from ..run.explain import COUNT_BASES, TIME_BASES, Explanation, ledger_note

STATUS = {"avvisad": "avvisad: raden kunde inte läsas eller avvisades",
          "ej_ersatt": "ersätts inte",
          "ersatt": "ersatt",
          "underlag": "underlag: räknas som utförd tid, men raden den hör till ersätts på annat sätt"}
REGISTER = "underlag: utförarregistret säger vem som avräknas och vart det betalas; raden ersätts inte själv"
PER = {"dag": "dag", "vecka": "vecka", "manad": "månad"}


def _kr(ore: int) -> str:
    return format_kronor(ore).replace("\u00a0", " ") + " kr"


def _sec(s: int) -> str:
    return f"{s:,}".replace(",", " ")


def _right(left: str, amount: str, width: int = 78) -> str:
    return f"{left}{' ' * max(2, width - len(left) - len(amount))}{amount}"


def _hours(col: str) -> pl.Expr:
    """Seconds as decimal hours with two decimals, Swedish comma (money.format_hours on a column)."""
    h = expr_div_round(pl.col(col) * 100, 3600)
    return pl.format("{},{}", h // 100, (h % 100).cast(pl.String).str.zfill(2))


def _clock(s: pl.Series) -> pl.Expr:
    return pl.lit(local_times(s)).dt.strftime("%H:%M")


def _date(col: str) -> pl.Expr:
    return pl.col(col).cast(pl.String).fill_null("")


class Rows:
    """What each input row is, in words: a visit (both its tag rows), a declined visit, an order,
    an uppehåll, a plan, an övertid row, the register; made column-wise from the month's frames,
    for the visits shown only."""

    def __init__(self, e: Explanation, besok_ids: pl.Series):
        s = e.month.settled
        b = s.visits.besok.filter(pl.col("besok_id").is_in(besok_ids.implode()))
        rows = pl.when(pl.col("ut_rad").is_null() | (pl.col("ut_rad") == pl.col("in_rad"))).then(
            pl.col("in_rad").cast(pl.String)).otherwise(pl.format("{}, {}", "in_rad", "ut_rad"))
        text = pl.format("besök {} {}{} ({} h räknade, {}): {}:{}", "datum", _clock(b["in_tid"]),
                         pl.format("–{}", _clock(b["ut_tid"])).fill_null(""), _hours("raknade_sek"),
                         pl.col("insatser").list.join("|").replace("", None).fill_null("inga insatser"),
                         pl.col("_fil").cast(pl.String), rows)
        self.visits = dict(zip(b["besok_id"], b.select(text).to_series()))
        self.visit_rows = {i: {(str(f), r), (str(f), u)} for i, f, r, u in b.select(
            "besok_id", "_fil", "in_rad", "ut_rad").iter_rows()}
        a = s.visits.avbojt
        self.declined = dict(zip(zip(a["_fil"].cast(pl.String), a["_rad"]), a.select(pl.format(
            "avböjt besök {} {} ({}): {}:{}", "datum", _clock(a["tidpunkt"]), pl.col("insatser").list.join("|"),
            pl.col("_fil").cast(pl.String), "_rad")).to_series()))
        self.texts = {}
        for name, text in ROW_TEXT.items():
            f = s.indata.frames[name]
            self.texts |= dict(zip(zip(f["_fil"].cast(pl.String), f["_rad"]), f.select(text).to_series()))
        self.tags = {x.path.name for x in s.indata.sources if x.name == "taggningar"}
        self.register = {x.path.name for x in s.indata.sources if x.name == "utforare"}

    def visit(self, besok_id: int) -> str:
        return self.visits[besok_id]

    def what(self, fil: str, rad: int, besok_id: int | None) -> str:
        if besok_id is not None:
            return self.visit(besok_id)
        if (fil, rad) in self.declined:
            return self.declined[(fil, rad)]
        return self.row(fil, rad)

    def row(self, fil: str, rad: int) -> str:
        text = self.texts.get((fil, rad))
        if text is None and fil in self.tags:
            text = "taggning som inte ingår i något besök"
        return f"{fil}:{rad}  {text}" if text else f"{fil}:{rad}"


def _minutes(col: str) -> pl.Expr:
    """Minutes from thousandths, as the file had them ('12,5')."""
    part = (pl.col(col) % 1000).cast(pl.String).str.zfill(3).str.strip_chars_end("0")
    return pl.format("{}{}", pl.col(col) // 1000, pl.when(pl.col(col) % 1000 > 0).then(pl.format(",{}", part)).otherwise(pl.lit("")))


ROW_TEXT = {
    "bestallningar": pl.format("beställning {}: {}, {} min per {}, giltig {}{}, verkställd {}", "bestallning_id", "insats",
                               _minutes("minuter_milli"), pl.col("per").replace(PER),
                               pl.when(pl.col("giltig_till").is_null()).then(pl.lit("från ")).otherwise(pl.lit("")),
                               pl.format("{}{}", _date("giltig_fran"), pl.format("–{}", "giltig_till").fill_null("")),
                               _date("verkstalld_fran").replace("", "–")),
    "uppehall": pl.format("uppehåll {}–{} ({}{})", "fran", _date("till"), pl.col("orsak").fill_null("orsak saknas"),
                          pl.when(pl.col("utforare_id").is_null()).then(pl.lit(", alla utförare")).otherwise(pl.lit(""))),
    "genomforandeplaner": pl.format("genomförandeplan godkänd {}", "godkand"),
    "overtid": pl.format("övertid {} min", _minutes("minuter_milli")),
    "utforare": pl.format("utförarregistret: {} {}", "utforare_id", "namn"),
}


def _days(x: dict) -> str:
    return str(x["fran"]) if x["fran"] == x["till"] else f"{x['fran']}–{x['till']}"


def _how(x: dict) -> str:
    """How a line's amount is computed, in figures that can be checked by hand."""
    basis, sats = x["basis"], _kr(x["sats_ore"])
    if basis == "schablon":
        head = f"{x['antal']} registreringar = {format_hours(x['ersatt_sek'])} h ({_sec(x['ersatt_sek'])} s) × {sats}/h"
    elif basis in TIME_BASES:
        head = f"{format_hours(x['ersatt_sek'])} h ({_sec(x['ersatt_sek'])} s) × {sats}/h"
    elif basis == "manad":
        head = f"{x['antal']} aktiva dagar av månadens × {sats}/månad"
    elif basis in COUNT_BASES:
        head = f"{x['antal']} × {sats}"
    else:
        head = sats
    extra = f" + zontillägg {_kr(x['tillagg_ore'])}" if x["tillagg_ore"] else ""
    return f"{head} = {_kr(x['belopp_ore'])}{extra}"


BASIS = {"beviljad": "beviljad tid", "utford": "utförd tid", "genomforandeplan": "genomförandeplan",
         "schablon": "schablon", "besok": "per besök", "manad": "per månad", "start": "uppstart"}


def render_utforare(e: Explanation, mask: bool) -> str:
    s = e.month.settled
    avr, uid = s.avr, e.utforare_id
    u = avr.utforare.filter(pl.col("utforare_id") == uid).row(0, named=True)
    lines, links = e.lineage.lines, e.lineage.links
    adj = avr.justeringar.filter(pl.col("utforare_id") == uid)
    line_sum = int(lines.select((pl.col("belopp_ore") + pl.col("tillagg_ore")).sum()).item() or 0)
    out = [f"Förklaring: {uid} {u['namn']} ({u['regi']}), {avr.period.label}"]
    total = avr.totals.get(uid, 0)
    if e.brukare_id is None:
        out.append(_right("Totalt att betala" if u["regi"] == "privat" else "Totalt (egen regi, betalas inte ut)", _kr(total)))
        out.append(f"  = rader {_kr(line_sum)} + justeringar {_kr(int(adj['belopp_ore'].sum() or 0))}: "
                   "samma belopp som avräkningen och manifestet.")
    else:
        out.append(_right(f"Brukare {_pnr(e.brukare_id, mask)} hos {uid}", _kr(line_sum)))
        out.append(f"  av utförarens totalt {_kr(total)} (rader och justeringar stämmer med avräkningen).")
    out.append(ledger_note(e))
    for w in e.month.warnings:
        out.append(f"VARNING: {w}")
    if adj.height:
        out.append("")
        out.append("Justeringar (per utförare):")
        for r in adj.iter_rows(named=True):
            out.append(_right(f"  {r['namn']} ({_adjustment(r)})", _kr(r["belopp_ore"])))
    out += _lines(e, lines, links, mask)
    out += _unpaid(e)
    return "\n".join(out) + "\n"


def _adjustment(r: dict) -> str:
    """How an utförare-level amount is computed: a percent of its lines, or kronor per utförd hour."""
    if not r["procent_bp"]:       # kvalitetspeng: bas is the utförd seconds of insatser that some rule pays
        return f"per utförd timme, på {format_hours(r['bas_ore'])} h"
    pct = f"{r['procent_bp'] / 100:g}".replace(".", ",")
    return f"{r['typ']}, {pct} % av raderna, {_kr(r['bas_ore'])}"


def _pnr(b: str | None, mask: bool) -> str:
    return "(ingen brukare)" if b is None else mask_personnummer(b) if mask else b


def _lines(e: Explanation, lines: pl.DataFrame, links: pl.DataFrame, mask: bool) -> list[str]:
    if lines.is_empty():
        return ["", "Inga rader ersätts."]
    rows = Rows(e, e.lineage.items.filter(pl.col("id") > 0)["id"])
    tid = {(b, i): r for b, i, *r in e.month.settled.avr.tid.filter(pl.col("utforare_id") == e.utforare_id).select(
        "brukare_id", "insats", "beviljad_lov_sek", "utford_sek", "antal_besok").iter_rows()}
    link_rows: dict[int, list[tuple[str, int]]] = {}
    for i, f, r in links.select("_line", "fil", "rad").iter_rows():
        link_rows.setdefault(i, []).append((f, r))
    item_ids: dict[int, list[int]] = {}
    for i, x in e.lineage.items.iter_rows():
        item_ids.setdefault(i, []).append(x)
    amount = (pl.col("belopp_ore") + pl.col("tillagg_ore")).sum()
    per_b = dict(lines.group_by("brukare_id").agg(amount).iter_rows())
    per_bi = {(b, i): o for b, i, o in lines.group_by("brukare_id", "insats").agg(amount).iter_rows()}
    out = ["", f"Rader ({lines.height}) per brukare och insats; under varje rad de indatarader beloppet vilar på:"]
    last_b, last_i = object(), object()
    for x in lines.iter_rows(named=True):
        b, i = x["brukare_id"], x["insats"]
        if b != last_b:
            out += ["", _right(f"Brukare {_pnr(b, mask)}", _kr(per_b[b]))]
            last_b, last_i = b, object()
        if i != last_i:
            out.append(_right(f"  {i}", _kr(per_bi[(b, i)])))
            t = tid.get((b, i))
            if t and (t[0] or t[1]):
                out.append(f"    beviljad tid LOV {format_hours(t[0])} h, utförd tid {format_hours(t[1])} h i {t[2]} besök")
            last_i = i
        order = f" {x['bestallning_id']}" if x["bestallning_id"] else ""
        out.append(f"    {x['regel']} ({BASIS.get(x['basis'], x['basis'])}){order}, {_days(x)}, zon {x['zon'] or '–'}")
        out.append(f"      {_how(x)}")
        shown: set[tuple[str, int]] = set()
        for vid in item_ids.get(x["_line"], []):
            if vid > 0:
                shown |= rows.visit_rows[vid]
                out.append(f"        {rows.visit(vid)}")
            else:
                fil = next(f for f in rows.tags if (f, -vid) in rows.declined)
                shown.add((fil, -vid))
                out.append(f"        {rows.declined[(fil, -vid)]}")
        out += [f"        {rows.row(f, r)}" for f, r in link_rows.get(x["_line"], []) if (f, r) not in shown]
    return out


def _codes(koder: list[str]) -> str:
    return ", ".join(f"{k} ({av.KODER[k].rubrik})" if k in av.KODER else k for k in koder) or "inga avvikelser"


def _unpaid(e: Explanation) -> list[str]:
    """The utförare's rows that pay nothing, one line each; the codes are put in words once per
    distinct set of codes (a Stockholm utförare has tens of thousands of such rows, few sets)."""
    unpaid = e.rows.filter(pl.col("status").is_in(["avvisad", "ej_ersatt"])).sort("fil", "rad")
    if unpaid.is_empty():
        return ["", "Rader som inte ersätts: inga."]
    keys = unpaid.select(pl.col("koder").list.join(",").alias("k"))["k"]
    words = {k: _codes(k.split(",") if k else []) for k in keys.unique().to_list()}
    text = on_every_core(unpaid.with_columns(keys), pl.format(
        "  {}:{}  {}: {}", "fil", "rad", pl.when(pl.col("status") == "avvisad").then(pl.lit("avvisad"))
        .otherwise(pl.lit("ersätts inte")), pl.col("k").replace_strict(words, return_dtype=pl.String)))
    # one text of all the lines (hundreds of thousands in a month full of avvikelser), not a string each
    return ["", f"Rader som inte ersätts ({unpaid.height}):", text.to_series().str.join("\n").item()]


def render_rows(e: Explanation) -> str:
    """`--rad`: each row asked about, its status, codes with their messages, what it is and the
    lines it feeds (or belongs to)."""
    s = e.month.settled
    rows = Rows(e, e.rows["besok_id"].drop_nulls())
    named = {x["_line"]: x for x in e.lineage.lines.iter_rows(named=True)}
    found = s.avr.avvikelser.filter(pl.col("rad").is_not_null())
    out = [f"Indatarader i {s.avr.period.label}:", ledger_note(e)]
    out += [f"VARNING: {w}" for w in e.month.warnings]
    for r in e.rows.iter_rows(named=True):
        status = REGISTER if r["fil"] in rows.register else STATUS[r["status"]]
        out += ["", f"{r['fil']}:{r['rad']} (utförare {r['utforare_id'] or '–'}): {status}"]
        out.append(f"  {rows.what(r['fil'], r['rad'], r['besok_id'])}")
        places = {(r["fil"], r["rad"])} | (rows.visit_rows[r["besok_id"]] if r["besok_id"] is not None else set())
        msgs = found.join(pl.DataFrame(sorted(places), schema={"fil": pl.String, "rad": pl.Int64}, orient="row"),
                          on=["fil", "rad"])
        out.append(f"  koder: {_codes(r['koder'])}")
        out += [f"    {k} ({f}:{n}): {m}" for k, f, n, m in msgs.select("kod", "fil", "rad", "meddelande").iter_rows()]
        verb = "ersätts i" if r["status"] == "ersatt" else "hör till"
        for i in r["lines"]:
            x = named[i]
            order = f", beställning {x['bestallning_id']}" if x["bestallning_id"] else ""
            out.append(f"  {verb}: {x['regel']}, {x['insats']}{order}, {_days(x)}: {_how(x)}")
    return "\n".join(out) + "\n"
