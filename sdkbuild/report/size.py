"""Size analysis of built artifacts through real parsers (pyelftools for ELF, LIEF for Mach-O).

Per target (build/<target>/build-info.json, schema 1) it records the file and stripped size,
per-section and per-segment sizes, the largest symbols (demangled with llvm-cxxfilt/c++filt),
bytes per op, and hardening checks; for dist/ it records AAR and XCFramework totals,
compressed (the download cost) and uncompressed.

Bytes per op: an op's sources are listed in build-info `op_sources`. The objects compiled from
them are found under build/<target>/ (Meson names an object after its source path with "/"
replaced by "_", e.g. `libx.so.p/src_ops_conv.cpp.o`; `conv.cpp.o` and `conv.o` are accepted
when unambiguous). For a shared library, each sized symbol of the unstripped library is given
to the op(s) whose objects define it, so the linker's --gc-sections is already accounted for;
symbols defined by several ops' objects (shared kernels, inline functions) are reported as
"OpA+OpB". For a static library the archive members are those objects: an op's bytes are its
members' section bytes (code, constants, data; not __LD/__DWARF or zero-fill).
"""

from __future__ import annotations

import bisect
import io
import re
import subprocess
import tempfile
import zipfile
import zlib
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from elftools.common.exceptions import ELFError
from elftools.elf.constants import SH_FLAGS
from elftools.elf.elffile import ELFFile
from elftools.elf.sections import SymbolTableSection

from ..errors import SdkbuildError
from ..hosttools import find_tool
from ..targets import TARGETS
from . import hardening, load_json

SCHEMA = 1
TOP_SYMBOLS = 25
# Targets that do not ship in the SDK: listed, but not part of totals or total budgets.
NOT_SHIPPED = ("host",)
# Mach-O segments that do not reach the app's binary: link-time unwind info, debug info.
MACHO_NOT_LINKED = ("__LD", "__DWARF")
MACHO_ZEROFILL = ("ZEROFILL", "GB_ZEROFILL", "THREAD_LOCAL_ZEROFILL")


# --------------------------------------------------------------------------- helpers


def demangle(names: Iterable[str], macho: bool = False) -> dict[str, str]:
    """Mangled -> demangled, in one llvm-cxxfilt (or c++filt) call; identity when neither exists."""
    names = sorted(set(names))
    tool = find_tool("llvm-cxxfilt", "c++filt")
    if not names or tool is None:
        return {n: n for n in names}
    # Mach-O prefixes every C symbol with "_"; strip it so both C and C++ names read naturally.
    raw = [n[1:] if macho and n.startswith("_") else n for n in names]
    try:
        out = subprocess.run([tool], input="\n".join(raw) + "\n", capture_output=True, text=True,
                             check=True, timeout=120).stdout.splitlines()
    except (OSError, subprocess.SubprocessError):
        return {n: n for n in names}
    if len(out) != len(names):
        return {n: n for n in names}
    return dict(zip(names, out, strict=True))


def _flat(src: str) -> str:
    return src.replace("\\", "/").replace("/", "_")


def op_matcher(op_sources: dict[str, list[str]]) -> Callable[[str], set[str]]:
    """A function from an object/member file name (or path) to the ops whose sources built it."""
    by_base: dict[str, set[str]] = {}
    for srcs in op_sources.values():
        for s in srcs:
            name = Path(s).name
            by_base.setdefault(name, set()).add(s)
            by_base.setdefault(Path(s).stem, set()).add(s)
    src_ops: dict[str, set[str]] = {}
    for op, srcs in op_sources.items():
        for s in srcs:
            src_ops.setdefault(s.replace("\\", "/"), set()).add(op)

    def match(obj: str) -> set[str]:
        name = obj.replace("\\", "/").rsplit("/", 1)[-1]
        for suffix in (".o", ".obj"):
            if name.endswith(suffix):
                stem = name[: -len(suffix)]
                break
        else:
            return set()
        ops: set[str] = set()
        for src, sops in src_ops.items():
            flat = _flat(src)
            if stem == flat or stem.endswith("_" + flat) or obj.replace("\\", "/").endswith("/" + src + suffix):
                ops |= sops
        if not ops and len(by_base.get(stem, ())) == 1:  # conv.cpp.o / conv.o, only if unambiguous
            ops |= src_ops[next(iter(by_base[stem]))]
        return ops

    return match


# --------------------------------------------------------------------------- ELF


def _open_elf(path: Path) -> tuple[Any, ELFFile]:
    f = path.open("rb")
    try:
        return f, ELFFile(f)
    except ELFError as e:
        f.close()
        raise SdkbuildError(f"{path} is not a valid ELF file: {e}", "rebuild the target (sdkbuild build)") from None


