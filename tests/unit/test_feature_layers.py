"""Features import only features below them (docs/architecture.md, "Which feature is below
which"); a step that spans features lives in flows/. The imports that still point upwards
are known debt, listed file by file below: an upward import anywhere else fails, and so
does an entry here that the code no longer needs (so the list only ever shrinks)."""

from __future__ import annotations

import re
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src" / "ordermesh"
IMPORT = re.compile(r"^\s*(?:from|import)\s+ordermesh\.([a-z_]+)", re.M)

# Bottom first. Features of one level do not import each other.
LAYERS = (
    ("customers",),
    ("orders", "credit"),
    ("payments",),
    ("fulfilment",),
    ("shipping",),
    ("packing", "sourcing"),
    ("flows",),
)
LEVEL = {pkg: i for i, layer in enumerate(LAYERS) for pkg in layer}

# (importing file, imported package): steps still waiting to move to flows/.
KNOWN_UPWARD = {
    ("orders/changes.py", "fulfilment"),  # give_back: cancelling, recording a shipment
    ("orders/model.py", "payments"),  # the order read carries its payment standing
    ("orders/queries.py", "payments"),
    ("orders/schemas.py", "payments"),
    ("orders/refunds.py", "payments"),  # refunding
    ("orders/settlement.py", "payments"),  # refund/void with a cancellation
    ("orders/shipments.py", "payments"),  # capture per shipment
    ("fulfilment/service.py", "packing"),  # packed units at packed and shipped
}


def upward_imports() -> set[tuple[str, str]]:
    found = set()
    for path in SRC.rglob("*.py"):
        rel = path.relative_to(SRC)
        if len(rel.parts) < 2 or rel.parts[0] not in LEVEL:
            continue
        own = LEVEL[rel.parts[0]]
        for target in set(IMPORT.findall(path.read_text())):
            if target in LEVEL and target != rel.parts[0] and LEVEL[target] >= own:
                found.add((rel.as_posix(), target))
    return found


def test_no_feature_imports_a_feature_above_it_beyond_the_known_debt():
    new = sorted(upward_imports() - KNOWN_UPWARD)
    assert not new, (
        "These modules import a feature at their level or above (docs/architecture.md): "
        "move the step that needs both into src/ordermesh/flows/:\n"
        + "\n".join(f"  {path} imports ordermesh.{target}" for path, target in new))


def test_the_known_debt_list_names_only_imports_that_still_exist():
    gone = sorted(KNOWN_UPWARD - upward_imports())
    assert not gone, ("Paid off: remove these from KNOWN_UPWARD in "
                      f"tests/unit/test_feature_layers.py: {gone}")
