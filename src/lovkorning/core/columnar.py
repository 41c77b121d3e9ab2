"""Work on millions of rows on every core.

polars' in-memory engine, which eager frames use, gives each expression of a select to one core,
so a single expression over one column (parsing three million timestamps, say) runs on one core
while the other waits. Its streaming engine cuts the rows into pieces and works on them on every
core. `on_every_core` runs a select that way and joins the pieces into one chunk again (later
steps gather rows, which is slower across chunks). Only for expressions that work row by row: an
expression over the whole column (a sum, a shift, a row number) would see one piece at a time.
"""

from __future__ import annotations

import polars as pl


def on_every_core(df: pl.DataFrame, *exprs: pl.Expr) -> pl.DataFrame:
    """`df.select(*exprs)` for row-by-row expressions, the rows shared out over every core."""
    return df.lazy().select(*exprs).collect(engine="streaming").rechunk()