def elf_layout(path: Path) -> dict[str, Any]:
    f, e = _open_elf(path)
    with f:
        sections: dict[str, int] = {}
        nobits: dict[str, int] = {}
        non_alloc = 0
        for s in e.iter_sections():
            if not s.name:
                continue
            size = int(s["sh_size"])
            if s["sh_type"] == "SHT_NOBITS":
                nobits[s.name] = nobits.get(s.name, 0) + size
            elif s["sh_flags"] & SH_FLAGS.SHF_ALLOC:
                sections[s.name] = sections.get(s.name, 0) + size
            else:
                non_alloc += size
        segments = []
        for seg in e.iter_segments():
            fl = int(seg["p_flags"])
            segments.append({
                "type": str(seg["p_type"]).removeprefix("PT_"),
                "flags": ("R" if fl & 4 else "-") + ("W" if fl & 2 else "-") + ("X" if fl & 1 else "-"),
                "offset": int(seg["p_offset"]), "vaddr": int(seg["p_vaddr"]),
                "filesz": int(seg["p_filesz"]), "memsz": int(seg["p_memsz"]), "align": int(seg["p_align"]),
            })
        machine = str(e["e_machine"])
    return {"sections": sections, "nobits": nobits, "non_alloc": non_alloc, "segments": segments, "machine": machine}


def elf_symbols(path: Path) -> list[dict[str, Any]]:
    """Sized, defined FUNC/OBJECT symbols (from .symtab, else .dynsym), one per (name, address)."""
    f, e = _open_elf(path)
    with f:
        table = e.get_section_by_name(".symtab") or e.get_section_by_name(".dynsym")
        if not isinstance(table, SymbolTableSection):
            return []
        names = {i: s.name for i, s in enumerate(e.iter_sections())}
        seen: set[tuple[str, int]] = set()
        out = []
        file = ""
        for sym in table.iter_symbols():
            shndx = sym["st_shndx"]
            # The linker writes each input object's local symbols after an STT_FILE symbol naming
            # its source; hidden globals made local come after an empty STT_FILE, with no file.
            if sym["st_info"]["type"] == "STT_FILE":
                file = sym.name
                continue
            if sym["st_info"]["bind"] != "STB_LOCAL":
                file = ""
            if (sym["st_info"]["type"] not in ("STT_FUNC", "STT_OBJECT", "STT_TLS") or not isinstance(shndx, int)
                    or sym["st_size"] == 0 or not sym.name):
                continue
            key = (sym.name, int(sym["st_value"]))
            if key in seen:
                continue
            seen.add(key)
            out.append({"name": sym.name, "size": int(sym["st_size"]), "section": names.get(shndx, "?"),
                        "addr": int(sym["st_value"]), "func": sym["st_info"]["type"] == "STT_FUNC",
                        "file": file if sym["st_info"]["bind"] == "STB_LOCAL" else ""})
    return out


def basename_matcher(op_sources: dict[str, list[str]]) -> Callable[[str], set[str]]:
    """Source file name (as an STT_FILE symbol gives it) -> the ops listing a source of that name."""
    table: dict[str, set[str]] = {}
    for op, srcs in op_sources.items():
        for src in srcs:
            table.setdefault(src.replace("\\", "/").rsplit("/", 1)[-1], set()).add(op)
    return lambda name: set(table.get(name, ()))


# an op's definition `sdk_op_<stem>`, `visionkit_sdk_op_<stem>` with an SDK's symbol prefix
_OP_SYMBOL = re.compile(r"^_?(?:[a-z][a-z0-9_]*?_)?sdk_op_")


def name_matcher(op_sources: dict[str, list[str]]) -> Callable[[str], set[str]]:
    """Last resort, by naming convention: an identifier in the demangled symbol name that is an
    op source's stem or starts with it and "_" (`sigmoid_f32`, `conv_f32_plan`), or `sdk_op_<stem>`."""
    stems: dict[str, set[str]] = {}
    for op, srcs in op_sources.items():
        for src in srcs:
            stem = src.replace("\\", "/").rsplit("/", 1)[-1].split(".", 1)[0]
            if len(stem) >= 3:
                stems.setdefault(stem, set()).add(op)

    def match(demangled: str) -> set[str]:
        ops: set[str] = set()
        for tok in set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", demangled)):
            tok = _OP_SYMBOL.sub("", tok)
            for stem, sops in stems.items():
                if tok == stem or tok.startswith(stem + "_"):
                    ops |= sops
        return ops

    return match


def source_matcher(op_sources: dict[str, list[str]]) -> Callable[[str], set[str]]:
    """A function from a source path as DWARF names it (e.g. "../src/ops/conv.cpp", or a
    directory and a file name joined) to the ops that list that source."""
    table = [(src.replace("\\", "/").lstrip("./"), op) for op, srcs in op_sources.items() for src in srcs]

    def match(path: str) -> set[str]:
        p = path.replace("\\", "/")
        return {op for src, op in table if p == src or p.endswith("/" + src)}

    return match


