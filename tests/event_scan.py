"""Finds every event type that src/ordermesh can write, by reading its source with ``ast``.

An event is written by ``kit.outbox.record_event(uow, type_, ...)`` or
``record_events(uow, [(type_, ...), ...])``. The type argument is resolved statically:

- a string literal, or either branch of ``a if c else b``;
- ``TABLE[key]`` or ``TABLE.get(key, default)`` of a module-level dict literal (its values);
- a local variable (every value assigned to it in the function, ``:=`` included);
- a call of a function of the same module (every string it returns);
- a parameter of the function: the argument of every call of that function in src
  (a helper that forwards an event type, e.g. ``lines_changed_event(uow, fo, "cancelled")``);
- an f-string whose every placeholder resolves as above.

What cannot be resolved so must be listed in ``EXPLICIT`` (keyed by file and the
expression's source) or the scan fails naming the file and line.
"""

from __future__ import annotations

import ast
import itertools
from collections import defaultdict
from dataclasses import dataclass
from functools import cache
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "ordermesh"
WRITERS = {"record_event", "record_events"}


def _fulfilment_statuses() -> set[str]:
    from ordermesh.fulfilment.model import FulfilmentStatus

    return {f"fulfilment.{status.value}" for status in FulfilmentStatus}


# (file relative to src/ordermesh, ast.unparse of the type expression) -> its event types.
# Callables are evaluated at scan time, so an enum that grows is followed.
EXPLICIT = {
    # _transition(uow, fo, target: FulfilmentStatus, ...): every status change.
    ("fulfilment/service.py", "f'fulfilment.{target.value}'"): _fulfilment_statuses,
    # review._close(uow, row, review, ...) is called with the module constants RELEASED and
    # DISCARDED; the scan does not follow module-level names.
    ("shipping/review.py", "RELEASED"): lambda: {"released"},
    ("shipping/review.py", "DISCARDED"): lambda: {"discarded"},
}


USED_EXPLICIT: set[tuple[str, str]] = set()


class Unresolved(Exception):
    def __init__(self, where: str, expression: str):
        super().__init__(
            f"{where}: cannot tell which event type `{expression}` is; write it as a literal, "
            "or list the types it can be in EXPLICIT in tests/event_scan.py")
        self.where = where
        self.expression = expression


@dataclass
class _Module:
    path: Path
    rel: str
    tree: ast.Module
    parents: dict[ast.AST, ast.AST]

    @property
    def dicts(self) -> dict[str, ast.Dict]:
        return {t.id: node.value for node in self.tree.body if isinstance(node, ast.Assign)
                and isinstance(node.value, ast.Dict) for t in node.targets
                if isinstance(t, ast.Name)}

    @property
    def functions(self) -> dict[str, ast.FunctionDef]:
        return {n.name: n for n in ast.walk(self.tree) if isinstance(n, ast.FunctionDef)}

    def enclosing_function(self, node: ast.AST) -> ast.FunctionDef | None:
        while node in self.parents:
            node = self.parents[node]
            if isinstance(node, ast.FunctionDef):
                return node
        return None


@cache
def _modules() -> tuple[_Module, ...]:
    found = []
    for path in sorted(SRC.rglob("*.py")):
        if "migrations" in path.parts:
            continue
        tree = ast.parse(path.read_text(), filename=str(path))
        parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
        found.append(_Module(path, path.relative_to(SRC).as_posix(), tree, parents))
    return tuple(found)


def _callee(call: ast.Call) -> str | None:
    if isinstance(call.func, ast.Name):
        return call.func.id
    if isinstance(call.func, ast.Attribute):
        return call.func.attr
    return None


def _where(module: _Module, node: ast.AST) -> str:
    return f"src/ordermesh/{module.rel}:{getattr(node, 'lineno', '?')}"


