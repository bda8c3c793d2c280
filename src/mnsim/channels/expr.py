"""The expression language of channel files: parsed by Python's :mod:`ast`, never evaluated.

An expression is numbers, symbols, ``+ - * /``, powers (``**`` or ``^``), parentheses, unary
minus and calls of :data:`FUNCTIONS`. :func:`parse` keeps only those node types (anything else
is a :class:`~mnsim.errors.SpecError` naming where, the offending text and what is allowed),
checks the physical dimensions and returns an :class:`Expr` tree that renders itself as NMODL
(:meth:`Expr.nmodl`), as Brian2 text (:meth:`Expr.brian2`) or evaluates itself with numpy
(:meth:`Expr.evaluate`).

Dimensions: each symbol has one (``v``: voltage ...); a bare number takes the dimension its
context needs, so ``0.1 * (v + 40)`` is "unfixed" (the 0.1 is in whatever unit makes it right),
while ``v + tau`` (a voltage and a time) or ``exp(v)`` is an error.
"""

from __future__ import annotations

import ast
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import NoReturn

import numpy as np

from mnsim.channels.expr_tree import (  # noqa: F401  (exprelr: re-exported)
    Bin,
    Call,
    Neg,
    Node,
    Num,
    Sym,
    evaluate,
    exprelr,
    render_brian2,
    render_nmodl,
)
from mnsim.errors import SpecError
from mnsim.spec.context import closest
from mnsim.units import Dims, dimension_name

Dimension = Dims
NONE: Dims = (0, 0, 0, 0, 0, 0)
# function -> number of arguments
FUNCTIONS: dict[str, int] = {"exp": 1, "log": 1, "sqrt": 1, "tanh": 1, "pow": 2, "abs": 1,
                             "exprelr": 1, "vtrap": 2}
_DIMENSIONLESS_ARG = ("exp", "log", "tanh", "exprelr")
_OPS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "**"}
_FORBIDDEN = {
    ast.Attribute: "attribute access", ast.Subscript: "subscript", ast.Compare: "comparison",
    ast.Lambda: "lambda", ast.BoolOp: "'and'/'or'", ast.IfExp: "conditional expression",
    ast.List: "list", ast.Tuple: "tuple", ast.Dict: "dict", ast.Set: "set",
    ast.JoinedStr: "f-string", ast.Starred: "starred argument", ast.NamedExpr: "':='",
    ast.ListComp: "comprehension", ast.GeneratorExp: "generator", ast.Slice: "slice",
}
ALLOWED = ("numbers, + - * / ** ^, parentheses, unary minus, the symbols listed and the "
           "functions " + ", ".join(f"{f}({', '.join('xy'[:n])})" for f, n in FUNCTIONS.items()))


@dataclass(frozen=True)
class Expr:
    """A checked expression.

    Attributes
    ----------
    text
        The expression as written.
    root
        Its tree.
    dimension
        The dimension of its value, or None when a bare number leaves it unfixed.
    symbols
        The symbols it uses.
    """

    text: str
    root: Node
    dimension: Dims | None
    symbols: frozenset[str]

    def __str__(self) -> str:
        return self.text

    def nmodl(self) -> str:
        """NMODL text; ``exprelr``/``vtrap`` call the ``mnsim_exprelr``/``mnsim_vtrap``
        FUNCTIONs that :func:`~mnsim.channels.nmodl.to_nmodl` emits."""
        return render_nmodl(self.root)

    def brian2(self, names: Mapping[str, str]) -> str:
        """Brian2 text, each symbol replaced by ``names[symbol]`` (a dimensionless Brian2
        expression such as ``(v/mV)``); ``exprelr(x)`` is ``1/exprel(x)``."""
        missing = sorted(self.symbols - set(names))
        if missing:
            raise KeyError(f"no Brian2 name for {', '.join(missing)} in '{self.text}'")
        return render_brian2(self.root, names)

    def evaluate(self, values: Mapping[str, np.ndarray | float]) -> np.ndarray:
        """The value with numpy, symbols taken from ``values`` (in the units the expression
        sees: mV, ms, mM, degC ...); arrays broadcast."""
        missing = sorted(self.symbols - set(values))
        if missing:
            raise KeyError(f"no value for {', '.join(missing)} in '{self.text}'")
        return evaluate(self.root, values)


