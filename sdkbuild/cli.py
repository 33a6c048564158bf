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


# ---- convert (sdkbuild/convert/)
def _convert_options(f):
    """--quantize/--calibration exist only when the int8 module (convert/quantize.py) does."""
    from pathlib import Path

    # a file check, not an import: keeps `sdkbuild --help` from loading onnx
    if (Path(__file__).parent / "convert" / "quantize.py").is_file():
        f = click.option("--calibration", type=click.Path(exists=True),
                         help="Calibration inputs: a .npy/.npz file or a folder of them.")(f)
        f = click.option("--quantize", type=click.Choice(["int8"]), help="Post-training quantization.")(f)
    return f


@cli.command("convert")
@click.argument("model", type=click.Path(dir_okay=False))
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Output .sdkm (default: MODEL with .sdkm).")
@click.option("--input-shape", "input_shape", multiple=True, metavar="NAME=D0,D1,...",
              help="Static shape for a model input with dynamic dimensions (repeatable); others default to 1.")
@_convert_options
def convert_cmd(model: str, output: str | None, input_shape: tuple[str, ...], **quant: str | None) -> None:
    """Convert an ONNX model (opsets 9-21) to the engine's .sdkm format."""
    from pathlib import Path

    from .convert import convert_file, parse_input_shape

    shapes = dict(parse_input_shape(s) for s in input_shape)
    out = output or str(Path(model).with_suffix(".sdkm"))
    report = convert_file(model, out, input_shapes=shapes, quantize=quant.get("quantize"),
                          calibration=quant.get("calibration"))
    click.echo(f"converted {model} (opset {report.opset}) -> {out}")
    for line in report.summary_lines():
        click.echo(f"  {line}")


# ---- run (sdkbuild/runtime.py)
@cli.command("run")
@click.argument("model", type=click.Path(dir_okay=False))
@click.option("-i", "--input", "inputs", multiple=True, metavar="NAME=FILE.npy",
              help="Input array (repeatable); a single-input model may take just FILE.npy.")
@click.option("-o", "--output", "output_dir", required=True, type=click.Path(file_okay=False),
              help="Folder for the outputs, written as <name>.npy.")
@click.option("--threads", default=1, show_default=True, type=int, help="Engine threads.")
@click.option("--engine-lib", type=click.Path(dir_okay=False), envvar="SDKBUILD_ENGINE_LIB",
              help="Host libsdkengine.so to use (default: build/find the host engine).")
def run_cmd(model: str, inputs: tuple[str, ...], output_dir: str, threads: int, engine_lib: str | None) -> None:
    """Run a .sdkm model on the host engine with inputs from .npy files."""
    from pathlib import Path

    from .runtime import run_model

    written = run_model(Path(model), inputs, Path(output_dir), threads, engine_lib)
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
        e.show()
        sys.exit(e.exit_code)
    except click.exceptions.Exit as e:
        sys.exit(e.exit_code)
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        sys.exit(130)


if __name__ == "__main__":
    main()
