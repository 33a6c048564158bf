"""dist/maven/ is a Maven repository real Maven resolves offline: a consumer project depending on
the AAR (and its sources and javadoc jars) by coordinates from a file:// repository, with
checksums verified (a wrong one fails the resolution). Gradle reads the same layout through
`maven { url ... }`; Gradle itself is not installed here, so Maven stands in for it.

Maven runs offline against a local repository that overlays ~/.m2/repository (its plugins)
with symlinks, so nothing it resolves or records lands in the user's own ~/.m2."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest
from bindings_helpers import shared_once
from test_package import _make_project as make_tinykit

from sdkbuild.package import maven

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("package-project"),  # waits for it: one worker
              pytest.mark.skipif(shutil.which("mvn") is None, reason="needs Maven (apt-get install maven)")]
GROUP, ARTIFACT, VERSION = "org.tinykit.sdk", "tinykit", "0.3.0"
# Offline Maven needs the compiler plugin and its dependencies in a local repository: the
# user's ~/.m2, else Debian's /usr/share/maven-repo (libmaven-compiler-plugin-java, which
# scripts/setup.sh installs: Maven Central is not reachable from a fresh machine here).
_PLUGIN_SOURCES = ((Path.home() / ".m2" / "repository", "3.13.0"), (Path("/usr/share/maven-repo"), "3.10.1"))
M2, COMPILER_VERSION = next(((r, v) for r, v in _PLUGIN_SOURCES
                             if (r / "org/apache/maven/plugins/maven-compiler-plugin" / v).is_dir()),
                            _PLUGIN_SOURCES[0])
USER_M2 = Path.home() / ".m2" / "repository"


@pytest.fixture(scope="module")
def dist(tmp_path_factory) -> Path:
    return shared_once(tmp_path_factory, "package-project", make_tinykit) / "dist"


def overlay_repository(dest: Path, group: str) -> Path:
    """A local repository holding ~/.m2/repository's files as symlinks in real folders: Maven
    reads the plugins it needs, and whatever it writes (resolved artifacts, .lastUpdated
    markers, rewritten metadata: new files, renamed into place) stays in `dest`."""
    if not M2.is_dir():
        pytest.skip("no local Maven repository with the compiler plugin (~/.m2, or Debian's "
                    "libmaven-compiler-plugin-java: scripts/setup.sh installs it)")
    for root, _dirs, files in os.walk(M2):
        rel = Path(root).relative_to(M2)
        (dest / rel).mkdir(parents=True, exist_ok=True)
        for f in files:
            (dest / rel / f).symlink_to(Path(root) / f)
    assert not (dest / Path(*group.split("."))).exists()
    return dest


def _consumer(work: Path, repo: Path) -> Path:
    deps = "".join(f"""
    <dependency>
      <groupId>{GROUP}</groupId><artifactId>{ARTIFACT}</artifactId><version>{VERSION}</version>
      <type>{kind}</type>{f"<classifier>{c}</classifier>" if c else ""}
    </dependency>""" for kind, c in (("aar", ""), ("jar", "sources"), ("jar", "javadoc")))
    pom = f"""<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>test</groupId><artifactId>consumer</artifactId><version>1</version><packaging>jar</packaging>
  <repositories>
    <repository>
      <id>sdk</id><url>{repo.resolve().as_uri()}</url>
      <releases><checksumPolicy>fail</checksumPolicy></releases>
    </repository>
  </repositories>
  <dependencies>{deps}
  </dependencies>
