"""The `sdkbuild` command line. Thin: each command parses arguments and calls one module."""

from __future__ import annotations

import sys
from pathlib import Path

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
    from . import locks, procs
    from .build_test import run_tests
    from .config import load

    cfg = load(config_path)
    with procs.interruptible(), locks.project_lock(cfg.build_dir, "sdkbuild test"):
        results = run_tests(cfg, targets, jobs=jobs)
    if any(not r.ok for r in results):
        raise SdkbuildError(f"engine tests failed for {', '.join(r.target for r in results if not r.ok)}",
                            "see the failing tests and log paths above")


@cli.command("doctor")
@_config_option
@click.option("--all", "all_targets", is_flag=True, help="Check every target, not only those in sdk.toml.")
def doctor_cmd(config_path: str | None, all_targets: bool) -> None:
    """Show the toolchain each target would use, or what is missing and how to install it.

    Exit status: 0 when every target of sdk.toml can be built here (stand-in toolchains
    included) and the tools every build needs are present; 1 otherwise."""
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
@click.option("--prune", type=click.FloatRange(0.0, 0.99), default=0.0, metavar="FRACTION",
              help="Set this fraction of the dense layers' weights to zero (smallest first), refitting the rest "
              "on the calibration data.")
@click.option("--prune-channels", type=click.FloatRange(0.0, 0.9), default=0.0, metavar="FRACTION",
              help="Remove this fraction of the channels of conv chains (a conv read through depthwise convs and "
              "per-channel ops by one conv): smaller and faster layers; the reading convs are refit on the "
              "calibration data.")
@click.option("--weight-bits", type=click.Choice(["8", "4", "3", "2"]), default="8", show_default=True,
              help="Weight precision of the dense layers in an int8 model (fewer bits code smaller).")
@click.option("--compress", "code", is_flag=True, help="Store the constants entropy-coded (decoded once at load).")
@click.option("--strip-names", is_flag=True, help="Short ids for internal tensor and node names (inputs and "
              "outputs keep theirs).")
@click.option("--encrypt", is_flag=True, help="Encrypt the file (AES-256-GCM) with the key in $SDKBUILD_MODEL_KEY.")
@click.option("--key-file", type=click.Path(dir_okay=False, exists=True),
              help="Encrypt with the key in this file (see `sdkbuild keygen`).")
def convert_cmd(model: str, output: str | None, input_shape: tuple[str, ...], quantize: str | None,
                calibration: str | None, calibration_method: str, prune: float, prune_channels: float, weight_bits: str,
                code: bool, strip_names: bool, encrypt: bool, key_file: str | None) -> None:
    """Convert an ONNX model to the engine's .sdkm format."""
    from pathlib import Path

    from .convert import Compression, convert_file, parse_input_shape

    if calibration and not (quantize or prune or prune_channels):
        raise click.UsageError("--calibration is only used with --quantize int8, --prune or --prune-channels")
    shapes = dict(parse_input_shape(s) for s in input_shape)
    out = output or str(Path(model).with_suffix(".sdkm"))
    compression = Compression(prune=prune, weight_bits=int(weight_bits), code=code, strip_names=strip_names,
                              channels=prune_channels)
    key = None
    if encrypt or key_file:
        from .protect import load_key

        key = load_key(key_file)
    report = convert_file(model, out, input_shapes=shapes, quantize=quantize, calibration=calibration,
                          calibration_method=calibration_method, compression=compression, encrypt_key=key)
    click.echo(f"converted {model} (opset {report.opset}) -> {out}")
    for line in report.summary_lines():
        click.echo(f"  {line}")


@cli.command("keygen")
@click.option("-o", "--output", type=click.Path(dir_okay=False), default=None,
              help="Write the key to this file (mode 0600) instead of printing it.")
