"""The `sdkbuild` command line. Thin: each command parses arguments and calls one module."""

from __future__ import annotations

import sys

import click

from . import __version__
from .errors import SdkbuildError


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="sdkbuild")
def cli() -> None:
    """Build mobile ML SDKs (AAR, XCFramework) from ONNX models and the sdkbuild engine."""


# Commands are added below, one block per command, each delegating to its module.


# ---- init / build / test / doctor (sdkbuild/config.py, build.py, build_test.py, doctor.py)
@cli.command("init")
@click.argument("directory", default=".", type=click.Path(file_okay=False))
@click.option("--force", is_flag=True, help="Overwrite an existing sdk.toml.")
def init_cmd(directory: str, force: bool) -> None:
    """Write an annotated sdk.toml into DIRECTORY (default: here)."""
    from .config import init

    click.echo(f"wrote {init(directory, force=force)}")


_config_option = click.option("--config", "config_path", type=click.Path(), default=None,
                              help="The sdk.toml (default: ./sdk.toml).")


@cli.command("build")
@_config_option
@click.option("--target", "targets", multiple=True, help="Build only this target (repeatable).")
@click.option("--print-ops", is_flag=True, help="Print which op comes from which model, and exit.")
@click.option("--jobs", "-j", type=click.IntRange(min=1), default=None, help="Parallel compile jobs (default: cores).")
@click.option("--clean", is_flag=True, help="Delete the targets' build folders first.")
@click.option("--no-bindings", is_flag=True, help="C API only: do not compile the JNI glue into the libraries.")
def build_cmd(config_path: str | None, targets: tuple[str, ...], print_ops: bool, jobs: int | None,
              clean: bool, no_bindings: bool) -> None:
    """Convert the models and build the engine library for each target."""
    from .build import run_build
    from .config import load

    results = run_build(load(config_path), targets, jobs=jobs, clean=clean, print_ops=print_ops,
                        bindings=not no_bindings)
    if any(not r.ok for r in results):
        raise SdkbuildError(f"{sum(not r.ok for r in results)} of {len(results)} target(s) failed",
                            "see the log tail above")


@cli.command("test")
@_config_option
@click.option("--target", "targets", multiple=True, help="Test only this target (repeatable).")
@click.option("--jobs", "-j", type=click.IntRange(min=1), default=None, help="Parallel compile jobs (default: cores).")
def test_cmd(config_path: str | None, targets: tuple[str, ...], jobs: int | None) -> None:
    """Build the engine tests for each target and run them (under qemu for ARM stand-ins)."""
    from .build_test import run_tests
    from .config import load

    results = run_tests(load(config_path), targets, jobs=jobs)
    if any(not r.ok for r in results):
        raise SdkbuildError(f"engine tests failed for {', '.join(r.target for r in results if not r.ok)}",
                            "see the failing tests and log paths above")


@cli.command("doctor")
@_config_option
@click.option("--all", "all_targets", is_flag=True, help="Check every target, not only those in sdk.toml.")
def doctor_cmd(config_path: str | None, all_targets: bool) -> None:
    """Show the toolchain each target would use, or what is missing and how to install it."""
    from .doctor import run_doctor

    code = run_doctor(config_path, all_targets)
    if code:
        raise click.exceptions.Exit(code)


# ---- convert (sdkbuild/convert/)
@cli.command("convert")
@click.argument("model", type=click.Path(dir_okay=False))
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Output .sdkm (default: MODEL with .sdkm).")
@click.option("--input-shape", "input_shape", multiple=True, metavar="NAME=D0,D1,...",
              help="Static shape for a model input with dynamic dimensions (repeatable); others default to 1.")
@click.option("--quantize", type=click.Choice(["int8"]), help="Post-training quantization.")
@click.option("--calibration", type=click.Path(exists=True), help="Calibration inputs: a .npy/.npz file or a folder of them.")
@click.option("--calibration-method", type=click.Choice(["mse", "minmax", "percentile"]), default="mse",
              show_default=True, help="How activation ranges are chosen from the calibration data.")
def convert_cmd(model: str, output: str | None, input_shape: tuple[str, ...], quantize: str | None,
                calibration: str | None, calibration_method: str) -> None:
    """Convert an ONNX model (opsets 9-21) to the engine's .sdkm format."""
    from pathlib import Path

    from .convert import convert_file, parse_input_shape

    if calibration and not quantize:
        raise click.UsageError("--calibration is only used with --quantize int8")
    shapes = dict(parse_input_shape(s) for s in input_shape)
    out = output or str(Path(model).with_suffix(".sdkm"))
    report = convert_file(model, out, input_shapes=shapes, quantize=quantize, calibration=calibration,
                          calibration_method=calibration_method)
    click.echo(f"converted {model} (opset {report.opset}) -> {out}")
    for line in report.summary_lines():
        click.echo(f"  {line}")


# ---- bench (sdkbuild/bench.py)


