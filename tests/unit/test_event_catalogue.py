"""Every event type src/ordermesh writes is declared in tests/event_contract.py, proved by
a scenario test and listed in docs/events.md: a new event type cannot skip any of the three."""

from __future__ import annotations

import ast
import re
from collections import Counter
from pathlib import Path

import pytest

from tests import event_scan
from tests.event_contract import CONTRACT, END, declared_types, render_catalogue

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs" / "events.md"


def test_every_event_type_written_in_src_is_declared_in_the_contract():
    written = event_scan.written_event_types()
    missing = {t: places for t, places in written.items() if t not in declared_types()}
    assert not missing, (
        "These event types are written in src/ordermesh but no use case of "
        "tests/event_contract.py declares them:\n" + "\n".join(
            f"  {t} (written at {', '.join(places)})" for t, places in sorted(missing.items()))
        + "\nFor each use case that writes them:\n"
        "  1. add to USE_CASES of its area in tests/use_cases/ an entry such as\n"
        "     UseCase(\"order.flag\", \"POST /api/v1/orders/{order_id}/flag\",\n"
        "             \"a confirmed order is flagged\", (\"order.flagged\",),\n"
        "             \"test_flagging_an_order_writes_order_flagged\"),\n"
        "     listing every event the call writes;\n"
        "  2. write that test in tests/integration/test_events_<feature>.py: it performs the "
        "call through the API with assert_writes(client, \"order.flag\", lambda: ...) from "
        "tests/event_checks.py and asserts what a user sees;\n"
        "  3. add the type to the table under '## Event types' in docs/events.md and replace "
        "the generated table there with the output of `python -m tests.event_contract`.")


def test_every_declared_event_type_is_written_somewhere_in_src():
    written = event_scan.written_event_types()
    ghosts = sorted(declared_types() - set(written))
    assert not ghosts, (f"tests/event_contract.py declares {ghosts}, which src/ordermesh "
                        "never writes: remove them or fix their spelling")


def test_use_case_names_are_unique():
    repeated = [n for n, c in Counter(u.name for u in CONTRACT).items() if c > 1]
    assert not repeated


SCENARIOS = sorted((ROOT / "tests" / "integration").glob("test_events_*.py"))


def _scenario_tests() -> dict[str, list[ast.FunctionDef]]:
    found: dict[str, list[ast.FunctionDef]] = {}
    for path in SCENARIOS:
        for node in ast.parse(path.read_text()).body:
            if isinstance(node, ast.FunctionDef) and node.name.startswith("test_"):
                found.setdefault(node.name, []).append(node)
    return found


@pytest.mark.parametrize("use_case", CONTRACT, ids=lambda u: u.name)
def test_each_use_case_is_proved_by_the_scenario_test_it_names(use_case):
    candidates = _scenario_tests().get(use_case.test, [])
    assert len(candidates) == 1, (
        f"{use_case.name}: there should be exactly one test {use_case.test} in "
        f"tests/integration/test_events_*.py, found {len(candidates)}")
    [found] = candidates
    # assert_writes(client, "<name>", ...), or a loop over the names that passes each one
    checks = [call for call in ast.walk(found) if isinstance(call, ast.Call)
              and isinstance(call.func, ast.Name) and call.func.id == "assert_writes"]
    named = any(isinstance(node, ast.Constant) and node.value == use_case.name
                for node in ast.walk(found))
    assert checks and named, (f"{use_case.test} does not call assert_writes(client, "
                    f"{use_case.name!r}, ...): nothing proves that use case writes "
                    f"{list(use_case.events)}")


def test_docs_list_what_each_use_case_writes_as_the_contract_says():
    text = DOCS.read_text()
    assert render_catalogue() in text, (
        "docs/events.md differs from tests/event_contract.py: replace its section between "
        f"the event-contract markers (ending {END}) with the output of "
        "`python -m tests.event_contract`")


