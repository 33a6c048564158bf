"""Device coverage: which share of Android and iOS devices the built SDK runs on, and why not.

Inputs: the build-info.json of every built target (ABIs built, minimum OS, stand-in flag,
compile-time CPU features), and a device population: the bundled, dated and sourced dataset
in sdkbuild/data/, or the user's CSV (--devices):

- a Google Play Console device catalog export (Device catalog > Export device list). Columns
  are matched by name, case-insensitively: a column containing "abi" (e.g. "ABIs"), one
  containing "sdk" or "api" (e.g. "Android SDK Versions", values like "28, 29" or "28-30"),
  optionally "Manufacturer", "Model Name"/"Model", and a weight column named like "share",
  "installs", "devices" or "percent". Without a weight every row counts once; a row listing
  several SDK versions is split equally among them.
- a simple CSV: model,abis,api_level,share (abis separated by spaces, ";" or "|"), with an
  optional "features" column (e.g. "neon dotprod") to test compile-time CPU features.

A device runs the SDK when one of its ABIs is built (the best one is chosen, as the package
manager does), its API level is at least that build's minimum, and it has every CPU feature
that build requires at compile time (features the engine dispatches at run time, like SDOT,
are not requirements).
"""

from __future__ import annotations

import csv
import json
import re
from importlib import resources
from pathlib import Path
from typing import Any

from ..errors import SdkbuildError
from . import load_json, template_env

SCHEMA = 1
# The package manager's choice among built ABIs: the most capable first.
ABI_RANK = ("arm64-v8a", "x86_64", "armeabi-v7a", "x86", "armeabi")
ABIS_64 = ("arm64-v8a", "x86_64")
# Compile flags that make a CPU feature a hard requirement of a build.
FLAG_FEATURES = (
    (re.compile(r"^-mfpu=.*neon"), "neon"),
    (re.compile(r"\+dotprod"), "dotprod"),
    (re.compile(r"^-march=armv8\.[2-9]"), "armv8.2"),
    (re.compile(r"^-mssse3$"), "ssse3"),
    (re.compile(r"^-msse4\.2$"), "sse4.2"),
    (re.compile(r"^-mpopcnt$"), "popcnt"),
    (re.compile(r"^-mavx2$"), "avx2"),
    (re.compile(r"^-mavx512"), "avx512"),
)


def _data(name: str) -> dict[str, Any]:
    return json.loads(resources.files("sdkbuild.data").joinpath(name).read_text(encoding="utf-8"))


def android_dataset() -> dict[str, Any]:
    return _data("android_devices.json")


def ios_dataset() -> dict[str, Any]:
    return _data("ios_versions.json")


# --------------------------------------------------------------------------- builds


def required_features(info: dict[str, Any]) -> list[str]:
    args = [str(a) for a in (info.get("flags") or {}).get("c_args", [])]
    out = {feat for a in args for rx, feat in FLAG_FEATURES if rx.search(a)}
    return sorted(out)


def built_targets(build_dir: Path, targets: tuple[str, ...] | None) -> dict[str, dict[str, Any]]:
    """target -> its build-info, for every built target (configured ones when a config is given)."""
    out: dict[str, dict[str, Any]] = {}
    if not build_dir.is_dir():
        return out
    for p in sorted(build_dir.glob("*/build-info.json")):
        if targets is not None and p.parent.name not in targets:
            continue
        info = load_json(p, "build info")
        if isinstance(info, dict) and info.get("schema") == 1:
            out[str(info.get("target", p.parent.name))] = info
    return out


# --------------------------------------------------------------------------- device populations


