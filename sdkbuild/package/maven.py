"""dist/maven/: a Maven repository holding the AAR, as Gradle (`maven { url ... }`) and Maven
read it, and as Maven Central wants a release (sources and javadoc jars, checksums):

  <group path>/<artifactId>/maven-metadata.xml (+ .md5 .sha1 .sha256 .sha512)
  <group path>/<artifactId>/<version>/<artifactId>-<version>.aar, .pom,
                                      -sources.jar, -javadoc.jar (each + the four checksums)

The sources jar holds the generated Java API, the javadoc jar its Javadoc (checked with
-Xdoclint:all). Deterministic like every archive of dist/ (fixed timestamps: maven-metadata's
lastUpdated is the same fixed epoch). Only this version is listed: the folder is rewritten
from the build on every `sdkbuild package`, never merged with earlier runs.
"""

from __future__ import annotations

import hashlib
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from .. import bindings
from ..fileio import write_atomic
from . import aar
from .archive import Entry, fixed_epoch, tree_entries, write_zip

CHECKSUMS = ("md5", "sha1", "sha256", "sha512")


def repository_dir(dist: Path) -> Path:
    return dist / "maven"


def artifact_dir(dist: Path, group_id: str, artifact_id: str, version: str | None = None) -> Path:
    d = repository_dir(dist) / Path(*group_id.split(".")) / artifact_id
    return d / version if version else d


def _with_checksums(path: Path, data: bytes) -> list[Path]:
    out = [write_atomic(path, data)]
    for algo in CHECKSUMS:
        out.append(write_atomic(path.with_name(path.name + "." + algo), hashlib.new(algo, data).hexdigest()))
    return out


def metadata_xml(group_id: str, artifact_id: str, version: str) -> str:
    stamp = time.strftime("%Y%m%d%H%M%S", time.gmtime(fixed_epoch()))
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<metadata>\n'
            f"  <groupId>{escape(group_id)}</groupId>\n  <artifactId>{escape(artifact_id)}</artifactId>\n"
            f"  <versioning>\n    <latest>{escape(version)}</latest>\n    <release>{escape(version)}</release>\n"
            f"    <versions>\n      <version>{escape(version)}</version>\n    </versions>\n"
            f"    <lastUpdated>{stamp}</lastUpdated>\n  </versioning>\n</metadata>\n")


def source_and_javadoc_jars(cfg: Any, work: Path, api: bindings.Api | None = None) -> tuple[Path, Path]:
    """(sources jar, javadoc jar) of the Java API rendered for cfg, built in `work`."""
    names = bindings.names_from_config(cfg)
    bindings.render(cfg, work / "gen", ["java"], api=api)
    java = work / "gen" / "java"
    manifest: Entry = ("META-INF/MANIFEST.MF", b"Manifest-Version: 1.0\r\nCreated-By: sdkbuild\r\n\r\n")
    sources = write_zip(work / "sources.jar", [manifest, *tree_entries(java)])
    aar.javadoc(java, work / "javadoc", f"{names.name} {names.version}")
    javadoc = write_zip(work / "javadoc.jar", [manifest, *tree_entries(work / "javadoc")])
    return sources, javadoc


def write_repository(cfg: Any, dist: Path, aar_path: Path, pom_path: Path, api: bindings.Api | None = None,
                     jars: tuple[Path, Path] | None = None) -> list[Path]:
    """dist/maven/ for this SDK's AAR and POM (both as `sdkbuild package` wrote them), with the
    sources and javadoc jars (`jars`, else made here); returns every file written."""
    names = bindings.names_from_config(cfg)
    group, artifact = aar.maven_coordinates(cfg)
    version = names.version
    base = artifact_dir(dist, group, artifact)
    vdir = base / version
    files: list[Path] = []
    with tempfile.TemporaryDirectory(prefix="sdkbuild-maven-") as tmp:
        sources, javadoc = jars or source_and_javadoc_jars(cfg, Path(tmp), api)
        # only this SDK's current version: earlier versions or coordinates are not carried over
        if repository_dir(dist).exists():
            shutil.rmtree(repository_dir(dist))
        stem = f"{artifact}-{version}"
        for suffix, src in ((".aar", aar_path), (".pom", pom_path), ("-sources.jar", sources),
                            ("-javadoc.jar", javadoc)):
            files += _with_checksums(vdir / f"{stem}{suffix}", src.read_bytes())
    files += _with_checksums(base / "maven-metadata.xml", metadata_xml(group, artifact, version).encode())
    return files
