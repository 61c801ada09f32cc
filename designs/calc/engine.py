"""One calc line: parsed by a lark grammar, evaluated on exact fractions.

Nothing here runs user text as Python. Work is bounded before it starts: a line's length,
how deep it nests, the digits and exponent of a number, the size of a power's result and of
every intermediate number, so a hostile line ends with an error in well under 100 ms.

Precedence, loosest first (insect's rule: a product written without ``*`` binds tighter than
``/``, so ``x / 86400 s`` divides by a duration and ``40M / day`` is a rate):

    a + b, a - b
    a * b, a / b, a per b
    -a
    a b            (implicit multiplication: ``500 B``, ``100 million``, ``5 years``)
    a ^ b, a ** b  (right to left)
    a%
"""

from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache

from lark import Lark, Token, Tree
from lark.exceptions import LarkError, UnexpectedCharacters, UnexpectedInput

from designs.calc.units import DIMENSIONLESS, CalcError, Quantity, describe, unit_named

MAX_LINE_CHARS = 500
MAX_DEPTH = 40  # of the expression tree
MAX_LITERAL_DIGITS = 40
MAX_LITERAL_EXPONENT = 400
MAX_POWER = 1000
MAX_BITS = 4_000  # of a numerator or denominator: about 10^1200

GRAMMAR = r"""
definition: NAME "=" expr [target]
target: "->" target_expr
?target_expr: expr
    | "/" implicit -> reciprocal
    | "per" implicit -> reciprocal
unit_target: target_expr

?expr: sum
?sum: product
    | sum "+" product -> add
    | sum "-" product -> sub
?product: unary
    | product "*" unary -> mul
    | product "/" unary -> div
    | product "per" unary -> div
?unary: implicit
    | "-" unary -> neg
    | "+" unary
?implicit: power
    | implicit power -> mul
?power: postfix
    | postfix "^" unary -> pow
    | postfix "**" unary -> pow
?postfix: atom
    | postfix "%" -> percent
?atom: NUMBER -> number
    | NAME -> name
    | "(" expr ")"

NAME: /[A-Za-z_\u00b5\u03bc][A-Za-z0-9_\u00b5\u03bc]*/
NUMBER: /(\d[\d_]*(\.\d[\d_]*)?|\.\d[\d_]*)([eE][+-]?\d+)?/
%ignore /[ \t]+/
"""

_parser = Lark(
    GRAMMAR,
    parser="lalr",
    start=["definition", "unit_target"],
    maybe_placeholders=True,
)


@dataclass(frozen=True)
class Definition:
    name: str
    expr: Tree | Token
    expr_text: str
    target: Tree | Token | None
    target_text: str
    names: frozenset[str]  # every name the expression uses


def _names(node) -> frozenset[str]:
    found, stack = set(), [node]
    while stack:
        item = stack.pop()
        if isinstance(item, Token):
            if item.type == "NAME":
                found.add(str(item))
        elif isinstance(item, Tree):
            stack.extend(item.children)
    return frozenset(found)


def _depth(node) -> int:
    deepest, stack = 0, [(node, 1)]
    while stack:
        item, depth = stack.pop()
        deepest = max(deepest, depth)
        if isinstance(item, Tree):
            stack.extend((child, depth + 1) for child in item.children)
    return deepest


def _syntax_message(text: str, error: LarkError) -> str:
    if isinstance(error, UnexpectedCharacters):
        return f"unexpected “{text[error.pos_in_stream or 0]}” at column {error.column}"
    if isinstance(error, UnexpectedInput):
        token = getattr(error, "token", None)
        if token is not None and token.type == "$END":
            return "the expression ends too soon"
        if token is not None:
            return f"unexpected “{token}” at column {error.column}"
    return "cannot read this line"


def _check_length(text: str) -> None:
    if len(text) > MAX_LINE_CHARS:
        raise CalcError(f"this line is {len(text):,} characters; the limit is {MAX_LINE_CHARS}")


def _parse(text: str, start: str) -> Tree:
    _check_length(text)
    try:
        tree = _parser.parse(text, start=start)
    except LarkError as error:
        raise CalcError(_syntax_message(text, error)) from None
    if _depth(tree) > MAX_DEPTH:
        raise CalcError(f"this line nests more than {MAX_DEPTH} levels deep")
    return tree


_WRITTEN = {"add": "+", "sub": "-", "mul": "*", "div": "/", "pow": "^"}


def written(node) -> str:
    """An expression as text again, for messages (``1 MB + 1 MB/s``)."""
    if isinstance(node, Token):
        return str(node)
    rule, children = node.data, node.children
    if rule in ("number", "name"):
        return str(children[0])
    if rule in _WRITTEN:
        left, right = (written(child) for child in children)
        if rule == "mul" and _implicit(children):
            return f"{left} {right}"
        joiner = "^" if rule == "pow" else f" {_WRITTEN[rule]} "
        if rule == "div" and _implicit([None, children[1]]):
            return f"{left}/{right}"
        if rule == "div" and isinstance(children[1], Tree) and children[1].data == "mul":
            return f"{left} / ({right})"
        return f"{left}{joiner}{right}"
    if rule == "neg":
        return f"-{written(children[0])}"
    if rule == "percent":
        return f"{written(children[0])}%"
    if rule == "reciprocal":
        return f"/{written(children[0])}"
    return " ".join(written(child) for child in children)


