"""Tables for the terminal: rich's Table, laid out without rich when the output is a file or a pipe
(cron, a script, the bench) and every cell is plain text.

rich sizes a table by measuring every cell through its text machinery: 38 ms for the 120 utförare
of a Stockholm run, a tenth of a second of the run's single-core tail. Cells of plain text (no
control characters, each character one column wide) padded with str methods give the same
bytes in well under a millisecond (tests/cli/test_terminal_tables.py compares the two). A terminal, a cell
that is not plain text, or a table wider than the console still gets rich's own layout.
"""

from __future__ import annotations

from rich.cells import cell_len
from rich.console import Console, ConsoleOptions, RenderResult
from rich.segment import Segment
from rich.table import Table

GAP = "  "      # rich's padding (0, 1) between two columns; none at the table's edges (pad_edge=False)


class Tabell(Table):
    """A borderless table of text cells, numbers right-aligned in the columns `right`."""

    def __init__(self, *columns: str, right: tuple[int, ...] = ()):
        super().__init__(box=None, pad_edge=False, show_edge=False)
        for i, c in enumerate(columns):
            self.add_column(c, justify="right" if i in right else "left")
        self._right = frozenset(right)
        self._text: list[tuple[str, ...]] | None = [tuple(columns)]

    def add_row(self, *cells, **kwargs) -> None:
        super().add_row(*cells, **kwargs)
        if self._text is not None and not kwargs and len(cells) == len(self.columns) and all(
                isinstance(c, str) for c in cells):
            self._text.append(tuple(cells))
        else:
            self._text = None       # anything else: rich lays it out

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        lines = None if console.is_terminal else self.plain_lines(options.max_width)
        if lines is None:
            yield from super().__rich_console__(console, options)
            return
        for line in lines:
            yield Segment(line)
            yield Segment.line()

    def plain_lines(self, max_width: int) -> list[str] | None:
        """The header and rows as rich lays them out when every cell is plain text; None
        otherwise."""
        if self._text is None or not all(_plain(c) for row in self._text for c in row):
            return None
        widths = [max(len(row[i]) for row in self._text) for i in range(len(self.columns))]
        if sum(widths) + len(GAP) * (len(widths) - 1) > max_width or not all(widths):
            return None             # rich shrinks what is too wide, and gives an empty column a space
        # right-aligned text loses its trailing spaces (as in rich), within the width measured with them
        return [GAP.join(c.rstrip().rjust(w) if i in self._right else c.ljust(w) for i, (c, w) in enumerate(zip(row, widths)))
                for row in self._text]


def _plain(cell: str) -> bool:
    """Printable (a no-break space too: amounts are written with it), and one terminal column per
    character (no tab, control code, wide or zero-width character)."""
    return cell.replace("\u00a0", " ").isprintable() and cell_len(cell) == len(cell)
