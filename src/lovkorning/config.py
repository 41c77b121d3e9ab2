"""Config v1 (contract §2): loaded strictly from YAML into pydantic models.

Strict means: YAML 1.2 (`no` stays a string), duplicate keys are errors, unknown keys are errors,
dates are parsed by us (not by the YAML library) so a bad date names its line. Every error
carries file:line. Paths are relative to the file that names them. An `extends: other.yaml`
key (an extension of the contract) loads another config first; each top-level key of the
extending file replaces that key of the base as a whole.
"""

from __future__ import annotations

import hashlib
import re
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from ruamel.yaml import YAML
from ruamel.yaml.constructor import RoundTripConstructor
from ruamel.yaml.error import MarkedYAMLError

from .core import ids
from .core.timewin import parse_clock
from .core.errors import ConfigError, Fel, Plats
from .core.period import Period
from .rates import ROLLER, RateBook, compile_rates
from .core.schedule import PaymentRule, payment_date, run_day

INPUT_FILES = ("utforare", "bestallningar", "uppehall", "taggningar", "genomforandeplaner", "overtid")
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


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


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
    genomforandeplaner: str | None = None
    overtid: str | None = None
    columns: dict[str, dict[str, str]] = Field(default_factory=dict)
    values: dict[str, dict[str, dict[str, str]]] = Field(default_factory=dict)

    @field_validator("columns", "values", mode="before")
    @classmethod
    def _scalars_as_text(cls, v: Any) -> Any:
        """Column names and cell values are text in the files: `{korrigerad: {1: ja, 0: nej}}` means
        the cells "1" and "0", so numbers and true/false read by YAML become that text again."""
        def walk(x: Any) -> Any:
            return {_as_text(k): walk(w) for k, w in x.items()} if isinstance(x, dict) else _as_text(x)
        return {k: walk(w) for k, w in v.items()} if isinstance(v, dict) else v

    @field_validator("columns", "values")
    @classmethod
    def _known_files(cls, v: dict) -> dict:
        unknown = sorted(set(v) - set(INPUT_FILES))
        if unknown:
            raise ValueError(f"okänd indatafil {unknown}; tillåtna: {', '.join(INPUT_FILES)}")
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


class LoadedConfig:
    """A validated config with its origin: where it came from, its hash, resolved paths."""

    def __init__(self, cfg: Config, path: Path, sha256: str, rates: "RateBook",
                 files: tuple[tuple[Path, str], ...] = (), places: dict[tuple, Plats] | None = None):
        self.cfg = cfg
        self.path = path
        self.sha256 = sha256         # of every file's bytes, base first, joined by one NUL byte
        self.rates = rates
        self.files = files           # (path, sha256) of each file of the extends chain, base first
        self.places = places or {}   # where each of SCHEDULE_KEYS stands (file, line), for messages

    def input_dir(self, month: str) -> Path:
        return Path(self.cfg.inputs.dir.replace("{month}", month))

    def input_path(self, name: str, month: str) -> Path | None:
        explicit = getattr(self.cfg.inputs, name)
        return Path(explicit.replace("{month}", month)) if explicit else None

    def output_dir(self, month: str) -> Path:
        return Path(self.cfg.output.dir.replace("{month}", month))

    def state_dir(self) -> Path:
        return Path(self.cfg.state.dir) if self.cfg.state else self.path.parent / "state"

    def payment_rule(self) -> PaymentRule:
        p = self.cfg.schedule.payment
        return PaymentRule(day=p.day, days_after_run=p.days_after_run, roll=p.roll)

    def run_day(self, period: Period) -> date:
        """The month's run day; a ConfigError (file and line) when the month has no such workday."""
        try:
            return run_day(period, self.cfg.schedule.run_workday)
        except ValueError:
            raise ConfigError(self.schedule_problems([period])) from None

    def schedule_problems(self, periods: list[Period]) -> list[Fel]:
        """The schedule's problems in the months that settle `periods` (schedule_problems), each
        at the line of the key that causes it."""
        return [Fel(msg, self.places.get(key, Plats(str(self.path)))) for key, msg in
                schedule_problems(self.cfg.schedule, periods)]


