"""A small, safe expression language for scheme formulas. Never ``eval``: the text is parsed with
``ast`` and only a whitelist of nodes is walked by our own interpreter, with Decimal arithmetic.

Allowed: numbers, names given by the scheme, ``+ - * /``, unary ``-``/``+``, parentheses, and the
functions ``min``, ``max``, ``round(x[, n])`` and ``safe_div(a, b, default)``. Division ``/`` is
only allowed by a non-zero number literal; to divide by a name use ``safe_div`` so a zero divisor
gives the default instead of an error in the middle of a computation.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.utils.translation import gettext as _

from jiceng.core.errors import ApplicationError

MAX_LENGTH = 1000
MAX_DEPTH = 40
FUNCTIONS = {"min", "max", "round", "safe_div"}


class FormulaError(ApplicationError):
    pass


def _fail(message: str, field: str) -> FormulaError:
    return FormulaError(message, field=field)


def parse(text: str, names: Iterable[str], *, field: str = "formula") -> ast.Expression:
    """Parse and validate; raise ApplicationError(field) on anything outside the whitelist."""
    allowed = set(names)
    if not text or not text.strip():
        raise _fail(_("公式为空。"), field)
    if len(text) > MAX_LENGTH:
        raise _fail(_("公式过长（最多 %(max)s 个字符）。") % {"max": MAX_LENGTH}, field)
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as exc:
        raise _fail(_("公式语法错误：%(error)s") % {"error": exc.msg}, field) from exc
    _check(tree.body, allowed, field, 0)
    return tree


def _literal_number(node: ast.AST) -> Decimal | None:
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        inner = _literal_number(node.operand)
        if inner is None:
            return None
        return -inner if isinstance(node.op, ast.USub) else inner
    if isinstance(node, ast.Constant) and type(node.value) in (int, float):
        return Decimal(str(node.value))
    return None


def _check(node: ast.AST, allowed: set[str], field: str, depth: int) -> None:
    if depth > MAX_DEPTH:
        raise _fail(_("公式嵌套过深。"), field)
    if isinstance(node, ast.Constant):
        if type(node.value) not in (int, float):
            raise _fail(_("公式中不允许常量 %(value)s。") % {"value": repr(node.value)}, field)
        return
    if isinstance(node, ast.Name):
        if node.id.startswith("_") or node.id not in allowed:
            raise _fail(_("公式中的名称 %(name)s 未定义。") % {"name": node.id}, field)
        return
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        _check(node.operand, allowed, field, depth + 1)
        return
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add | ast.Sub | ast.Mult | ast.Div):
        if isinstance(node.op, ast.Div):
            divisor = _literal_number(node.right)
            if divisor is None:
                raise _fail(_("除数可能为零：除以名称或表达式时请用 safe_div(被除数, 除数, 默认值)。"), field)
            if divisor == 0:
                raise _fail(_("除数为零。"), field)
        _check(node.left, allowed, field, depth + 1)
        _check(node.right, allowed, field, depth + 1)
        return
    if isinstance(node, ast.Call):
        if not isinstance(node.func, ast.Name) or node.func.id not in FUNCTIONS:
            raise _fail(_("公式只能调用 min、max、round、safe_div。"), field)
        if node.keywords or any(isinstance(a, ast.Starred) for a in node.args):
            raise _fail(_("函数参数只能按位置给出。"), field)
        n = len(node.args)
        name = node.func.id
        if (name in ("min", "max") and n < 2) or (name == "round" and n not in (1, 2)) or (
                name == "safe_div" and n != 3):
            raise _fail(_("函数 %(name)s 的参数个数不对。") % {"name": name}, field)
        if name == "round" and n == 2:
            digits = _literal_number(node.args[1])
            if digits is None or digits != digits.to_integral_value() or not 0 <= digits <= 6:
                raise _fail(_("round 的小数位数须为 0 到 6 的整数。"), field)
        for arg in node.args:
            _check(arg, allowed, field, depth + 1)
        return
    raise _fail(_("公式中不允许 %(node)s。") % {"node": type(node).__name__}, field)


def evaluate(tree: ast.Expression, values: Mapping[str, Decimal]) -> Decimal:
    """Evaluate a tree that ``parse`` accepted."""
    try:
        return _eval(tree.body, values)
    except (InvalidOperation, ZeroDivisionError) as exc:  # pragma: no cover - guarded by parse
        raise _fail(_("公式计算出错：%(error)s") % {"error": exc}, "formula") from exc


def _eval(node: ast.AST, values: Mapping[str, Decimal]) -> Decimal:
    if isinstance(node, ast.Constant):
        return Decimal(str(node.value))
    if isinstance(node, ast.Name):
        return Decimal(values[node.id])
    if isinstance(node, ast.UnaryOp):
        v = _eval(node.operand, values)
        return -v if isinstance(node.op, ast.USub) else v
    if isinstance(node, ast.BinOp):
        a, b = _eval(node.left, values), _eval(node.right, values)
        if isinstance(node.op, ast.Add):
            return a + b
        if isinstance(node.op, ast.Sub):
            return a - b
        if isinstance(node.op, ast.Mult):
            return a * b
        return a / b
    if isinstance(node, ast.Call):
        name = node.func.id  # type: ignore[attr-defined]
        args = [_eval(a, values) for a in node.args]
        if name == "min":
            return min(args)
        if name == "max":
            return max(args)
        if name == "round":
            digits = int(args[1]) if len(args) == 2 else 0
            return args[0].quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)
        a, b, default = args
        return default if b == 0 else a / b
    raise _fail(_("公式中不允许 %(node)s。") % {"node": type(node).__name__}, "formula")  # pragma: no cover


def formula_evaluate(text: str, values: Mapping[str, Decimal]) -> Decimal:
    return evaluate(parse(text, values.keys()), values)