def _dwarf_files(dw: Any, cu: Any, lp: Any) -> list[str]:
    """The CU's line-table file names as paths, indexed as DW_AT_decl_file and line rows index them."""
    h = lp.header
    top = cu.get_top_DIE()
    comp = top.attributes.get("DW_AT_comp_dir")
    comp_dir = comp.value.decode("utf-8", "replace") if comp is not None and isinstance(comp.value, bytes) else ""
    dirs = [d.decode("utf-8", "replace") if isinstance(d, bytes) else str(d) for d in h.include_directory]
    files = []
    for fe in h.file_entry:
        name = fe.name.decode("utf-8", "replace") if isinstance(fe.name, bytes) else str(fe.name)
        if h.version >= 5:
            d = dirs[fe.dir_index] if fe.dir_index < len(dirs) else ""
        else:
            d = comp_dir if fe.dir_index == 0 else (dirs[fe.dir_index - 1] if fe.dir_index - 1 < len(dirs) else "")
        files.append(name if name.startswith("/") or not d else f"{d}/{name}")
    return files if h.version >= 5 else ["", *files]  # DWARF < 5 numbers files from 1


def dwarf_sources(path: Path) -> tuple[list[tuple[int, str]], dict[int, str], list[tuple[int, int, str]]] | None:
    """(line rows (address, source file) sorted by address, {variable address: declaring file},
    CU address ranges (start, end, CU source)), or None without DWARF. Line rows survive LTO and
    inlining, so a function's entry address names the source it was written in; the CU says
    which .cpp compiled it (for functions from headers, without LTO)."""
    f, e = _open_elf(path)
    with f:
        if not e.has_dwarf_info():
            return None
        dw = e.get_dwarf_info()
        if dw.debug_info_sec is None:
            return None
        rows: list[tuple[int, str]] = []
        variables: dict[int, str] = {}
        tables: dict[int, list[str]] = {}
        cu_ranges: list[tuple[int, int, str]] = []
        aranges = dw.get_aranges()
        if aranges is not None:
            names: dict[int, str] = {}
            for ent in aranges.entries:
                if ent.info_offset not in names:
                    top = dw.get_CU_at(ent.info_offset).get_top_DIE()
                    nm = top.attributes.get("DW_AT_name")
                    names[ent.info_offset] = nm.value.decode("utf-8", "replace") if nm is not None else ""
                cu_ranges.append((int(ent.begin_addr), int(ent.begin_addr) + int(ent.length), names[ent.info_offset]))
            cu_ranges.sort()

        def table(cu: Any) -> list[str]:
            if cu.cu_offset not in tables:
                lp = dw.line_program_for_CU(cu)
                tables[cu.cu_offset] = _dwarf_files(dw, cu, lp) if lp is not None else []
            return tables[cu.cu_offset]

        for cu in dw.iter_CUs():
            lp = dw.line_program_for_CU(cu)
            if lp is None:
                continue
            files = table(cu)
            for ent in lp.get_entries():
                st = ent.state
                if st is None:
                    continue
                if st.end_sequence:  # "" marks the gap after a sequence: code there has no line info
                    rows.append((int(st.address), ""))
                elif 0 <= st.file < len(files):
                    rows.append((int(st.address), files[st.file]))
            for die in cu.iter_DIEs():
                if die.tag != "DW_TAG_variable" or "DW_AT_location" not in die.attributes:
                    continue
                loc = die.attributes["DW_AT_location"]
                expr = loc.value
                if loc.form != "DW_FORM_exprloc" or not isinstance(expr, list) or len(expr) < 2 or expr[0] != 0x03:
                    continue  # only DW_OP_addr: statically allocated variables
                addr = int.from_bytes(bytes(expr[1:1 + (8 if e.elfclass == 64 else 4)]), "little" if e.little_endian else "big")
                decl = die
                # LTO and out-of-class definitions point at the DIE that carries the declaration.
                for attr in ("DW_AT_abstract_origin", "DW_AT_specification"):
                    if "DW_AT_decl_file" not in decl.attributes and attr in decl.attributes:
                        decl = decl.get_DIE_from_attribute(attr)
                if "DW_AT_decl_file" in decl.attributes:
                    ftab = table(decl.cu)
                    idx = int(decl.attributes["DW_AT_decl_file"].value)
                    if 0 <= idx < len(ftab):
                        variables[addr] = ftab[idx]
    rows.sort()
    return rows, variables, cu_ranges


def _cu_at(ranges: list[tuple[int, int, str]], addr: int) -> str | None:
    i = bisect.bisect_right(ranges, (addr, float("inf"), "")) - 1
    return ranges[i][2] if i >= 0 and ranges[i][0] <= addr < ranges[i][1] else None


