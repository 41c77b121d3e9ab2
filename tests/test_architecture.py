"""The house as drawn: every basis the config accepts is implemented, and nothing else."""

from lovkorning.config.checks import REQUIRES_RATE
from lovkorning.config.schema import BASES as CONFIG_BASES
from lovkorning.settle.engine import BASES


def test_every_basis_of_the_schema_has_a_function_and_no_other():
    assert set(BASES) | {"none"} == set(CONFIG_BASES)


def test_every_basis_that_pays_needs_a_rate():
    assert REQUIRES_RATE == set(BASES)
