"""Units and quantities for estimates: exact numbers with a dimension vector.

Two base dimensions are enough for back-of-the-envelope estimates: information (in bits)
and time (in seconds). Counts (requests, users, writes ...) and scale words (k, million)
are dimensionless; they are there so that lines read well. Every unit is defined here
explicitly, with its exact factor: a year is 365 days and a month 30 days, so that
12 months are 360 days (docs/designs.md, "Estimates", says so too).
"""

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, localcontext
from fractions import Fraction

# (information exponent, time exponent)
Dims = tuple[int, int]
DIMENSIONLESS: Dims = (0, 0)
INFORMATION: Dims = (1, 0)
TIME: Dims = (0, 1)


class CalcError(Exception):
    """A line that cannot be computed; the message is shown at the line."""


@dataclass(frozen=True, slots=True)
class Quantity:
    value: Fraction  # in base units: bits and seconds
    dims: Dims = DIMENSIONLESS


@dataclass(frozen=True, slots=True)
class Unit:
    factor: Fraction
    dims: Dims
    warning: str = ""


def _unit(factor, dims: Dims, warning: str = "") -> Unit:
    return Unit(Fraction(factor), dims, warning)


UNITS: dict[str, Unit] = {}
# Units whose names also read as words people use for values (writes = ...): a value of
# that name wins over the count unit.
_COUNT_TEXT = (
    "request requests user users write writes read reads query queries event events "
    "message messages item items object objects row rows record records click clicks "
    "visit visits view views op ops operation operations call calls transaction "
    "transactions url urls link links file files page pages post posts photo photos "
    "video videos tweet tweets order orders session sessions device devices server "
    "servers node nodes machine machines instance instances shard shards replica replicas "
    "connection connections job jobs task tasks"
)
COUNT_WORDS = frozenset(_COUNT_TEXT.split())
for word in COUNT_WORDS:
    UNITS[word] = _unit(1, DIMENSIONLESS)

SCALES = {
    "k": 10**3,
    "thousand": 10**3,
    "M": 10**6,
    "million": 10**6,
    "G": 10**9,
    "billion": 10**9,
    "bn": 10**9,
    "T": 10**12,
    "trillion": 10**12,
    "percent": Fraction(1, 100),
}
for name, factor in SCALES.items():
    UNITS[name] = _unit(factor, DIMENSIONLESS)

BYTE = 8
UNITS.update(
    bit=_unit(1, INFORMATION),
    bits=_unit(1, INFORMATION),
    B=_unit(BYTE, INFORMATION),
    byte=_unit(BYTE, INFORMATION),
    bytes=_unit(BYTE, INFORMATION),
)
DECIMAL_PREFIXES = ["k", "M", "G", "T", "P", "E"]
BINARY_PREFIXES = ["Ki", "Mi", "Gi", "Ti", "Pi", "Ei"]
for power, prefix in enumerate(DECIMAL_PREFIXES, start=1):
    UNITS[f"{prefix}B"] = _unit(BYTE * 1000**power, INFORMATION)
    UNITS[f"{prefix}bit"] = _unit(1000**power, INFORMATION)
    UNITS[f"{prefix}bps"] = _unit(1000**power, (1, -1))
for power, prefix in enumerate(BINARY_PREFIXES, start=1):
    UNITS[f"{prefix}B"] = _unit(BYTE * 1024**power, INFORMATION)
    UNITS[f"{prefix}bit"] = _unit(1024**power, INFORMATION)
UNITS["bps"] = _unit(1, (1, -1))
UNITS["KB"] = _unit(
    BYTE * 1000, INFORMATION, "KB is ambiguous: write kB (1000 B) or KiB (1024 B); read as kB"
)

_SECOND, _MINUTE, _HOUR, _DAY = 1, 60, 3600, 86400
for names, seconds in (
    (("s", "sec", "second", "seconds"), _SECOND),
    (("ms", "millisecond", "milliseconds"), Fraction(1, 10**3)),
    (("us", "µs", "μs", "microsecond", "microseconds"), Fraction(1, 10**6)),
    (("ns", "nanosecond", "nanoseconds"), Fraction(1, 10**9)),
    (("min", "minute", "minutes"), _MINUTE),
    (("h", "hr", "hour", "hours"), _HOUR),
    (("day", "days"), _DAY),
    (("week", "weeks"), 7 * _DAY),
    (("month", "months"), 30 * _DAY),
    (("year", "years", "yr"), 365 * _DAY),
):
    for name in names:
        UNITS[name] = _unit(seconds, TIME)


def unit_named(name: str) -> Unit | None:
    return UNITS.get(name)


# ---------------------------------------------------------------------------------------
# Formatting

SIGNIFICANT = 3