def keygen_cmd(output: str | None) -> None:
    """Make a random AES-256 model key (64 hex digits) for encrypted models."""
    from .protect import new_key

    key = new_key()
    if output is None:
        click.echo(key)
        return
    import os

    fd = os.open(output, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(key + "\n")
    click.echo(f"wrote a new model key to {output}: keep it out of version control and out of the app's files")


@cli.command("tune")
@click.argument("model", type=click.Path(dir_okay=False))
@click.option("--calibration", type=click.Path(exists=True),
              help="Calibration inputs (a .npy/.npz file or a folder of them); without it only fp32 is tried.")
@click.option("--eval", "eval_data", required=True, type=click.Path(exists=True),
              help="Evaluation inputs, kept apart from the calibration data; an .npz with a `labels` array "
              "gives accuracy, else agreement with the fp32 model.")
@click.option("--max-accuracy-drop", type=click.FloatRange(0.0, 100.0), default=1.0, show_default=True,
              help="Largest accepted drop in accuracy (or agreement), in percentage points.")
@click.option("--target", default="android-arm64-v8a", show_default=True,
              help="Target whose engine library bytes are counted.")
@click.option("--input-shape", "input_shape", multiple=True, metavar="NAME=D0,D1,...",
              help="Static shape for a model input with dynamic dimensions (repeatable).")
@click.option("--threads", default=1, show_default=True, type=click.IntRange(min=1), help="Engine threads.")
@click.option("--runs", default=10, show_default=True, type=click.IntRange(min=1), help="Timed runs per candidate.")
@click.option("--no-library", is_flag=True, help="Do not build the engine per candidate (library bytes not shown).")
@click.option("--prune-levels", default="0.3,0.5,0.7,0.8", show_default=True, metavar="F,F,...",
              help="Pruning fractions to try (besides none).")
@click.option("--weight-bits", "bits", default="8,4,3", show_default=True, metavar="B,B,...",
              help="Weight widths to try for int8 candidates (8, 4, 3, 2).")
@click.option("--channel-levels", default="", metavar="F,F,...",
              help="Fractions of conv-chain channels to remove (structured pruning), e.g. 0.25 (none by default).")
@click.option("--write", "write_config", type=click.Path(dir_okay=False), default=None, metavar="SDK_TOML",
              help="Record the chosen configuration in this sdk.toml's [models.<stem>] table.")
def tune_cmd(model: str, calibration: str | None, eval_data: str, max_accuracy_drop: float, target: str,
             input_shape: tuple[str, ...], threads: int, runs: int, no_library: bool, prune_levels: str, bits: str,
             channel_levels: str, write_config: str | None) -> None:
    """Find the smallest model (dtype x pruning x weight bits x coding) within an accuracy budget."""
    from pathlib import Path

    from rich.console import Console
    from rich.table import Table

    from .convert import parse_input_shape
    from .targets import TARGETS
    from .tune import run_tune, table_rows, write_choice

    if target not in TARGETS:
        raise click.BadParameter(f"unknown target {target!r}; one of: {', '.join(TARGETS)}", param_hint="--target")
    shapes = dict(parse_input_shape(s) for s in input_shape)
    cal = Path(calibration) if calibration else None
    try:
        levels = [float(v) for v in prune_levels.split(",") if v.strip()]
        widths = [int(v) for v in bits.split(",") if v.strip()]
        channels = [float(v) for v in channel_levels.split(",") if v.strip()]
    except ValueError:
        raise click.BadParameter("give comma-separated numbers, e.g. 0.5,0.8 and 8,4") from None
    if any(not 0 <= v < 1 for v in levels):
        raise click.BadParameter(f"{prune_levels}: fractions must be in [0, 1)", param_hint="--prune-levels")
    if any(not 0 <= v <= 0.9 for v in channels):
        raise click.BadParameter(f"{channel_levels}: fractions must be in [0, 0.9]", param_hint="--channel-levels")
    if any(b not in (8, 4, 3, 2) for b in widths) or not widths:
        raise click.BadParameter(f"{bits}: widths are 8, 4, 3 or 2", param_hint="--weight-bits")
    rows, chosen = run_tune(Path(model), cal, Path(eval_data), max_drop=max_accuracy_drop, target=target,
                            input_shapes=shapes, threads=threads, runs=runs, library=not no_library,
                            prune_levels=levels, weight_bits=widths, channel_levels=channels)
    labelled = Path(eval_data).suffix == ".npz"
    t = Table("candidate", "model B", "library B", "total B", "ms", "load ms",
              "acc %" if labelled else "agree %", "drop", "cosine", "",
              title=f"sdkbuild tune {Path(model).name}: library = engine for {target}; drop in points vs fp32; "
              "coded candidates also strip names")
    for row in table_rows(rows, chosen, labelled):
        t.add_row(*row)
    con = Console()
    con.print(t)
    if chosen is None:
        raise SdkbuildError(f"no candidate stays within a drop of {max_accuracy_drop} points",
                            hint="raise --max-accuracy-drop or give more calibration data")
    onnx_bytes = Path(model).stat().st_size
    con.print(f"chosen: [bold]{chosen.candidate.label()}[/bold]: {chosen.model_bytes:,} model bytes "
              f"({onnx_bytes / max(chosen.model_bytes, 1):.1f}x smaller than the ONNX file), "
              f"drop {chosen.drop:+.2f} points, cosine {chosen.cosine:.4f}")
    if write_config:
        write_choice(Path(write_config), Path(model).stem, chosen, cal)
        con.print(f"wrote [models.{Path(model).stem}] to {write_config}")


# ---- bench (sdkbuild/bench.py)


@cli.command("bench")
@click.argument("models", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--calibration", type=click.Path(exists=True),
              help="Calibration inputs (.npy/.npz or a folder): also benchmark int8.")
@click.option("--threads", default="1,2", show_default=True, help="Comma-separated thread counts.")
@click.option("--runs", default=20, show_default=True, type=click.IntRange(min=10), help="Timed runs (median).")
@click.option("--warmup", default=3, show_default=True, type=click.IntRange(min=1), help="Warm-up runs.")
@click.option("--work", default="build/bench", show_default=True, type=click.Path(file_okay=False),
              help="Folder for converted models and the engine build (minsize, as SDKs ship).")
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
    def show(r: dict) -> None:
        what = (f"error: {r['error']}" if "error" in r
                else f"{r.get('median_ms', r.get('load_ms', 0)):.3f} ms")
        click.echo(f"  {r['model']} {r['dtype']} {r['runtime']} x{r['threads']}: {what}", err=True)

    text = bench.bench_files(models, calibration, Path(work), counts, runs, warmup, progress=show)
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
@click.option("--key-file", type=click.Path(dir_okay=False, exists=True),
              help="Key of an encrypted model (else $SDKBUILD_MODEL_KEY is used when the model is encrypted).")
def run_cmd(model: str, inputs: tuple[str, ...], output_dir: str, threads: int, dequantize: bool,
            engine_lib: str | None, key_file: str | None) -> None:
    """Run a .sdkm model on the host engine with inputs from .npy files."""
    from pathlib import Path

    from .protect import is_encrypted, load_key
    from .runtime import run_model

    key = None
    p = Path(model)
    if key_file or (p.is_file() and is_encrypted(p.read_bytes()[:4])):
        key = load_key(key_file)
    written = run_model(p, inputs, Path(output_dir), threads, engine_lib, dequantize, key)
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
    budgets = "budgets met" if r["comparison"]["budgets_set"] else "no budgets set"
    largest = (f"largest per device {r['total']:,} B, download ~{r['per_device_largest_estimate']:,} B (estimate)"
               if r.get("per_device") else "no device builds")
    click.echo(f"size: {len(r['targets'])} targets, {largest}; {budgets}; reports in {r['_out']}")


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
@click.option("--from", "from_dirs", multiple=True, type=click.Path(file_okay=False), metavar="DIR",
              help="Build folders from other machines (DIR/<target>/ + DIR/models/, or folders of them; "
                   "repeatable): checked to match each other and this checkout, then collected into build/.")
def package_cmd(config_path: str | None, dist_dir: str | None, targets: tuple[str, ...], swiftpm_url: str | None,
                no_prefab: bool, from_dirs: tuple[str, ...]) -> None:
    """Write the AAR + POM, XCFramework + zip + Package.swift and models into dist/ (reproducibly)."""
    from .config import load
    from .package.dist import package

    r = package(load(config_path), dist=dist_dir, swiftpm_url=swiftpm_url, prefab=not no_prefab,
                targets=list(targets) or None, from_dirs=[Path(d) for d in from_dirs] or None,
                say=lambda m: click.echo(m, err=True))
    for name, digest in r.sums().items():
        if "/" not in name or name.startswith("models/"):
            click.echo(f"{digest[:16]}  {r.dist / name}")


def main() -> None:
    try:
        # Without standalone mode Click returns a command's exit code (click.exceptions.Exit,
        # e.g. `doctor` finding unbuildable targets) instead of exiting with it
        rv = cli.main(standalone_mode=False)
        if isinstance(rv, int) and rv:
            sys.exit(rv)
    except SdkbuildError as e:
        click.secho(f"error: {e.message}", fg="red", err=True)
        if e.hint:
            click.echo(f"  hint: {e.hint}", err=True)
        sys.exit(e.exit_code)
    except (KeyboardInterrupt, click.exceptions.Abort):  # Click turns Ctrl-C into Abort
        _interrupted()
    except click.ClickException as e:
        # the same one-line `error:` + hint as SdkbuildError, instead of Click's usage block
        click.secho(f"error: {e.format_message()}", fg="red", err=True)
        ctx = getattr(e, "ctx", None)
        if ctx is not None:
            click.echo(f"  hint: see `{ctx.command_path} --help`", err=True)
        sys.exit(e.exit_code)
    except click.exceptions.Exit as e:
        sys.exit(e.exit_code)
    except OSError as e:
        # environment trouble no stage worded itself, e.g. an output folder that cannot be created
        click.secho(f"error: {e.strerror or e}" + (f": {e.filename}" if e.filename else ""), fg="red", err=True)
        click.echo("  hint: check that the path exists and is writable", err=True)
        sys.exit(1)


def _interrupted() -> None:
    """Ctrl-C / SIGTERM: stop every tool tree, then exit 130 at once (within 2 s in all), not
    after worker threads finish whatever in-process step they are in."""
    import os
    import threading
    import time

    from . import procs

    procs.stop_all()
    click.echo("interrupted", err=True)
    deadline = time.monotonic() + 0.3
    for t in threading.enumerate():
        if t is not threading.current_thread() and not t.daemon:
            t.join(max(0.0, deadline - time.monotonic()))
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(130)


if __name__ == "__main__":
    main()
