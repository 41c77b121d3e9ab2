"""Where a run's outputs live, and how they are put in place atomically.

Every run writes a complete version folder beside the output folder
(`out/.2023-09.versions/NNN-<run_id>-<kind>/`). The output folder itself (`out/2023-09`) is a symbolic
link to the current version, switched with one atomic rename. A run killed at any moment
therefore leaves either the previous outputs or the complete new ones, never a half-written
payment file; earlier versions stay for the record. The version is flushed to disk (fsync of every
file and folder) before the link is switched, and the switch itself after it, so this holds after
a power cut too, not only after a killed process.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

CRASH_ENV = "LOVKORNING_TEST_CRASH"   # fault injection for the kill tests: exit hard at a named step


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


def adopt_plain_folder(final: Path) -> None:
    """Outputs written before versions existed: move them into a version and link to it."""
    if final.is_dir() and not final.is_symlink():
        vdir = versions_dir(final)
        vdir.mkdir(parents=True, exist_ok=True, mode=0o700)
        target = vdir / "000-tidigare"
        final.rename(target)
        _link(final, target)


def publish(final: Path, version: Path) -> None:
    """Point the output folder at `version`, atomically and durably."""
    sync_tree(version)
    adopt_plain_folder(final)
    _link(final, version)


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
    """Leftovers of killed runs: half-made links and versions nothing points at and no run owns
    (the ledger decides the latter; here only links)."""
    for p in final.parent.glob(f".{final.name}.link-*"):
        p.unlink(missing_ok=True)
