"""The Android library: <Name>-<version>.aar and its Maven POM.

AAR layout (what the Android Gradle plugin reads):
  AndroidManifest.xml            package + minSdk, no <application>
  classes.jar                    the generated Java API, Java 8 bytecode
  R.txt                          empty: the SDK has no resources
  proguard.txt                   consumer rules (keeps what JNI_OnLoad registers)
  jni/<abi>/lib<name>.so         one per built Android ABI (JNI glue inside)
  assets/<name>/<model>.sdkm     the SDK's models
  prefab/...                     headers + libraries for C/C++ consumers (Prefab v2)
  META-INF/sdkbuild/build-info.json  per ABI: toolchain, stand-in flag, sizes, sha256
"""

from __future__ import annotations

import json
import re
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2
from elftools.common.exceptions import ELFError
from elftools.elf.elffile import ELFFile

from .. import bindings, paths
from ..errors import SdkbuildError
from ..fileio import sha256_file, write_atomic
from ..targets import TARGETS
from .archive import Entry, tree_entries, write_zip


@dataclass(frozen=True)
class BuiltTarget:
    """One target's build outputs, from build/<target>/build-info.json."""

    name: str
    dir: Path
    info: dict[str, Any]

    @property
    def library(self) -> Path:
        return self.dir / self.info["library"]

    @property
    def headers(self) -> Path:
        return self.dir / self.info.get("headers", "include")

    @property
    def c_header(self) -> Path:
        """The C header the build installed: <prefix>/engine.h (sdkengine/engine.h before
        per-SDK symbol names)."""
        return self.headers / str(self.info.get("c_header", "sdkengine/engine.h"))

    @property
    def standin(self) -> bool:
        return bool(self.info.get("toolchain", {}).get("standin", False))