def check_window(v: tuple[str, str] | None) -> tuple[str, str] | None:
    """A daily window ["07:00", "22:30"] (or across midnight): two clock times that differ. Its start
    equal to its end (07:00–07:00, 24:00–00:00) says nothing clear; the whole day is 00:00–24:00."""
    if v is not None:
        a, b = parse_clock(v[0]), parse_clock(v[1])
        if a % 86_400 == b % 86_400 and (a, b) != (0, 86_400):
            raise ValueError(f"början och slut är samma klockslag ('{v[0]}'–'{v[1]}'); ange ett fönster med "
                             "längd, eller [\"00:00\", \"24:00\"] för hela dygnet")
    return v


# ---------------------------------------------------------------- loading

PATH_KEYS = {"inputs": ("dir",) + INPUT_FILES, "output": ("dir",), "state": ("dir",)}


class _TextDates(RoundTripConstructor):
    """Keep dates as text: we parse them ourselves so a bad date names its line."""


_TextDates.add_constructor("tag:yaml.org,2002:timestamp", lambda self, node: self.construct_scalar(node))


def _yaml() -> YAML:
    y = YAML(typ="rt")
    y.Constructor = _TextDates
    y.allow_duplicate_keys = False
    return y


def _read_yaml(path: Path, via: Plats | None = None) -> tuple[Any, bytes]:
    """The parsed file and its bytes. `via`: the `extends` line that names it, where an error about
    the file itself (missing, a folder, unreadable) is reported."""
    named = f": {path} (från 'extends')" if via else "."
    where = via or Plats(str(path))
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(Fel(f"Konfigurationsfilen finns inte{named}", where)) from None
    except IsADirectoryError:
        raise ConfigError(Fel(f"Konfigurationsfilen kan inte läsas: {path} är en mapp, inte en fil.", where)) from None
    except OSError as exc:
        raise ConfigError(Fel(f"Konfigurationsfilen kan inte läsas: {path} ({exc.strerror or type(exc).__name__}).",
                              where)) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ConfigError(Fel("Konfigurationsfilen är inte UTF-8.", Plats(str(path)))) from None
    try:
        data = _yaml().load(text)
    except MarkedYAMLError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else None
        dup = re.match(r'found duplicate key "(.*)" with value', str(exc.problem))
        if dup:     # YAML compares keys as values: 1 and true, 2023-10-01 and "2023-10-01" are the same key
            msg = f"dubblerad nyckel '{dup.group(1)}': nyckeln står redan tidigare i samma mappning"
        else:
            msg = f"ogiltig YAML: {_yaml_problem(str(exc.problem))}"
        raise ConfigError(Fel(msg, Plats(str(path), line))) from None
    if not isinstance(data, dict):
        raise ConfigError(Fel("Konfigurationen måste vara en YAML-mappning.", Plats(str(path), 1)))
    return data, raw


# The YAML parser's problems, said in Swedish (first match wins); anything else gets the general
# advice. The line is given beside the message.
YAML_PROBLEMS = [
    ("cannot start any token", "ett tecken som inte får inleda ett värde här (ett tabbtecken? indrag görs med mellanslag)"),
    ("mapping values are not allowed", "ett kolon på fel ställe; sätt citattecken runt text som innehåller ': '"),
    ("could not find expected ':'", "kolon saknas efter en nyckel"),
    ("expected ',' or '}'", "en {…}-mappning är inte avslutad: saknas ',' eller '}'?"),
    ("expected ',' or ']'", "en […]-lista är inte avslutad: saknas ',' eller ']'?"),
    ("unexpected end of stream", "filen tar slut mitt i ett värde: saknas ett avslutande citattecken?"),
    ("expected <block end>", "indraget stämmer inte med raderna ovanför"),
    ("expected <document start>", "indraget stämmer inte med raderna ovanför"),
    ("undefined alias", "ett alias (*namn) som inte är definierat"),
]


