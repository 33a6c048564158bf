#!/usr/bin/env python3
"""Where the zoo stands: which models convert, how close they are, what blocks the rest.

    .venv/bin/python tests/zoo/status.py                        # every model, fp32 and int8
    .venv/bin/python tests/zoo/status.py --models resnet18,yolov8n --modes fp32
    .venv/bin/python tests/zoo/status.py --markdown build/zoo/status.md --not-yet

For each model: family, whether it converts (and runs on the host engine), the fp32 max error
relative to onnxruntime's largest output, the int8 result (bit-exact with quantize.simulate()
or its cosine, and the cosine with onnxruntime's fp32 output), the op types the converter's
error names (with counts), the wall time and the process's CPU time (all threads; steadier
than wall time on a shared machine). `--not-yet` prints the lines tests/zoo/not_yet.txt
should hold for what fails now. Runs in the project's .venv (no torch).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # tests/: `from zoo import ...`
sys.path.insert(0, str(HERE.parents[1]))  # the repository: sdkbuild

from zoo import check, zoo  # noqa: E402


def _int8_text(o: check.Outcome) -> str:
    if o.error is not None:
        return f"refused ({o.stage})"
    sim = "exact" if o.sim_exact else (f"sim rel {o.sim_rel_err:.0e}" if o.int8_islands == 0
                                       else f"sim cos {o.sim_cosine:.4f}")
    return f"{sim}, cos {o.cosine:.4f}"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--models", default="", help="comma-separated names (default: every model in the manifest)")
    ap.add_argument("--modes", default="fp32,int8")
    ap.add_argument("--markdown", default="", help="also write the table as Markdown to this file")
    ap.add_argument("--not-yet", action="store_true", help="print the not_yet.txt lines for what fails now")
    args = ap.parse_args(argv)
    names = [n for n in args.models.split(",") if n] or zoo.names()
    for n in names:
        zoo.entry(n)  # a clear error for an unknown name
    modes = [m for m in args.modes.split(",") if m]

    from rich.console import Console
    from rich.table import Table

    from sdkbuild import runtime

    console = Console(width=None if sys.stdout.isatty() else 200)
    lib = runtime.build_dev_engine()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for name in names:
            e = zoo.entry(name)
            res: dict[str, check.Outcome] = {}
            t0, c0 = time.perf_counter(), time.process_time()
            for mode in modes:
                if mode == "int8" and not e["int8"]:
                    continue
                with console.status(f"{name} {mode}"):
                    res[mode] = check.evaluate(name, mode, lib, Path(tmp))
            secs, cpu = time.perf_counter() - t0, time.process_time() - c0
            first = next(iter(res.values()))
            fp = res.get("fp32")
            blockers = first.blockers if first.error else {}
            rows.append({
                "model": name, "family": e["family"], "default": e["default"],
                "converts": "yes" if first.error is None else f"no ({first.stage})",
                "fp32": f"{fp.rel_err:.1e}" if fp is not None and fp.rel_err is not None else "-",
                "int8": _int8_text(res["int8"]) if "int8" in res else "-",
                "blockers": ", ".join(f"{k} x{v}" if v > 1 else k for k, v in sorted(blockers.items()))
                or ("" if first.error is None else first.error.splitlines()[0][:160]),
                "seconds": f"{secs:.1f}", "cpu s": f"{cpu:.1f}",
                "problems": "; ".join(first.reference_problems),
                "outcomes": res,
            })
            console.print(f"{name}: {rows[-1]['converts']}, fp32 {rows[-1]['fp32']}, int8 {rows[-1]['int8']} "
                          f"({secs:.1f} s, cpu {cpu:.1f} s)")

    cols = ["model", "family", "converts", "fp32", "int8", "blockers", "seconds", "cpu s"]
    table = Table(title="sdkbuild model zoo")
    for c in cols:
        table.add_column("fp32 max rel err" if c == "fp32" else c, overflow="fold")
    for r in rows:
        table.add_row(*(r[c] + (" *" if c == "model" and r["default"] else "") for c in cols))
    console.print(table)
    console.print("* in the default test run; the others run with SDKBUILD_ZOO=all")
    n_ok = sum(1 for r in rows if r["converts"] == "yes")
    console.print(f"{n_ok} of {len(rows)} models convert and run")
    if args.markdown:
        lines = ["| " + " | ".join(cols) + " |", "|" + " --- |" * len(cols)]
        for r in rows:
            lines.append("| " + " | ".join((r[c] + (" \\*" if c == "model" and r["default"] else ""))
                                           .replace("|", "/") for c in cols) + " |")
        Path(args.markdown).parent.mkdir(parents=True, exist_ok=True)
        Path(args.markdown).write_text("\n".join(lines) + "\n")
        console.print(f"wrote {args.markdown}")
    if args.not_yet:
        print("\n# tests/zoo/not_yet.txt lines for what fails now:")
        for r in rows:
            failing = [m for m, o in r["outcomes"].items() if o.error is not None]
            if failing:
                why = r["blockers"] if r["converts"] != "yes" else next(
                    o.error for o in r["outcomes"].values() if o.error).splitlines()[0][:120]
                print(f"{r['model']:<32} {' '.join(failing):<10} # {why}")
    bad = [r["model"] for r in rows if r["problems"]]
    if bad:
        console.print(f"[red]reference outputs unusable for: {', '.join(bad)}[/red]")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