def _documented_types() -> set[str]:
    section = DOCS.read_text().split("## Event types", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| `")]
    return {t for row in rows for t in re.findall(r"`([a-z_]+\.[a-z_]+)`", row.split("|")[1])}


def test_docs_event_types_table_names_exactly_the_types_src_writes():
    written = set(event_scan.written_event_types())
    documented = _documented_types()
    assert documented == written, (
        f"In docs/events.md#event-types but never written: {sorted(documented - written)}; "
        f"written but not in that table: {sorted(written - documented)}")


def _module(source: str) -> event_scan._Module:
    tree = ast.parse(source)
    parents = {c: n for n in ast.walk(tree) for c in ast.iter_child_nodes(n)}
    return event_scan._Module(Path("example.py"), "example.py", tree, parents)


def _type_argument(module: event_scan._Module) -> ast.expr:
    return next(c for c in ast.walk(module.tree) if isinstance(c, ast.Call)
                and event_scan._callee(c) == "record_event").args[1]


def test_the_scanner_follows_tables_branches_and_local_variables():
    module = _module(
        "_EVENT = {1: 'thing.made', 2: 'thing.broken'}\n"
        "def f(uow, kind, ok):\n"
        "    event = _EVENT.get(kind, 'thing.lost') if ok else 'thing.' + 'odd'\n"
        "    record_event(uow, event, 'thing', '1', {})\n")
    with pytest.raises(event_scan.Unresolved, match=r"example\.py:3"):
        event_scan._resolve(module, _type_argument(module))  # 'thing.' + 'odd'
    module = _module(
        "_EVENT = {1: 'thing.made', 2: 'thing.broken'}\n"
        "def f(uow, kind, ok):\n"
        "    event = _EVENT.get(kind, 'thing.lost') if ok else f'thing.{kind.name}'\n"
        "    record_event(uow, event, 'thing', '1', {})\n")
    with pytest.raises(event_scan.Unresolved, match=r"kind\.name"):
        event_scan._resolve(module, _type_argument(module))
    module = _module(
        "_EVENT = {1: 'thing.made', 2: 'thing.broken'}\n"
        "def f(uow, kind, ok):\n"
        "    event = _EVENT.get(kind, 'thing.lost') if ok else 'thing.odd'\n"
        "    record_event(uow, event, 'thing', '1', {})\n")
    assert event_scan._resolve(module, _type_argument(module)) == {
        "thing.made", "thing.broken", "thing.lost", "thing.odd"}


def test_the_scanner_resolves_an_event_type_a_helper_forwards():
    # lines_changed_event(uow, fo, what, ...) writes f"fulfilment.lines_{what}"; its callers
    # pass "cancelled", or a local that is "short" or "rejected".
    written = event_scan.written_event_types()
    assert {"fulfilment.lines_cancelled", "fulfilment.lines_short",
            "fulfilment.lines_rejected"} <= set(written)
    assert {"fulfilment.at_risk", "fulfilment.late"} <= set(written)
    assert {"inventory.stock_out", "inventory.back_in_stock",
            "inventory.low_stock"} <= set(written)


def test_events_are_written_only_through_record_event():
    # The scan follows record_event/record_events; an outbox row written any other way
    # would be an event type nobody declares.
    bypasses = []
    for path in sorted(event_scan.SRC.rglob("*.py")):
        rel = path.relative_to(event_scan.SRC).as_posix()
        if rel in {"kit/outbox.py", "kit/db.py"} or "migrations" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and event_scan._callee(node) == "defer_event":
                bypasses.append(f"{rel}:{node.lineno} calls defer_event")
            if (isinstance(node, ast.Call) and event_scan._callee(node) == "insert"
                    and any(isinstance(a, ast.Name | ast.Attribute)
                            and ast.unparse(a).endswith("outbox") for a in node.args)):
                bypasses.append(f"{rel}:{node.lineno} inserts into the outbox")
    assert not bypasses, f"write events with kit.outbox.record_event instead: {bypasses}"


def test_every_explicit_resolution_of_the_scanner_is_still_used():
    event_scan.written_event_types()
    stale = sorted(set(event_scan.EXPLICIT) - event_scan.USED_EXPLICIT)
    assert not stale, f"remove from EXPLICIT in tests/event_scan.py (no longer in src): {stale}"