def _resolve(module: _Module, node: ast.expr, depth: int = 0) -> set[str]:
    explicit = EXPLICIT.get((module.rel, ast.unparse(node)))
    if explicit is not None:
        USED_EXPLICIT.add((module.rel, ast.unparse(node)))
        return set(explicit())
    if depth > 8:
        raise Unresolved(_where(module, node), ast.unparse(node))
    match node:
        case ast.Constant(value=str() as value):
            return {value}
        case ast.IfExp(body=body, orelse=orelse):
            return _resolve(module, body, depth + 1) | _resolve(module, orelse, depth + 1)
        case ast.Subscript(value=ast.Name(id=name)) if name in module.dicts:
            return _dict_values(module, name, depth)
        case ast.Call(func=ast.Attribute(value=ast.Name(id=name), attr="get"), args=args) \
                if name in module.dicts:
            default = _resolve(module, args[1], depth + 1) if len(args) > 1 else set()
            return _dict_values(module, name, depth) | default
        case ast.Call(func=ast.Name(id=name)) if name in module.functions:
            returns = [r.value for r in ast.walk(module.functions[name])
                       if isinstance(r, ast.Return) and r.value is not None
                       and not (isinstance(r.value, ast.Constant) and r.value.value is None)]
            if not returns:
                raise Unresolved(_where(module, node), ast.unparse(node))
            return set().union(*(_resolve(module, r, depth + 1) for r in returns))
        case ast.Name(id=name):
            return _resolve_name(module, node, name, depth)
        case ast.JoinedStr(values=values):
            parts = []
            for value in values:
                if isinstance(value, ast.Constant):
                    parts.append({str(value.value)})
                elif isinstance(value, ast.FormattedValue) and value.format_spec is None:
                    parts.append(_resolve(module, value.value, depth + 1))
                else:
                    raise Unresolved(_where(module, node), ast.unparse(node))
            return {"".join(p) for p in itertools.product(*parts)}
    raise Unresolved(_where(module, node), ast.unparse(node))


def _dict_values(module: _Module, name: str, depth: int) -> set[str]:
    return set().union(*(_resolve(module, v, depth + 1) for v in module.dicts[name].values))


def _resolve_name(module: _Module, node: ast.Name, name: str, depth: int) -> set[str]:
    function = module.enclosing_function(node)
    if function is None:
        raise Unresolved(_where(module, node), name)
    assigned = [n.value for n in ast.walk(function)
                if (isinstance(n, ast.Assign) and any(
                    isinstance(t, ast.Name) and t.id == name for t in n.targets))
                or (isinstance(n, ast.NamedExpr) and n.target.id == name)]
    if assigned:
        return set().union(*(_resolve(module, v, depth + 1) for v in assigned))
    params = [a.arg for a in function.args.posonlyargs + function.args.args]
    if name not in params and name not in [a.arg for a in function.args.kwonlyargs]:
        raise Unresolved(_where(module, node), name)
    position = params.index(name) if name in params else None
    found: set[str] = set()
    calls = 0
    for other in _modules():
        for call in ast.walk(other.tree):
            if not (isinstance(call, ast.Call) and _callee(call) == function.name):
                continue
            argument = next((k.value for k in call.keywords if k.arg == name), None)
            if argument is None and position is not None and position < len(call.args):
                argument = call.args[position]
            if argument is None:
                raise Unresolved(_where(other, call), f"{function.name}(... {name}=?)")
            found |= _resolve(other, argument, depth + 1)
            calls += 1
    if not calls:
        raise Unresolved(_where(module, node), name)
    return found


def written_event_types() -> dict[str, list[str]]:
    """Every event type src/ordermesh can write -> where (``file:line``). Raises
    ``Unresolved`` for a type expression it cannot follow."""
    written: dict[str, list[str]] = defaultdict(list)
    for module in _modules():
        for call in ast.walk(module.tree):
            if not (isinstance(call, ast.Call) and _callee(call) in WRITERS):
                continue
            if module.rel == "kit/outbox.py":
                continue  # record_events forwards to record_event: its callers are scanned
            if _callee(call) == "record_event":
                expressions = [call.args[1]] if len(call.args) > 1 else [
                    k.value for k in call.keywords if k.arg == "type_"]
            else:
                expressions = _first_elements(module, call.args[1])
            for expression in expressions:
                for type_ in _resolve(module, expression):
                    written[type_].append(_where(module, call))
    return dict(written)


def _first_elements(module: _Module, node: ast.expr) -> list[ast.expr]:
    """The type (first element) of each tuple in ``record_events``' list argument."""
    if isinstance(node, ast.ListComp):
        node = ast.List(elts=[node.elt])
    if isinstance(node, ast.List | ast.Tuple) and all(
            isinstance(e, ast.Tuple) and e.elts for e in node.elts):
        return [e.elts[0] for e in node.elts]
    raise Unresolved(_where(module, node), ast.unparse(node))


if __name__ == "__main__":
    for event_type, places in sorted(written_event_types().items()):
        print(f"{event_type:40} {', '.join(places)}")
