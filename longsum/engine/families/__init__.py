"""Model families, one module each behind a registry: recipe quirks, position limits, fast paths, tiny builders.

Adding a family means adding a module here that subclasses ``base.Family`` with ``@register`` and importing
it below; any ``model_type`` no family claims runs as the generic family (stock transformers).
"""

from longsum.engine.families import (
    bart,
    bigbird_pegasus,
    generic,
    led,
    longt5,
    pegasus,
    pegasus_x,
)
from longsum.engine.families.base import DEFAULT_INPUT_LIMIT, FAMILIES, Family, FastPath, family_for, input_limit

__all__ = [
    "DEFAULT_INPUT_LIMIT",
    "FAMILIES",
    "Family",
    "FastPath",
    "bart",
    "bigbird_pegasus",
    "family_for",
    "generic",
    "input_limit",
    "led",
    "longt5",
    "pegasus",
    "pegasus_x",
]