# -- parsing ---------------------------------------------------------------------------------
def parse(text: str, *, symbols: Mapping[str, Dims], where: str, file: str | None = None,
          line: int | None = None, field: str | None = None) -> Expr:
    """Parse and check an expression.

    Parameters
    ----------
    text
        The expression, e.g. ``"0.182 * vtrap(v + 38, 6)"``.
    symbols
        The names it may use, each with its dimension (:data:`mnsim.units.Dims`).
    where
        What it is, for messages (``"channel NaTa_t, gate m, alpha"``).
    file, line, field
        Where it was written, for the :class:`~mnsim.errors.SpecError`.

    Raises
    ------
    SpecError
        A syntax error, a node outside the whitelist, an unknown name or function, a wrong
        number of arguments, or dimensions that do not fit.
    """
    checker = _Checker(str(text), symbols, where, file, line, field)
    root, dims = checker.build(checker.tree.body)
    return Expr(text=str(text), root=root, dimension=dims, symbols=frozenset(checker.used))


class _Checker:
    def __init__(self, text: str, symbols: Mapping[str, Dims], where: str, file: str | None,
                 line: int | None, field: str | None) -> None:
        self.text, self.symbols, self.where = text, symbols, where
        self.file, self.line, self.field = file, line, field
        self.used: set[str] = set()
        source = " ".join(text.splitlines()).strip()
        if not source:
            self.fail("expected an expression, got an empty text")
        if re.search(r"[\^*]\s*\^|\^\s*\*", source):
            self.fail("'^' next to '*' or another '^' is ambiguous: write a power as a ^ b or "
                      "a ** b")
        self.written = source
        self.source = source.replace("^", "**")
        # where each character of the parsed text was in the written one (for quoting)
        self.origin = [i for i, c in enumerate(source) for _ in range(2 if c == "^" else 1)]
        self.origin.append(len(source))
        try:
            self.tree = ast.parse(self.source, mode="eval")
        except SyntaxError as exc:
            self.fail(f"cannot read the expression ({exc.msg} at column {exc.offset}); "
                      f"allowed: {ALLOWED}")

    def fail(self, message: str) -> NoReturn:
        raise SpecError(f"{self.where}: {message} in '{self.text}'", file=self.file,
                        line=self.line, field=self.field)

    def segment(self, node: ast.AST) -> str:
        """The text of ``node`` as the user wrote it (``^`` kept)."""
        if getattr(node, "end_col_offset", None) is None:
            return type(node).__name__
        encoded = self.source.encode()
        start = len(encoded[:node.col_offset].decode())
        end = len(encoded[:node.end_col_offset].decode())
        return self.written[self.origin[start]:self.origin[end]]

    def names(self) -> str:
        return ", ".join(self.symbols) if self.symbols else "(none)"

    def build(self, node: ast.AST) -> tuple[Node, Dims | None]:
        if isinstance(node, ast.Constant):
            value = node.value
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                self.fail(f"{value!r} is not a number; allowed: {ALLOWED}")
            if not math.isfinite(value):
                self.fail(f"the number {self.segment(node)} is not finite")
            return Num(float(value)), None
        if isinstance(node, ast.Name):
            return self.name(node)
        if isinstance(node, ast.UnaryOp):
            if not isinstance(node.op, (ast.USub, ast.UAdd)):
                self.fail(f"the operator in '{self.segment(node)}' is not allowed; "
                          f"allowed: {ALLOWED}")
            arg, dims = self.build(node.operand)
            return (Neg(arg) if isinstance(node.op, ast.USub) else arg), dims
        if isinstance(node, ast.BinOp):
            return self.binop(node)
        if isinstance(node, ast.Call):
            return self.call(node)
        what = _FORBIDDEN.get(type(node), f"'{type(node).__name__}' node")
        self.fail(f"'{self.segment(node)}' ({what}) is not allowed; allowed: {ALLOWED}")

    def name(self, node: ast.Name) -> tuple[Node, Dims | None]:
        if node.id in self.symbols:
            self.used.add(node.id)
            return Sym(node.id), self.symbols[node.id]
        if node.id in FUNCTIONS:
            self.fail(f"'{node.id}' is a function: call it, e.g. {node.id}(x)")
        self.fail(f"unknown name '{node.id}'{closest(node.id, self.symbols)}; names allowed "
                  f"here: {self.names()}")

    def binop(self, node: ast.BinOp) -> tuple[Node, Dims | None]:
        op = _OPS.get(type(node.op))
        if op is None:
            self.fail(f"the operator in '{self.segment(node)}' is not allowed; "
                      f"allowed: {ALLOWED}")
        left, ldims = self.build(node.left)
        right, rdims = self.build(node.right)
        return Bin(op, left, right), self.combine(op, node, ldims, rdims)

    def combine(self, op: str, node: ast.BinOp, ldims: Dims | None,
                rdims: Dims | None) -> Dims | None:
        if op in "+-":
            if ldims is not None and rdims is not None and ldims != rdims:
                self.fail(f"'{self.segment(node)}' {'adds' if op == '+' else 'subtracts'} "
                          f"a {dimension_name(rdims)} {'to' if op == '+' else 'from'} a "
                          f"{dimension_name(ldims)}: both sides of + and - need the same "
                          f"dimension")
            return ldims if ldims is not None else rdims
        if op == "**":
            return self.power(node.left, node.right, ldims, rdims)
        if ldims is None or rdims is None:
            return None
        sign = 1 if op == "*" else -1
        return tuple(a + sign * b for a, b in zip(ldims, rdims))  # type: ignore[return-value]

    def power(self, base: ast.AST, exponent: ast.AST, bdims: Dims | None,
              edims: Dims | None) -> Dims | None:
        if edims not in (None, NONE):
            self.fail(f"the exponent '{self.segment(exponent)}' is a {dimension_name(edims)}; "
                      f"exponents must be dimensionless")
        if bdims is None or bdims == NONE:
            return bdims
        value = _constant(exponent)
        scaled = None if value is None else [d * value for d in bdims]
        if scaled is None or any(abs(s - round(s)) > 1e-9 for s in scaled):
            self.fail(f"'{self.segment(base)}' is a {dimension_name(bdims)}: it can only be "
                      f"raised to a constant power that leaves whole units (make it "
                      f"dimensionless first, e.g. divide by a parameter)")
        return tuple(int(round(s)) for s in scaled)  # type: ignore[union-attr,return-value]

    def call(self, node: ast.Call) -> tuple[Node, Dims | None]:
        func = node.func.id if isinstance(node.func, ast.Name) else None
        if func is None:
            self.fail(f"'{self.segment(node.func)}' cannot be called; functions: "
                      f"{', '.join(FUNCTIONS)}")
        if func not in FUNCTIONS:
            self.fail(f"unknown function '{func}'{closest(func, FUNCTIONS)}; functions: "
                      f"{', '.join(FUNCTIONS)}")
        if node.keywords or any(isinstance(a, ast.Starred) for a in node.args):
            self.fail(f"'{self.segment(node)}': give {func}'s arguments by position")
        if len(node.args) != FUNCTIONS[func]:
            self.fail(f"{func} takes {FUNCTIONS[func]} argument"
                      f"{'s' if FUNCTIONS[func] > 1 else ''}, got {len(node.args)} in "
                      f"'{self.segment(node)}'")
        built = [self.build(a) for a in node.args]
        args = tuple(b[0] for b in built)
        dims = [b[1] for b in built]
        if func in _DIMENSIONLESS_ARG:
            if dims[0] not in (None, NONE):
                self.fail(f"{func} needs a dimensionless argument, but "
                          f"'{self.segment(node.args[0])}' is a {dimension_name(dims[0])}")
            return Call(func, args), NONE
        if func == "pow":
            return Call(func, args), self.power(node.args[0], node.args[1], dims[0], dims[1])
        if func == "sqrt":
            return Call(func, args), self.power(node.args[0], ast.Constant(0.5), dims[0], None)
        if func == "vtrap":
            if dims[0] is not None and dims[1] is not None and dims[0] != dims[1]:
                self.fail(f"vtrap(x, y) needs x and y of one dimension, got a "
                          f"{dimension_name(dims[0])} and a {dimension_name(dims[1])} in "
                          f"'{self.segment(node)}'")
            return Call(func, args), dims[1] if dims[1] is not None else dims[0]
        return Call(func, args), dims[0]  # abs


def _constant(node: ast.AST) -> float | None:
    """The value of a numeric constant, possibly signed, else None."""
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)):
        return float(node.value)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        inner = _constant(node.operand)
        if inner is not None:
            return -inner if isinstance(node.op, ast.USub) else inner
    return None
