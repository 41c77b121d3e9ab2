"""Strict YAML: 1.2 (`no` stays a string), duplicate keys are errors, dates kept as text so a bad
date names its line; `extends:` chains; paths made absolute against the file that names them;
the line of any key, for messages.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.constructor import RoundTripConstructor
from ruamel.yaml.error import MarkedYAMLError

from ..core.errors import ConfigError, Fel, Plats
from .schema import INPUT_FILES


PATH_KEYS = {"inputs": ("dir",) + INPUT_FILES, "output": ("dir",), "state": ("dir",)}


class _TextDates(RoundTripConstructor):
    """Keep dates as text: we parse them ourselves so a bad date names its line."""


_TextDates.add_constructor("tag:yaml.org,2002:timestamp", lambda self, node: self.construct_scalar(node))


def _yaml() -> YAML:
    y = YAML(typ="rt")
    y.Constructor = _TextDates
    y.allow_duplicate_keys = False
    return y


def read_yaml(path: Path, via: Plats | None = None) -> tuple[Any, bytes]:
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


def load_tree(path: Path, seen: tuple[Path, ...] = (), via: Plats | None = None
               ) -> tuple[dict, dict[str, Path], list[tuple[Path, bytes]]]:
    """Raw data, which file each top-level key came from, and every file read with its bytes,
    base first."""
    path = path.resolve()
    if path in seen:
        raise ConfigError(Fel("'extends' bildar en cirkel.", Plats(str(path))))
    data, content = read_yaml(path, via)
    _absolutize(data, path.parent)
    raw = [(path, content)]
    origin = {k: path for k in data}
    extends_at = Plats(str(path), line_of(data, ("extends",)))
    parent = data.pop("extends", None)
    origin.pop("extends", None)
    if parent is None:
        return data, origin, raw
    base, base_origin, base_raw = load_tree(path.parent / str(parent), seen + (path,), extends_at)
    base.update(data)
    if hasattr(base, "lc") and hasattr(data, "lc"):   # top-level lines of replaced keys: from the extending file
        base.lc.data = {**(base.lc.data or {}), **(data.lc.data or {})}
    base_origin.update(origin)
    return base, base_origin, base_raw + raw


def line_of(data: Any, loc: tuple) -> int | None:
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