def _source_at(rows: list[tuple[int, str]], addr: int, size: int) -> str | None:
    """The source of the first line row inside [addr, addr + size), else the row covering addr."""
    i = bisect.bisect_left(rows, (addr, ""))
    while i < len(rows) and rows[i][0] < addr + max(size, 1):
        if rows[i][1]:
            return rows[i][1]
        i += 1
    i = bisect.bisect_right(rows, (addr, "\uffff")) - 1
    return rows[i][1] or None if i >= 0 else None


def elf_defined_names(path: Path) -> set[str]:
    f, e = _open_elf(path)
    with f:
        out: set[str] = set()
        for sec in e.iter_sections():
            if isinstance(sec, SymbolTableSection):
                for sym in sec.iter_symbols():
                    if (sym.name and isinstance(sym["st_shndx"], int)
                            and sym["st_info"]["type"] in ("STT_FUNC", "STT_OBJECT", "STT_TLS")):
                        out.add(sym.name)
    return out


# --------------------------------------------------------------------------- Mach-O static archives


def archive_members(path: Path) -> list[tuple[str, bytes]]:
    """(name, bytes) of every member of a static archive, extracted with llvm-ar (or ar)."""
    tool = find_tool("llvm-ar", "ar")
    if tool is None:
        raise SdkbuildError("no `llvm-ar` or `ar` found to read static libraries", "install llvm (apt-get install llvm)")
    try:
        names = subprocess.run([tool, "t", str(path)], capture_output=True, text=True, check=True).stdout.split("\n")
    except subprocess.CalledProcessError as e:
        raise SdkbuildError(f"{path} is not a readable static library: {e.stderr.strip()}",
                            "rebuild the target (sdkbuild build)") from None
    names = [n for n in names if n]
    out: list[tuple[str, bytes]] = []
    count: dict[str, int] = {}
    with tempfile.TemporaryDirectory(prefix="sdkbuild-ar-") as tmp:
        for n in names:
            if n.startswith("__.SYMDEF"):
                continue
            count[n] = count.get(n, 0) + 1
            # `xN i` extracts the i-th member of that name: meson names are unique, others may not be.
            cmd = [tool, "xN", str(count[n]), str(Path(path).resolve()), n]  # (run in tmp)
            subprocess.run(cmd, cwd=tmp, capture_output=True, check=True)
            p = Path(tmp) / Path(n).name
            out.append((n, p.read_bytes()))
            p.unlink()
    return out


def macho_object(data: bytes, name: str) -> dict[str, Any]:
    import lief

    lief.logging.disable()
    b = lief.parse(data)
    if b is None or not isinstance(b, lief.MachO.Binary):
        raise SdkbuildError(f"archive member {name} is not a Mach-O object", "rebuild the iOS target")
    sections: dict[str, int] = {}
    linked = 0
    sect_list = list(b.sections)
    for s in sect_list:
        key = f"{s.segment_name},{s.name}"
        sections[key] = sections.get(key, 0) + int(s.size)
        zerofill = str(s.type).rsplit(".", 1)[-1] in MACHO_ZEROFILL
        if s.segment_name not in MACHO_NOT_LINKED and not zerofill:
            linked += int(s.size)
    # Mach-O has no symbol sizes: a symbol spans to the next symbol (or its section's end).
    by_sect: dict[int, list[tuple[int, str]]] = {}
    for sym in b.symbols:
        n_sect = int(getattr(sym, "numberof_sections", 0))
        if n_sect <= 0 or n_sect > len(sect_list) or str(sym.type).rsplit(".", 1)[-1] != "SECTION":
            continue
        # N_EXT with N_WEAK_DEF (0x80): inline/template code every object carries; the linker keeps one.
        weak = bool(int(sym.raw_type) & 0x01) and bool(int(sym.description) & 0x80)
        by_sect.setdefault(n_sect, []).append((int(sym.value), sym.name, weak))
    symbols = []
    for n_sect, syms in by_sect.items():
        sec = sect_list[n_sect - 1]
        if sec.segment_name in MACHO_NOT_LINKED:
            continue
        end = int(sec.virtual_address) + int(sec.size)
        addrs = sorted({a for a, _, _ in syms} | {end})
        zerofill = str(sec.type).rsplit(".", 1)[-1] in MACHO_ZEROFILL
        for addr, sname, weak in sorted(syms):
            if not sname.startswith("_"):  # ltmp*, l_*, L*: assembler-local labels
                continue
            nxt = next(a for a in addrs if a > addr) if addr < end else end
            if nxt > addr:
                symbols.append({"name": sname, "size": nxt - addr, "section": f"{sec.segment_name},{sec.name}",
                                "weak": weak, "linked": not zerofill})
    bv = {"platform": "?", "minos": "?"}
    if b.has_build_version:
        bv = {"platform": str(b.build_version.platform).rsplit(".", 1)[-1],
              "minos": ".".join(str(x) for x in b.build_version.minos)}
    elif b.has_version_min:
        bv = {"platform": "IOS", "minos": ".".join(str(x) for x in b.version_min.version)}
    return {"sections": sections, "linked": linked, "symbols": symbols, "build_version": bv}


