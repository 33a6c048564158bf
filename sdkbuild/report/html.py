"""report.html: one self-contained page (inline CSS and SVG, no scripts, no external requests).

Charts are plain SVG drawn here: size per target stacked by section, bytes per op per target,
and the Android coverage matrix as a heat map.
"""

from __future__ import annotations

from typing import Any

from markupsafe import Markup, escape

from . import fmt_bytes, template_env

PALETTE = ("#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948", "#b07aa1", "#ff9da7", "#9c755f")
GREY = "#bab0ac"
# heat-map ends, distinct from the chart palette
HEAT_NONE, HEAT_HALF, HEAT_ALL = (214, 39, 40), (255, 187, 51), (44, 160, 44)
STACK_SECTIONS = 7  # the largest sections get a colour each; the rest are "other sections"


def _text(x: float, y: float, s: str, anchor: str = "start", size: int = 12, fill: str = "#222",
          weight: str = "normal") -> str:
    return (f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}" fill="{fill}" '
            f'font-weight="{weight}">{escape(s)}</text>')


MACHO_AS_ELF = {"__text": ".text", "__const": ".rodata", "__cstring": ".rodata", "__literal4": ".rodata",
                "__literal8": ".rodata", "__literal16": ".rodata", "__eh_frame": ".eh_frame", "__data": ".data",
                "__bss": ".bss", "__common": ".bss", "__mod_init_func": ".init_array"}


def _section_group(name: str) -> str:
    """Merge per-function sections (-ffunction-sections leftovers); Mach-O names take their ELF
    counterparts (__TEXT,__text is .text) so that one colour means one kind of bytes."""
    if "," in name:
        seg, sect = name.split(",", 1)
        if seg.startswith("__DATA") and sect == "__const":
            return ".data.rel.ro"
        return MACHO_AS_ELF.get(sect, name)
    n = name
    for base in (".text", ".rodata", ".data.rel.ro", ".data", ".eh_frame", ".gcc_except_table"):
        if n == base or n.startswith(base + "."):
            return base
    return name


