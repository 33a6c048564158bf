"""Hardening checks on shipped libraries, read with pyelftools (ELF) and LIEF (Mach-O).

Each check is {"ok": bool, "required": bool, "detail": str}; a check fails the report only
when it is required for that target (e.g. 16 KB pages are required for 64-bit Android).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from elftools.elf.constants import P_FLAGS
from elftools.elf.dynamic import DynamicSection
from elftools.elf.elffile import ELFFile

# Google Play requires 16 KB-aligned LOAD segments for 64-bit native code (Android 15+ devices).
PAGE_16K = 16384
ANDROID_16K_ABIS = ("arm64-v8a", "x86_64")
# The engine links only libc/libm/pthread: a C++ runtime in DT_NEEDED means a rule was broken
# (and libc++_shared.so would have to ship in the AAR).
CXX_RUNTIMES = ("libstdc++", "libc++", "libc++_shared", "libc++abi", "libgcc_s")
DF_TEXTREL = 0x4
DF_BIND_NOW = 0x8
DF_1_NOW = 0x1


def _check(ok: bool, detail: str, required: bool = True) -> dict[str, Any]:
    return {"ok": bool(ok), "required": bool(required), "detail": detail}


def elf(path: Path, platform: str, abi: str) -> dict[str, Any]:
    """Checks for one shared library (the stripped one that ships)."""
    with path.open("rb") as f:
        e = ELFFile(f)
        loads = [s for s in e.iter_segments() if s["p_type"] == "PT_LOAD"]
        types = {s["p_type"] for s in e.iter_segments()}
        stack = next((s for s in e.iter_segments() if s["p_type"] == "PT_GNU_STACK"), None)
        dyn_tags: dict[str, list[int]] = {}
        needed: list[str] = []
        for sec in e.iter_sections():
            if isinstance(sec, DynamicSection):
                for tag in sec.iter_tags():
                    if tag.entry.d_tag == "DT_NEEDED":
                        needed.append(tag.needed)
                    else:
                        dyn_tags.setdefault(str(tag.entry.d_tag), []).append(int(tag.entry.d_val))
        exported: list[str] = []
        dynsym = e.get_section_by_name(".dynsym")
        if dynsym is not None:
            for sym in dynsym.iter_symbols():
                if (sym["st_shndx"] != "SHN_UNDEF" and sym["st_info"]["bind"] in ("STB_GLOBAL", "STB_WEAK")
                        and sym["st_other"]["visibility"] in ("STV_DEFAULT", "STV_PROTECTED") and sym.name):
                    exported.append(sym.name)

    aligns = sorted({int(s["p_align"]) for s in loads})
    aligned = bool(loads) and all(int(s["p_align"]) >= PAGE_16K and int(s["p_align"]) % PAGE_16K == 0
                                  and int(s["p_vaddr"]) % PAGE_16K == int(s["p_offset"]) % PAGE_16K for s in loads)
    need_16k = platform == "android" and abi in ANDROID_16K_ABIS
    flags = sum(dyn_tags.get("DT_FLAGS", []))
    flags_1 = sum(dyn_tags.get("DT_FLAGS_1", []))
    bind_now = "DT_BIND_NOW" in dyn_tags or bool(flags & DF_BIND_NOW) or bool(flags_1 & DF_1_NOW)
    textrel = "DT_TEXTREL" in dyn_tags or bool(flags & DF_TEXTREL)
    nx = stack is not None and not (int(stack["p_flags"]) & P_FLAGS.PF_X)
    cxx = [n for n in needed if any(n.startswith(r + ".") for r in CXX_RUNTIMES)]
    checks = {
        "page_16k": _check(aligned, "LOAD p_align " + ", ".join(hex(a) for a in aligns)
                           + ("" if need_16k else " (16 KB required only for 64-bit Android ABIs)"), need_16k),
        "relro": _check("PT_GNU_RELRO" in types, "PT_GNU_RELRO present" if "PT_GNU_RELRO" in types
                        else "no PT_GNU_RELRO: link with -Wl,-z,relro"),
        "bind_now": _check(bind_now, "BIND_NOW set" if bind_now else "lazy binding: link with -Wl,-z,now"),
        "no_textrel": _check(not textrel, "no text relocations" if not textrel
                             else "DT_TEXTREL: compile with -fPIC (Android refuses TEXTREL since API 23)"),
        "nx_stack": _check(nx, "PT_GNU_STACK RW" if nx else ("no PT_GNU_STACK" if stack is None
                                                             else "executable stack: link with -Wl,-z,noexecstack")),
        "no_cxx_runtime": _check(not cxx, "DT_NEEDED has no C++ runtime" if not cxx
                                 else f"needs {', '.join(cxx)}: the engine must link only libc/libm/pthread"),
    }
    return {
        "format": "elf",
        "checks": checks,
        "exported_symbols": len(exported),
        "exported": sorted(exported)[:64],
        "needed": needed,
    }


def _ver(v: str) -> tuple[int, ...]:
    out = []
    for p in str(v).split("."):
        out.append(int(p) if p.isdigit() else 0)
    while len(out) < 3:
        out.append(0)
    return tuple(out)


def macho(build_versions: list[dict[str, Any]], variant: str, min_os: str) -> dict[str, Any]:
    """Checks over the (platform, minos) found in every object of one static slice.

    `build_versions` holds one entry per archive member: {"member", "platform", "minos"}.
    """
    want = "IOS_SIMULATOR" if variant == "simulator" else "IOS"  # LIEF's names of LC_BUILD_VERSION platforms
    groups: dict[tuple[str, str], int] = {}
    for bv in build_versions:
        key = (bv["platform"], bv["minos"])
        groups[key] = groups.get(key, 0) + 1
    platforms = sorted({p for p, _ in groups})
    wrong = [bv["member"] for bv in build_versions if bv["platform"] != want]
    too_new = [bv["member"] for bv in build_versions
               if bv["minos"] != "?" and _ver(bv["minos"]) > _ver(min_os)]
    checks = {
        "platform": _check(bool(build_versions) and not wrong,
                           f"all objects {want}" if build_versions and not wrong
                           else f"expected {want}; found {', '.join(platforms) or 'none'}"
                           + (f" in {', '.join(wrong[:5])}" if wrong else "")),
        "minos": _check(not too_new, f"minos <= {min_os}" if not too_new
                        else f"objects need a newer iOS than {min_os}: {', '.join(too_new[:5])}"),
    }
    return {
        "format": "macho",
        "checks": checks,
        "build_versions": [{"platform": p, "minos": m, "objects": n} for (p, m), n in sorted(groups.items())],
    }


def failures(h: dict[str, Any]) -> list[str]:
    """Names of the required checks that failed."""
    return [f"{name}: {c['detail']}" for name, c in sorted(h.get("checks", {}).items())
            if c["required"] and not c["ok"]]