def load_built_target(build_dir: Path, target: str, lib_name: str) -> BuiltTarget:
    """The build outputs of `target`, or an error saying how to produce them."""
    d = build_dir / target
    info_path = d / "build-info.json"
    hint = f"run `sdkbuild build --target {target}` first (or drop {target!r} from [sdk] targets)"
    if not info_path.is_file():
        raise SdkbuildError(f"no build of target {target!r}: {info_path} does not exist", hint=hint)
    try:
        info = json.loads(info_path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise SdkbuildError(f"{info_path} is not valid JSON ({e})", hint=hint) from None
    lib = d / str(info.get("library", ""))
    if not info.get("library") or not lib.is_file():
        raise SdkbuildError(f"{info_path} names library {info.get('library')!r}, which does not exist", hint=hint)
    built_name = info.get("sdk", {}).get("lib_name")
    if built_name != lib_name:
        raise SdkbuildError(f"build of {target!r} is of library {built_name!r}, but sdk.toml now says {lib_name!r}",
                            hint=hint)
    if info.get("symbol_prefix", "") != lib_name:
        # its symbols and header would be the plain sdk_* names another SDK in the app has too
        raise SdkbuildError(f"the build of {target!r} does not carry the SDK's symbol names ({lib_name}_sdk_*): "
                            "it was made by an older sdkbuild", hint=f"rebuild it: `sdkbuild build --target {target}`")
    b = BuiltTarget(target, d, info)
    if not b.c_header.is_file():
        raise SdkbuildError(f"the build of {target!r} lacks its C header {b.c_header}", hint=hint)
    return b


# Android ABI -> the ELF machine its libraries must have (pyelftools' names)
_ELF_MACHINE = {"arm64-v8a": "EM_AARCH64", "armeabi-v7a": "EM_ARM", "x86": "EM_386", "x86_64": "EM_X86_64"}


def check_built(b: BuiltTarget) -> BuiltTarget:
    """An Android build the AAR can use: a shared library of the target's ABI with the JNI glue inside."""
    rebuild = f"rebuild it: `sdkbuild build --target {b.name}`"
    if not b.info.get("jni"):
        raise SdkbuildError(f"the {b.name} library was built without the JNI glue, so Java cannot call it",
                            hint=f"rebuild without --no-bindings: `sdkbuild build --target {b.name}`")
    if b.info.get("library_kind") != "shared":
        raise SdkbuildError(f"the {b.name} library is not a shared library ({b.library})", hint=rebuild)
    # build-info is only a claim: a corrupt or swapped file must not end up in the AAR
    try:
        with b.library.open("rb") as f:
            header = ELFFile(f).header
            kind, machine = header["e_type"], header["e_machine"]
    except (ELFError, OSError, ValueError) as e:
        raise SdkbuildError(f"the {b.name} library {b.library} is not an ELF shared library ({e})", hint=rebuild) from None
    want = _ELF_MACHINE.get(TARGETS[b.name].abi)
    if kind != "ET_DYN" or (want and machine != want):
        raise SdkbuildError(f"the {b.name} library {b.library} is {machine} {kind}, not an {want} shared library",
                            hint=rebuild)
    return b


# ---------------------------------------------------------------------------- classes.jar


def android_standin() -> Path:
    """bindings/android-standin: declarations-only stand-ins of androidx.annotation.NonNull and
    Nullable. The generated Java carries the AndroidX nullability annotations, which Kotlin and
    Android Lint understand; they are compiled against these files and never packaged (the
    annotations are CLASS-retained: an app without AndroidX simply ignores them)."""
    return paths.bindings_dir() / "android-standin"


def compile_java(java_src: Path, classes_dir: Path) -> None:
    """javac --release 8 every .java under java_src into classes_dir."""
    jdk = bindings.find_jdk()
    javac = jdk / "bin" / "javac"
    sources = sorted(str(p) for p in java_src.rglob("*.java"))
    if not sources:
        raise SdkbuildError(f"no Java sources under {java_src}")
    classes_dir.mkdir(parents=True, exist_ok=True)
    # --release 8: Java 8 bytecode and API, the floor of every Android toolchain (D8
    # desugars later language levels, but an SDK must not force that on its users)
    # the androidx.annotation stand-ins are compiled against, never into, the classes
    # (-implicit:none): apps get the real annotations from AndroidX (see android_standin())
    cmd = [str(javac), "--release", "8", "-encoding", "UTF-8", "-nowarn", "-Xlint:-options",
           "-sourcepath", str(android_standin()), "-implicit:none", "-d", str(classes_dir), *sources]
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        raise SdkbuildError(f"javac failed on the generated Java sources:\n{(r.stdout + r.stderr).strip()[-3000:]}",
                            hint="a JDK >= 9 is needed for --release 8 (apt-get install openjdk-17-jdk-headless)")


def javadoc(java_src: Path, out_dir: Path, title: str) -> str:
    """Javadoc HTML of the rendered Java API into out_dir (checked with -Xdoclint:all); returns
    javadoc's warnings (none for the generated API: tests/test_bindings.py holds it to that)."""
    jdk = bindings.find_jdk()
    tool = jdk / "bin" / "javadoc"
    sources = sorted(str(p) for p in java_src.rglob("*.java"))
    cmd = [str(tool), "-quiet", "--release", "8", "-encoding", "UTF-8", "-Xdoclint:all",
           "-sourcepath", str(android_standin()), "-notimestamp", "-doctitle", title, "-windowtitle", title,
           "-d", str(out_dir), *sources]
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        raise SdkbuildError(f"javadoc failed on the generated Java sources:\n{(r.stdout + r.stderr).strip()[-3000:]}",
                            hint="a JDK >= 9 is needed (apt-get install openjdk-17-jdk-headless)")
    return "\n".join(line for line in (r.stdout + r.stderr).splitlines() if "warning" in line)


def build_classes_jar(cfg: Any, dest: Path, api: bindings.Api | None = None) -> Path:
    """Render the Java API for cfg, compile it and write a reproducible classes.jar."""
    with tempfile.TemporaryDirectory(prefix="sdkbuild-java-") as tmp:
        bindings.render(cfg, Path(tmp), ["java"], api=api)
        return classes_jar(Path(tmp) / "java", dest)


def classes_jar(java_src: Path, dest: Path) -> Path:
    """Compile the rendered Java sources under java_src into a reproducible classes.jar."""
    with tempfile.TemporaryDirectory(prefix="sdkbuild-classes-") as tmp:
        compile_java(java_src, Path(tmp))
        manifest = b"Manifest-Version: 1.0\r\nCreated-By: sdkbuild\r\n\r\n"
        entries: list[Entry] = [("META-INF/MANIFEST.MF", manifest)]
        entries += tree_entries(Path(tmp))
        return write_zip(dest, entries)


# ---------------------------------------------------------------------------- AAR + POM


def ndk_major(info: dict[str, Any]) -> int | None:
    """The major version of the NDK that built a library; None for a stand-in (no NDK)."""
    tc = info.get("toolchain", {})
    if tc.get("source") != "ndk":
        return None
    m = re.search(r"\b(\d{2})\.\d+\.\d+", str(tc.get("version", ""))) or re.search(r"\br(\d{2})", str(tc.get("version", "")))
    return int(m.group(1)) if m else None


def publish_of(cfg: Any) -> Any:
    """The [publish] metadata of a config (a bindings.SdkNames, as tests pass, gets the defaults)."""
    from ..config import PublishSection, publish_section

    pub = getattr(cfg, "publish", None)
    if isinstance(pub, PublishSection) and pub.group_id:
        return pub
    names = bindings.names_from_config(cfg)
    return publish_section({}, names.java_package, names.lib_name)


def maven_coordinates(cfg: Any) -> tuple[str, str]:
    """(groupId, artifactId): [publish] group_id/artifact_id, by default com.example.visionkit ->
    com.example : visionkit."""
    pub = publish_of(cfg)
    return pub.group_id, pub.artifact_id


def render_pom(cfg: Any, built: list[BuiltTarget]) -> str:
    names = bindings.names_from_config(cfg)
    pub = publish_of(cfg)
    standins = [b.info.get("abi", b.name) for b in built if b.standin]
    abis = ", ".join(b.info.get("abi", b.name) for b in built)
    desc = (pub.description or f"{names.name} {names.version}: on-device inference SDK") + f" (ABIs: {abis})."
    if standins:
        desc += (f" STAND-IN native libraries for {', '.join(standins)}: built without the Android NDK"
                 " (not linked against bionic), for testing the packaging only; see META-INF/sdkbuild/build-info.json.")
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(paths.templates_dir())),
                             undefined=jinja2.StrictUndefined, keep_trailing_newline=True, trim_blocks=True,
                             lstrip_blocks=True)
    return env.get_template("android/pom.xml.j2").render(sdk=names, pub=pub, description=desc)


