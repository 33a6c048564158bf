"""Bad input at the command line, as a user meets it: every command, through `sdkbuild.cli.main`.

Each case must end in a non-zero exit with one `error:` line that names the problem (plus an
optional hint line), no traceback, and no new or half-written file in the working folder.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np
import pytest
from engine_helpers import dev_lib

from sdkbuild.cli import main

EXAMPLES = Path(__file__).resolve().parent.parent / "examples" / "models"

GOOD_TOML = """\
[sdk]
name = "Kit"
version = "1.0.0"
java_package = "com.example.kit"
objc_prefix = "KT"
targets = ["android-arm64-v8a", "host"]
"""

# sdk.toml variants: (id, text, what the message must name)
BAD_TOMLS = [
    ("empty", "", "[sdk] table is missing"),
    ("garbage", None, "not a UTF-8 text file"),
    ("syntax", "[sdk\nname=", "not valid TOML"),
    ("sdk-not-table", "sdk = 3\n", "must be a table"),
    ("name-int", GOOD_TOML.replace('name = "Kit"', "name = 5"), "sdk.name = 5"),
    ("targets-str", GOOD_TOML.replace('targets = ["android-arm64-v8a", "host"]', 'targets = "host"'), "sdk.targets"),
    ("unknown-target", GOOD_TOML.replace('"host"]', '"arm64"]'), "unknown target 'arm64'"),
    ("min_sdk-str", GOOD_TOML + '[android]\nmin_sdk = "21"\n', "android.min_sdk = '21'"),
    ("ios-min-float", GOOD_TOML + "[ios]\nmin_version = 13.0\n", "ios.min_version = 13.0"),
    ("dtypes-str", GOOD_TOML + '[engine]\ndtypes = "fp32"\n', "engine.dtypes = 'fp32'"),
    ("threads-str", GOOD_TOML + '[engine]\nthreads = "yes"\n', "engine.threads = 'yes'"),
    ("ops-int", GOOD_TOML + "[engine]\nops = 3\n", "engine.ops = 3"),
    ("files-str", GOOD_TOML + '[models]\nfiles = "m.onnx"\n', "models.files = 'm.onnx'"),
    ("files-dir", GOOD_TOML + '[models]\nfiles = ["adir.onnx"]\n', "adir.onnx"),
    ("files-garbage", GOOD_TOML + '[models]\nfiles = ["garbage.onnx"]\n', "not an ONNX model"),
    ("quantize-int", GOOD_TOML + "[models]\nquantize = 8\n", "models.quantize = 8"),
    ("quantize-no-calibration", GOOD_TOML + '[models]\nquantize = "int8"\n', "models.calibration is not set"),
    ("baseline-int", GOOD_TOML + "[report]\nbaseline = 1\n", "report.baseline = 1"),
    ("budget-str", GOOD_TOML + '[report.budgets]\ntotal_bytes = "2MB"\n', "report.budgets.total_bytes = '2MB'"),
    ("budget-target", GOOD_TOML + "[report.budgets.targets.arm64]\nbytes = 1\n", "unknown target 'arm64'"),
]

RUN = ["run", "model.sdkm", "-o", "out"]

# (id, argv after `sdkbuild`, fragments the error must contain); {lib} is the host engine
CASES = [
    # convert
    ("convert-missing", ["convert", "nope.onnx"], ["nope.onnx"]),
    ("convert-dir", ["convert", "adir.onnx"], ["adir.onnx", "is a directory"]),
    ("convert-garbage", ["convert", "garbage.onnx"], ["garbage.onnx", "not an ONNX model"]),
    ("convert-wrong-ext", ["convert", "notes.txt"], ["notes.txt", "not an ONNX model"]),
    ("convert-sdkm", ["convert", "model.sdkm", "-o", "y.sdkm"], ["model.sdkm", "not an ONNX model"]),
    ("convert-out-dir", ["convert", "model.onnx", "-o", "adir.sdkm"], ["adir.sdkm", "is a directory"]),
    ("convert-bad-shape", ["convert", "model.onnx", "-o", "y.sdkm", "--input-shape", "input=a,b"], ["input=a,b"]),
    ("convert-shape-name", ["convert", "model.onnx", "-o", "y.sdkm", "--input-shape", "zzz=1,2"], ["zzz"]),
    ("convert-calib-garbage", ["convert", "model.onnx", "-o", "y.sdkm", "--quantize", "int8", "--calibration",
                               "garbage.npy"], ["garbage.npy", "neither a .npy nor a .npz"]),
    ("convert-onto-input", ["convert", "model.onnx", "-o", "./model.onnx"], ["is the input model"]),
    ("convert-calib-alone", ["convert", "model.onnx", "-o", "y.sdkm", "--calibration", "x.npy"],
     ["--calibration", "--quantize int8"]),
    # inspect
    ("inspect-missing", ["inspect", "nope.sdkm"], ["nope.sdkm", "does not exist"]),
    ("inspect-dir", ["inspect", "adir.sdkm"], ["adir.sdkm", "is a directory"]),
    ("inspect-garbage", ["inspect", "garbage.sdkm"], ["garbage.sdkm", "not a .sdkm file"]),
    ("inspect-onnx", ["inspect", "model.onnx"], ["model.onnx", "not a .sdkm file"]),
    ("inspect-empty", ["inspect", "empty.sdkm"], ["empty.sdkm", "0 bytes"]),
    # run
    ("run-missing-model", ["run", "nope.sdkm", "-o", "out", "-i", "x.npy", "--engine-lib", "{lib}"], ["nope.sdkm"]),
    ("run-garbage-model", ["run", "garbage.sdkm", "-o", "out", "-i", "x.npy", "--engine-lib", "{lib}"],
     ["garbage.sdkm", "not a .sdkm file"]),
    ("run-unknown-input", [*RUN, "-i", "zzz=x.npy", "--engine-lib", "{lib}"], ["no input 'zzz'"]),
    ("run-wrong-shape", [*RUN, "-i", "input=small.npy", "--engine-lib", "{lib}"], ["shape [1, 1, 8, 8]", "[1, 1, 4, 4]"]),
    ("run-wrong-dtype", [*RUN, "-i", "input=int64.npy", "--engine-lib", "{lib}"], ["float32", "int64"]),
    ("run-f64-overflow", [*RUN, "-i", "input=huge.npy", "--engine-lib", "{lib}"],
     ["input 'input' is float32", "1e+300 do not fit"]),
    ("run-no-name", [*RUN, "-i", "=x.npy", "--engine-lib", "{lib}"], ["'=x.npy'", "malformed"]),
    ("run-no-file", [*RUN, "-i", "input=", "--engine-lib", "{lib}"], ["'input='", "malformed"]),
    ("run-missing-npy", [*RUN, "-i", "nope.npy", "--engine-lib", "{lib}"], ["nope.npy"]),
    ("run-garbage-npy", [*RUN, "-i", "garbage.npy", "--engine-lib", "{lib}"], ["garbage.npy", "not a .npy file"]),
    ("run-npy-dir", [*RUN, "-i", "adir.onnx", "--engine-lib", "{lib}"], ["adir.onnx", "directory"]),
    ("run-no-inputs", [*RUN, "--engine-lib", "{lib}"], ["missing input(s): input"]),
    ("run-twice", [*RUN, "-i", "input=x.npy", "-i", "input=x.npy", "--engine-lib", "{lib}"], ["given twice"]),
    ("run-output-file", ["run", "model.sdkm", "-o", "notes.txt", "-i", "x.npy"], ["notes.txt", "is a file"]),
    ("run-threads-0", [*RUN, "-i", "x.npy", "--threads", "0", "--engine-lib", "{lib}"], ["--threads"]),
    ("run-engine-garbage", [*RUN, "-i", "x.npy", "--engine-lib", "garbage.sdkm"], ["garbage.sdkm", "cannot load"]),
    ("run-engine-missing", [*RUN, "-i", "x.npy", "--engine-lib", "nope.so"], ["nope.so", "does not exist"]),
    # init / build / test / doctor / bindings / package
    ("init-into-file", ["init", "notes.txt"], ["notes.txt", "is a file"]),
    ("build-no-config", ["build", "--config", "nope.toml"], ["no sdk.toml at nope.toml"]),
    ("build-unknown-target", ["build", "--config", "good/sdk.toml", "--target", "android-arm64"],
     ["unknown target 'android-arm64'", "android-arm64-v8a"]),
    ("test-unknown-target", ["test", "--config", "good/sdk.toml", "--target", "foo"], ["unknown target 'foo'"]),
    ("doctor-garbage", ["doctor", "--config", "bad-garbage/sdk.toml"], ["not a UTF-8 text file"]),
    ("bindings-garbage", ["bindings", "--config", "bad-garbage/sdk.toml"], ["not a UTF-8 text file"]),
    ("bindings-out-file", ["bindings", "--config", "good/sdk.toml", "-o", "notes.txt"], ["notes.txt", "is a file"]),
    ("package-no-build", ["package", "--config", "good/sdk.toml", "--dist", "dist"],
     ["no build of target 'android-arm64-v8a'"]),
    ("package-unknown-target", ["package", "--config", "good/sdk.toml", "--target", "foo"], ["unknown target 'foo'"]),
    ("package-empty-toml", ["package", "--config", "bad-empty/sdk.toml"], ["[sdk] table is missing"]),
    # report
    ("size-garbage-config", ["report", "size", "--config", "bad-garbage/sdk.toml"], ["not a UTF-8 text file"]),
    ("size-no-build", ["report", "size", "--build-dir", "nobuild"], ["nobuild", "does not exist"]),
    ("size-garbage-baseline", ["report", "size", "--build-dir", "build", "--baseline", "garbage.json"],
     ["garbage.json", "not valid JSON"]),
    ("size-wrong-baseline", ["report", "size", "--build-dir", "build", "--baseline", "other.json"],
     ["other.json", "not a size report"]),
    ("size-missing-baseline", ["report", "size", "--build-dir", "build", "--baseline", "nope.json"],
     ["nope.json", "does not exist"]),
    ("coverage-no-build", ["report", "coverage", "--build-dir", "nobuild"], ["nobuild", "does not exist"]),
    ("coverage-garbage-csv", ["report", "coverage", "--build-dir", "build", "--devices", "garbage.csv"],
     ["garbage.csv", "not UTF-8"]),
    ("coverage-bad-api", ["report", "coverage", "--build-dir", "build", "--devices", "badapi.csv"],
     ["badapi.csv", "line 2", "'baz'"]),
    ("coverage-no-columns", ["report", "coverage", "--build-dir", "build", "--devices", "cols.csv"],
     ["cols.csv", "found columns: a, b"]),
    ("coverage-empty-csv", ["report", "coverage", "--build-dir", "build", "--devices", "empty.csv"], ["empty.csv"]),
    ("coverage-missing-csv", ["report", "coverage", "--build-dir", "build", "--devices", "nope.csv"],
     ["nope.csv", "does not exist"]),
    # outputs that cannot be written (a folder below a file: fails for root too)
    ("convert-out-unwritable", ["convert", "model.onnx", "-o", "notes.txt/y.sdkm"], ["cannot write", "notes.txt/y.sdkm"]),
    ("run-out-unwritable", ["run", "model.sdkm", "-o", "notes.txt/out", "-i", "x.npy", "--engine-lib", "{lib}"],
     ["cannot create the output folder", "notes.txt/out"]),
    ("bindings-out-unwritable", ["bindings", "--config", "good/sdk.toml", "-o", "notes.txt/b"], ["cannot write", "notes.txt/b"]),
    ("coverage-out-unwritable", ["report", "coverage", "--build-dir", "build", "--out", "notes.txt/r"],
     ["cannot write", "notes.txt/r"]),
    ("init-unwritable", ["init", "notes.txt/kit"], ["cannot write", "notes.txt/kit/sdk.toml"]),
    # bench / unknown command / option
    ("bench-missing", ["bench", "nope.onnx", "--work", "w"], ["nope.onnx"]),
    ("bench-out-unwritable", ["bench", "model.onnx", "-o", "notes.txt/b.md", "--work", "w"],
     ["cannot write notes.txt/b.md"]),
    ("bench-threads", ["bench", "model.onnx", "--threads", "a,b", "--work", "w"], ["'a,b'"]),
    ("unknown-command", ["frob"], ["No such command 'frob'"]),
    ("unknown-option", ["build", "--frob"], ["No such option '--frob'"]),
] + [(f"toml-{i}", ["build", "--print-ops", "--config", f"bad-{i}/sdk.toml"], [frag]) for i, _, frag in BAD_TOMLS]


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from sdkbuild.convert import convert_file

    ws = tmp_path_factory.mktemp("cli_errors")
    garbage = np.random.default_rng(0).bytes(3000)
    for name in ("garbage.onnx", "garbage.sdkm", "garbage.npy", "garbage.json", "garbage.csv"):
        (ws / name).write_bytes(garbage)
    (ws / "model.onnx").write_bytes((EXAMPLES / "digits_cnn.onnx").read_bytes())
    convert_file(str(ws / "model.onnx"), str(ws / "model.sdkm"))
    np.save(ws / "x.npy", np.zeros((1, 1, 8, 8), np.float32))
    np.save(ws / "small.npy", np.zeros((1, 1, 4, 4), np.float32))
    np.save(ws / "int64.npy", np.zeros((1, 1, 8, 8), np.int64))
    np.save(ws / "huge.npy", np.full((1, 1, 8, 8), 1e300))
    (ws / "notes.txt").write_text("not a model\n")
    (ws / "empty.sdkm").write_bytes(b"")
    (ws / "empty.csv").write_bytes(b"")
    (ws / "other.json").write_text('{"a": 1}\n')
    (ws / "badapi.csv").write_text("model,abis,api_level,share\nPixel,arm64-v8a,baz,1\n")
    (ws / "cols.csv").write_text("a,b\n1,2\n")
    for d in ("adir.onnx", "adir.sdkm", "build"):
        (ws / d).mkdir()
    (ws / "good").mkdir()
    (ws / "good" / "sdk.toml").write_text(GOOD_TOML)
    for i, text, _ in BAD_TOMLS:
        (ws / f"bad-{i}").mkdir()
        toml = ws / f"bad-{i}" / "sdk.toml"
        if text is None:
            toml.write_bytes(garbage)
        else:
            toml.write_text(text.replace('"adir.onnx"', '"../adir.onnx"').replace('"garbage.onnx"', '"../garbage.onnx"'))
    return ws


def _files(root: Path) -> set[str]:
    """Every file below root, hidden temporaries included (empty folders a stage creates up front do not count)."""
    return {str(p.relative_to(root)) for p in root.rglob("*") if not p.is_dir()}


def _run_cli(argv: list[str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    monkeypatch.setattr(sys, "argv", ["sdkbuild", *argv])
    with pytest.raises(SystemExit) as exc:
        main()  # anything but SystemExit escaping here is a crash the user would see as a traceback
    return int(exc.value.code or 0), capsys.readouterr().err


@pytest.mark.parametrize(("argv", "fragments"), [pytest.param(a, f, id=i) for i, a, f in CASES])
def test_bad_input_is_one_clear_error(workspace: Path, argv: list[str], fragments: list[str],
                                      monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    if "{lib}" in argv:
        argv = [str(dev_lib()) if a == "{lib}" else a for a in argv]
    monkeypatch.chdir(workspace)
    monkeypatch.delenv("SDKBUILD_ENGINE_LIB", raising=False)
    before = _files(workspace)
    code, err = _run_cli(argv, monkeypatch, capsys)
    assert code != 0, err
    lines = err.strip().splitlines()
    assert lines and lines[0].startswith("error: "), err
    assert len(lines) <= 2 and all(ln.startswith("  hint: ") for ln in lines[1:]), err
    for frag in fragments:
        assert frag in lines[0], f"{frag!r} not in {lines[0]!r}"
    assert "Traceback" not in err
    assert _files(workspace) == before, "the failed command left files behind"


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their mode")
def test_unreadable_sdk_toml(workspace: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                             capsys: pytest.CaptureFixture[str]) -> None:
    toml = tmp_path / "sdk.toml"
    toml.write_text(GOOD_TOML)
    toml.chmod(0)
    monkeypatch.chdir(tmp_path)  # found implicitly as ./sdk.toml, so Click's own check does not see it
    code, err = _run_cli(["build", "--print-ops"], monkeypatch, capsys)
    assert code == 1 and err.startswith("error: cannot read") and "Permission denied" in err, err
