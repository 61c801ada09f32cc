"""Estimates: ```calc blocks, their values and the ``{{ name }}`` references to them.

``engine`` reads and computes one line, ``units`` holds the units and the formatting,
``document`` joins a design's lines into one dependency graph and fills in the HTML.
"""

from designs.calc.document import (
    Evaluation,
    evaluate,
    fence_html,
    fill,
    involves,
    values_data,
)
from designs.calc.units import CalcError

__all__ = ["CalcError", "Evaluation", "evaluate", "fence_html", "fill", "involves", "values_data"]