# --------------------------------------------------------------------------- per target


def _rel(p: Path, base: Path) -> str:
    try:
        return p.relative_to(base).as_posix()
    except ValueError:
        return p.as_posix()


def _top(symbols: list[dict[str, Any]], n: int = TOP_SYMBOLS) -> list[dict[str, Any]]:
    return sorted(symbols, key=lambda s: (-s["size"], s["name"]))[:n]


def _require(info: dict[str, Any], key: str, path: Path) -> Any:
    if key not in info:
        raise SdkbuildError(f"{path}: missing key {key!r}", "rebuild the target with a current sdkbuild (schema 1)")
    return info[key]


def analyze_target(tdir: Path, min_ios: str | None = None) -> dict[str, Any]:
    info_path = tdir / "build-info.json"
    info = load_json(info_path, "build info")
    if not isinstance(info, dict) or info.get("schema") != 1:
        raise SdkbuildError(f"{info_path}: unsupported build-info schema {info.get('schema') if isinstance(info, dict) else '?'}",
                            "rebuild the target with this sdkbuild version")
    lib = tdir / _require(info, "library", info_path)
    if not lib.is_file():
        raise SdkbuildError(f"{info_path} names {lib}, which does not exist", "rebuild the target (sdkbuild build)")
    kind = info.get("library_kind", "static" if lib.suffix == ".a" else "shared")
    ops = list(info.get("ops", []))
    op_sources = {k: list(v) for k, v in (info.get("op_sources") or {}).items()}
    match = op_matcher(op_sources)
    tc = info.get("toolchain", {}) or {}
    row: dict[str, Any] = {
        "target": info.get("target", tdir.name),
        "platform": info.get("platform", ""),
        "abi": info.get("abi", ""),
        "arch": info.get("arch", ""),
        "variant": info.get("variant", ""),
        "min_os": str(info.get("min_os", "")),
        "standin": bool(tc.get("standin", False)),
        "toolchain": str(tc.get("version", tc.get("source", ""))),
        "library": _rel(lib, tdir),
        "library_kind": kind,
        "ops_built": ops,
        "notes": [],
    }
    op_bytes: dict[str, int] = {op: 0 for op in ops}
    shared: dict[str, int] = {}

    def attribute(owner: set[str], size: int) -> str | None:
        if not owner:
            return None
        label = "+".join(sorted(owner))
        if len(owner) == 1:
            op_bytes[label] = op_bytes.get(label, 0) + size
        else:
            shared[label] = shared.get(label, 0) + size
        return label

    if kind == "shared":
        unstripped = tdir / info["unstripped_library"] if info.get("unstripped_library") else lib
        if not unstripped.is_file():
            row["notes"].append(f"{unstripped.name} missing: symbols read from the stripped library")
            unstripped = lib
        layout = elf_layout(lib)
        stripped = lib.stat().st_size
        row.update({
            "format": "elf",
            "file": unstripped.stat().st_size,
            "stripped": stripped,
            # Loadable bytes (file-backed SHF_ALLOC sections), not the file size: with 16 KB
            # LOAD alignment the file hides growth in page padding and then jumps by 16 KB.
            "size": sum(layout["sections"].values()),
            "compressed": len(zlib.compress(lib.read_bytes(), 9)),
            "sections": layout["sections"],
            "nobits": layout["nobits"],
            "overhead": stripped - sum(layout["sections"].values()),
            "segments": layout["segments"],
        })
        symbols = elf_symbols(unstripped)
        # Which op defines each symbol: from the objects compiled out of the op's sources.
        owners: dict[str, set[str]] = {}
        objects = sorted(p for p in tdir.rglob("*") if p.suffix in (".o", ".obj") and p.is_file())
        matched = 0
        for obj in objects:
            obj_ops = match(_rel(obj, tdir))
            if not obj_ops:
                continue
            matched += 1
            try:
                for name in elf_defined_names(obj):
                    owners.setdefault(name, set()).update(obj_ops)
            except SdkbuildError:
                row["notes"].append(f"{_rel(obj, tdir)}: not an ELF object, skipped")

        dwarf = dwarf_sources(unstripped) if op_sources else None
        by_source, by_file, by_name = source_matcher(op_sources), basename_matcher(op_sources), name_matcher(op_sources)
        methods = set()
        dm = demangle(s["name"] for s in symbols)
        for s in symbols:
            owner: set[str] = set()
            if dwarf is not None:
                src = _source_at(dwarf[0], s["addr"], s["size"]) if s["func"] else dwarf[1].get(s["addr"])
                owner = by_source(src) if src is not None else set()
                if not owner:  # e.g. a function from a header: the .cpp that compiled it
                    cu = _cu_at(dwarf[2], s["addr"])
                    owner = by_source(cu) if cu else set()
                if owner or src is not None:
                    methods.add("dwarf")
            if not owner and s["name"] in owners:
                owner = owners[s["name"]]
                methods.add("object-files")
            if not owner and dwarf is None and not matched and op_sources:
                # No DWARF, no objects: the symbol table's STT_FILE groups (static symbols),
                # then naming conventions (hidden globals). Approximate, and said so.
                owner = by_file(s["file"]) if s["file"] else set()
                if owner:
                    methods.add("symtab-files")
                else:
                    owner = by_name(dm.get(s["name"], s["name"]))
                    if owner:
                        methods.add("symbol-names")
            s["op"] = attribute(owner, s["size"])
            s["name"] = dm.get(s["name"], s["name"])
            del s["addr"], s["func"], s["file"]
        row["op_attribution"] = "+".join(sorted(methods)) or "none"
        if methods & {"symtab-files", "symbol-names"}:
            row["notes"].append("bytes per op are approximate: the unstripped library has no DWARF (build with -g "
                                "for exact figures) and no object files are under the build dir")
        row["hardening"] = hardening.elf(lib, row["platform"], row["abi"])
    else:
        members = archive_members(lib)
        sections: dict[str, int] = {}
        symbols = []
        bvs = []
        parsed = []
        weak_defs: dict[str, list[tuple[str, int]]] = {}  # name -> [(member, size)]
        for name, data in members:
            mo = macho_object(data, f"{lib.name}({name})")
            parsed.append((name, mo))
            for k, v in mo["sections"].items():
                sections[k] = sections.get(k, 0) + v
            for sy in mo["symbols"]:
                if sy["weak"] and sy["linked"]:
                    weak_defs.setdefault(sy["name"], []).append((name, sy["size"]))
            bvs.append({"member": name, **mo["build_version"]})
        # A weak definition in several members reaches the app once: count one copy, and give it
        # to the ops of all members carrying it (to no op when an engine-core member has it too).
        dup = {n: d for n, d in weak_defs.items() if len({m for m, _ in d}) > 1}
        linked = 0
        for name, mo in parsed:
            own = mo["linked"] - sum(sz for n, d in dup.items() for m, sz in d if m == name)
            linked += own
            label = attribute(match(name), own)
            for sy in mo["symbols"]:
                sy["op"] = label
                sy["member"] = name
                if sy["name"] not in dup:
                    symbols.append(sy)
        for n, d in sorted(dup.items()):
            carriers = [match(m) for m, _ in d]
            owner = set().union(*carriers) if all(carriers) else set()
            size_one = max(sz for _, sz in d)
            linked += size_one
            symbols.append({"name": n, "size": size_one, "section": "(weak, in several objects)",
                            "op": attribute(owner, size_one), "member": ", ".join(sorted({m for m, _ in d}))})
        dm = demangle((s["name"] for s in symbols), macho=True)
        for s in symbols:
            s["name"] = dm.get(s["name"], s["name"])
            s.pop("weak", None)
            s.pop("linked", None)
        row.update({
            "format": "macho-archive",
            "file": lib.stat().st_size,
            "stripped": None,
            "compressed": len(zlib.compress(lib.read_bytes(), 9)),
            # What the slice can add to an app before -dead_strip: code, constants and data,
            # with inline/template (weak) definitions counted once, as the app's linker keeps one.
            "size": linked,
            "sections": sections,
            "nobits": {},
            "overhead": lib.stat().st_size - sum(sections.values()),
            "segments": [],
            "objects": len(members),
        })
        row["op_attribution"] = "archive-members" if any(match(n) for n, _ in members) else "none"
        row["hardening"] = hardening.macho(bvs, row["variant"], row["min_os"] or (min_ios or "13.0"))
    # Each op defines `sdk_op_<lower-case type>` (engine/src/core/op.h; with the SDK's symbol
    # prefix `<prefix>_sdk_op_<type>`): the ops the library
    # really registers, against the op list the build claims (a stale build tree shows here).
    registered = sorted({m.group(1) for sym in symbols
                         if (m := re.fullmatch(r"_?(?:[a-z][a-z0-9_]*?_)?sdk_op_([a-z0-9_]+)", sym["name"]))})
    if registered:
        claimed = {o.lower() for o in ops}
        extra = [r for r in registered if r not in claimed]
        missing = sorted(claimed - set(registered))
        if extra:
            row["notes"].append(f"the library defines ops not in build-info's op list: {', '.join(extra)} "
                                "(stale build tree? rebuild with `sdkbuild build --clean`)")
        if missing:
            row["notes"].append(f"ops in build-info's op list without their sdk_op_ symbol: {', '.join(missing)}")
    row["registered_ops"] = registered
    attributed = sum(op_bytes.values()) + sum(shared.values())
    total_sym = sum(s["size"] for s in symbols) if kind == "shared" else row["size"]
    row["ops"] = dict(sorted(op_bytes.items()))
    row["ops_shared"] = dict(sorted(shared.items()))
    row["unattributed"] = max(0, total_sym - attributed)
    row["symbols_total"] = total_sym
    row["top_symbols"] = _top(symbols)
    # Every sized symbol (merged by name) so that a regression can name the symbols that grew.
    merged: dict[str, int] = {}
    for s in symbols:
        merged[s["name"]] = merged.get(s["name"], 0) + s["size"]
    row["symbols"] = dict(sorted(merged.items()))
    # the entropy decoder of coded models (engine/src/core/rans.cpp), in every build
    row["decoder_bytes"] = sum(v for k, v in merged.items() if "rans_decode" in k)
    # the sparse-weight kernels (engine/src/kernels/*/spmm_f32.cpp), only in SDKs whose models
    # store weights sparse (the prepare and load checks are inlined into Conv/Gemm/MatMul and
    # the loader: ~1-2 KB more, not attributed here)
    row["sparse_bytes"] = sum(v for k, v in merged.items() if "spmm" in k)
    return row


