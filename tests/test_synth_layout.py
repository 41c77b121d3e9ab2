"""The generator is a wing: `lovkorning.synth` imports only `lovkorning.core`, only the CLI and the
`python -m lovkorning.generate` shim import it, and its modules import each other without a cycle."""

import ast
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"


def module_name(path: Path) -> str:
    parts = path.relative_to(SRC).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path) -> set[str]:
    """The lovkorning modules a file imports (`from . import x` names module x where it is one)."""
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
                sub = SRC.joinpath(*f"{target}.{a.name}".split("."))
                is_module = sub.with_suffix(".py").exists() or (sub / "__init__.py").exists()
                found.add(f"{target}.{a.name}" if is_module else target)
    return {m for m in found if m == "lovkorning" or m.startswith("lovkorning.")}


GRAPH = {module_name(p): imports(p) for p in (SRC / "lovkorning").rglob("*.py")}


def is_synth(m: str) -> bool:
    return m == "lovkorning.synth" or m.startswith("lovkorning.synth.")


def test_synth_imports_only_core():
    outside = {(m, i) for m, deps in GRAPH.items() if is_synth(m) for i in deps
               if not is_synth(i) and not i.startswith("lovkorning.core")}
    assert not outside


def test_only_the_cli_and_the_shim_import_synth():
    importers = {m for m, deps in GRAPH.items() if not is_synth(m) and any(map(is_synth, deps))}
    cli = {m for m in importers if m == "lovkorning.cli" or m.startswith("lovkorning.cli.")}
    assert importers - cli == {"lovkorning.generate"}


def test_no_cycle_inside_synth():
    inside = {m: {i for i in deps if is_synth(i) and i != m} for m, deps in GRAPH.items() if is_synth(m)}
    try:
        list(TopologicalSorter(inside).static_order())
    except CycleError as e:
        raise AssertionError(f"import cycle: {e.args[1]}") from None