def format_number(value: Fraction, significant: int = SIGNIFICANT) -> str:
    """``value`` to ``significant`` figures (half up), positional between 0.001 and a
    million, else in scientific notation, as the calculator reads it back."""
    if value == 0:
        return "0"
    with localcontext() as context:
        context.prec = 60
        number = Decimal(value.numerator) / Decimal(value.denominator)
        exponent = number.adjusted()
        rounded = number.quantize(Decimal(1).scaleb(exponent - significant + 1), ROUND_HALF_UP)
        if rounded.adjusted() != exponent:  # 9.995 -> 10.0: one figure fewer after the point
            exponent = rounded.adjusted()
            rounded = number.quantize(Decimal(1).scaleb(exponent - significant + 1), ROUND_HALF_UP)
        if -3 <= exponent < 6:
            return f"{rounded:f}"
        digits = rounded.scaleb(-exponent)
        return f"{digits:f}e{exponent}"


_DATA_STEPS = [("B", 1)] + [(f"{p}B", 1000**i) for i, p in enumerate(DECIMAL_PREFIXES, 1)]
_COUNT_STEPS = [("", 1), ("k", 10**3), (" million", 10**6), (" billion", 10**9)]
_COUNT_STEPS += [(" trillion", 10**12)]
_TIME_STEPS = [
    ("ns", Fraction(1, 10**9)),
    ("µs", Fraction(1, 10**6)),
    ("ms", Fraction(1, 10**3)),
    ("s", 1),
    ("min", 60),
    ("h", 3600),
    ("days", 86400),
    ("years", 365 * 86400),
]


def _step(value: Fraction, steps) -> tuple[str, Fraction]:
    """The largest step that leaves at least 1 once rounded to 3 figures (999.6 is 1.00k),
    else the smallest."""
    try:
        magnitude = abs(float(value))
    except OverflowError:
        magnitude = float("inf")
    chosen = steps[0]
    for name, size in steps:
        if magnitude >= float(size) * 0.9995:
            chosen = (name, size)
    return chosen[0], Fraction(chosen[1])


@dataclass(frozen=True)
class Shown:
    number: Fraction  # in ``unit``
    unit: str  # as written after the number ("TB", "/s", "million /s"); may be ""
    display: str


def show(quantity: Quantity, target: tuple[str, Quantity] | None = None) -> Shown:
    """A quantity as people read it: 3 significant figures and a fitting prefix, or in
    ``target`` (its text and its value) when given."""
    value, dims = quantity.value, quantity.dims
    if target is not None:
        text, target_unit = target
        if target_unit.dims != dims:
            raise CalcError(
                f"cannot convert {describe(dims)} to {text} ({describe(target_unit.dims)})"
            )
        if target_unit.value == 0:
            raise CalcError(f"cannot convert to {text}: it is zero")
        number = value / target_unit.value
        if abs(number) >= 10**6:  # 40.0 million per day, not 4.00e7 per day
            scale, size = _step(number, _COUNT_STEPS)
            return Shown(number, text, _join(format_number(number / size) + scale, text))
        return Shown(number, text, _join(format_number(number), text))
    if dims == DIMENSIONLESS:
        scale, size = _step(value, _COUNT_STEPS)
        number = value / size
        return Shown(number, scale.strip(), format_number(number) + scale)
    if dims == INFORMATION:
        name, size = _step(value / BYTE, _DATA_STEPS)
        number = value / BYTE / size
        return Shown(number, name, _join(format_number(number), name))
    if dims == (1, -1):
        name, size = _step(value / BYTE, _DATA_STEPS)
        number = value / BYTE / size
        return Shown(number, f"{name}/s", _join(format_number(number), f"{name}/s"))
    if dims == TIME:
        name, size = _step(value, _TIME_STEPS)
        number = value / size
        return Shown(number, name, _join(format_number(number), name))
    if dims == (0, -1):
        scale, size = _step(value, _COUNT_STEPS)
        number = value / size
        per_second = f"{scale.strip()} /s".strip()
        return Shown(number, per_second, f"{format_number(number)}{scale} /s")
    base = base_unit_text(dims)
    number = value / _base_factor(dims)
    return Shown(number, base, _join(format_number(number), base))


def _join(number: str, unit: str) -> str:
    return f"{number} {unit}" if unit else number


def _base_factor(dims: Dims) -> Fraction:
    return Fraction(BYTE) ** dims[0]


def base_unit_text(dims: Dims) -> str:
    """The unit of a value in bytes and seconds, e.g. ``B/s``, ``B^2``, ``1/s^2``."""
    top: list[str] = []
    bottom: list[str] = []
    for name, power in (("B", dims[0]), ("s", dims[1])):
        if power:
            text = name if abs(power) == 1 else f"{name}^{abs(power)}"
            (top if power > 0 else bottom).append(text)
    if not bottom:
        return " ".join(top)
    return (" ".join(top) or "1") + "/" + " ".join(bottom)


def describe(dims: Dims) -> str:
    names = {
        DIMENSIONLESS: "a number",
        INFORMATION: "data",
        TIME: "a duration",
        (0, -1): "a rate",
        (1, -1): "a data rate",
    }
    return names.get(dims, base_unit_text(dims))
