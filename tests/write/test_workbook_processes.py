"""A workbook process starts lean: it does not run the program's main module again (the
`lovkorning` script, which imports the whole command line, the config's pydantic models, typer
and rich), since the jobs it gets name everything it needs."""

from __future__ import annotations

import sys
import types

from lovkorning.write.workbook import writers

LOADED = "[m for m in ('lovkorning.cli', 'lovkorning.config', 'pydantic', 'typer') if m in __import__('sys').modules]"


def test_a_workbook_process_does_not_import_the_command_line(tmp_path, monkeypatch):
    script = tmp_path / "lovkorning_script.py"
    script.write_text("import lovkorning.cli\n", encoding="utf-8")
    main = types.ModuleType("__main__")          # as when run as the `lovkorning` script
    main.__file__ = str(script)
    main.__spec__ = None
    monkeypatch.setitem(sys.modules, "__main__", main)
    with writers(1) as pool:
        assert pool.submit(eval, LOADED).result() == []
        assert pool.submit(eval, "'lovkorning.write.workbook' in __import__('sys').modules").result()
