"""Config v1 (contract §2) as pydantic models: strict (unknown keys are errors, frozen), with the
value checks a single key can make. Cross-checks between keys are in checks.py.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field, field_validator, model_validator

from ..core import ids
from ..core.timewin import parse_clock
from .inputformat import FormatCfg, check_besok_columns, check_formats
from .rates import ROLLER
from .strict import Strict


INPUT_FILES = ("utforare", "bestallningar", "uppehall", "taggningar", "besok", "genomforandeplaner", "overtid")
EVENT_FILES = ("taggningar", "besok")      # a month's visits: as tag events, or one row per visit
BASES = ("beviljad", "utford", "schablon", "besok", "manad", "start", "genomforandeplan", "none")
RATE_DIMENSIONS = ("zon", "regi", "roll")


def _two_decimals(v: Decimal) -> Decimal:
    """Percents and kronor become integer hundredths (money.percent_to_bp): at most two decimals."""
    if v * 100 != (v * 100).to_integral_value():
        raise ValueError(f"{v} har fler än två decimaler; ange högst två (t.ex. 2.55)")
    return v


# A percent (or kronor amount) in the config: a number with at most two decimals.
Percent = Annotated[Decimal, AfterValidator(_two_decimals)]
Share = Annotated[Decimal, Field(ge=0, le=100), AfterValidator(_two_decimals)]    # 0–100 %


def _as_text(v: Any) -> Any:
    """A scalar read by YAML as a number or true/false, as the text it stands for in a CSV file."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return str(v)
    return v


class KommunCfg(Strict):
    namn: str
    bankgiro: str

    @field_validator("bankgiro", mode="before")
    @classmethod
    def _bankgiro(cls, v: Any) -> str:
        digits = ids.normalize_bankgiro(str(v))
        if digits is None:
            raise ValueError(f"'{v}' är inget giltigt bankgironummer (kontrollsiffran stämmer inte)")
        return digits


class InputsCfg(Strict):
    dir: str
    utforare: str | None = None
    bestallningar: str | None = None
    uppehall: str | None = None
    taggningar: str | None = None
    besok: str | None = None
    genomforandeplaner: str | None = None
    overtid: str | None = None
    columns: dict[str, dict[str, str]] = Field(default_factory=dict)
    values: dict[str, dict[str, dict[str, str]]] = Field(default_factory=dict)
    format: dict[str, FormatCfg] = Field(default_factory=dict)      # extension: how a real export is laid out

    @field_validator("columns", "values", mode="before")
    @classmethod
    def _scalars_as_text(cls, v: Any) -> Any:
        """Column names and cell values are text in the files: `{korrigerad: {1: ja, 0: nej}}` means
        the cells "1" and "0", so numbers and true/false read by YAML become that text again."""
        def walk(x: Any) -> Any:
            return {_as_text(k): walk(w) for k, w in x.items()} if isinstance(x, dict) else _as_text(x)
        return {k: walk(w) for k, w in v.items()} if isinstance(v, dict) else v

    @field_validator("columns", "values", "format")
    @classmethod
    def _known_files(cls, v: dict) -> dict:
        unknown = sorted(set(v) - set(INPUT_FILES))
        if unknown:
            raise ValueError(f"okänd indatafil {unknown}; tillåtna: {', '.join(INPUT_FILES)}")
        return v

    @field_validator("columns")
    @classmethod
    def _besok_columns(cls, v: dict) -> dict:
        check_besok_columns(v)
        return v

    @field_validator("format")
    @classmethod
    def _formats(cls, v: dict) -> dict:
        check_formats(v)
        return v


class DirCfg(Strict):
    dir: str


class PaymentCfg(Strict):
    day: int | None = Field(default=None, ge=1, le=31)
    days_after_run: int | None = Field(default=None, ge=0, le=60)
    roll: Literal["preceding", "following"] = "preceding"

    @model_validator(mode="after")
    def _one(self) -> "PaymentCfg":
        if (self.day is None) == (self.days_after_run is None):
            raise ValueError("ange exakt en av 'day' och 'days_after_run'")
        return self


class ScheduleCfg(Strict):
    run_workday: int = Field(default=6, ge=1, le=20)
    payment: PaymentCfg = PaymentCfg(day=15)


class VisitsCfg(Strict):
    min_minutes: int = Field(default=1, ge=0)
    max_minutes: int = Field(default=480, ge=1)
    require_tag: Literal["one", "both", "none"] = "one"
    window: tuple[str, str] | None = None

    @field_validator("window")
    @classmethod
    def _window(cls, v: tuple[str, str] | None) -> tuple[str, str] | None:
        return check_window(v)

    @model_validator(mode="after")
    def _min_max(self) -> "VisitsCfg":
        if self.min_minutes > self.max_minutes:
            raise ValueError(f"'min_minutes' ({self.min_minutes}) är större än 'max_minutes' ({self.max_minutes}): "
                             "inget besök skulle räknas")
        return self


class MaxAndelCfg(Strict):
    """At most `percent` of the utförd time of insatser `av`, per utförare and month (survey, 003:
    delegated HSL paid up to 17 % of the utförd bistånd time)."""
    percent: Percent = Field(ge=0, le=1000)
    av: list[str]


