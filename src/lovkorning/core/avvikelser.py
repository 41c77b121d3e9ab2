"""The registry of avvikelse codes: every finding the run can report, with its severity.

A finding is data (a row in the `avvikelser` frame), rendered to text only where a human reads it.
Codes are stable kebab-case; tests and municipalities' follow-up scripts rely on them.
Severities: `fel` — the row is rejected; `varning` — counted differently or not paid, the
utförare should check; `info` — recorded for the record (not paid by design, outside the month).
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from .errors import HIDDEN, PNR_LIKE


@dataclass(frozen=True)
class Kod:
    kod: str
    allvarlighet: str
    rubrik: str


KODER: dict[str, Kod] = {
    k.kod: k
    for k in [
        # reading: rows rejected
        Kod("saknat-varde", "fel", "Obligatoriskt värde saknas"),
        Kod("ogiltigt-datum", "fel", "Ogiltigt datum"),
        Kod("ogiltig-tidpunkt", "fel", "Ogiltig tidpunkt"),
        Kod("tvetydig-tidpunkt", "fel", "Tidpunkt som inte finns eller är tvetydig vid sommartidsbyte"),
        Kod("ogiltigt-tal", "fel", "Ogiltigt tal"),
        Kod("ogiltigt-varde", "fel", "Otillåtet värde"),
        Kod("ogiltigt-personnummer", "fel", "Ogiltigt personnummer eller samordningsnummer"),
        Kod("ogiltigt-bankgiro", "fel", "Ogiltigt bankgironummer"),
        Kod("ogiltigt-orgnr", "varning", "Ogiltigt organisationsnummer"),
        Kod("for-manga-falt", "fel", "Raden har fler fält än rubrikraden"),
        Kod("dubbel-rad", "fel", "Samma id förekommer flera gånger"),
        Kod("okand-utforare", "fel", "Utföraren finns inte i utförarregistret"),
        Kod("ogiltigt-intervall", "fel", "Slutdatum före startdatum"),
        # tag events and visits
        Kod("dubbel-handelse", "varning", "Dubblerad taggning"),
        Kod("saknar-utcheckning", "varning", "Incheckning utan utcheckning"),
        Kod("saknar-incheckning", "varning", "Utcheckning utan incheckning"),
        Kod("ut-fore-in", "varning", "Utcheckning före incheckning"),
        Kod("kort-besok", "varning", "Kort besök"),
        Kod("langt-besok", "varning", "Långt besök"),
        Kod("saknar-tagg", "varning", "Besöket är inte verifierat med tagg"),
        Kod("besok-utan-insats", "varning", "Besök utan registrerad insats"),
        Kod("samtidiga-besok", "varning", "Samma personal hos två brukare samtidigt"),
        Kod("dubbelbemanning-saknas", "varning", "Två personal samtidigt utan dubbelbemanning i beställningen"),
        Kod("besok-utan-bestallning", "varning", "Besök hos brukare utan verkställd beställning hos utföraren"),
        Kod("insats-ej-i-bestallning", "varning", "Insatsen finns inte i beställningen"),
        Kod("insats-ej-i-lov", "info", "Insatsen ingår inte i LOV"),
        Kod("insats-utan-regel", "varning", "Insatsen omfattas inte av någon ersättningsregel"),
        Kod("besok-under-uppehall", "info", "Besök under uppehåll"),
        Kod("zon-saknas", "info", "Brukaren saknar verkställd beställning hos utföraren (zonen: se meddelandet)"),
        Kod("avbojt-besok", "info", "Avböjt besök"),
        Kod("over-antal", "info", "Fler registreringar än beställningen ersätter"),
        Kod("utanfor-perioden", "info", "Utanför den avräknade månaden"),
        # orders and plans
        Kod("ej-verkstalld", "varning", "Beställningen är inte verkställd"),
        Kod("bestallning-ej-i-lov", "info", "Beställd insats ingår inte i LOV"),
        Kod("bestallning-utan-regel", "varning", "Beställd insats omfattas inte av någon ersättningsregel"),
        Kod("genomforandeplan-redan-ersatt", "info", "Genomförandeplan redan ersatt"),
        Kod("genomforandeplan-utan-bestallning", "varning", "Genomförandeplan utan verkställd beställning hos utföraren"),
    ]
}

SCHEMA = {
    "kod": pl.String,
    "allvarlighet": pl.String,
    "utforare_id": pl.String,
    "brukare_id": pl.String,
    "fil": pl.String,
    "rad": pl.Int64,
    "kolumn": pl.String,
    "meddelande": pl.String,
}

SEVERITY_ORDER = {"fel": 0, "varning": 1, "info": 2}


def empty() -> pl.DataFrame:
    return pl.DataFrame(schema=SCHEMA)


def from_rows(kod: str, rows: pl.DataFrame, meddelande: pl.Expr | str,
              kolumn: str | None = None) -> pl.DataFrame:
    """Findings of one code for every row of `rows`.

    `rows` carries `_fil` and `_rad` (its source) and, where it has them, utforare_id and
    brukare_id. The message is a Swedish text or an expression over `rows`; it must never
    contain a personnummer (the brukare goes in its own column): anything shaped like one, say a
    personnummer typed into another column and quoted back, is hidden.
    """
    k = KODER[kod]
    msg = pl.lit(meddelande) if isinstance(meddelande, str) else meddelande

    def col(name: str, dtype: pl.DataType) -> pl.Expr:
        return pl.col(name).cast(dtype) if name in rows.columns else pl.lit(None, dtype=dtype)

    return rows.select(
        pl.lit(k.kod).alias("kod"),
        pl.lit(k.allvarlighet).alias("allvarlighet"),
        col("utforare_id", pl.String).alias("utforare_id"),
        col("brukare_id", pl.String).alias("brukare_id"),
        col("_fil", pl.String).alias("fil"),
        col("_rad", pl.Int64).alias("rad"),
        pl.lit(kolumn, dtype=pl.String).alias("kolumn"),
        msg.cast(pl.String).str.replace_all(PNR_LIKE.pattern, HIDDEN, literal=False).alias("meddelande"),
    )


def concat(frames: list[pl.DataFrame]) -> pl.DataFrame:
    frames = [f for f in frames if f.height]
    if not frames:
        return empty()
    return pl.concat([f.select(list(SCHEMA)).cast(SCHEMA) for f in frames], how="vertical")


def sort(df: pl.DataFrame) -> pl.DataFrame:
    """Stable order for output: severity, utförare, file, row, code."""
    return (
        df.with_columns(pl.col("allvarlighet").replace_strict(SEVERITY_ORDER, return_dtype=pl.Int8).alias("_s"))
        .sort(["_s", "utforare_id", "fil", "rad", "kod"], nulls_last=True)
        .drop("_s")
    )


def counts_by_code(df: pl.DataFrame) -> dict[str, int]:
    if df.is_empty():
        return {}
    c = df.group_by("kod").len().sort("kod")
    return dict(zip(c["kod"].to_list(), c["len"].to_list()))