def size_chart(targets: dict[str, Any]) -> Markup:
    if not targets:
        return Markup("")
    stacks: dict[str, dict[str, int]] = {}
    totals: dict[str, int] = {}
    for t, r in targets.items():
        s: dict[str, int] = {}
        for k, v in r.get("sections", {}).items():
            if r["format"] == "macho-archive" and (k.split(",")[0] in ("__LD", "__DWARF")
                                                   or k.endswith((",__bss", ",__common", ",__thread_bss"))):
                continue  # not in the app's file: link-time info, debug info, zero-fill
            g = _section_group(k)
            s[g] = s.get(g, 0) + int(v)
        # the bar is the budgeted `size` of the table: its sections, scaled to it where the
        # archive's members count inline definitions more than once (ELF: they already add up)
        parts = sum(s.values())
        if parts and parts != int(r["size"]):
            scale = int(r["size"]) / parts
            s = {k: int(round(v * scale)) for k, v in s.items()}
        stacks[t] = s
        for k, v in s.items():
            totals[k] = totals.get(k, 0) + v
    keep = [k for k, _ in sorted(totals.items(), key=lambda kv: (-kv[1], kv[0]))]
    keep = keep[:STACK_SECTIONS]
    order = keep + ["other sections"]
    colour = {k: PALETTE[i % len(PALETTE)] for i, k in enumerate(keep)}
    colour["other sections"] = GREY
    label_w, bar_w, row_h = 190, 640, 26
    maxv = max(sum(s.values()) for s in stacks.values()) or 1
    height = 30 + row_h * len(stacks) + 24 * ((len(order) + 3) // 4) + 10
    out = [f'<svg class="chart" width="{label_w + bar_w + 120}" height="{height}" role="img" '
           f'aria-label="size per target stacked by section">']
    y = 20
    for t, s in stacks.items():
        merged = {k: v for k, v in s.items() if k in colour and k != "other sections"}
        merged["other sections"] = sum(v for k, v in s.items() if k not in merged)
        out.append(_text(label_w - 8, y + 15, t, "end"))
        x = float(label_w)
        for k in order:
            v = merged.get(k, 0)
            if v <= 0:
                continue
            w = bar_w * v / maxv
            out.append(f'<rect x="{x:.1f}" y="{y}" width="{max(w, 0.5):.1f}" height="{row_h - 6}" fill="{colour[k]}">'
                       f'<title>{escape(t)}: {escape(k)} {v:,} B</title></rect>')
            x += w
        out.append(_text(x + 6, y + 15, fmt_bytes(int(targets[t]["size"])), size=11, fill="#555"))
        y += row_h
    out += _legend(label_w, y + 10, [(k, colour[k]) for k in order])
    out.append("</svg>")
    return Markup("".join(out))


def _legend(x: int, y: float, items: list[tuple[str, str]]) -> list[str]:
    """Colour swatches with labels, four to a row, below a chart."""
    out: list[str] = []
    for i, (label, colour) in enumerate(items):
        lx = x + (i % 4) * 170
        ly = y + (i // 4) * 24
        out.append(f'<rect x="{lx}" y="{ly}" width="12" height="12" fill="{colour}"/>')
        out.append(_text(lx + 18, ly + 11, label, size=11))
    return out


def ops_chart(targets: dict[str, Any]) -> Markup:
    from .regression import CORE, SHARED, op_rows

    ts = [t for t, r in targets.items() if r.get("op_attribution", "none") != "none"]
    ops = sorted({o for t in ts for o in targets[t]["ops"]})
    if not ts or not ops:
        return Markup("")
    ops += [SHARED, CORE]
    table = {t: op_rows(targets[t]) for t in ts}

    def val(t: str, o: str) -> int:
        return int(table[t].get(o, 0))

    maxv = max(val(t, o) for t in ts for o in ops) or 1
    label_w, bar_w, bar_h = 190, 560, 12
    group_h = bar_h * len(ts) + 10
    height = 20 + group_h * len(ops) + 24 * ((len(ts) + 3) // 4) + 10
    out = [f'<svg class="chart" width="{label_w + bar_w + 120}" height="{height}" role="img" aria-label="bytes per op">']
    y = 16
    for o in ops:
        out.append(_text(label_w - 8, y + bar_h * len(ts) / 2 + 4, o, "end"))
        for i, t in enumerate(ts):
            v = val(t, o)
            w = bar_w * v / maxv
            out.append(f'<rect x="{label_w}" y="{y + i * bar_h}" width="{max(w, 0.5):.1f}" height="{bar_h - 2}" '
                       f'fill="{PALETTE[i % len(PALETTE)]}"><title>{escape(o)} on {escape(t)}: {v:,} B</title></rect>')
            out.append(_text(label_w + w + 4, y + i * bar_h + 10, fmt_bytes(v), size=10, fill="#555"))
        y += group_h
    out += _legend(label_w, y + 6, [(t, PALETTE[i % len(PALETTE)]) for i, t in enumerate(ts)])
    out.append("</svg>")
    return Markup("".join(out))


def _heat(frac: float) -> str:
    """Red (0% of the cell covered) through amber to green (all of it)."""
    frac = min(1.0, max(0.0, frac))
    if frac < 0.5:
        a, b, f = HEAT_NONE, HEAT_HALF, frac / 0.5
    else:
        a, b, f = HEAT_HALF, HEAT_ALL, (frac - 0.5) / 0.5
    r, g, bl = (round(a[i] + (b[i] - a[i]) * f) for i in range(3))
    return f"rgb({r},{g},{bl})"


def coverage_heatmap(android: dict[str, Any]) -> Markup:
    cols = android["columns"]
    rows = android["rows"]
    if not cols or not rows:
        return Markup("")
    label_w, cw, ch = 230, 52, 34
    width = label_w + cw * len(cols) + 20
    height = 60 + ch * len(rows) + 30
    out = [f'<svg class="chart" width="{width}" height="{height}" role="img" aria-label="device coverage heat map">']
    for j, c in enumerate(cols):
        x = label_w + j * cw + cw / 2
        lab = android["column_labels"][c]
        out.append(_text(x, 22, lab.split(" ")[0], "middle", 11, weight="bold"))
        if " " in lab:
            out.append(_text(x, 38, lab.split(" ", 1)[1], "middle", 10, fill="#666"))
    y = 48
    for name, r in rows.items():
        out.append(_text(label_w - 8, y + ch / 2 + 4, name, "end", 11))
        for j, c in enumerate(cols):
            x = label_w + j * cw
            cell = r["cells"].get(c)
            if not cell or cell["share"] <= 0:
                out.append(f'<rect x="{x + 1}" y="{y + 1}" width="{cw - 2}" height="{ch - 2}" fill="#f3f3f3"/>')
                continue
            frac = cell["covered"] / cell["share"]
            dash = ' stroke="#333" stroke-dasharray="3,2"' if cell["standin"] else ""
            out.append(f'<rect x="{x + 1}" y="{y + 1}" width="{cw - 2}" height="{ch - 2}" fill="{_heat(frac)}"{dash}>'
                       f'<title>{escape(name)}, API {escape(c)}: {cell["covered"]:.2f}% of {cell["share"]:.2f}% of devices covered'
                       f'{" (stand-in)" if cell["standin"] else ""}</title></rect>')
            out.append(_text(x + cw / 2, y + ch / 2 + 4, f"{cell['share']:.2f}", "middle", 10,
                             fill="#fff" if frac < 0.25 or frac > 0.75 else "#222"))
        y += ch
    out.append(_text(label_w, y + 20, "cell text: % of all devices; colour: share of the cell covered "
                     "(green all, red none); dashed: stand-in library", size=11, fill="#555"))
    out.append("</svg>")
    return Markup("".join(out))


def render(size: dict[str, Any] | None, coverage: dict[str, Any] | None) -> str:
    targets = (size or {}).get("targets", {})
    return template_env().get_template("report.html.j2").render(
        size=size, coverage=coverage, targets=targets,
        size_svg=size_chart(targets), ops_svg=ops_chart(targets),
        heat_svg=coverage_heatmap(coverage["android"]) if coverage else Markup(""),
        cmp=(size or {}).get("comparison"),
        sdk=(size or {}).get("sdk", {}),
    )
