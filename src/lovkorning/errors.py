"""Errors that stop a run. Each carries a Swedish message and where it was found; the CLI
renders them and exits with the contract's code. Messages never contain a personnummer."""

from __future__ import annotations

from dataclasses import dataclass, field

EXIT_OK = 0
EXIT_INPUT = 1      # input or config errors stop the run; nothing is paid
EXIT_USAGE = 2
EXIT_REFUSED = 3    # already paid, locked by another run


@dataclass
class Plats:
    fil: str | None = None
    rad: int | None = None
    kolumn: str | None = None

    def __str__(self) -> str:
        parts = [self.fil or ""]
        if self.rad is not None:
            parts.append(f"rad {self.rad}")
        if self.kolumn:
            parts.append(f"kolumn '{self.kolumn}'")
        return ", ".join(p for p in parts if p)


@dataclass
class Fel:
    meddelande: str
    plats: Plats = field(default_factory=Plats)

    def __str__(self) -> str:
        where = str(self.plats)
        return f"{where}: {self.meddelande}" if where else self.meddelande


class LovError(Exception):
    """An error that stops the run with an exit code and one or more Swedish messages."""

    exit_code = EXIT_INPUT

    def __init__(self, fel: list[Fel] | Fel | str):
        if isinstance(fel, str):
            fel = Fel(fel)
        self.fel = fel if isinstance(fel, list) else [fel]
        super().__init__("\n".join(str(f) for f in self.fel))


class InputError(LovError):
    """Input files that cannot be read or lack what the contract requires."""


class ConfigError(LovError):
    """A config that does not load or does not make sense."""


class ReconciliationError(LovError):
    """Payment file, sheets and manifest do not agree: no payment file is written."""


class RefusedError(LovError):
    exit_code = EXIT_REFUSED
