"""The tree of a parsed channel expression and what is done with it: NMODL and Brian2 text
(:func:`render_nmodl`, :func:`render_brian2`) and numpy values (:func:`evaluate`).

Built by :func:`mnsim.channels.expr.parse`, which alone decides what a tree may hold.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

EXPRELR_SMALL = 1e-6  # |x| below this: exprelr(x) = 1 - x/2 (the series; exact to 1e-13)


@dataclass(frozen=True)
class Num:
    value: float


@dataclass(frozen=True)
class Sym:
    name: str


@dataclass(frozen=True)
class Neg:
    arg: Node


@dataclass(frozen=True)
class Bin:
    op: str  # + - * / **
    left: Node
    right: Node


@dataclass(frozen=True)
class Call:
    func: str
    args: tuple[Node, ...]


Node = Num | Sym | Neg | Bin | Call



# -- rendering ------------------------------------------------------------------------------
_PREC = {"+": 1, "-": 1, "*": 2, "/": 2, "**": 4}
_ATOM = 5


def _render(node: Node, name: Callable[[str], str], call: Callable[[str, list[str]], str],
            power: str, number: Callable[[float], str] = repr) -> str:
    return _text(node, name, call, power, number)[0]


def _rational(value: float) -> str:
    """A number as Brian2 should read it: an integer or an exact fraction of integers.

    Brian2's sympy expands ``exprel(x)`` into ``(exp(x) - 1)/x`` as soon as ``x`` holds a float
    term (``exp(-4.0 - x)`` evaluates ``exp(-4.0)``), and its exponential Euler then loses all
    precision near ``x = 0``; rational numbers keep ``exprel`` whole.
    """
    frac = Fraction(repr(value))
    if frac.denominator == 1 and abs(frac.numerator) < 2**53:
        return str(frac.numerator)
    if max(abs(frac.numerator), frac.denominator) < 2**53:
        return f"({frac.numerator}/{frac.denominator})"
    return repr(value)


def _text(node: Node, name: Callable[[str], str], call: Callable[[str, list[str]], str],
          power: str, number: Callable[[float], str] = repr) -> tuple[str, int]:
    if isinstance(node, Num):
        return number(node.value), _ATOM
    if isinstance(node, Sym):
        return name(node.name), _ATOM
    if isinstance(node, Call):
        return call(node.func, [_text(a, name, call, power, number)[0] for a in node.args]), _ATOM
    if isinstance(node, Neg):
        text, prec = _text(node.arg, name, call, power, number)
        return "-" + (text if prec == _ATOM else f"({text})"), 3
    prec = _PREC[node.op]
    left, lprec = _text(node.left, name, call, power, number)
    right, rprec = _text(node.right, name, call, power, number)
    # keep the tree's grouping exactly (same rounding everywhere): parenthesise a left operand
    # of lower precedence, a right one of lower or equal, any non-atom around a power, and any
    # unary minus under a binary operator
    if lprec < prec or (node.op == "**" and lprec != _ATOM) or isinstance(node.left, Neg):
        left = f"({left})"
    if rprec <= prec or (node.op == "**" and rprec != _ATOM) or isinstance(node.right, Neg):
        right = f"({right})"
    op = power if node.op == "**" else node.op
    return f"{left} {op} {right}" if prec == 1 else f"{left}{op}{right}", prec


def nmodl_call(func: str, args: list[str]) -> str:
    """NMODL text of a call of ``func`` on rendered ``args``."""
    if func == "pow":
        return f"({args[0]})^({args[1]})"
    if func == "abs":
        return f"fabs({args[0]})"
    if func in ("exprelr", "vtrap"):
        return f"mnsim_{func}({', '.join(args)})"
    return f"{func}({args[0]})"


def _brian2_call(func: str, args: list[str]) -> str:
    if func == "pow":
        return f"({args[0]})**({args[1]})"
    if func == "exprelr":
        return f"(1.0/exprel({args[0]}))"
    if func == "vtrap":  # y * exprelr(x/y)
        return f"(({args[1]})/exprel(({args[0]})/({args[1]})))"
    return f"{func}({args[0]})"


def exprelr(x: np.ndarray | float) -> np.ndarray:
    """``x / (exp(x) - 1)``, 1 at x = 0 (``1 - x/2`` for ``|x| <`` :data:`EXPRELR_SMALL`)."""
    x = np.asarray(x, dtype=float)
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        return np.where(np.abs(x) < EXPRELR_SMALL, 1.0 - x / 2.0, x / np.expm1(x))


def _evaluate(node: Node, values: Mapping[str, np.ndarray | float]) -> np.ndarray | float:
    if isinstance(node, Num):
        return node.value
    if isinstance(node, Sym):
        return np.asarray(values[node.name], dtype=float)
    if isinstance(node, Neg):
        return -_evaluate(node.arg, values)
    if isinstance(node, Call):
        args = [_evaluate(a, values) for a in node.args]
        if node.func == "exprelr":
            return exprelr(args[0])
        if node.func == "vtrap":
            return args[1] * exprelr(np.asarray(args[0]) / args[1])
        if node.func == "pow":
            return np.power(args[0], args[1])
        return {"exp": np.exp, "log": np.log, "sqrt": np.sqrt, "tanh": np.tanh,
                "abs": np.abs}[node.func](args[0])
    left, right = _evaluate(node.left, values), _evaluate(node.right, values)
    if node.op == "+":
        return np.add(left, right)
    if node.op == "-":
        return np.subtract(left, right)
    if node.op == "*":
        return np.multiply(left, right)
    if node.op == "/":
        return np.divide(left, right)
    return np.power(left, right)


def render_nmodl(node: Node, call: Callable[[str, list[str]], str] | None = None) -> str:
    """NMODL text of a tree (``^`` powers, ``fabs``, ``mnsim_exprelr``/``mnsim_vtrap`` calls);
    ``call`` renders function calls instead (it may fall back on :func:`nmodl_call`)."""
    return _render(node, lambda name: name, call or nmodl_call, "^")


def render_brian2(node: Node, names: Mapping[str, str]) -> str:
    """Brian2 text of a tree, symbol ``s`` written ``names[s]``, numbers as exact fractions."""
    return _render(node, lambda name: names[name], _brian2_call, "**", _rational)


def evaluate(node: Node, values: Mapping[str, np.ndarray | float]) -> np.ndarray:
    """The value of a tree with numpy (no Python evaluation of any text)."""
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        return np.asarray(_evaluate(node, values), dtype=float)