</project>
"""
    (work / "pom.xml").write_text(pom)
    return work


COMPILER_PLUGIN = f"org.apache.maven.plugins:maven-compiler-plugin:{COMPILER_VERSION}"


def _mvn(project: Path, local: Path) -> subprocess.CompletedProcess:
    """`mvn -o compile` of the consumer: resolving its dependencies (into `local`) is the test.
    Offline: plugins from the local repository only; the SDK's file:// repository stays
    reachable (aether.offline.protocols=file), nothing else is contacted. (The compiler plugin:
    the one plugin whose dependencies ~/.m2 holds completely here.)"""
    if not (M2 / "org/apache/maven/plugins/maven-compiler-plugin" / COMPILER_VERSION).is_dir():
        pytest.skip("no local Maven repository with the compiler plugin (~/.m2, or Debian's "
                    "libmaven-compiler-plugin-java: scripts/setup.sh installs it)")
    cmd = ["mvn", "-B", "-q", "-o", "-Daether.offline.protocols=file", f"-Dmaven.repo.local={local}",
           f"{COMPILER_PLUGIN}:compile"]
    env = dict(os.environ, MAVEN_OPTS="-Xmx256m")
    return subprocess.run(cmd, cwd=project, capture_output=True, text=True, timeout=300, env=env)


def test_layout(dist):
    base = maven.artifact_dir(dist, GROUP, ARTIFACT)
    v = base / VERSION
    stem = f"{ARTIFACT}-{VERSION}"
    for suffix in (".aar", ".pom", "-sources.jar", "-javadoc.jar"):
        f = v / f"{stem}{suffix}"
        assert f.is_file(), f
        for algo in maven.CHECKSUMS:
            assert (v / f"{stem}{suffix}.{algo}").read_text() == hashlib.new(algo, f.read_bytes()).hexdigest()
    assert (v / f"{stem}.aar").read_bytes() == (dist / f"TinyKit-{VERSION}.aar").read_bytes()
    assert (v / f"{stem}.pom").read_bytes() == (dist / f"TinyKit-{VERSION}.pom").read_bytes()
    meta = (base / "maven-metadata.xml").read_text()
    assert f"<release>{VERSION}</release>" in meta and f"<groupId>{GROUP}</groupId>" in meta
    with zipfile.ZipFile(v / f"{stem}-sources.jar") as z:
        assert "org/tinykit/sdk" not in " ".join(z.namelist())  # sources keep the Java package's path
        assert "com/example/tinykit/Session.java" in z.namelist()
    with zipfile.ZipFile(v / f"{stem}-javadoc.jar") as z:
        assert {"index.html", "com/example/tinykit/Model.html"} <= set(z.namelist())
        assert "Model.load(afd.getFileDescriptor()" in z.read("com/example/tinykit/Model.html").decode()
    with zipfile.ZipFile(v / f"{stem}.aar") as z:
        props = z.read("META-INF/com/android/build/gradle/aar-metadata.properties").decode()
        assert "aarFormatVersion=1.0" in props and "minCompileSdk=" in props


def test_maven_resolves_the_aar_and_its_jars_offline_with_checksums(dist, tmp_path):
    local = overlay_repository(tmp_path / "local", GROUP)
    project = _consumer(tmp_path, maven.repository_dir(dist))
    r = _mvn(project, local)
    assert r.returncode == 0, r.stdout[-4000:] + r.stderr[-4000:]
    stem = f"{ARTIFACT}-{VERSION}"
    repo = maven.artifact_dir(dist, GROUP, ARTIFACT, VERSION)
    resolved = local / Path(*GROUP.split(".")) / ARTIFACT / VERSION
    for name in (f"{stem}.aar", f"{stem}.pom", f"{stem}-sources.jar", f"{stem}-javadoc.jar"):
        assert (resolved / name).read_bytes() == (repo / name).read_bytes(), name
    assert not (USER_M2 / Path(*GROUP.split("."))).exists()  # the user's ~/.m2 untouched


def test_a_wrong_checksum_fails_the_resolution(dist, tmp_path):
    repo = tmp_path / "repo"
    shutil.copytree(maven.repository_dir(dist), repo)
    v = repo / Path(*GROUP.split(".")) / ARTIFACT / VERSION
    (v / f"{ARTIFACT}-{VERSION}.aar.sha1").write_text("0" * 40)
    local = overlay_repository(tmp_path / "local", GROUP)
    project = _consumer(tmp_path, repo)
    r = _mvn(project, local)
    assert r.returncode != 0
    assert "checksum" in (r.stdout + r.stderr).lower()