def models_info(models_dir: Path) -> list[dict[str, Any]]:
    """The converted models the SDK ships (build/models/*.sdkm): bytes and how they are stored."""
    from .. import sdkm

    out = []
    for f in sorted(models_dir.glob("*.sdkm")) if models_dir.is_dir() else []:
        data = f.read_bytes()
        row: dict[str, Any] = {"name": f.name, "bytes": len(data), "encrypted": data[:4] == b"SDKE",
                               "storage": "AES-256-GCM encrypted" if data[:4] == b"SDKE" else "plain"}
        if not row["encrypted"]:
            try:
                m = sdkm.decode(data)
                row["storage"] = m.meta.get("compression") or ("int8" if m.meta.get("quantization") else "fp32")
                if m.meta.get("quantization") and m.meta.get("compression"):
                    row["storage"] = f"int8, {m.meta['compression']}"
            except sdkm.SdkmError as e:
                row["storage"] = f"unreadable: {e}"
        out.append(row)
    return out


# --------------------------------------------------------------------------- dist packages


def _zip_totals(path: Path) -> dict[str, Any]:
    try:
        with zipfile.ZipFile(path) as z:
            infos = z.infolist()
    except zipfile.BadZipFile as e:
        raise SdkbuildError(f"{path} is not a valid zip archive: {e}", "re-run `sdkbuild package`") from None
    native: dict[str, dict[str, int]] = {}
    for i in infos:
        parts = i.filename.split("/")
        if len(parts) == 3 and parts[0] == "jni" and parts[2].endswith(".so"):
            n = native.setdefault(parts[1], {"compressed": 0, "uncompressed": 0})
            n["compressed"] += i.compress_size
            n["uncompressed"] += i.file_size
    return {
        "compressed": path.stat().st_size,
        "uncompressed": sum(i.file_size for i in infos),
        "entries": len(infos),
        "native": dict(sorted(native.items())),
    }