# What the Android Gradle plugin reads from an AAR's META-INF: the format versions, and the
# lowest compileSdk of an app using it (the API needs no Android classes: any).
AAR_METADATA = ("aarFormatVersion=1.0\naarMetadataVersion=1.0\nminCompileSdk=1\n"
                "minAndroidGradlePluginVersion=1.0.0\n")


def build_aar(cfg: Any, build_dir: Path, targets: list[str], models: list[Path], dist: Path,
              api: bindings.Api | None = None, prefab: bool = True) -> tuple[Path, Path]:
    """Write dist/<Name>-<version>.aar and .pom from the builds of the Android `targets`."""
    names = bindings.names_from_config(cfg)
    api = api or bindings.load_api()
    built = [check_built(load_built_target(build_dir, t, names.lib_name)) for t in targets]
    lib_file = f"lib{names.lib_name}.so"
    with tempfile.TemporaryDirectory(prefix="sdkbuild-aar-") as tmp:
        work = Path(tmp)
        bindings.render(cfg, work / "gen", ["java"], api=api)
        jar = classes_jar(work / "gen" / "java", work / "classes.jar")  # the Java rendered just above
        entries: list[Entry] = [
            ("AndroidManifest.xml", (work / "gen/android/AndroidManifest.xml").read_bytes()),
            ("classes.jar", jar.read_bytes()),
            ("R.txt", b""),
            ("proguard.txt", (work / "gen/android/proguard.txt").read_bytes()),
        ]
        meta: dict[str, Any] = {"schema": 1, "sdk": {"name": names.name, "version": names.version,
                                                      "lib_name": names.lib_name, "java_package": names.java_package,
                                                      "min_sdk": names.min_sdk},
                                "abis": {}, "models": {}}
        for b in sorted(built, key=lambda b: b.info["abi"]):
            abi = b.info["abi"]
            entries.append((f"jni/{abi}/{lib_file}", b.library))
            meta["abis"][abi] = {
                "target": b.name,
                "toolchain": b.info.get("toolchain", {}),
                "standin": b.standin,
                "min_os": b.info.get("min_os", ""),
                "ops": b.info.get("ops", []),
                "features": b.info.get("features", []),
                "bytes": b.library.stat().st_size,
                "sha256": sha256_file(b.library),
            }
            ndk = ndk_major(b.info)
            # Prefab's abi.json names the NDK that built the library; a stand-in had none, and
            # a native consumer could not link a glibc library on Android anyway: no Prefab
            # library for that ABI (the headers and the other ABIs stay)
            meta["abis"][abi]["prefab"] = bool(prefab and ndk is not None)
            if prefab and ndk is not None:
                base = f"prefab/modules/{names.lib_name}/libs/android.{abi}/"
                abi_json = {"abi": abi, "api": names.min_sdk, "ndk": ndk, "stl": "none", "static": False}
                entries.append((base + "abi.json", json.dumps(abi_json, indent=2, sort_keys=True).encode()))
                entries.append((base + lib_file, b.library))
        for m in sorted(models):
            entries.append((f"assets/{names.lib_name}/{m.name}", m))
            meta["models"][m.name] = {"bytes": m.stat().st_size, "sha256": sha256_file(m)}
        if prefab and built:
            entries.append(("prefab/prefab.json", json.dumps(
                {"schema_version": 2, "name": names.lib_name, "version": _prefab_version(names.version),
                 "dependencies": []}, indent=2, sort_keys=True).encode()))
            mod = f"prefab/modules/{names.lib_name}/"
            entries.append((mod + "module.json", json.dumps(
                {"export_libraries": [], "library_name": f"lib{names.lib_name}"}, indent=2, sort_keys=True).encode()))
            entries += tree_entries(built[0].headers, mod + "include/")
        entries.append(("META-INF/sdkbuild/build-info.json", (json.dumps(meta, indent=2, sort_keys=True) + "\n").encode()))
        entries.append(("META-INF/com/android/build/gradle/aar-metadata.properties", AAR_METADATA.encode()))
        # native libraries stay uncompressed, like AGP stores them in an APK; so do the models,
        # so that an app can map them (AssetManager.openFd + Model.load(fd, offset, length))
        stored = {n for n, _ in entries if n.endswith((".so", ".sdkm"))}
        aar = write_zip(dist / f"{names.name}-{names.version}.aar", entries, store=stored)
    pom = write_atomic(dist / f"{names.name}-{names.version}.pom", render_pom(cfg, built))
    return aar, pom


def _prefab_version(version: str) -> str:
    # Prefab wants a dotted numeric version (CMake package version rules)
    m = re.match(r"\d+(\.\d+){0,3}", version)
    return m.group(0) if m else "0"


def android_targets(targets: list[str] | tuple[str, ...]) -> list[str]:
    return [t for t in targets if t in TARGETS and TARGETS[t].platform == "android"]

