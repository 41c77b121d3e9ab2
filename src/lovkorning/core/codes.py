"""Dictionary codes: work once per distinct value of a Categorical column, spread to its rows.

A tag log has millions of rows but thousands of distinct brukare, staff and insats combinations.
A Categorical column stores each row as an integer code into its dictionary. The tag log's coded
columns each get a dictionary of their own (`coded_dtype`), so a column's dictionary holds just
the values read into that column (in a long-lived process, also those of earlier reads: a
superset, never less). `dictionary` gives those values in code order; a result worked out per
value is given to every row by `by_code` (a gather, no join and no hashing of text).
"""

from __future__ import annotations

import polars as pl


def coded_dtype(table: str, column: str) -> pl.DataType:
    """The Categorical type a coded input column is read as: its own dictionary, so its codes are
    dense (0, 1, 2 … per distinct value) and its dictionary lists only its own values."""
    return pl.Categorical(pl.Categories(f"lovkorning.{table}.{column}"))


def dictionary(col: pl.Series) -> pl.Series:
    """Every value `col`'s dictionary holds, as text, in code order (value i has code i): all the
    column's distinct values, and possibly more."""
    return col.dtype.categories.to_series().alias(col.name)


def by_code(per_value: pl.Series, col: pl.Series, if_null: object = None) -> pl.Series:
    """Each row of `col` gets `per_value[code]` (`per_value` in the order of `dictionary(col)`);
    a missing value (null) gets `if_null`."""
    rows = per_value.gather(col.to_physical())
    return (rows.fill_null(if_null) if if_null is not None and col.null_count() else rows).alias(per_value.name)


def by_code_expr(per_value: pl.Series, col: str, rows: pl.Series | None = None) -> pl.Expr:
    """by_code as an expression over the frame holding `col` (several run side by side in one
    select): each row of `col` (only the rows `rows`, when given) gets `per_value[code]`."""
    codes = pl.col(col).to_physical()
    return pl.lit(per_value).gather(codes if rows is None else codes.gather(pl.lit(rows))).alias(col)


def as_text(df: pl.DataFrame, col: str) -> pl.Expr:
    """`df`'s Categorical column `col` as text: its dictionary gathered by code, several times
    faster than polars' cast, which looks every row up (1.5 M visits' brukare: 9 ms against
    30 ms)."""
    return by_code_expr(dictionary(df.get_column(col)), col)