def _deflated_size(root: Path) -> int:
    """Size of a deterministic zip of `root` (what a download of the folder costs)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for p in sorted(root.rglob("*")):
            if p.is_file():
                zi = zipfile.ZipInfo(p.relative_to(root.parent).as_posix(), (1980, 1, 1, 0, 0, 0))
                zi.compress_type = zipfile.ZIP_DEFLATED
                z.writestr(zi, p.read_bytes())
    return len(buf.getvalue())


def packages(dist: Path) -> dict[str, Any]:
    out: dict[str, Any] = {"aar": {}, "xcframework": {}}
    if not dist.is_dir():
        return out
    for aar in sorted(dist.glob("*.aar")):
        out["aar"][aar.name] = _zip_totals(aar)
    for xc in sorted(p for p in dist.glob("*.xcframework") if p.is_dir()):
        files = [p for p in xc.rglob("*") if p.is_file()]
        slices = {}
        for d in sorted(p for p in xc.iterdir() if p.is_dir()):
            slices[d.name] = {"uncompressed": sum(p.stat().st_size for p in d.rglob("*") if p.is_file())}
        z = xc.with_name(xc.name + ".zip")
        out["xcframework"][xc.name] = {
            "uncompressed": sum(p.stat().st_size for p in files),
            "compressed": z.stat().st_size if z.is_file() else _deflated_size(xc),
            "compressed_from": z.name if z.is_file() else "computed (deflate)",
            "slices": slices,
        }
    return out


# --------------------------------------------------------------------------- whole report


def discover(build_dir: Path, targets: Iterable[str] | None) -> tuple[list[Path], list[str]]:
    """Target dirs with a build-info.json (in `targets` order when given) and the targets missing one."""
    if not build_dir.is_dir():
        raise SdkbuildError(f"build directory {build_dir} does not exist", "run `sdkbuild build` first, or pass --build-dir")
    if targets:
        found = [build_dir / t for t in targets if (build_dir / t / "build-info.json").is_file()]
        missing = [t for t in targets if not (build_dir / t / "build-info.json").is_file()]
    else:
        found = sorted(p.parent for p in build_dir.glob("*/build-info.json"))
        missing = []
    if not found:
        raise SdkbuildError(f"no build-info.json under {build_dir}/<target>/", "run `sdkbuild build` first, or pass --build-dir")
    return found, missing


def reaches_devices(target: str) -> bool:
    """Whether a target's library ends up on users' phones: every Android ABI (one per device
    after Play's ABI splits) and the iOS device slice (simulator slices never leave the Mac)."""
    t = TARGETS.get(target)
    return t is not None and (t.platform == "android" or (t.platform == "ios" and not t.variant))


def device_total(report: dict[str, Any]) -> int:
    """The budgeted total: the largest size among the targets that reach devices (what one
    device can get), not a sum over ABIs and slices no single device downloads."""
    sizes = [int(r["size"]) for t, r in report.get("targets", {}).items() if reaches_devices(t)]
    return max(sizes, default=0)


def _deflate(data: bytes) -> int:
    return len(zlib.compress(data, 9))


def _extras(build_dir: Path, dist: Path | None) -> dict[str, int]:
    """Per-device download of what is not native code (estimates, deflate -9): the models
    (same on every device) and the AAR's Java classes."""
    out = {"models": 0, "java": 0}
    models = sorted((dist / "models").glob("*.sdkm")) if dist and (dist / "models").is_dir() else []
    models = models or sorted((build_dir / "models").glob("*.sdkm"))
    out["models"] = sum(_deflate(m.read_bytes()) for m in models)
    for aar in sorted(dist.glob("*.aar")) if dist and dist.is_dir() else []:
        try:
            with zipfile.ZipFile(aar) as z:
                out["java"] = z.getinfo("classes.jar").compress_size
        except (zipfile.BadZipFile, KeyError):
            pass
    return out


def per_device(rows: dict[str, Any], extras: dict[str, int]) -> dict[str, Any]:
    """What a device downloads for the SDK (estimated as deflate-compressed bytes) per target
    that reaches devices: the native library of its ABI / the linked code of the device slice,
    plus the models and, on Android, the Java classes."""
    out = {}
    for t, r in rows.items():
        if not reaches_devices(t):
            continue
        if r["format"] == "elf":
            native = int(r["compressed"])  # the stripped .so, as the download compresses it
        else:  # the app links the slice's code (dead-stripped): its bytes at the archive's ratio
            native = int(round(int(r["size"]) * int(r["compressed"]) / max(int(r["file"]), 1)))
        java = extras["java"] if TARGETS[t].platform == "android" else 0
        out[t] = {"native_estimate": native, "models_estimate": extras["models"], "java_estimate": java,
                  "download_estimate": native + extras["models"] + java}
    return out


def collect(build_dir: Path, dist: Path | None, targets: Iterable[str] | None = None,
            sdk: dict[str, Any] | None = None, min_ios: str | None = None) -> dict[str, Any]:
    dirs, missing = discover(build_dir, targets)
    rows = {}
    sdk_info: dict[str, Any] = dict(sdk or {})
    for d in dirs:
        row = analyze_target(d, min_ios)
        row["device"] = reaches_devices(row["target"])
        rows[row["target"]] = row
        if not sdk_info:
            info = load_json(d / "build-info.json", "build info")
            sdk_info = dict(info.get("sdk", {}))
    shipped = [r for t, r in rows.items() if t not in NOT_SHIPPED]
    devices = per_device(rows, _extras(build_dir, dist))
    report = {
        "schema": SCHEMA,
        "sdk": sdk_info,
        "targets": rows,
        "missing_targets": missing,
        "total_targets": sorted(r["target"] for r in shipped),
        "per_device": devices,
        "per_device_largest_estimate": max((d["download_estimate"] for d in devices.values()), default=0),
        "packages": packages(dist) if dist else {"aar": {}, "xcframework": {}},
        "models": models_info(build_dir / "models"),
    }
    report["total"] = device_total(report)
    return report
