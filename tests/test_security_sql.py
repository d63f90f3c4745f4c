"""No SQL is built from request values: an AST scan of `app/`.

The rule (README, "Security and limits"): every string that reaches SQL -- the first
argument of `text()`, `literal_column()`, `.execute()`, `.exec_driver_sql()`,
`.executemany()`, `.executescript()` -- is built only from
- string and number literals,
- module-level constants built the same way (any module of `app/`),
- integers the code counts itself (`len()`, `range()` and `enumerate()` indexes), used
  to number bind parameters (`:k0`, `:k1`, ...),
- booleans only used to choose between such pieces (`x if flag else y`),
- the parameters of SQL-building helpers listed in SAFE_PARAMETERS, each a closed set of
  identifiers: the test checks every call of the helper in `app/` passes it one of them,
- locals and helper functions (in the same module) built from these.
Request values only ever reach SQL as bound parameters. A value of any other origin
formatted into SQL fails the test with its file and line.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from app.config import PACKAGE_DIR

SINK_FUNCTIONS = {"text", "literal_column"}
SINK_METHODS = {"execute", "exec_driver_sql", "executemany", "executescript"}

# Parameters that carry SQL text from one helper to another: (module, function, parameter).
# Each is checked at every call in `app/`: what is passed must itself be safe SQL.
SAFE_PARAMETERS = {
    ("app/raw_sql.py", "_sqlite_page", "sql"),
    ("app/raw_sql.py", "sqlite_rows", "sql"),
    ("app/raw_sql.py", "distinct_rows", "sql"),
}
# Functions that return SQL (a string, a statement, or a tuple of them): each is checked
# to return only safe SQL, and what they return is safe wherever it is unpacked.
SQL_PRODUCERS = {("app/raw_sql.py", "page_statement")}


@dataclass
class Module:
    path: Path
    tree: ast.Module
    constants: dict[str, ast.expr] = field(default_factory=dict)
    functions: dict[str, ast.FunctionDef] = field(default_factory=dict)


def _modules() -> dict[str, Module]:
    modules = {}
    for path in sorted(PACKAGE_DIR.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        module = Module(path, tree)
        for node in tree.body:
            if isinstance(node, ast.Assign) and len(node.targets) == 1:
                target = node.targets[0]
                if isinstance(target, ast.Name):
                    module.constants[target.id] = node.value
            elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
                if node.value is not None:
                    module.constants[node.target.id] = node.value
            elif isinstance(node, ast.FunctionDef):
                module.functions[node.name] = node
        modules[str(path.relative_to(PACKAGE_DIR.parent))] = module
    return modules


MODULES = _modules()


def _parents(tree: ast.AST) -> dict[ast.AST, ast.AST]:
    return {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}


class Checker:
    """Decides whether an expression is built only from safe pieces (the module doc)."""

    def __init__(self, name: str, module: Module) -> None:
        self.name, self.module = name, module
        self.parents = _parents(module.tree)
        self.seen: set[int] = set()
        # The parameters of helpers being checked that were called with safe arguments.
        self.bound: list[tuple[ast.AST, set[str]]] = []

    def function_of(self, node: ast.AST) -> ast.FunctionDef | ast.Lambda | None:
        while node in self.parents:
            node = self.parents[node]
            if isinstance(node, (ast.FunctionDef, ast.Lambda)):
                return node
        return None

    def safe(self, node: ast.expr, scope: ast.AST | None) -> bool:
        key = id(node)
        if key in self.seen:
            return True  # a cycle: decided by the other branches
        self.seen.add(key)
        try:
            return self._safe(node, scope)
        finally:
            self.seen.discard(key)

    def _safe(self, node: ast.expr, scope: ast.AST | None) -> bool:
        if isinstance(node, ast.Constant):
            return True
        if isinstance(node, ast.Compare) or (
            isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not)
        ):
            return True  # a boolean: it can only choose between pieces
        if isinstance(node, ast.JoinedStr):
            return all(self.safe(v, scope) for v in node.values)
        if isinstance(node, ast.FormattedValue):
            return self.safe(node.value, scope)
        if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Mod, ast.Mult)):
            return self.safe(node.left, scope) and self.safe(node.right, scope)
        if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
            return all(self.safe(e, scope) for e in node.elts)
        if isinstance(node, ast.IfExp):
            return self.safe(node.body, scope) and self.safe(node.orelse, scope)
        if isinstance(node, ast.BoolOp):
            return all(self.safe(v, scope) for v in node.values)
        if isinstance(node, (ast.ListComp, ast.GeneratorExp, ast.SetComp)):
            return self.safe(node.elt, node) and all(
                self.safe(g.iter, scope) for g in node.generators
            )
        if isinstance(node, ast.Subscript):
            # Any item of a container of safe pieces is safe, whatever the key.
            return self.safe(node.value, scope)
        if isinstance(node, ast.Dict):
            return all(self.safe(v, scope) for v in node.values)
        if isinstance(node, ast.Starred):
            return self.safe(node.value, scope)
        if isinstance(node, ast.Call):
            return self._safe_call(node, scope)
        if isinstance(node, ast.Name):
            return self._safe_name(node, scope)
        if isinstance(node, ast.Attribute):
            # A module's constant (raw_sql.VECTOR_INDEX) is safe as its value is.
            if isinstance(node.value, ast.Name):
                for path, other in MODULES.items():
                    if path.endswith(f"/{node.value.id}.py") and node.attr in other.constants:
                        return Checker(path, other).safe(other.constants[node.attr], None)
            return False
        return False

    def _safe_call(self, node: ast.Call, scope: ast.AST | None) -> bool:
        func = node.func
        if isinstance(func, ast.Name) and func.id in ("len", "range", "enumerate", "int"):
            return True  # numbers the code counts itself
        args = [*node.args, *(k.value for k in node.keywords)]
        if isinstance(func, ast.Attribute) and func.attr in ("join", "format", "replace"):
            return self.safe(func.value, scope) and all(self.safe(a, scope) for a in args)
        if isinstance(func, ast.Name) and func.id in ("str", "list", "tuple", "sorted"):
            return all(self.safe(a, scope) for a in args)
        # A helper of this module (or nested in the function) that returns SQL: safe if
        # what it returns is, given the arguments it is called with here.
        helper = self._helper(func, scope)
        if helper is not None:
            return self._safe_helper(helper, node, scope)
        return False

    def _safe_helper(self, helper: ast.FunctionDef, call: ast.Call, scope: ast.AST | None) -> bool:
        """A helper's SQL is safe if what it returns is, its parameters being as safe as the
        arguments of this call (or their defaults)."""
        params = [*helper.args.posonlyargs, *helper.args.args]
        safe_params = set()
        for param, argument in zip(params, call.args, strict=False):
            if self.safe(argument, scope):
                safe_params.add(param.arg)
        passed = {k.arg: k.value for k in call.keywords if k.arg}
        safe_params |= {name for name, value in passed.items() if self.safe(value, scope)}
        defaults = dict(
            zip([p.arg for p in params][::-1], helper.args.defaults[::-1], strict=False)
        )
        for name, default in defaults.items():
            positional = [p.arg for p in params[: len(call.args)]]
            if name not in passed and name not in positional and self.safe(default, None):
                safe_params.add(name)
        returns = list(_returns(helper))
        self.bound.append((helper, safe_params))
        try:
            return bool(returns) and all(self.safe(r, helper) for r in returns)
        finally:
            self.bound.pop()

    def _helper(self, func: ast.expr, scope: ast.AST | None) -> ast.FunctionDef | None:
        if not isinstance(func, ast.Name):
            return None
        node = scope
        while node is not None:
            for child in ast.walk(node):
                if isinstance(child, ast.FunctionDef) and child.name == func.id:
                    return child
            node = self.function_of(node)
        return self.module.functions.get(func.id)

    def _safe_name(self, node: ast.Name, scope: ast.AST | None) -> bool:
        name = node.id
        while scope is not None:
            verdict = self._in_scope(name, scope)
            if verdict is not None:
                return verdict
            scope = self.function_of(scope)
        if name in self.module.constants:
            return self.safe(self.module.constants[name], None)
        return False

    def _in_scope(self, name: str, scope: ast.AST) -> bool | None:
        """Whether `name`, bound in `scope`, is safe; None when it is not bound there."""
        if isinstance(scope, (ast.ListComp, ast.GeneratorExp, ast.SetComp)):
            for generator in scope.generators:
                if name in _names(generator.target):
                    return _counted(generator.iter, generator.target, name) or self.safe(
                        generator.iter, self.function_of(scope)
                    )
            return None
        if not isinstance(scope, (ast.FunctionDef, ast.Lambda)):
            return None
        arguments = scope.args
        params = [*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs]
        for param in params:
            if param.arg == name:
                for helper, safe_params in reversed(self.bound):
                    if helper is scope:
                        return name in safe_params or self._safe_parameter(scope, param)
                return self._safe_parameter(scope, param)
        values = list(_assignments(scope, name))
        if not values:
            return None
        return all(
            v is not None and (self.safe(v, scope) if not isinstance(v, tuple) else v[0])
            for v in values
        )

    def _safe_parameter(self, function: ast.FunctionDef | ast.Lambda, param: ast.arg) -> bool:
        annotation = ast.unparse(param.annotation) if param.annotation else ""
        if annotation in ("int", "bool"):
            return True  # formatted as digits, or only chooses between safe pieces
        name = getattr(function, "name", "<lambda>")
        return (self.name, name, param.arg) in SAFE_PARAMETERS


def _returns(function: ast.FunctionDef) -> Iterator[ast.expr]:
    """What `function` returns, not counting the functions nested in it."""
    pending: list[ast.AST] = list(function.body)
    while pending:
        node = pending.pop()
        if isinstance(node, ast.Return) and node.value is not None:
            yield node.value
        elif not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            pending.extend(ast.iter_child_nodes(node))


def _names(target: ast.expr) -> set[str]:
    return {n.id for n in ast.walk(target) if isinstance(n, ast.Name)}


def _counted(iterable: ast.expr, target: ast.expr, name: str) -> bool:
    """`name` is a number the code counts: `for i in range(...)`, `for i, x in enumerate(...)`."""
    if not isinstance(iterable, ast.Call) or not isinstance(iterable.func, ast.Name):
        return False
    if iterable.func.id == "range":
        return True
    if iterable.func.id == "enumerate" and isinstance(target, ast.Tuple):
        first = target.elts[0]
        return isinstance(first, ast.Name) and first.id == name
    return False


def _assignments(function: ast.AST, name: str) -> Iterator[ast.expr | tuple[bool] | None]:
    """What `name` is bound to in `function` (not in nested functions): an expression, a
    verdict for loop variables, or None for a binding the scan cannot read."""
    for node in ast.walk(function):
        if isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Name) and target.id == name:
                    yield node.value
                elif isinstance(target, ast.Tuple) and name in _names(target):
                    if _produces_sql(node.value):
                        yield (True,)
                    elif isinstance(node.value, ast.Tuple) and len(node.value.elts) == len(
                        target.elts
                    ):
                        for t, v in zip(target.elts, node.value.elts, strict=True):
                            if isinstance(t, ast.Name) and t.id == name:
                                yield v
                    else:
                        # Unpacked from a whole that is safe only if each item is.
                        yield node.value
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            if node.target.id == name and node.value is not None:
                yield node.value
        elif isinstance(node, ast.AugAssign) and isinstance(node.target, ast.Name):
            if node.target.id == name:
                yield node.value
        elif isinstance(node, ast.For) and name in _names(node.target):
            yield (
                (_counted(node.iter, node.target, name),)
                if _counted(node.iter, node.target, name)
                else node.iter
            )
        elif isinstance(node, ast.NamedExpr) and node.target.id == name:
            yield node.value
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            # `parts.append(...)`, `parts.extend(...)`, `parts += ...` grow a local list.
            owner = node.func.value
            grows = node.func.attr in ("append", "extend", "insert")
            if grows and isinstance(owner, ast.Name) and owner.id == name:
                yield from node.args
        elif isinstance(node, (ast.With, ast.AsyncWith)):
            for item in node.items:
                if item.optional_vars is not None and name in _names(item.optional_vars):
                    yield None


def _produces_sql(node: ast.expr) -> bool:
    if not isinstance(node, ast.Call):
        return False
    func = node.func
    name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
    return any(name == producer for _, producer in SQL_PRODUCERS)


def _construct(node: ast.expr | None, scope: ast.AST | None) -> bool:
    """A SQLAlchemy construct (select(), a table's .delete(), text(...).bindparams()), not
    a string: any text() inside it is a sink of its own, checked where it is."""
    if isinstance(node, ast.Call):
        return not _is_string_built(node)
    if isinstance(node, ast.Name) and scope is not None:
        values = list(_assignments(scope, node.id))
        return bool(values) and all(
            isinstance(v, ast.expr) and _construct(v, scope) for v in values
        )
    return False


def sql_sinks() -> Iterator[tuple[str, Module, ast.Call, ast.expr]]:
    for name, module in MODULES.items():
        for node in ast.walk(module.tree):
            if not isinstance(node, ast.Call) or not node.args:
                continue
            func = node.func
            if (isinstance(func, ast.Name) and func.id in SINK_FUNCTIONS) or (
                isinstance(func, ast.Attribute) and func.attr in SINK_METHODS | SINK_FUNCTIONS
            ):
                yield name, module, node, node.args[0]


def _is_string_built(node: ast.expr) -> bool:
    """The argument is a string expression, as opposed to a SQLAlchemy construct (select(),
    insert(), a table's .delete()), whose values SQLAlchemy always binds."""
    return isinstance(node, (ast.Constant, ast.JoinedStr, ast.BinOp, ast.Name, ast.Attribute,
                             ast.IfExp)) or (
        isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
        and node.func.attr in ("join", "format")
    )  # fmt: skip


def unsafe_sql() -> list[str]:
    found = []
    for name, module, call, argument in sql_sinks():
        checker = Checker(name, module)
        scope = checker.function_of(call)
        helper_call = isinstance(argument, ast.Call) and checker._helper(argument.func, scope)
        if not (_is_string_built(argument) or helper_call):
            continue
        if isinstance(argument, ast.Name):
            # A name bound to a statement, here or at module level, rather than a string.
            constant = module.constants.get(argument.id)
            if _construct(argument, scope) or (constant is not None and _construct(constant, None)):
                continue
        if not checker.safe(argument, scope):
            found.append(f"{name}:{call.lineno}: {ast.unparse(call)[:120]}")
    return found


def test_no_sql_is_built_from_values_of_unknown_origin() -> None:
    assert unsafe_sql() == []


def test_sql_producers_return_only_safe_sql() -> None:
    for path, function in SQL_PRODUCERS:
        module = MODULES[path]
        checker = Checker(path, module)
        helper = module.functions[function]
        for value in _returns(helper):
            parts = value.elts if isinstance(value, ast.Tuple) else [value]
            for part in parts:
                assert _construct(part, helper) or checker.safe(part, helper), (
                    f"{path}:{value.lineno}: {ast.unparse(part)}"
                )


def test_sql_parameters_get_safe_sql_at_every_call() -> None:
    calls = 0
    for path, function, parameter in sorted(SAFE_PARAMETERS):
        definition = MODULES[path].functions[function]
        position = [a.arg for a in definition.args.args].index(parameter)
        for name, module in MODULES.items():
            checker = Checker(name, module)
            for node in ast.walk(module.tree):
                if not isinstance(node, ast.Call):
                    continue
                func = node.func
                called = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
                if called != function:
                    continue
                keyword = [k.value for k in node.keywords if k.arg == parameter]
                argument = keyword[0] if keyword else node.args[position]
                calls += 1
                assert checker.safe(argument, checker.function_of(node)), (
                    f"{name}:{node.lineno}: {ast.unparse(node)}"
                )
    assert calls >= len(SAFE_PARAMETERS)


def test_the_scan_finds_sql_built_from_a_value() -> None:
    """The scan itself: SQL formatted from a request value fails it, in each of the ways."""
    source = """
from sqlalchemy import text
TABLE = "events"
def bad_f(conn, value: str):
    return conn.execute(text(f"SELECT * FROM events WHERE id = '{value}'"))
def bad_percent(conn, value: str):
    sql = "SELECT * FROM events WHERE id = '%s'" % value
    return conn.exec_driver_sql(sql)
def bad_format(conn, value: str):
    return conn.execute(text("SELECT * FROM {} ".format(value)))
def bad_plus(conn, value: str):
    parts = ["SELECT * FROM ", TABLE]
    parts.append(value)
    return conn.execute(text("".join(parts)))
def good(conn, n: int):
    names = ", ".join(f":k{i}" for i in range(n))
    return conn.execute(text(f"SELECT * FROM {TABLE} WHERE id IN ({names})"))
"""
    module = Module(Path("app/example.py"), ast.parse(source))
    for node in module.tree.body:
        if isinstance(node, ast.Assign):
            module.constants[node.targets[0].id] = node.value  # type: ignore[attr-defined]
        elif isinstance(node, ast.FunctionDef):
            module.functions[node.name] = node
    MODULES["app/example.py"] = module
    try:
        flagged = {line.split(":")[1] for line in unsafe_sql() if line.startswith("app/example")}
    finally:
        del MODULES["app/example.py"]
    lines = {str(n.lineno) for n in ast.walk(module.tree) if isinstance(n, ast.Call)
             and getattr(n.func, "attr", "") in ("execute", "exec_driver_sql")}  # fmt: skip
    good_line = str(module.functions["good"].body[-1].lineno)
    assert flagged == lines - {good_line}
