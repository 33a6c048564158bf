"""sdk.toml validation: every error names the key, the bad value and what is allowed."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sdkbuild import config
from sdkbuild.config import init, lib_name_for, load, parse
from sdkbuild.errors import SdkbuildError

BASE = """
[sdk]
name = "VisionKit"
version = "1.0.0"
java_package = "com.example.visionkit"
objc_prefix = "VK"
targets = ["android-arm64-v8a", "host"]

[android]
min_sdk = 21

[ios]
min_version = "13.0"

[engine]
dtypes = ["fp32", "int8"]
threads = true
ops = "auto"

[models]
files = ["models/a.onnx"]

[report.budgets]
total_bytes = 2000000
[report.budgets.targets.android-arm64-v8a]
bytes = 200000
growth_percent = 5.0
"""


@pytest.fixture
def proj(tmp_path: Path) -> Path:
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "a.onnx").write_bytes(b"not parsed by config")
    return tmp_path


def _parse(proj: Path, text: str) -> config.Config:
    return parse(text, proj / "sdk.toml")


def _error(proj: Path, text: str) -> str:
    with pytest.raises(SdkbuildError) as ei:
        _parse(proj, text)
    return str(ei.value)


def test_valid_config(proj: Path) -> None:
    cfg = _parse(proj, BASE)
    assert cfg.sdk.name == "VisionKit" and cfg.sdk.lib_name == "visionkit"
    assert cfg.sdk.targets == ("android-arm64-v8a", "host")
    assert cfg.android.min_sdk == 21 and cfg.ios.min_version == "13.0"
    assert cfg.engine.dtypes == ("fp32", "int8") and cfg.engine.ops == "auto"
    assert cfg.models.files == ((proj / "models" / "a.onnx").resolve(),)
    assert cfg.report.total_bytes == 2000000
    assert cfg.report.targets["android-arm64-v8a"].bytes == 200000
    assert cfg.build_dir == proj.resolve() / "build"
    assert len(cfg.sha256) == 64 and not cfg.warnings
    with pytest.raises(AttributeError):
        cfg.sdk.name = "x"  # type: ignore[misc]  # frozen


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ('"android-arm64-v8a", "host"', '"android-arm64-v8", "host"',
         ["unknown target 'android-arm64-v8'", "did you mean 'android-arm64-v8a'", "allowed targets"]),
        ('"android-arm64-v8a", "host"', '"host", "host"', ["listed twice"]),
        ("min_sdk = 21", "min_sdk = 14", ["android.min_sdk = 14", ">= 16"]),
        ("min_sdk = 21", 'min_sdk = "21"', ["android.min_sdk = '21'", "integer"]),
        ('min_version = "13.0"', 'min_version = "13"', ["ios.min_version = '13'", '"X.Y"']),
        ('objc_prefix = "VK"', 'objc_prefix = "vk"', ["sdk.objc_prefix = 'vk'", "2 or 3 upper-case"]),
        ('objc_prefix = "VK"', 'objc_prefix = "VKIT"', ["sdk.objc_prefix = 'VKIT'"]),
        ('java_package = "com.example.visionkit"', 'java_package = "com.example.class"',
         ["sdk.java_package", "'class' is not a Java identifier"]),
        ('java_package = "com.example.visionkit"', 'java_package = "com.1example"', ["'1example'"]),
        ('dtypes = ["fp32", "int8"]', 'dtypes = ["fp32", "int4"]', ["engine.dtypes", "'int4'", "fp32, int8"]),
        ('dtypes = ["fp32", "int8"]', 'dtypes = ["fp3"]', ["did you mean 'fp32'"]),
        ('ops = "auto"', 'ops = "all"', ["engine.ops = 'all'", '"auto"']),
        ('ops = "auto"', 'ops = ["Conv", "Konv"]', ["'Konv' is not an engine op", "did you mean 'Conv'", "available:"]),
        ('files = ["models/a.onnx"]', 'files = ["models/b.onnx"]', ["models.files = 'models/b.onnx'", "does not exist"]),
        ("threads = true", 'threads = "yes"', ["engine.threads = 'yes'", "true or false"]),
        ('name = "VisionKit"', 'name = "Vision Kit"', ["sdk.name = 'Vision Kit'", "letters, digits"]),
        ('version = "1.0.0"', 'version = "one"', ["sdk.version = 'one'"]),
        ("[android]", "[andriod]", ["unknown key top-level table 'andriod'", "did you mean 'android'"]),
        ("min_sdk = 21", "min_sdk = 21\nminsdk = 22", ["unknown key [android] 'minsdk'", "did you mean 'min_sdk'",
                                                        "allowed keys: min_sdk, ndk, toolchain"]),
        ("[android]", '[android]\ntoolchain = "nkd"', ["android.toolchain = 'nkd'", "did you mean 'ndk'"]),
        ("\nbytes = 200000", "\nbytes = -1", ["report.budgets.targets.android-arm64-v8a.bytes = -1"]),
        ("[report.budgets.targets.android-arm64-v8a]", "[report.budgets.targets.android-arm64]",
         ["unknown target 'android-arm64'", "did you mean"]),
        ('name = "VisionKit"\n', "", ["[sdk] name is required"]),
    ],
)
def test_errors_name_key_value_and_allowed(proj: Path, old: str, new: str, expected: list[str]) -> None:
    assert old in BASE
    msg = _error(proj, BASE.replace(old, new, 1))
    for e in expected:
        assert e in msg, f"{e!r} not in {msg!r}"


def test_toml_syntax_error_names_file(proj: Path) -> None:
    msg = _error(proj, BASE.replace('name = "VisionKit"', "name = VisionKit"))
    assert "not valid TOML" in msg and "sdk.toml" in msg


def test_min_sdk_below_21_warns(proj: Path) -> None:
    cfg = _parse(proj, BASE.replace("min_sdk = 21", "min_sdk = 19"))
    assert cfg.android.min_sdk == 19 and any("min_sdk = 19" in w for w in cfg.warnings)


def test_explicit_ops_canonicalised(proj: Path) -> None:
    cfg = _parse(proj, BASE.replace('ops = "auto"', 'ops = ["conv", "Conv", "Relu"]'))
    assert cfg.engine.ops == ("Conv", "Relu")


def test_defaults(proj: Path) -> None:
    text = BASE.split("[android]")[0]
    cfg = _parse(proj, text)
    assert cfg.android.min_sdk == 21 and cfg.ios.min_version == "13.0"
    assert cfg.engine.dtypes == ("fp32", "int8") and cfg.engine.threads and not cfg.engine.lto
    assert cfg.models.files == ()


@given(st.text(min_size=1, max_size=30))
@settings(max_examples=200, deadline=None)
def test_lib_name_is_a_safe_file_stem(name: str) -> None:
    ln = lib_name_for(name)
    assert len(ln) == len(name.lower()) and re.fullmatch(r"[a-z0-9_]*", ln)


def test_init_round_trip(tmp_path: Path) -> None:
    out = init(tmp_path / "face-kit")
    text = out.read_text()
    cfg = load(out)
    assert cfg.sdk.name == "FaceKit" and cfg.sdk.java_package == "com.example.facekit"
    assert cfg.sdk.objc_prefix == "FK" and "host" in cfg.sdk.targets
    # every key carries a comment line above it
    for key in ("name", "version", "java_package", "objc_prefix", "targets", "min_sdk", "min_version",
                "dtypes", "threads", "ops", "lto", "files"):
        lines = text.splitlines()
        i = next(n for n, line in enumerate(lines) if line.startswith(f"{key} ="))
        assert lines[i - 1].startswith("#"), key
    with pytest.raises(SdkbuildError, match="already exists"):
        init(tmp_path / "face-kit")
    out.write_text("changed")
    init(tmp_path / "face-kit", force=True)
    assert load(out).sdk.name == "FaceKit"


def test_cli_init_and_error_exit(tmp_path: Path) -> None:
    exe = [sys.executable, "-m", "sdkbuild.cli"]
    r = subprocess.run([*exe, "init", str(tmp_path)], capture_output=True, text=True)
    assert r.returncode == 0 and (tmp_path / "sdk.toml").is_file()
    r = subprocess.run([*exe, "init", str(tmp_path)], capture_output=True, text=True)
    assert r.returncode == 1 and "already exists" in r.stderr and "--force" in r.stderr
    assert "Traceback" not in r.stderr
    (tmp_path / "sdk.toml").write_text((tmp_path / "sdk.toml").read_text().replace("min_sdk = 21", "min_sdk = 3"))
    r = subprocess.run([*exe, "build", "--config", str(tmp_path / "sdk.toml")], capture_output=True, text=True)
    assert r.returncode == 1 and "android.min_sdk = 3" in r.stderr and "Traceback" not in r.stderr


# --------------------------------------------------------------------------- per-model options


def _models_cfg(tmp_path, extra: str):
    (tmp_path / "m").mkdir(exist_ok=True)
    for n in ("a", "b"):
        (tmp_path / "m" / f"{n}.onnx").write_bytes(b"x")
    (tmp_path / "cal.npy").write_bytes(b"x")
    text = ('[sdk]\nname = "K"\nversion = "1.0.0"\njava_package = "com.k"\nobjc_prefix = "KK"\n'
            'targets = ["host"]\n[models]\nfiles = ["m/a.onnx", "m/b.onnx"]\n' + extra)
    return config.parse(text, tmp_path / "sdk.toml")


def test_per_model_tables_override_the_models_defaults(tmp_path) -> None:
    cfg = _models_cfg(tmp_path, 'quantize = "int8"\ncalibration = "cal.npy"\n'
                      '[models.b]\nprune = 0.8\nweight_bits = 3\ncompress = true\nstrip_names = true\n'
                      'input_shapes = { x = [1, 3, 32, 32] }\n')
    a, b = (cfg.models.options(p) for p in cfg.models.files)
    assert a.quantize == b.quantize == "int8" and a.calibration == b.calibration == tmp_path / "cal.npy"
    assert (a.prune, a.weight_bits, a.compress) == (0.0, 8, False)
    assert (b.prune, b.weight_bits, b.compress, b.strip_names) == (0.8, 3, True, True)
    assert b.input_shapes == {"x": (1, 3, 32, 32)}


@pytest.mark.parametrize("extra, message", [
    ('[models.c]\ncompress = true\n', r"\[models.c\] names no model"),
    ('[models.a]\nprune = 1.5\n', r"models.a.prune = 1.5 is not valid"),
    ('[models.a]\nweight_bits = 5\n', r"models.a.weight_bits = 5 is not valid: allowed: 8, 4, 3, 2"),
    ('[models.a]\nweight_bits = 4\n', r"fewer than 8 bits need quantize"),
    ('[models.a]\nprune = 0.5\n', r"\[models.a\] prune needs calibration data"),
    ('quantize = "int8"\n', r"\[models\] quantize = \"int8\" needs calibration data, and models.calibration is not set"),
    ('[models.a]\ninput_shapes = { x = [1, 0] }\n', r"models.a.input_shapes"),
    ('[models.a]\ncompres = true\n', r"unknown key \[models.a\] 'compres' \(did you mean 'compress'\?\)"),
])
def test_bad_model_options_name_the_key(tmp_path, extra: str, message: str) -> None:
    with pytest.raises(SdkbuildError, match=message):
        _models_cfg(tmp_path, extra)


_CONAN_BASE = """
[sdk]
name = "Kit"
version = "1.0.0"
java_package = "com.example.kit"
objc_prefix = "KT"
targets = ["host"]
"""


def test_conan_remote_section() -> None:
    cfg = parse(_CONAN_BASE + '[conan]\nremote = "https://conan.example.com/api/conan/sdk"\n', Path("/p/sdk.toml"))
    assert cfg.conan.remote == "https://conan.example.com/api/conan/sdk"
    assert parse(_CONAN_BASE, Path("/p/sdk.toml")).conan.remote is None


@pytest.mark.parametrize("body, message", [
    ('password = "hunter2"', "credentials do not belong in sdk.toml"),
    ('user = "ci"', "credentials do not belong in sdk.toml"),
    ('remote = "conan.example.com"', "must be the http(s) URL of a Conan server"),
    ('remot = "https://x"', "did you mean 'remote'"),
])
def test_conan_section_errors(body: str, message: str) -> None:
    with pytest.raises(SdkbuildError) as e:
        parse(_CONAN_BASE + "[conan]\n" + body + "\n", Path("/p/sdk.toml"))
    assert message in e.value.message
    if "credentials" in message:
        assert "SDKBUILD_CONAN_USER" in (e.value.hint or "") and "hunter2" not in e.value.message
