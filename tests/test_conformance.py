"""ONNX's per-op conformance cases on the converter and the host engine (tests/conformance.py).

Per target op: no case may give a wrong result or crash, and at least as many cases must
pass as tests/data/conformance_floor.json records (a ratchet: when an op gains cases, run
`python tests/conformance.py --write` to raise its floor and refresh docs/conformance.md).
"""

from __future__ import annotations

import json

import conformance
import pytest

FLOOR = json.loads(conformance.FLOOR_FILE.read_text())


@pytest.fixture(scope="module")
def engine():
    return conformance.dev_engine()


@pytest.mark.parametrize("op", sorted(conformance.cases()))
def test_conformance_cases(op: str, engine) -> None:
    results = conformance.run_op(op, engine)
    bad = [f"{o.status}: {o.case}: {o.detail}" for o in results if o.status in ("wrong", "crash")]
    assert not bad, "\n".join(bad)
    passed = sum(o.status == "pass" for o in results)
    floor = FLOOR.get(op, 0)
    assert passed >= floor, (
        f"{op}: {passed} cases pass, the floor is {floor}; refused now: "
        + "; ".join(f"{o.case}: {o.detail}" for o in results if o.status == "refused")
    )


def test_every_target_op_with_cases_has_a_floor_entry() -> None:
    assert set(FLOOR) == set(conformance.cases()), "run `python tests/conformance.py --write`"