class RuleCfg(Strict):
    name: str
    basis: str
    insatser: list[str] | None = None
    rate: str | None = None
    cap: Literal["none", "order", "brukare"] | None = None
    hours: Decimal | None = Field(default=None, ge=0)
    schablon: dict[str, Decimal] | None = None
    roller: list[str] | None = None
    tid: tuple[str, str] | None = None
    uppehall_percent: dict[str, list[Percent]] | None = None
    avbojt_percent: dict[str, Share] | None = None
    max_andel: MaxAndelCfg | None = None

    def named_insatser(self) -> list[str]:
        """The insatser the rule names: its list, or for schablon the insatser it has minutes for."""
        if self.insatser:
            return list(self.insatser)
        return list(self.schablon or {})

    @field_validator("schablon")
    @classmethod
    def _schablon(cls, v: dict[str, Decimal] | None) -> dict[str, Decimal] | None:
        for insats, minutes in (v or {}).items():
            if minutes < 0 or minutes * 60 != int(minutes * 60):
                raise ValueError(f"schablon för '{insats}': {minutes} minuter är inte ett helt antal sekunder")
        return v

    @field_validator("basis")
    @classmethod
    def _basis(cls, v: str) -> str:
        if v not in BASES:
            raise ValueError(f"okänd basis '{v}'; tillåtna: {', '.join(BASES)}")
        return v

    @field_validator("tid")
    @classmethod
    def _tid(cls, v: tuple[str, str] | None) -> tuple[str, str] | None:
        return check_window(v)

    @field_validator("roller")
    @classmethod
    def _roller(cls, v: list[str] | None) -> list[str] | None:
        bad = [r for r in v or [] if r not in ROLLER]
        if bad:
            raise ValueError(f"okänd roll {', '.join(repr(r) for r in bad)}; tillåtna: {', '.join(ROLLER)}")
        return v


class SupplementCfg(Strict):
    name: str
    zon: list[str] | None = None
    flagga: str | None = None
    percent: Percent | None = Field(default=None, ge=0)
    per_utford_timme: Percent | None = Field(default=None, ge=0)     # kronor per hour, at most two decimals

    @model_validator(mode="after")
    def _one(self) -> "SupplementCfg":
        if (self.percent is None) == (self.per_utford_timme is None):
            raise ValueError("ange exakt en av 'percent' och 'per_utford_timme'")
        return self


class DeductionCfg(Strict):
    """A percent off an utförare's total: for utförare with `flagga`, and/or whose andel utförd
    (utförd / beviljad tid LOV) is below `min_andel_utford` percent (survey, 003: 80 %)."""
    name: str
    percent: Percent = Field(ge=0, le=100)
    flagga: str | None = None
    min_andel_utford: Percent | None = Field(default=None, ge=0, le=100)

    @model_validator(mode="after")
    def _when(self) -> "DeductionCfg":
        if self.flagga is None and self.min_andel_utford is None:
            raise ValueError("ange 'flagga', 'min_andel_utford' eller båda")
        return self


class MomsCfg(Strict):
    percent: Percent = Field(default=Decimal(0), ge=0, le=100)


class DiffCfg(Strict):
    """Follow-up thresholds for `lovkorning diff` (an extension of the contract)."""
    target_percent: Percent = Field(default=Decimal(85), ge=0, le=1000)      # 003: 85 % utförd of beviljad
    review_percent: Percent = Field(default=Decimal(20), ge=0, le=1000)      # 001: "skiljer sig väsentligt"
    review_months: int = Field(default=2, ge=1, le=24)                        # 001: "minst två månader"
    max_manual_percent: Percent = Field(default=Decimal(10), ge=0, le=100)   # time registered by hand only
    max_declined_per_100: Percent = Field(default=Decimal(5), ge=0)          # 003: avböjda besök


class Config(Strict):
    version: Literal[1]
    kommun: KommunCfg
    inputs: InputsCfg
    output: DirCfg
    state: DirCfg | None = None
    schedule: ScheduleCfg = ScheduleCfg()
    payment_format: Literal["bankgirot-lb", "pain.001"] = "bankgirot-lb"
    visits: VisitsCfg = VisitsCfg()
    rates: dict[str, Any] = Field(default_factory=dict)
    rules: list[RuleCfg]
    supplements: list[SupplementCfg] = Field(default_factory=list)
    deductions: list[DeductionCfg] = Field(default_factory=list)
    momskompensation: MomsCfg = MomsCfg()
    default_zon: str = "tätort"
    insatser: list[str] | None = None        # extension: the municipality's catalogue of insatser
    diff: DiffCfg = DiffCfg()                 # extension: follow-up thresholds


def check_window(v: tuple[str, str] | None) -> tuple[str, str] | None:
    """A daily window ["07:00", "22:30"] (or across midnight): two clock times that differ. Its start
    equal to its end (07:00–07:00, 24:00–00:00) says nothing clear; the whole day is 00:00–24:00."""
    if v is not None:
        a, b = parse_clock(v[0]), parse_clock(v[1])
        if a % 86_400 == b % 86_400 and (a, b) != (0, 86_400):
            raise ValueError(f"början och slut är samma klockslag ('{v[0]}'–'{v[1]}'); ange ett fönster med "
                             "längd, eller [\"00:00\", \"24:00\"] för hela dygnet")
    return v
