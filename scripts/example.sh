#!/usr/bin/env bash
# Sets up the machine (scripts/setup.sh), then builds the bundled example SDK for every
# target in examples/sdk.toml, packages the AAR and XCFramework and writes the size and
# device-coverage reports into examples/dist/.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export PATH="$PWD/.venv/bin:$PATH"
cd examples
sdkbuild doctor
sdkbuild build
sdkbuild package
sdkbuild report size
sdkbuild report coverage
printf '\n\033[1m==> done:\033[0m SDK artifacts and reports in %s\n' "$PWD/dist"
ls -la dist dist/reports
