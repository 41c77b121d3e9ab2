"""Where a run's outputs live, and how they are put in place atomically.

Every run writes a complete version folder beside the output folder
(`out/.2023-09.versions/NNN-<run_id>-<kind>/`). The output folder itself (`out/2023-09`) is a symbolic
link to the current version, switched with one atomic rename. A run killed at any moment
therefore leaves either the previous outputs or the complete new ones, never a half-written
payment file; earlier versions stay for the record. The version is flushed to disk (fsync of every
file and folder) before the link is switched, and the switch itself after it, so this holds after
a power cut too, not only after a killed process.

Which payment file is to be sent is never in doubt: a name that an upload takes (`betalning/*.txt`,
`betalning/*.xml`) exists only in the published version. Until the switch the payment file is
staged (`lov-2023-09.txt.tmp`) and it gets its name right after the switch; the payment files of
every other version, and the earlier ones a correction carries for the record, end in `.historik`.
`tidy` puts a month's versions in this order, after a run or after a killed one.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

from ..core.errors import Fel, OutputError, Plats
from ..pay.plan import PAYMENT_FOLDER
from .files import sha256

CRASH_ENV = "LOVKORNING_TEST_CRASH"   # fault injection for the kill tests: exit hard at a named step

SENDABLE = (".txt", ".xml")           # what an upload takes: LB and pain.001
STAGED = ".tmp"                       # a payment file whose version is not yet published
HISTORY = ".historik"                 # a payment file of an earlier version: sent then, never again
VERSION_NAME = re.compile(r"\d{3}-[0-9a-f]+-[a-z]+")     # new_version's names (not 000-tidigare)
KILLED = "Städade upp en avbruten körning"


def crash_point(name: str) -> None:
    """Exit at once, as a kill would, when the tests ask for this step."""
    if os.environ.get(CRASH_ENV) == name:
        os._exit(99)


def versions_dir(final: Path) -> Path:
    return final.parent / f".{final.name}.versions"


def current(final: Path) -> Path | None:
    """The version folder the output folder points at, if any."""
    if final.is_symlink():
        target = final.parent / os.readlink(final)
        return target if target.is_dir() else None
    return final if final.is_dir() else None


def new_version(final: Path, run_id: str, kind: str) -> Path:
    """A fresh, empty version folder, numbered after the ones before it."""
    vdir = versions_dir(final)
    vdir.mkdir(parents=True, exist_ok=True, mode=0o700)
    taken = [int(p.name.split("-")[0]) for p in vdir.iterdir() if p.name.split("-")[0].isdigit()]
    path = vdir / f"{max(taken, default=0) + 1:03d}-{run_id}-{kind.lower().replace('ä', 'a').replace('ö', 'o')}"
    path.mkdir(mode=0o700)
    return path


def staged(name: str) -> str:
    """The name a payment file is written under until its version is published."""
    return name + STAGED


def published_name(name: str) -> str:
    """The name a file of a version has once the version is published (the manifest's name)."""
    return name.removesuffix(STAGED) if is_staged(Path(name)) else name


def is_staged(path: Path) -> bool:
    return path.name.endswith(STAGED) and Path(path.name.removesuffix(STAGED)).suffix in SENDABLE


def payment_files(version: Path, which=lambda p: p.suffix in SENDABLE) -> list[Path]:
    """The files of a version's payment folder that `which` selects (by default those named for
    sending)."""
    folder = version / PAYMENT_FOLDER
    return sorted(p for p in folder.iterdir() if p.is_file() and which(p)) if folder.is_dir() else []


def history_name(name: str) -> str:
    """The name a payment file keeps once a later version is published (or carried into one)."""
    return name if name.endswith(HISTORY) else name + HISTORY


def adopt_plain_folder(final: Path) -> None:
    """Outputs written before versions existed: move them into a version and link to it."""
    if final.is_dir() and not final.is_symlink():
        vdir = versions_dir(final)
        vdir.mkdir(parents=True, exist_ok=True, mode=0o700)
        target = vdir / "000-tidigare"
        final.rename(target)
        _link(final, target)


def publish(final: Path, version: Path) -> None:
    """Point the output folder at `version`, atomically and durably. No moment has two files to
    send: every other version's payment files get their history name before the switch (the
    published one's too: until the switch there is none to send), and `version`'s staged payment
    file gets its name after it. A run killed in between is put right by the next one (`tidy`)."""
    sync_tree(version)
    adopt_plain_folder(final)
    tidy(final, publishing=version)
    crash_point("fore-lank")
    _link(final, version)
    crash_point("efter-lank")
    _name_payment_files(final, version)


def tidy(final: Path, abandoned: tuple[Path, ...] = (), publishing: Path | None = None) -> list[str]:
    """Put a month's versions in order after a killed run (or, with `publishing`, before that
    version is switched to), and say what was done, in Swedish:
    - a version that was never published is removed: one holding a staged payment file, one
      without a manifest (killed while it was written), and those in `abandoned` (the ledger's
      runs that never switched); the published version never is;
    - every version but the published one (or `publishing`) has its payment files named as history;
    - the published version's own payment file, as its manifest names it, has that name again:
      staged (a run killed after the switch) or named as history (a run killed before its switch)."""
    said: list[str] = []
    cur = current(final)
    keep = publishing or cur
    vdir = versions_dir(final)
    gone = {p.resolve() for p in abandoned}
    for version in sorted(p for p in vdir.iterdir() if p.is_dir()) if vdir.is_dir() else []:
        if keep is not None and version.resolve() == keep.resolve():
            continue
        if (VERSION_NAME.fullmatch(version.name) and not (cur and version.resolve() == cur.resolve())
                and (version.resolve() in gone or _unfinished(version))):
            discard(version)
            said.append(f"{KILLED}: versionen {version} publicerades aldrig och togs bort"
                        f"{' (betalfilen i den skickades aldrig)' if payment_files(version, is_staged) else ''}.")
        else:
            said += _retire(version, keep)
    if publishing is None and cur is not None:
        said += _name_payment_files(final, cur)
    clean_strays(final)
    return said


def listed_outputs(version: Path) -> dict[str, str] | None:
    """The outputs a version's manifest lists, {file: sha256}; None without a readable manifest."""
    try:
        return {o["file"]: o["sha256"] for o in json.loads((version / "manifest.json").read_text("utf-8"))["outputs"]}
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _unfinished(version: Path) -> bool:
    """A version no run can have published: killed before its manifest, or before its switch."""
    return not (version / "manifest.json").is_file() or bool(payment_files(version, is_staged))


def _name_payment_files(final: Path, version: Path) -> list[str]:
    """The published version's own payment files under the names its manifest gives them. One
    whose bytes differ from the manifest stops the run: nothing is made sendable unchecked."""
    said = []
    listed = listed_outputs(version) or {}
    for path in payment_files(version, lambda p: is_staged(p) or p.name.endswith(HISTORY)):
        name = published_name(path.name).removesuffix(HISTORY)
        if f"{PAYMENT_FOLDER}/{name}" not in listed or (path.parent / name).exists():
            continue                  # history this version carries, as its manifest names it
        if listed[f"{PAYMENT_FOLDER}/{name}"] != sha256(path):
            raise OutputError(Fel(f"Betalfilen {path.name} stämmer inte med manifest.json och görs inte klar att "
                                  "skicka. Inget betalades; kontrollera filen och versionen.", Plats(str(path))))
        os.replace(path, path.with_name(name))
        fsync_path(path.parent)
        said.append(f"{KILLED}: versionen {version.name} " +
                    ("hann publiceras; dess betalfil " if is_staged(path) else "är fortfarande den publicerade; dess betalfil ")
                    + f"{final / PAYMENT_FOLDER / name} har " + ("nu sitt namn." if is_staged(path) else "åter sitt namn."))
    return said


def _retire(version: Path, published: Path | None) -> list[str]:
    said = []
    for path in payment_files(version):
        target = path.with_name(history_name(path.name))
        n = 1
        while target.exists():
            n += 1
            target = path.with_name(f"{history_name(path.name)}-{n}")
        os.replace(path, target)
        fsync_path(path.parent)
        said.append(f"{path} heter nu {target.name}: bara den publicerade versionen"
                    f"{f' {published.name}' if published else ''} har betalfiler att skicka.")
    return said


def fsync_path(path: Path) -> None:
    """Flush a file's contents, or a folder's entries, to disk."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def sync_tree(folder: Path) -> None:
    """Flush every file and folder under `folder`, the folder itself and its entry in its parent."""
    for p in sorted(folder.rglob("*"), key=lambda p: -len(p.parts)):    # deepest first
        fsync_path(p)
    fsync_path(folder)
    fsync_path(folder.parent)


def _link(final: Path, target: Path) -> None:
    tmp = final.parent / f".{final.name}.link-{os.getpid()}"
    if tmp.is_symlink() or tmp.exists():
        tmp.unlink()
    os.symlink(os.path.relpath(target, final.parent), tmp)
    os.replace(tmp, final)
    fsync_path(final.parent)          # the switch itself is on disk before the ledger says done


def discard(version: Path) -> None:
    shutil.rmtree(version, ignore_errors=True)


def clean_strays(final: Path) -> None:
    """Half-made links of killed runs."""
    for p in final.parent.glob(f".{final.name}.link-*"):
        p.unlink(missing_ok=True)
