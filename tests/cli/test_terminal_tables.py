"""Tables printed to a file or a pipe are laid out without rich's measuring, byte for byte as rich
lays them out."""

from __future__ import annotations

import io

from hypothesis import given, settings
from hypothesis import strategies as st
from rich.console import Console
from rich.table import Table

from lovkorning.cli.tables import Tabell

PLAIN = st.text(st.sampled_from(list("abcxyzÅÄÖåäöé0123456789 \u00a0-,.:()%'/")), max_size=12)   # kronor: 1\u00a0234,50
ODD = st.text(st.sampled_from(list("ab 漢\t\u2007\u200b\x1b😀")), max_size=6)     # wide, tab, figure space…


def printed(table: Table, width: int = 1000) -> str:
    """As cli.show.console() prints when the output is not a terminal."""
    out = io.StringIO()
    Console(file=out, no_color=True, highlight=False, soft_wrap=True, width=width, emoji=False, markup=False).print(table)
    return out.getvalue()


def rich_table(columns: list[str], rows: list[list[str]], right: set[int]) -> Table:
    t = Table(box=None, pad_edge=False, show_edge=False)
    for i, c in enumerate(columns):
        t.add_column(c, justify="right" if i in right else "left")
    for r in rows:
        t.add_row(*r)
    return t


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 5).flatmap(lambda n: st.tuples(
    st.lists(PLAIN, min_size=n, max_size=n), st.lists(st.lists(st.one_of(PLAIN, ODD), min_size=n, max_size=n), max_size=8),
    st.sets(st.integers(0, n - 1)))), st.sampled_from([1000, 20]))
def test_a_table_to_a_file_prints_as_rich_prints_it(table, width):
    columns, rows, right = table
    t = Tabell(*columns, right=tuple(right))
    for r in rows:
        t.add_row(*r)
    assert printed(t, width) == printed(rich_table(columns, rows, right), width)


def test_plain_cells_take_the_short_way_and_others_richs():
    t = Tabell("utförare", "att betala (kr)", right=(1,))
    t.add_row("U001", "1\u00a0234,50")
    assert t.plain_lines(1000) == ["utförare  att betala (kr)", "U001             1\u00a0234,50"]
    assert t.plain_lines(10) is None                   # wider than the console: rich shrinks it
    t.add_row("Omsorg\tAB", "0,00")
    assert t.plain_lines(1000) is None