def _implicit(children) -> bool:
    """``500 B`` rather than ``500 * B``: a number or product times a name."""
    right = children[1]
    return isinstance(right, Tree) and right.data == "name"


@lru_cache(maxsize=4096)
def parse_definition(text: str) -> Definition:
    """``name = expression [-> unit]``; CalcError with a message fit for the reader."""
    if "=" not in text:
        _check_length(text)
        raise CalcError("write a line as “name = expression”")
    tree = _parse(text, "definition")
    name, expr, target = tree.children
    target_expr = target.children[0] if target is not None else None
    expr_text, _arrow, target_text = text.split("=", 1)[1].partition("->")
    return Definition(
        name=str(name),
        expr=expr,
        expr_text=expr_text.strip(),
        target=target_expr,
        target_text=target_text.strip(),
        names=_names(expr),
    )


@lru_cache(maxsize=1024)
def parse_target(text: str) -> Tree | Token:
    tree = _parse(text, "unit_target")
    return tree.children[0]


def _check_size(value: Fraction) -> Fraction:
    if value.numerator.bit_length() > MAX_BITS or value.denominator.bit_length() > MAX_BITS:
        raise CalcError("a number in this line is too large (more than 1200 digits)")
    return value


@lru_cache(maxsize=4096)
def _literal(token: str) -> Fraction:
    text = token.replace("_", "")
    mantissa, _, exponent = text.lower().partition("e")
    if sum(c.isdigit() for c in mantissa) > MAX_LITERAL_DIGITS:
        raise CalcError(f"{token} has more than {MAX_LITERAL_DIGITS} digits")
    if exponent and abs(int(exponent)) > MAX_LITERAL_EXPONENT:
        raise CalcError(f"the exponent of {token} is past ±{MAX_LITERAL_EXPONENT}")
    value = Fraction(mantissa)
    if exponent:
        value *= Fraction(10) ** int(exponent)
    return value


Resolve = Callable[[str], Quantity]


class Evaluator:
    """Evaluates a parsed expression; ``resolve`` answers a name (a value or a unit)."""

    def __init__(self, text: str, resolve: Resolve):
        self.text = text
        self.resolve = resolve

    def __call__(self, node) -> Quantity:
        if isinstance(node, Token):
            return self.resolve(str(node)) if node.type == "NAME" else Quantity(_literal(str(node)))
        rule = node.data
        if rule == "number":
            return Quantity(_literal(str(node.children[0])))
        if rule == "name":
            return self.resolve(str(node.children[0]))
        args = [self(child) for child in node.children]
        if rule in ("add", "sub"):
            left, right = args
            if left.dims != right.dims:
                verb = "add" if rule == "add" else "subtract"
                a, b = (written(child) for child in node.children)
                raise CalcError(
                    f"cannot {verb} {a} and {b}: {describe(left.dims)} and {describe(right.dims)}"
                )
            value = left.value + right.value if rule == "add" else left.value - right.value
            return Quantity(_check_size(value), left.dims)
        if rule == "mul":
            left, right = args
            return Quantity(_check_size(left.value * right.value), _add(left.dims, right.dims))
        if rule == "div":
            left, right = args
            if right.value == 0:
                raise CalcError(f"division by zero ({written(node.children[1])} is 0)")
            return Quantity(
                _check_size(left.value / right.value), _add(left.dims, _neg(right.dims))
            )
        if rule == "reciprocal":
            (inner,) = args
            if inner.value == 0:
                raise CalcError("division by zero")
            return Quantity(1 / inner.value, _neg(inner.dims))
        if rule == "neg":
            return Quantity(-args[0].value, args[0].dims)
        if rule == "percent":
            return Quantity(args[0].value / 100, args[0].dims)
        if rule == "pow":
            return _power(*args)
        raise CalcError(f"cannot compute {rule}")  # pragma: no cover - grammar and this agree


def _add(a, b):
    return (a[0] + b[0], a[1] + b[1])


def _neg(a):
    return (-a[0], -a[1])


def _power(base: Quantity, exponent: Quantity) -> Quantity:
    if exponent.dims != DIMENSIONLESS:
        raise CalcError("an exponent must be a plain number")
    if exponent.value.denominator != 1:
        raise CalcError("an exponent must be a whole number")
    power = exponent.value.numerator
    if abs(power) > MAX_POWER:
        raise CalcError(f"an exponent must be between -{MAX_POWER} and {MAX_POWER}")
    if base.value == 0 and power < 0:
        raise CalcError("division by zero (0 to a negative power)")
    size = max(base.value.numerator.bit_length(), base.value.denominator.bit_length())
    if size * abs(power) > MAX_BITS:
        raise CalcError("the result of this power is too large (more than 1200 digits)")
    dims = (base.dims[0] * power, base.dims[1] * power)
    if max(abs(dims[0]), abs(dims[1])) > 12:
        raise CalcError("a unit to this power makes no sense")
    return Quantity(base.value**power, dims)


def unit_value(text: str) -> Quantity:
    """A target unit (``TB``, ``MB/s``, ``/day``): units and numbers only, no values."""

    def resolve(name: str) -> Quantity:
        unit = unit_named(name)
        if unit is None:
            raise CalcError(f"unknown unit “{name}”")
        return Quantity(unit.factor, unit.dims)

    return Evaluator(text, resolve)(parse_target(text))