@cli.command("bench")
@click.argument("models", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--calibration", type=click.Path(exists=True),
              help="Calibration inputs (.npy/.npz or a folder): also benchmark int8.")
@click.option("--threads", default="1,2", show_default=True, help="Comma-separated thread counts.")
@click.option("--runs", default=20, show_default=True, type=click.IntRange(min=10), help="Timed runs (median).")
@click.option("--warmup", default=3, show_default=True, type=click.IntRange(min=1), help="Warm-up runs.")
@click.option("--work", default="build/bench", show_default=True, type=click.Path(file_okay=False),
              help="Folder for converted models and the release engine build.")
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Also write the markdown table here.")
def bench_cmd(models: tuple[str, ...], calibration: str | None, threads: str, runs: int, warmup: int, work: str,
              output: str | None) -> None:
    """Engine vs onnxruntime on ONNX models: latency, peak RSS, output cosine (fp32, int8)."""
    import os
    from pathlib import Path

    from . import bench

    out_dir = Path(output or ".").resolve().parent
    if output and not (out_dir.is_dir() and os.access(out_dir, os.W_OK)):  # before minutes of measuring
        raise click.BadParameter(f"cannot write {output}: its folder does not exist or is not writable",
                                 param_hint="-o/--output")
    try:
        counts = [int(t) for t in threads.split(",") if t.strip()]
    except ValueError:
        raise click.BadParameter(f"{threads!r} is not a comma-separated list of ints", param_hint="--threads") from None
    text = bench.bench_files(models, calibration, Path(work), counts, runs, warmup,
                             progress=lambda r: click.echo(f"  {r['model']} {r['dtype']} {r['runtime']} "
                                                           f"x{r['threads']}: {r.get('median_ms', 0):.3f} ms",
                                                           err=True))
    if output:
        from .fileio import write_atomic

        write_atomic(output, text)
    click.echo(text)


# ---- run (sdkbuild/runtime.py)
@cli.command("run")
@click.argument("model", type=click.Path(dir_okay=False))
@click.option("-i", "--input", "inputs", multiple=True, metavar="NAME=FILE.npy",
              help="Input array (repeatable); a single-input model may take just FILE.npy.")
@click.option("-o", "--output", "output_dir", required=True, type=click.Path(file_okay=False),
              help="Folder for the outputs, written as <name>.npy.")
@click.option("--threads", default=1, show_default=True, type=int, help="Engine threads.")
@click.option("--dequantize", is_flag=True, help="Write int8 outputs as float32 (real values).")
@click.option("--engine-lib", type=click.Path(dir_okay=False), envvar="SDKBUILD_ENGINE_LIB",
              help="Host libsdkengine.so to use (default: build/find the host engine).")
def run_cmd(model: str, inputs: tuple[str, ...], output_dir: str, threads: int, dequantize: bool,
            engine_lib: str | None) -> None:
    """Run a .sdkm model on the host engine with inputs from .npy files."""
    from pathlib import Path

    from .runtime import run_model

    written = run_model(Path(model), inputs, Path(output_dir), threads, engine_lib, dequantize)
    for name, path in written.items():
        click.echo(f"{name} -> {path}")