def _yaml_problem(problem: str) -> str:
    return next((sv for en, sv in YAML_PROBLEMS if en in problem),
                "raden kan inte läsas; kontrollera indrag (mellanslag), kolon och citattecken")


def _absolutize(data: dict, base: Path) -> None:
    for section, keys in PATH_KEYS.items():
        block = data.get(section)
        if isinstance(block, dict):
            for key in keys:
                if isinstance(block.get(key), str):
                    block[key] = str((base / block[key]).resolve()) if not Path(block[key]).is_absolute() else block[key]


def _load_tree(path: Path, seen: tuple[Path, ...] = (), via: Plats | None = None
               ) -> tuple[dict, dict[str, Path], list[tuple[Path, bytes]]]:
    """Raw data, which file each top-level key came from, and every file read with its bytes,
    base first."""
    path = path.resolve()
    if path in seen:
        raise ConfigError(Fel("'extends' bildar en cirkel.", Plats(str(path))))
    data, content = _read_yaml(path, via)
    _absolutize(data, path.parent)
    raw = [(path, content)]
    origin = {k: path for k in data}
    extends_at = Plats(str(path), _line_of(data, ("extends",)))
    parent = data.pop("extends", None)
    origin.pop("extends", None)
    if parent is None:
        return data, origin, raw
    base, base_origin, base_raw = _load_tree(path.parent / str(parent), seen + (path,), extends_at)
    base.update(data)
    if hasattr(base, "lc") and hasattr(data, "lc"):   # top-level lines of replaced keys: from the extending file
        base.lc.data = {**(base.lc.data or {}), **(data.lc.data or {})}
    base_origin.update(origin)
    return base, base_origin, base_raw + raw


def _line_of(data: Any, loc: tuple) -> int | None:
    node, line = data, None
    for key in loc:
        try:
            if isinstance(node, dict) and key in node:
                line = node.lc.key(key)[0] + 1 if hasattr(node, "lc") else line
                node = node[key]
            elif isinstance(node, list) and isinstance(key, int) and key < len(node):
                line = node.lc.item(key)[0] + 1 if hasattr(node, "lc") else line
                node = node[key]
            else:
                break
        except (KeyError, TypeError, AttributeError):
            break
    return line


NUMBER = "ett tal med decimalpunkt (t.ex. 2.5)"
LIST = "en lista (värden inom [ ], åtskilda med komma)"       # no [word]: the terminal reads that as markup
MAPPING = "en mappning (nyckel: värde, eller { } med nyckel: värde)"
# pydantic's error types, as what the value should be (contract §2 in Swedish, targets: never English)
EXPECTED = {
    "decimal_parsing": NUMBER, "decimal_type": NUMBER, "float_parsing": NUMBER, "float_type": NUMBER,
    "finite_number": "ett ändligt tal", "int_parsing": "ett heltal", "int_type": "ett heltal",
    "int_from_float": "ett heltal, utan decimaler", "int_parsing_size": "ett heltal av rimlig storlek",
    "bool_parsing": "true eller false", "bool_type": "true eller false",
    "string_type": "text (sätt citattecken runt värdet)", "string_unicode": "text",
    "list_type": LIST, "tuple_type": LIST, "set_type": LIST, "iterable_type": LIST,
    "dict_type": MAPPING, "model_type": MAPPING, "model_attributes_type": MAPPING, "dataclass_type": MAPPING,
    "date_parsing": "ett datum ÅÅÅÅ-MM-DD", "date_type": "ett datum ÅÅÅÅ-MM-DD", "date_from_datetime_parsing":
    "ett datum ÅÅÅÅ-MM-DD", "none_required": "tomt (null)",
}
# the generic fallback: what an unknown error type's prefix says is expected
EXPECTED_PREFIX = {"int": "ett heltal", "float": NUMBER, "decimal": NUMBER, "bool": "true eller false",
                   "string": "text", "list": LIST, "tuple": LIST, "set": LIST, "dict": MAPPING, "model": MAPPING,
                   "date": "ett datum ÅÅÅÅ-MM-DD", "time": "ett klockslag TT:MM"}


