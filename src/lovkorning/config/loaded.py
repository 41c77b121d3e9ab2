"""Config v1 (contract §2): loaded strictly from YAML into pydantic models.

Strict means: YAML 1.2 (`no` stays a string), duplicate keys are errors, unknown keys are errors,
dates are parsed by us (not by the YAML library) so a bad date names its line. Every error
carries file:line. Paths are relative to the file that names them. An `extends: other.yaml`
key (an extension of the contract) loads another config first; each top-level key of the
extending file replaces that key of the base as a whole.
"""

from __future__ import annotations

import hashlib
from datetime import date
from pathlib import Path

from pydantic import ValidationError

from ..core.errors import ConfigError, Fel, Plats
from ..core.period import Period
from .rates import RateBook, compile_rates
from ..core.schedule import PaymentRule, run_day
from .checks import SCHEDULE_KEYS, check_references, schedule_problems
from .messages import validation_errors
from .schema import Config
from .yamlfile import line_of, load_tree


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


def load(path: Path) -> LoadedConfig:
    """Load and validate a config; raise ConfigError with every problem found."""
    data, origin, raw = load_tree(Path(path))
    try:
        cfg = Config.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(validation_errors(exc, data, origin)) from None
    rates = compile_rates(data.get("rates") or {}, origin.get("rates", Path(path)))
    check_references(cfg, rates, data, origin)
    digest = hashlib.sha256(b"\0".join(content for _, content in raw)).hexdigest()
    places = {key: Plats(str(origin.get("schedule", Path(path))), line_of(data, ("schedule",) + key))
              for key in SCHEDULE_KEYS}
    return LoadedConfig(cfg, Path(path).resolve(), digest, rates,
                        tuple((p, hashlib.sha256(content).hexdigest()) for p, content in raw), places)


def config_path(cli_value: Path | None, env: dict[str, str]) -> Path:
    """--config, else $LOVKORNING_CONFIG, else ./lovkorning.yaml (contract §2)."""
    if cli_value is not None:
        return cli_value
    if env.get("LOVKORNING_CONFIG"):
        return Path(env["LOVKORNING_CONFIG"])
    return Path("lovkorning.yaml")