# ---- inspect (sdkbuild/inspect.py)
@cli.command("inspect")
@click.argument("model", type=click.Path(dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.option("--engine-lib", type=click.Path(dir_okay=False), envvar="SDKBUILD_ENGINE_LIB",
              help="Host libsdkengine.so used for the memory figures.")
def inspect_cmd(model: str, as_json: bool, engine_lib: str | None) -> None:
    """Show a .sdkm model's ops, tensors, inputs/outputs, weights and memory plan."""
    from pathlib import Path

    from .inspect import inspect_cli

    inspect_cli(Path(model), as_json, engine_lib)


@cli.command("ops")
@click.option("--engine", is_flag=True, help="List the engine's ops (the .sdkm op set) instead of ONNX's.")
@click.option("--markdown", "as_markdown", is_flag=True, help="Print a markdown table.")
def ops_cmd(engine: bool, as_markdown: bool) -> None:
    """List the ONNX ops the converter supports, with their versions and constraints."""
    from .convert.oplist import print_ops

    print_ops(engine, as_markdown)


# ---- report size / report coverage (sdkbuild/report/)
@cli.group("report")
def report_group() -> None:
    """Size, regression, hardening and device-coverage reports into dist/reports/."""


def _report_dirs(f):
    """The options every report shares: where sdk.toml, build/, dist/ and the output are."""
    for opt in reversed([
        click.option("--config", "config_path", type=click.Path(), default=None,
                     help="sdk.toml (default: ./sdk.toml, optional)."),
        click.option("--build-dir", type=click.Path(file_okay=False), default=None,
                     help="Build dir (default: build/ next to sdk.toml)."),
        click.option("--dist", type=click.Path(file_okay=False), default=None,
                     help="dist/ with the AAR/XCFramework (default: dist/ next to sdk.toml)."),
        click.option("--out", type=click.Path(file_okay=False), default=None, help="Output dir (default: <dist>/reports)."),
    ]):
        f = opt(f)
    return f


@report_group.command("size")
@_report_dirs
@click.option("--baseline", type=click.Path(), default=None, help="Earlier size.json, or a dist/ holding reports/size.json.")
def report_size_cmd(config_path: str | None, build_dir: str | None, dist: str | None, baseline: str | None,
                    out: str | None) -> None:
    """Sizes per target/section/op/symbol, budgets vs a baseline (exit 1 when exceeded), hardening."""
    from .report.commands import size_command

    r = size_command(config_path, build_dir, dist, baseline, out)
    click.echo(f"size: {len(r['targets'])} targets, shipped total {r['total']:,} B; budgets met; reports in {r['_out']}")


@report_group.command("coverage")
@_report_dirs
@click.option("--devices", type=click.Path(dir_okay=False), default=None,
              help="Device CSV: Play Console device catalog export, or model,abis,api_level,share.")
def report_coverage_cmd(config_path: str | None, build_dir: str | None, devices: str | None, dist: str | None,
                        out: str | None) -> None:
    """Device-coverage matrix (ABIs x Android API levels, iOS versions) with the uncovered slices and why."""
    from .report.commands import coverage_command

    r = coverage_command(config_path, build_dir, devices, dist, out)
    click.echo(f"coverage: Android {r['android']['covered']:.1f}%, iOS {r['ios']['covered']:.1f}%; reports in {r['_out']}")


# ---- bindings / package (sdkbuild/bindings.py, sdkbuild/package/)
@cli.command("bindings")
@_config_option
@click.option("-o", "--output", type=click.Path(file_okay=False), default=None,
              help="Output folder (default: build/bindings next to sdk.toml).")
@click.option("--language", "languages", multiple=True, type=click.Choice(["jni", "java", "objc"]),
              help="Render only this language (repeatable; default: all).")
def bindings_cmd(config_path: str | None, output: str | None, languages: tuple[str, ...]) -> None:
    """Render the JNI glue, Java API and Objective-C API from bindings/api.toml."""
    from .bindings import render
    from .config import load

    cfg = load(config_path)
    files = render(cfg, output or cfg.build_dir / "bindings", languages or ("jni", "java", "objc"))
    click.echo(f"wrote {len(files)} files into {output or cfg.build_dir / 'bindings'}")


@cli.command("package")
@_config_option
@click.option("--dist", "dist_dir", type=click.Path(file_okay=False), default=None,
              help="Output folder (default: dist/ next to sdk.toml).")
@click.option("--target", "targets", multiple=True, help="Package only this target (repeatable; default: every android-/ios- target in sdk.toml).")
@click.option("--swiftpm-url", default=None, metavar="BASE_URL",
              help="Where the XCFramework zip will be uploaded: Package.swift gets a url + checksum binaryTarget.")
@click.option("--no-prefab", is_flag=True, help="Leave the Prefab (C/C++ consumer) folder out of the AAR.")
def package_cmd(config_path: str | None, dist_dir: str | None, targets: tuple[str, ...], swiftpm_url: str | None,
                no_prefab: bool) -> None:
    """Write the AAR + POM, XCFramework + zip + Package.swift and models into dist/ (reproducibly)."""
    from .config import load
    from .package.dist import package

    r = package(load(config_path), dist=dist_dir, swiftpm_url=swiftpm_url, prefab=not no_prefab,
                targets=list(targets) or None)
    for name, digest in r.sums().items():
        if "/" not in name or name.startswith("models/"):
            click.echo(f"{digest[:16]}  {r.dist / name}")


def main() -> None:
    try:
        cli.main(standalone_mode=False)
    except SdkbuildError as e:
        click.secho(f"error: {e.message}", fg="red", err=True)
        if e.hint:
            click.echo(f"  hint: {e.hint}", err=True)
        sys.exit(e.exit_code)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        sys.exit(130)
    except click.ClickException as e:
        # the same one-line `error:` + hint as SdkbuildError, instead of Click's usage block
        click.secho(f"error: {e.format_message()}", fg="red", err=True)
        ctx = getattr(e, "ctx", None)
        if ctx is not None:
            click.echo(f"  hint: see `{ctx.command_path} --help`", err=True)
        sys.exit(e.exit_code)
    except click.exceptions.Exit as e:
        sys.exit(e.exit_code)
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        sys.exit(130)
    except OSError as e:
        # environment trouble no stage worded itself, e.g. an output folder that cannot be created
        click.secho(f"error: {e.strerror or e}" + (f": {e.filename}" if e.filename else ""), fg="red", err=True)
        click.echo("  hint: check that the path exists and is writable", err=True)
        sys.exit(1)


if __name__ == "__main__":
    main()
