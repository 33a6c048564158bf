"""`sdkbuild ops`: what the converter takes and what the engine runs, from the registry."""

from __future__ import annotations

from onnx import defs

from . import registry


def onnx_rows() -> list[tuple[str, str, str]]:
    """(ONNX op, operator versions handled, constraints) for every op the converter lowers."""
    rows = []
    for name, spec in sorted(registry.onnx_ops().items()):
        versions = sorted({s.since_version for s in defs.get_all_schemas_with_history()
                           if s.name == name and s.domain == "" and s.since_version <= spec.max_version})
        rows.append((name, ", ".join(map(str, versions)), spec.doc))
    return rows


def engine_rows() -> list[tuple[str, str, str]]:
    """(engine op, dtypes before quantization, inputs and attributes) per engine op."""
    have = registry.available_engine_ops()
    return [(name, ", ".join(sorted(spec.dtypes)), spec.doc)
            for name, spec in sorted(registry.engine_ops().items()) if name in have]


def markdown(engine: bool = False) -> str:
    if engine:
        head = ["| engine op | dtypes (before int8) | inputs; attributes |", "| --- | --- | --- |"]
        rows = engine_rows()
    else:
        head = ["| ONNX op | operator versions | constraints |", "| --- | --- | --- |"]
        rows = onnx_rows()
    return "\n".join(head + [f"| {a} | {b} | {c.replace('|', '/')} |" for a, b, c in rows]) + "\n"


def print_ops(engine: bool = False, as_markdown: bool = False) -> None:
    if as_markdown:
        print(markdown(engine), end="")
        return
    from rich.console import Console
    from rich.table import Table

    if engine:
        t = Table("engine op", "dtypes (before int8)", "inputs; attributes", title="engine ops (engine/src/ops)")
        rows = engine_rows()
    else:
        t = Table("ONNX op", "versions", "constraints",
                  title="ONNX ops the converter lowers (any op also folds when its inputs are constant)")
        rows = onnx_rows()
    for r in rows:
        t.add_row(*r)
    Console().print(t)
