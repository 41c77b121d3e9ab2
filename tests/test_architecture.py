"""The house as drawn (docs/design.md): one package per stage, each importing only the stages below
it (the import-linter contracts in pyproject.toml), no import cycle, at most nine floors, a small
top level, modules of a readable size, lazy imports only for startup and marked so, the generator a
wing, and every basis the config accepts implemented.

The import graph is read from the source with `ast`: module-level and function-level imports alike.
"""

import ast
from functools import cache
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

from importlinter.cli import lint_imports

from lovkorning.config.checks import REQUIRES_RATE
from lovkorning.config.schema import BASES as CONFIG_BASES
from lovkorning.settle.engine import BASES

REPO = Path(__file__).resolve().parents[1]
SRC = REPO / "src"
PACKAGE = SRC / "lovkorning"
MAX_LINES = 400
MAX_FLOORS = 9
MAX_TOP_LEVEL_MODULES = 6
LAZY_MARK = "# lazy: startup"


def module_name(path: Path) -> str:
    parts = path.relative_to(SRC).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def is_module(name: str) -> bool:
    sub = SRC.joinpath(*name.split("."))
    return sub.with_suffix(".py").exists() or (sub / "__init__.py").exists()


def imports(path: Path) -> set[str]:
    """The lovkorning modules a file imports, wherever the import stands (`from . import x` names
    the module x where it is one)."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = package.split(".")[:len(package.split(".")) - node.level + 1] if node.level else []
            target = ".".join(base + ([node.module] if node.module else []))
            for a in node.names:
                found.add(f"{target}.{a.name}" if is_module(f"{target}.{a.name}") else target)
    return {m for m in found if m.startswith("lovkorning.")}


GRAPH = {module_name(p): imports(p) - {module_name(p)} for p in PACKAGE.rglob("*.py")}


def member(m: str) -> str:
    """The member of the top level a module belongs to: a subpackage, or a top-level module."""
    return ".".join(m.split(".")[:2])


def test_the_layers_hold():
    assert lint_imports(config_filename=str(REPO / "pyproject.toml"), no_cache=True) == 0


def test_no_import_cycle():
    try:
        list(TopologicalSorter(GRAPH).static_order())
    except CycleError as e:
        raise AssertionError(f"import cycle: {e.args[1]}") from None


def test_at_most_nine_floors():
    """A floor is a step in the longest chain of imports between the members of the top level (the
    stages: core, config, read … cli, and the top-level modules); b96cd97's flat house had 14."""
    members = {member(m): set() for m in GRAPH}
    for m, deps in GRAPH.items():
        members[member(m)] |= {member(d) for d in deps} - {member(m)}

    @cache
    def floor(m: str) -> int:
        return 1 + max((floor(d) for d in members[m]), default=0)

    assert max(map(floor, members)) <= MAX_FLOORS


def test_a_small_top_level():
    modules = [p for p in PACKAGE.glob("*.py")]
    assert len(modules) <= MAX_TOP_LEVEL_MODULES, sorted(p.name for p in modules)


def test_no_module_above_400_lines():
    long = {str(p.relative_to(SRC)): n for p in PACKAGE.rglob("*.py")
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert not long


def test_an_import_inside_a_function_is_there_for_startup_and_says_so():
    unmarked = []
    for p in PACKAGE.rglob("*.py"):
        text = p.read_text(encoding="utf-8")
        lines = text.splitlines()
        for fn in ast.walk(ast.parse(text)):
            if isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
                unmarked += [f"{p.relative_to(SRC)}:{n.lineno}" for n in ast.walk(fn)
                             if isinstance(n, (ast.Import, ast.ImportFrom)) and LAZY_MARK not in lines[n.end_lineno - 1]]
    assert not unmarked


def is_synth(m: str) -> bool:
    return m == "lovkorning.synth" or m.startswith("lovkorning.synth.")


def test_the_generator_imports_only_core():
    outside = {(m, i) for m, deps in GRAPH.items() if is_synth(m) for i in deps
               if not is_synth(i) and not i.startswith("lovkorning.core")}
    assert not outside


def test_only_the_command_line_and_the_shim_import_the_generator():
    importers = {m for m, deps in GRAPH.items() if not is_synth(m) and any(map(is_synth, deps))}
    assert {m for m in importers if not m.startswith("lovkorning.cli")} == {"lovkorning.generate"}


def test_every_basis_of_the_schema_has_a_function_and_no_other():
    assert set(BASES) | {"none"} == set(CONFIG_BASES)


def test_every_basis_that_pays_needs_a_rate():
    assert REQUIRES_RATE == set(BASES)
