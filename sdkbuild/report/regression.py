"""Compare a size report with a baseline and check the budgets of sdk.toml [report.budgets].

The budgeted figure of a target is its `size`: the loadable bytes of the stripped shared library
for Android/host (code, constants, data, dynamic tables; the file's page padding excluded), and
the code+data of the static slice for iOS (the most it can add to an app before -dead_strip).
The total is the largest of those among the targets that reach devices (every Android ABI, the
iOS device slice): what one device gets after Play's ABI splits or App Store thinning, not a
sum over ABIs and simulator slices no device downloads.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import SdkbuildError
from . import hardening, load_json
from .size import SCHEMA, device_total, reaches_devices

# A change is listed among the top changes when it moves at least this many bytes; a target row
# is marked unchanged below both floors (tiny shifts come from alignment and padding).
NOISE_BYTES = 64
NOISE_PERCENT = 0.5
TOP_CHANGES = 12


@dataclass(frozen=True)
class Budgets:
    total_bytes: int | None = None
    total_growth_percent: float | None = None
    targets: dict[str, tuple[int | None, float | None]] = field(default_factory=dict)

    @classmethod
    def from_config(cls, report: Any) -> Budgets:
        """From config.ReportSection (or None)."""
        if report is None:
            return cls()
        return cls(report.total_bytes, report.total_growth_percent,
                   {t: (b.bytes, b.growth_percent) for t, b in report.targets.items()})


def load_baseline(path: Path) -> dict[str, Any]:
    """A size.json, or a dist/ (or reports/) folder holding one."""
    p = Path(path)
    if p.is_dir():
        for cand in (p / "reports" / "size.json", p / "size.json"):
            if cand.is_file():
                p = cand
                break
        else:
            raise SdkbuildError(f"baseline folder {path} holds no reports/size.json or size.json",
                                "pass a size.json from an earlier `sdkbuild report size`, or a dist/ folder")
    if not p.is_file():
        raise SdkbuildError(f"baseline {p} does not exist",
                            "pass the size.json of an earlier `sdkbuild report size`, or drop --baseline")
    data = load_json(p, "baseline")
    if not isinstance(data, dict) or data.get("schema") != SCHEMA or not isinstance(data.get("targets"), dict):
        got = data.get("schema") if isinstance(data, dict) else type(data).__name__
        raise SdkbuildError(f"baseline {p} is not a size report of schema {SCHEMA} (schema: {got})",
                            "regenerate the baseline with this sdkbuild version")
    return data


SHARED = "(shared between ops)"
CORE = "(engine core, bindings)"


def op_rows(row: dict[str, Any]) -> dict[str, int]:
    """Bytes per op, plus one row for code several ops share and one for the rest. Shared code is
    one row because its label (the ops sharing it) changes whenever an op comes or goes."""
    out = dict(row.get("ops", {}))
    out[SHARED] = sum(row.get("ops_shared", {}).values())
    out[CORE] = int(row.get("unattributed", 0))
    return out


def _pct(delta: int, base: int | None) -> float | None:
    if not base:
        return None
    return round(100.0 * delta / base, 3)


def _diff(cur: dict[str, int], base: dict[str, int], floor: int) -> list[dict[str, Any]]:
    out = []
    for k in sorted(set(cur) | set(base)):
        c, b = cur.get(k, 0), base.get(k, 0)
        if abs(c - b) >= floor:
            out.append({"name": k, "base": b, "size": c, "delta": c - b, "pct": _pct(c - b, b)})
    out.sort(key=lambda r: (-abs(r["delta"]), r["name"]))
    return out[:TOP_CHANGES]


def compare(current: dict[str, Any], baseline: dict[str, Any] | None, budgets: Budgets,
            baseline_name: str | None = None) -> dict[str, Any]:
    rows = []
    failures: list[str] = []
    changes: dict[str, Any] = {}
    base_targets = baseline["targets"] if baseline else {}
    for name, row in current["targets"].items():
        b = base_targets.get(name)
        size = int(row["size"])
        base = int(b["size"]) if b else None
        delta = size - base if base is not None else None
        pct = _pct(delta, base) if delta is not None else None
        bytes_budget, growth_budget = budgets.targets.get(name, (None, None))
        fails = []
        if bytes_budget is not None and size > bytes_budget:
            fails.append(f"{name}: {size:,} B exceeds the budget of {bytes_budget:,} B")
        if growth_budget is not None and pct is not None and pct > growth_budget:
            fails.append(f"{name}: grew {pct:+.2f}% ({delta:+,} B), over the {growth_budget}% budget")
        failures += fails
        noise = delta is not None and abs(delta) < NOISE_BYTES and abs(pct or 0.0) < NOISE_PERCENT
        rows.append({
            "target": name, "size": size, "base": base, "delta": delta, "pct": pct,
            "budget_bytes": bytes_budget, "budget_growth_percent": growth_budget,
            "status": "fail" if fails else ("new" if b is None and baseline else "ok"),
            "noise": noise, "failures": fails, "standin": row.get("standin", False),
            "shipped": name in current.get("total_targets", []),
            "device": reaches_devices(name),
            "hardening_failures": hardening.failures(row.get("hardening", {})),
        })
        if b is not None:
            ops_cur, ops_base = op_rows(row), op_rows(b)
            changes[name] = {
                "ops": _diff(ops_cur, ops_base, NOISE_BYTES),
                "symbols": _diff(row.get("symbols", {}), b.get("symbols", {}), NOISE_BYTES),
                "sections": _diff(row.get("sections", {}), b.get("sections", {}), NOISE_BYTES),
            }
    removed = sorted(set(base_targets) - set(current["targets"]))
    total = device_total(current)
    base_total = device_total(baseline) if baseline else None  # the same rule, whatever the baseline stored
    tdelta = total - base_total if base_total is not None else None
    tpct = _pct(tdelta, base_total) if tdelta is not None else None
    tfails = []
    if budgets.total_bytes is not None and total > budgets.total_bytes:
        tfails.append(f"largest per device: {total:,} B exceeds the budget of {budgets.total_bytes:,} B")
    if budgets.total_growth_percent is not None and tpct is not None and tpct > budgets.total_growth_percent:
        tfails.append(f"largest per device: grew {tpct:+.2f}% ({tdelta:+,} B), over the "
                      f"{budgets.total_growth_percent}% budget")
    any_budget = (budgets.total_bytes is not None or budgets.total_growth_percent is not None
                  or any(b != (None, None) for b in budgets.targets.values()))
    failures += tfails
    unbuilt = sorted(t for t in budgets.targets if t not in current["targets"])
    return {
        "baseline": baseline_name,
        "rows": rows,
        "removed_targets": removed,
        "total": {"size": total, "base": base_total, "delta": tdelta, "pct": tpct,
                  "budget_bytes": budgets.total_bytes, "budget_growth_percent": budgets.total_growth_percent,
                  "failures": tfails, "status": "fail" if tfails else "ok"},
        "changes": changes,
        "budgets_for_unbuilt_targets": unbuilt,
        "noise_floor": {"bytes": NOISE_BYTES, "percent": NOISE_PERCENT},
        "failures": failures,
        "passed": not failures,
        "budgets_set": any_budget,
    }
