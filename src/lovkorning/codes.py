"""Dictionary codes: work once per distinct value of a Categorical column, spread to its rows.

A tag log has millions of rows but thousands of distinct brukare, staff and insats combinations.
A Categorical column stores each row as an integer code into its dictionary; `spread` takes a
result worked out per distinct value and gives it to every row by that code (a gather, no join
and no hashing of text).
"""

from __future__ import annotations

import polars as pl


def spread(values: pl.Series, per_value: pl.Series, col: pl.Series) -> pl.Series:
    """Each row of `col` gets `per_value[i]` where `values[i]` is its value (`values`: distinct
    values of `col`, Categorical). Rows whose value is missing (null) get null."""
    codes = values.to_physical()
    size = int(codes.max() or 0) + 1 if codes.len() else 1
    lut = pl.DataFrame({"_code": pl.arange(0, size, dtype=codes.dtype, eager=True)}).join(
        pl.DataFrame({"_code": codes, "v": per_value}).filter(pl.col("_code").is_not_null()),
        on="_code", how="left", maintain_order="left")["v"]
    return lut.gather(col.to_physical()).alias(per_value.name)