def _shown(value: Any) -> str:
    """A short scalar as the message quotes it; nothing for a mapping or list (the line shows it)."""
    if isinstance(value, (dict, list, tuple)) or value is None:
        return "inget värde" if value is None else ""
    text = str(value).lower() if isinstance(value, bool) else str(value)
    if len(text) > 60:
        return ""
    return f"'{text}'" if isinstance(value, str) else text


def _swedish(err: dict, where: str) -> str:
    """One pydantic error as a Swedish message that says what is expected."""
    kind, ctx, value = err["type"], err.get("ctx") or {}, err.get("input")
    given = _shown(value)
    given = f"; angivet: {given}" if given else ""
    if kind == "extra_forbidden":
        return f"okänd nyckel '{where}'"
    if kind == "missing":
        last = err["loc"][-1] if err["loc"] else None
        if isinstance(last, int):
            return f"'{where.rsplit('.', 1)[0]}': listan har för få värden (nummer {last + 1} saknas)"
        return f"nyckeln '{where}' saknas"
    if kind == "invalid_key":
        return (f"'{where.rsplit('.', 1)[0]}': nyckeln {_shown(value)} är inte text; står det ett "
                "decimalkomma i en {…}-mappning? Skriv tal med decimalpunkt, t.ex. 1.5")
    if kind in ("value_error", "assertion_error"):
        return f"'{where}': " + err["msg"].removeprefix("Value error, ").removeprefix("Assertion failed, ")
    if kind in ("literal_error", "enum"):
        options = str(ctx.get("expected", "")).replace(" or ", ", ")
        if isinstance(value, str) and value in options.split(", "):
            given += " (text: ta bort citattecknen)"
        return f"'{where}': ska vara " + (f"en av {options}" if "," in options else options) + given
    bounds = {"greater_than_equal": ("minst", "ge"), "greater_than": ("större än", "gt"),
              "less_than_equal": ("högst", "le"), "less_than": ("mindre än", "lt")}
    if kind in bounds:
        word, key = bounds[kind]
        return f"'{where}': ska vara {word} {ctx.get(key)}{given}"
    if kind in ("too_short", "too_long"):
        n = ctx.get("min_length") if kind == "too_short" else ctx.get("max_length")
        return f"'{where}': ska ha {'minst' if kind == 'too_short' else 'högst'} {n} värden, inte {ctx.get('actual_length')}"
    if kind in ("string_too_short", "string_too_long"):
        n = ctx.get("min_length") if kind == "string_too_short" else ctx.get("max_length")
        return f"'{where}': texten ska ha {'minst' if kind == 'string_too_short' else 'högst'} {n} tecken"
    if kind.startswith("decimal_max") or kind == "decimal_whole_digits":
        return f"'{where}': talet har för många siffror{given}"
    expected = EXPECTED.get(kind) or EXPECTED_PREFIX.get(kind.split("_")[0], "ett giltigt värde för nyckeln")
    return f"'{where}': ska vara {expected}{given}"


def _validation_errors(exc: ValidationError, data: dict, origin: dict[str, Path]) -> list[Fel]:
    out = []
    for err in exc.errors():
        loc = tuple(p for p in err["loc"] if p != "[key]")     # a bad mapping key: where the key stands
        where = ".".join(str(p) for p in loc)
        msg = _swedish({**err, "loc": loc}, where)
        fil = origin.get(str(loc[0])) if loc else None
        out.append(Fel(msg, Plats(str(fil or next(iter(origin.values()), "")), _line_of(data, loc))))
    return out


def load(path: Path) -> LoadedConfig:
    """Load and validate a config; raise ConfigError with every problem found."""
    data, origin, raw = _load_tree(Path(path))
    try:
        cfg = Config.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_validation_errors(exc, data, origin)) from None
    rates = compile_rates(data.get("rates") or {}, origin.get("rates", Path(path)))
    _check_references(cfg, rates, data, origin)
    digest = hashlib.sha256(b"\0".join(content for _, content in raw)).hexdigest()
    places = {key: Plats(str(origin.get("schedule", Path(path))), _line_of(data, ("schedule",) + key))
              for key in SCHEDULE_KEYS}
    return LoadedConfig(cfg, Path(path).resolve(), digest, rates,
                        tuple((p, hashlib.sha256(content).hexdigest()) for p, content in raw), places)


