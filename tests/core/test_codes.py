"""Dictionary codes: what is worked out per distinct value reaches every row as polars' own
operations would give it."""

from __future__ import annotations

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from lovkorning.core.codes import as_text, coded_dtype

VALUES = st.lists(st.one_of(st.none(), st.sampled_from(["U001", "U002", "19480318-0969", "Å", "", " x "])),
                  max_size=30)


@settings(max_examples=100, deadline=None)
@given(VALUES, VALUES, st.booleans())
def test_text_of_a_coded_column_is_what_polars_cast_gives(values, earlier, own):
    """Own dictionary (a tag log's column) or the shared one, with values from an earlier read
    in it, missing values included."""
    dtype = coded_dtype("test", "kolumn") if own else pl.Categorical
    pl.Series(earlier, dtype=pl.String).cast(dtype)            # an earlier read: the dictionary holds more
    df = pl.DataFrame({"c": pl.Series(values, dtype=pl.String).cast(dtype)})
    got = df.select(as_text(df, "c")).to_series()
    assert got.dtype == pl.String and got.equals(df["c"].cast(pl.String))
