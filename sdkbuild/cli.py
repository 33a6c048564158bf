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