def _check_references(cfg: Config, rates: "RateBook", data: dict, origin: dict[str, Path]) -> None:
    errors: list[Fel] = []
    for i, rule in enumerate(cfg.rules):
        where = Plats(str(origin.get("rules")), _line_of(data, ("rules", i)))
        for problem in rule_problems(rule, rates):
            errors.append(Fel(f"regel '{rule.name}': {problem}", where))
    errors += [Fel(msg, Plats(str(origin.get(key)), _line_of(data, path))) for key, path, msg in insats_problems(cfg)]
    names = [r.name for r in cfg.rules]
    for name in sorted({n for n in names if names.count(n) > 1}):
        errors.append(Fel(f"regelnamnet '{name}' används flera gånger", Plats(str(origin.get("rules")))))
    if errors:
        raise ConfigError(errors)


REQUIRES_RATE = {"beviljad", "utford", "schablon", "besok", "manad", "start", "genomforandeplan"}
REQUIRES_INSATSER = {"beviljad", "utford", "manad", "none"}


def rule_problems(rule: RuleCfg, rates: "RateBook") -> list[str]:
    """What is wrong with one rule, given the rates: empty when it is usable."""
    p: list[str] = []
    b = rule.basis
    if b in REQUIRES_RATE and not rule.rate:
        p.append(f"basis '{b}' kräver 'rate'")
    if rule.rate and rule.rate not in rates.rates:
        p.append(f"okänd rate '{rule.rate}'; definierade: {', '.join(sorted(rates.rates)) or 'inga'}")
    if b in REQUIRES_INSATSER and not rule.insatser:
        p.append(f"basis '{b}' kräver 'insatser'")
    if b == "utford" and rule.cap is None:
        p.append("basis 'utford' kräver 'cap' (none, order eller brukare)")
    if b != "utford" and rule.cap is not None:
        p.append("'cap' gäller bara basis 'utford'")
    if b == "genomforandeplan" and rule.hours is None:
        p.append("basis 'genomforandeplan' kräver 'hours'")
    if b == "schablon" and not rule.schablon:
        p.append("basis 'schablon' kräver 'schablon' (minuter per insats)")
    if rule.uppehall_percent is not None and b != "beviljad":
        p.append("'uppehall_percent' gäller bara basis 'beviljad'")
    if rule.avbojt_percent is not None and b not in ("schablon", "besok"):
        p.append("'avbojt_percent' gäller bara basis 'schablon' och 'besok'")
    if rule.max_andel is not None and b != "utford":
        p.append("'max_andel' gäller bara basis 'utford'")
    if rule.rate and rule.rate in rates.rates and "roll" in rates[rule.rate].by and b not in ("utford", "besok", "schablon"):
        p.append(f"raten '{rule.rate}' är uppdelad på roll, men basis '{b}' har inga besök att ta roll från")
    for orsak, shares in (rule.uppehall_percent or {}).items():
        if any(not 0 <= x <= 100 for x in shares):
            p.append(f"'uppehall_percent' för '{orsak}': procent måste ligga mellan 0 och 100")
    return p


SCHEDULE_KEYS = (("run_workday",), ("payment", "day"))


def months_of(*years: int) -> list[Period]:
    return [Period(y, m) for y in years for m in range(1, 13)]


