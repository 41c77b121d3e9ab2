"""Errors that stop a run. Each carries a Swedish message and where it was found; the CLI
renders them and exits with the contract's code. Messages never contain a personnummer."""

from __future__ import annotations

import errno
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

# Anything shaped like a personnummer or samordningsnummer (10 or 12 digits, with or without -, +
# or a space before the last four): a message quotes what a cell held, and a cell may hold a
# personnummer typed in the wrong column. Org numbers have the same shape (a sole trader's is a
# personnummer) and are hidden too.
PNR_LIKE = re.compile(r"\d{6}(?:\d{2})?[-+ ]?\d{4}")
HIDDEN = "(dold: ser ut som ett personnummer)"


def hide_personnummer(text: str) -> str:
    return PNR_LIKE.sub(HIDDEN, text)


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

    def __post_init__(self) -> None:
        self.meddelande = hide_personnummer(self.meddelande)

    def __str__(self) -> str:
        where = str(self.plats)
        return hide_personnummer(f"{where}: {self.meddelande}" if where else self.meddelande)


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


class UsageError(LovError):
    """Wrong use of a command that only the state can tell (a correction of an unpaid month)."""
    exit_code = EXIT_USAGE


class ReconciliationError(LovError):
    """Payment file, sheets and manifest do not agree: no payment file is written."""


class RefusedError(LovError):
    exit_code = EXIT_REFUSED


class OutputError(LovError):
    """Outputs that cannot be written (a full disk, a read-only or forbidden folder): nothing was
    recorded or paid, and the half-written version was removed."""


# what the operating system said, in words a systemförvaltare can act on: (cause, remedy)
OS_CAUSES = {
    errno.ENOSPC: ("disken är full", "frigör utrymme"),
    errno.EDQUOT: ("diskkvoten är slut", "frigör utrymme eller höj kvoten"),
    errno.EACCES: ("behörighet saknas", "ge körningens användare skrivrätt till mappen"),
    errno.EPERM: ("behörighet saknas", "ge körningens användare skrivrätt till mappen"),
    errno.EROFS: ("filsystemet är skrivskyddat", "ange en skrivbar mapp under output.dir"),
    errno.EIO: ("läs- eller skrivfel på disken", "kontrollera disken"),
    errno.ENOTDIR: ("en del av sökvägen är en fil, inte en mapp", "rätta sökvägen"),
    errno.EEXIST: ("en fil står där en mapp ska skapas", "rätta sökvägen eller flytta filen"),
    errno.ENOENT: ("filen eller mappen finns inte", "rätta sökvägen"),
}
OS_ERROR_NUMBER = re.compile(r"os error (\d+)\)?$")     # polars' OSError: "... (os error 28)", no errno


# SQLite's result codes for the same causes (the ledger)
SQLITE_CAUSES = {13: errno.ENOSPC, 8: errno.EROFS, 3: errno.EACCES, 10: errno.EIO}
SQLITE_BROKEN = {11, 26}       # SQLITE_CORRUPT, SQLITE_NOTADB


FULL_BELOW = 1 << 20     # bytes free under which an I/O error is put down to a full disk


def os_cause(exc: Exception, where: Path | str | None = None) -> tuple[str, str]:
    """(cause, remedy) of an OSError, also one raised by polars, which gives no errno, or of a
    SQLite error (sqlite3.Error: its result code). SQLite reports some writes on a full disk as
    an I/O error (growing its -shm file: SQLITE_IOERR_SHMSIZE): an I/O error where the disk of
    `where` (a path, or the nearest folder above it that exists) is full says so."""
    cause = _os_cause(exc)
    if cause == OS_CAUSES[errno.EIO] and where is not None and _disk_full(Path(where)):
        return OS_CAUSES[errno.ENOSPC]
    return cause


def _disk_full(path: Path) -> bool:
    for folder in (path, *path.parents):
        if folder.exists():
            try:
                return shutil.disk_usage(folder).free < FULL_BELOW
            except OSError:
                return False
    return False


def _os_cause(exc: Exception) -> tuple[str, str]:
    if not isinstance(exc, OSError):
        code = getattr(exc, "sqlite_errorcode", None)
        if code is not None and code & 0xFF in SQLITE_CAUSES:
            return OS_CAUSES[SQLITE_CAUSES[code & 0xFF]]
        if code is not None and code & 0xFF in SQLITE_BROKEN:
            return ("liggaren är skadad eller ingen SQLite-databas", "återställ den från säkerhetskopian")
        name = getattr(exc, "sqlite_errorname", None) or type(exc).__name__
        return (f"databasen gav felet {name}", "åtgärda felet")
    number = exc.errno
    if number is None:
        m = OS_ERROR_NUMBER.search(str(exc))
        number = int(m.group(1)) if m else None
    if number in OS_CAUSES:
        return OS_CAUSES[number]
    name = errno.errorcode.get(number, "") if number is not None else ""
    return (f"operativsystemet gav felet {name or type(exc).__name__}", "åtgärda felet")
