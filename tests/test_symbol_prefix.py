"""Per-SDK symbol names (engine/tools/symbol_prefix.py, Meson option symbol_prefix).

Every symbol a prefixed engine defines carries the prefix (static archive: also the hidden
C++ ones, which collide in a static link); the shared library exports only the prefixed C
API; the public header declares exactly what the library exports and several SDKs' headers
compile in one translation unit; the Python runtime finds the prefix on its own."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from bindings_helpers import write_tiny_sdkm
from engine_helpers import meson_build
from hypothesis import given
from hypothesis import strategies as st

from sdkbuild import engine_sources, runtime

OPS = "-Dops=Gemm,Relu,Conv"


@pytest.fixture(scope="module")
def static_build(tmp_path_factory) -> Path:
    return meson_build(tmp_path_factory.mktemp("static") / "b", OPS, "-Ddefault_library=static",
                       "-Dsymbol_prefix=alphakit", "-Ddtypes=fp32")


@pytest.fixture(scope="module")
def shared_build(tmp_path_factory) -> Path:
    return meson_build(tmp_path_factory.mktemp("shared") / "b", OPS, "-Dsymbol_prefix=alphakit", "-Ddtypes=fp32",
                       "-Dlib_name=alphakit")


def _nm(*args: str) -> list[str]:
    return subprocess.run(["nm", *args], capture_output=True, text=True, check=True).stdout.splitlines()


@pytest.mark.slow
def test_every_symbol_of_the_static_archive_carries_the_prefix(static_build):
    defined = {line.split()[-1] for line in _nm("--defined-only", "-g", str(static_build / "libsdkengine.a"))
               if len(line.split()) == 3}
    assert defined and all("alphakit_sdk" in s for s in defined), sorted(s for s in defined if "alphakit_sdk" not in s)
    # the C++ namespace, the C API and the op definitions
    assert "alphakit_sdk_session_run" in defined and "alphakit_sdk_op_gemm" in defined
    assert any(s.startswith("_ZN12alphakit_sdk") for s in defined)
    undefined = {line.split()[-1] for line in _nm("-u", str(static_build / "libsdkengine.a")) if line.strip()}
    assert not [u for u in undefined if re.match(r"(sdk_|_ZN3sdk|_ZNK3sdk)", u)]


@pytest.mark.slow
def test_shared_library_exports_only_the_prefixed_c_api(shared_build):
    names = {line.split()[-1] for line in _nm("-D", "--defined-only", str(shared_build / "libalphakit.so"))}
    want = {f"alphakit_{fn}" for fn in engine_sources.api_functions()}
    assert names == want  # exactly engine.h's functions, each prefixed


@pytest.mark.slow
def test_public_header_declares_what_the_library_exports(shared_build, tmp_path):
    header = engine_sources.public_header("alphakit")
    # every function the header declares is exported, but the header's own inline wrappers
    inline = set(re.findall(r"static inline \w+\s+(alphakit_sdk_\w+)\s*\(", header))
    declared = set(re.findall(r"\b(alphakit_sdk_\w+)\s*\(", header)) - inline
    names = {line.split()[-1] for line in _nm("-D", "--defined-only", str(shared_build / "libalphakit.so"))}
    assert inline and declared == names
    assert not re.search(r"\b(sdk|SDK)_", re.sub(r"\b(alphakit_sdk|ALPHAKIT_SDK)_\w+", "", header))
    # two SDKs' headers in one translation unit, C and C++
    for name in ("alphakit", "betakit"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "engine.h").write_text(engine_sources.public_header(name))
    src = tmp_path / "both.c"
    src.write_text("#include <alphakit/engine.h>\n#include <betakit/engine.h>\n"
                   "int f(void) { alphakit_sdk_model *a = 0; betakit_sdk_model *b = 0;\n"
                   "  return (int)alphakit_sdk_model_input_count(a) + betakit_sdk_model_input_count(b)\n"
                   "    + ALPHAKIT_SDK_DTYPE_F32 + BETAKIT_SDK_ERR_IO + ALPHAKIT_SDK_MAX_RANK; }\n")
    for cc, std in (("cc", "-std=c99"), ("c++", "-std=c++17")):
        if shutil.which(cc) is None:
            continue
        lang = ["-x", "c++"] if cc == "c++" else []
        r = subprocess.run([cc, std, *lang, "-Wall", "-Wextra", "-Werror", "-pedantic", "-I", str(tmp_path),
                            "-fsyntax-only", str(src)], capture_output=True, text=True)
        assert r.returncode == 0, r.stderr


@pytest.mark.slow
def test_runtime_finds_the_prefix_and_runs(shared_build, tmp_path):
    model, onnx_model = write_tiny_sdkm(tmp_path / "tiny.sdkm")
    lib = shared_build / "libalphakit.so"
    assert runtime.symbol_prefix(lib) == "alphakit_"
    x = np.linspace(-1, 1, 6, dtype=np.float32).reshape(1, 6)
    with runtime.Engine(lib) as e, e.load(model) as m, m.session() as s:
        y = s.run({"x": x})["y"]
    import onnxruntime as ort

    want = ort.InferenceSession(onnx_model.SerializeToString(), providers=["CPUExecutionProvider"]).run(
        None, {"x": x})[0]
    np.testing.assert_allclose(y, want, rtol=1e-5, atol=1e-6)


@given(st.from_regex(r"[a-z][a-z0-9_]{0,20}", fullmatch=True))
def test_renaming_is_total_and_reversible(prefix):
    header = (engine_sources.paths.engine_dir() / "include/sdkengine/engine.h").read_text()
    renamed = engine_sources.rename_c_api(header, prefix)
    assert not re.search(r"(?<![\w])(sdk|SDK)_", renamed.replace(f"{prefix}_sdk_", "").replace(
        f"{prefix.upper()}_SDK_", ""))
    back = renamed.replace(f"{prefix}_sdk_", "sdk_").replace(f"{prefix.upper()}_SDK_", "SDK_")
    assert back == header


@pytest.mark.parametrize("bad", ["", "Alpha", "9kit", "a-kit", "a" * 49])
def test_bad_prefixes_are_refused(bad):
    tool = engine_sources._tool("symbol_prefix")
    with pytest.raises(ValueError, match="not a lower-case C identifier"):
        tool.check_prefix(bad)