def schedule_problems(schedule: ScheduleCfg, periods: list[Period]) -> list[tuple[tuple, str]]:
    """The settled months in `periods` with a run day that does not exist (fewer workdays than
    `run_workday`) or a payment day before the run day (the utförare would be paid before the run
    that settles the month): one (key path, message) per kind, naming every such month and the
    first as an example. Not checked at load: whether a schedule holds depends on the calendar,
    and a run should not stop on another month's calendar. `run` stops on its own month's missing
    run day and warns of the rest, and of the next twelve months; `check-config` checks this
    year and the next."""
    p = schedule.payment
    rule = PaymentRule(day=p.day, days_after_run=p.days_after_run, roll=p.roll)
    missing, early = [], []
    for period in periods:
        try:
            run = run_day(period, schedule.run_workday)
        except ValueError as exc:
            missing.append((period, str(exc).rstrip(".")))
            continue
        pay = payment_date(period, rule, schedule.run_workday)
        if pay < run:       # only with `day`: days_after_run counts from the run day
            early.append((period, f"för {period.label} betalas {pay} men körningen sker {run}"))
    out = []
    if missing:
        out.append((("run_workday",), f"'run_workday' {schedule.run_workday} finns inte i varje månad: körningen för "
                                      f"{_months(missing)} får ingen körningsdag ({missing[0][1]})"))
    if early:
        out.append((("payment", "day"), (
            f"betalningsdagen ({p.day}, roll {p.roll}) infaller före körningsdagen ({schedule.run_workday}:e "
            f"arbetsdagen) för {_months(early)}; till exempel {early[0][1]}. Välj en senare 'day', en tidigare "
            "'run_workday' eller 'days_after_run'")))
    return out


def _months(found: list[tuple[Period, str]]) -> str:
    return ("månaden " if len(found) == 1 else f"{len(found)} månader: ") + ", ".join(m.label for m, _ in found)


def insats_problems(cfg: Config) -> list[tuple[str, tuple, str]]:
    """Insatser named where they cannot be meant: not in the catalogue (when there is one), an
    avbojt_percent or schablon entry for an insats the rule does not name, a max_andel base no
    rule names, an insats marked unpaid (`basis: none`) that another rule pays. Each as
    (top-level key, path for the line, message)."""
    known = set(cfg.insatser or [])
    named = {i for r in cfg.rules for i in r.named_insatser()}
    payer = {}
    for r in cfg.rules:
        for i in r.named_insatser() if r.basis != "none" else []:
            payer.setdefault(i, r.name)
    out = []
    for n, r in enumerate(cfg.rules):
        both = [i for i in r.named_insatser() if r.basis == "none" and i in payer]
        for insats in both:
            out.append(("rules", ("rules", n), f"regel '{r.name}': insatsen '{insats}' har 'basis: none' (ersätts "
                        f"inte) men ersätts av regeln '{payer[insats]}'; ta bort den ur den ena regeln"))
    for n, r in enumerate(cfg.rules):
        mine = set(r.named_insatser())
        refs = [(i, "insatser") for i in r.insatser or []] + [(i, "schablon") for i in r.schablon or {}]
        refs += [(i, "avbojt_percent") for i in r.avbojt_percent or {} if i != "default"]
        refs += [(i, "max_andel") for i in (r.max_andel.av if r.max_andel else [])]
        for insats, where in refs:
            if cfg.insatser is not None and insats not in known:
                out.append(("rules", ("rules", n), f"regel '{r.name}': okänd insats '{insats}' i '{where}'; "
                            "den finns inte i 'insatser'"))
            elif where == "avbojt_percent" and mine and insats not in mine:
                out.append(("rules", ("rules", n), f"regel '{r.name}': 'avbojt_percent' för '{insats}', som regeln inte ersätter"))
            elif where == "schablon" and r.insatser and insats not in r.insatser:
                out.append(("rules", ("rules", n), f"regel '{r.name}': schablon för '{insats}', som inte finns i regelns 'insatser'"))
            elif where == "max_andel" and insats not in named:
                out.append(("rules", ("rules", n), f"regel '{r.name}': 'max_andel' räknar på '{insats}', som ingen regel nämner"))
    return out


def config_path(cli_value: Path | None, env: dict[str, str]) -> Path:
    """--config, else $LOVKORNING_CONFIG, else ./lovkorning.yaml (contract §2)."""
    if cli_value is not None:
        return cli_value
    if env.get("LOVKORNING_CONFIG"):
        return Path(env["LOVKORNING_CONFIG"])
    return Path("lovkorning.yaml")