def default_android_population() -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Device groups (abi class x API level) from the bundled dataset."""
    ds = android_dataset()
    levels = ds["api_levels"]["levels"]
    classes = ds["abi_classes"]["classes"]
    api_share = {lv["api"]: float(lv["share"]) for lv in levels}
    cell: dict[tuple[str, int], float] = {}
    left = dict(api_share)
    for c in classes:
        if "min_api" in c:
            eligible = {a: s for a, s in api_share.items() if a >= c["min_api"]}
            w = sum(eligible.values())
            for a, s in eligible.items():
                cell[(c["id"], a)] = c["share"] * s / w
                left[a] -= c["share"] * s / w
    free = [c for c in classes if "min_api" not in c]
    free_total = sum(c["share"] for c in free)
    for c in free:
        for a in api_share:
            cell[(c["id"], a)] = left[a] * c["share"] / free_total
    groups = []
    for c in classes:
        for lv in levels:
            share = cell.get((c["id"], lv["api"]), 0.0)
            if share > 0:
                groups.append({"row": c["label"], "abis": list(c["abis"]), "api": lv["api"], "share": share,
                               "features": None, "model": ""})
    meta = {
        "source": "bundled dataset sdkbuild/data/android_devices.json",
        "api_source": f"{ds['api_levels']['source']} ({ds['api_levels']['date']}); Android 10 and older split: estimate",
        "abi_source": f"estimate ({ds['abi_classes']['date']}): {ds['abi_classes']['method']}",
        "sixty_four_bit_only_share": ds["sixty_four_bit_only_share"]["share"],
        "cpu_features": ds["cpu_features"],
        "api_labels": {lv["api"]: lv["version"] for lv in levels},
    }
    return groups, meta


def _find_col(header: list[str], *needles: str, exact: tuple[str, ...] = ()) -> str | None:
    low = {h: h.strip().lower() for h in header}
    for h, lh in low.items():
        if lh in exact:
            return h
    for n in needles:
        for h, lh in low.items():
            if n in lh:
                return h
    return None


def _ints(text: str) -> list[int]:
    out: list[int] = []
    for part in re.split(r"[,;\s|]+", text.strip()):
        if not part:
            continue
        m = re.fullmatch(r"(\d+)\s*-\s*(\d+)", part)
        if m:
            lo, hi = int(m.group(1)), int(m.group(2))
            out.extend(range(min(lo, hi), max(lo, hi) + 1))
        elif part.isdigit():
            out.append(int(part))
        else:
            raise ValueError(part)
    return out


def _row_label(abis: list[str]) -> str:
    ranked = sorted(abis, key=lambda a: ABI_RANK.index(a) if a in ABI_RANK else len(ABI_RANK))
    if ranked and all(a in ABIS_64 for a in ranked):
        return " + ".join(ranked) + " (64-bit-only)"
    return " + ".join(ranked) if ranked else "(no ABI)"


def csv_population(path: Path) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise SdkbuildError(f"device list {path} does not exist", "pass a CSV exported from Play Console, or model,abis,api_level,share") from None
    except UnicodeDecodeError:
        raise SdkbuildError(f"device list {path} is not UTF-8 text", "export it as CSV (UTF-8)") from None
    reader = csv.DictReader(text.splitlines())
    header = reader.fieldnames or []
    abi_col = _find_col(header, "abi")
    api_col = _find_col(header, "sdk", "api")
    if abi_col is None or api_col is None:
        raise SdkbuildError(
            f"device list {path}: needs an ABI column and an API level column; found columns: {', '.join(header) or 'none'}",
            "use a Play Console device catalog export (ABIs, Android SDK Versions) or the header model,abis,api_level,share")
    share_col = _find_col(header, "share", "install", "percent", "weight", exact=("devices", "count"))
    model_col = _find_col(header, "model name", "model", "device")
    maker_col = _find_col(header, "manufacturer", "brand")
    feat_col = _find_col(header, "feature")
    groups = []
    for line, row in enumerate(reader, start=2):
        abis = [a for a in re.split(r"[,;\s|]+", (row.get(abi_col) or "").strip()) if a]
        try:
            apis = _ints(row.get(api_col) or "")
        except ValueError as e:
            raise SdkbuildError(f"device list {path}, line {line}: API level {e.args[0]!r} is not a number",
                                "write API levels as integers, e.g. 33 or \"29, 30\" or 28-30") from None
        if not abis or not apis:
            raise SdkbuildError(f"device list {path}, line {line}: empty {abi_col if not abis else api_col}",
                                "every device row needs its ABIs and API level(s)")
        weight = 1.0
        if share_col is not None:
            raw = (row.get(share_col) or "").strip().rstrip("%").replace(",", "")
            try:
                weight = float(raw)
            except ValueError:
                raise SdkbuildError(f"device list {path}, line {line}: {share_col} {raw!r} is not a number",
                                    "write shares as numbers, e.g. 12.5") from None
            if weight < 0:
                raise SdkbuildError(f"device list {path}, line {line}: negative {share_col}", "shares must be >= 0")
        model = " ".join(x for x in ((row.get(maker_col) or "") if maker_col else "",
                                     (row.get(model_col) or "") if model_col else "") if x).strip()
        feats = None
        if feat_col is not None and (row.get(feat_col) or "").strip():
            feats = sorted(f.lower() for f in re.split(r"[,;\s|]+", row[feat_col].strip()) if f)
        for api in apis:
            groups.append({"row": _row_label(abis), "abis": abis, "api": api, "share": weight / len(apis),
                           "features": feats, "model": model or f"line {line}"})
    total = sum(g["share"] for g in groups)
    if not groups or total <= 0:
        raise SdkbuildError(f"device list {path} has no devices with a positive share", "add device rows")
    for g in groups:
        g["share"] = 100.0 * g["share"] / total
    meta = {"source": f"device list {path.name} ({len({g['model'] for g in groups})} devices"
                      + (f", weighted by {share_col!r})" if share_col else ", equal weights)"),
            "api_source": "device list", "abi_source": "device list", "sixty_four_bit_only_share": None,
            "cpu_features": {}, "api_labels": {}}
    return groups, meta


# --------------------------------------------------------------------------- coverage


def _decide(g: dict[str, Any], builds: dict[str, dict[str, Any]], min_sdk: int,
            feature_missing: dict[str, float | None]) -> tuple[bool, str | None, str | None]:
    """(covered, reason if not, ABI used)."""
    if g["api"] < min_sdk:
        return False, f"API level below min_sdk {min_sdk}", None
    candidates = sorted((a for a in g["abis"] if a in builds),
                        key=lambda a: ABI_RANK.index(a) if a in ABI_RANK else len(ABI_RANK))
    if not candidates:
        if all(a in ABIS_64 for a in g["abis"]) and any(b in ("armeabi-v7a", "x86") for b in builds):
            return False, "64-bit-only device without a 64-bit build (" + "/".join(g["abis"]) + ")", None
        return False, "ABI not built: " + "/".join(sorted(g["abis"])), None
    abi = candidates[0]
    b = builds[abi]
    if g["api"] < b["min_api"]:
        return False, f"API level below the {abi} build's minimum {b['min_api']}", None
    for feat in b["required_features"]:
        if g["features"] is not None:
            if feat not in g["features"]:
                return False, f"missing CPU feature {feat} (required by the {abi} build)", None
        elif feature_missing.get(feat) is None:
            # No public figure on devices lacking it: counted covered, and said so in the notes.
            continue
    return True, None, abi


def compute(build_dir: Path, targets: tuple[str, ...] | None, min_sdk: int, ios_min: str,
            devices: Path | None = None) -> dict[str, Any]:
    infos = built_targets(build_dir, targets)
    builds: dict[str, dict[str, Any]] = {}
    ios_device: dict[str, Any] | None = None
    for t, info in sorted(infos.items()):
        if info.get("platform") == "android":
            try:
                mapi = int(str(info.get("min_os") or min_sdk))
            except ValueError:
                mapi = min_sdk
            builds[info.get("abi", "")] = {
                "target": t, "standin": bool((info.get("toolchain") or {}).get("standin", False)),
                "min_api": max(mapi, min_sdk), "required_features": required_features(info)}
        elif info.get("platform") == "ios" and not info.get("variant"):
            ios_device = info

    groups, meta = csv_population(devices) if devices else default_android_population()
    feature_missing = {k: v.get("missing_share") for k, v in meta["cpu_features"].items()}
    apis = sorted({g["api"] for g in groups})
    columns = [a for a in apis if a >= min_sdk]
    below = [a for a in apis if a < min_sdk]
    rows: dict[str, dict[str, Any]] = {}
    uncovered: dict[str, float] = {}
    covered = standin_share = 0.0
    notes: list[str] = []
    unknown_feats = sorted({f for b in builds.values() for f in b["required_features"]
                            if feature_missing.get(f, None) is None and not devices})
    if unknown_feats:
        notes.append("builds require CPU feature(s) " + ", ".join(unknown_feats)
                     + " at compile time; no public share of devices lacking them exists, so coverage may be lower")
    for g in groups:
        ok, reason, abi = _decide(g, builds, min_sdk, feature_missing)
        r = rows.setdefault(g["row"], {"cells": {}, "share": 0.0, "covered": 0.0})
        col = str(g["api"]) if g["api"] >= min_sdk else "below"
        c = r["cells"].setdefault(col, {"share": 0.0, "covered": 0.0, "standin": False})
        c["share"] += g["share"]
        r["share"] += g["share"]
        if ok:
            c["covered"] += g["share"]
            r["covered"] += g["share"]
            covered += g["share"]
            if builds[abi]["standin"]:
                c["standin"] = True
                standin_share += g["share"]
        else:
            uncovered[reason] = uncovered.get(reason, 0.0) + g["share"]

    def rnd(x: float) -> float:
        return round(x, 3)

    for r in rows.values():
        r["share"], r["covered"] = rnd(r["share"]), rnd(r["covered"])
        for c in r["cells"].values():
            c["share"], c["covered"] = rnd(c["share"]), rnd(c["covered"])
    ios = ios_coverage(ios_device, ios_min)
    if not builds:
        notes.append("no Android target is built: nothing is covered on Android")
    return {
        "schema": SCHEMA,
        "android": {
            "population": meta["source"],
            "api_source": meta["api_source"],
            "abi_source": meta["abi_source"],
            "min_sdk": min_sdk,
            "built_abis": {a: {k: v for k, v in b.items()} for a, b in sorted(builds.items())},
            "columns": (["below"] if below else []) + [str(a) for a in columns],
            "column_labels": ({"below": f"< {min_sdk}"} if below else {})
            | {str(a): (f"{a} ({meta['api_labels'][a]})" if a in meta["api_labels"] else str(a)) for a in columns},
            "rows": dict(sorted(rows.items(), key=lambda kv: -kv[1]["share"])),
            "covered": rnd(covered),
            "covered_standin": rnd(standin_share),
            "uncovered": [{"reason": k, "share": rnd(v)} for k, v in sorted(uncovered.items(), key=lambda kv: (-kv[1], kv[0]))],
            "sixty_four_bit_only_share": meta["sixty_four_bit_only_share"],
            "cpu_features": meta["cpu_features"],
            "notes": notes,
        },
        "ios": ios,
    }


def _ver(v: str) -> tuple[int, int]:
    parts = [int(p) for p in re.findall(r"\d+", str(v))[:2]] + [0, 0]
    return parts[0], parts[1]


def ios_coverage(device_build: dict[str, Any] | None, ios_min: str) -> dict[str, Any]:
    ds = ios_dataset()
    min_v = str(device_build.get("min_os") or ios_min) if device_build else ios_min
    versions = []
    covered = 0.0
    uncovered = []
    for v in ds["versions"]:
        ok = device_build is not None and _ver(f"{v['major']}.99") >= _ver(min_v)
        # a major counts as covered when its latest minor meets min_version (users update minors)
        versions.append({"major": v["major"], "share": v["share"], "covered": ok, "estimate": bool(v.get("estimate"))})
        if ok:
            covered += v["share"]
    if device_build is None:
        uncovered.append({"reason": "ios-arm64 device slice not built", "share": round(sum(v["share"] for v in ds["versions"]), 3)})
    else:
        below = sum(v["share"] for v in versions if not v["covered"])
        if below:
            uncovered.append({"reason": f"iOS below min_version {min_v}", "share": round(below, 3)})
    return {
        "source": f"{ds['source']} ({ds['date']}); shares other than iOS 26 are estimates: {ds['method']}",
        "min_version": min_v,
        "device_slice_built": device_build is not None,
        "versions": versions,
        "covered": round(covered, 3),
        "uncovered": uncovered,
    }


def render_md(report: dict[str, Any]) -> str:
    return template_env().get_template("coverage.md.j2").render(a=report["android"], ios=report["ios"])
