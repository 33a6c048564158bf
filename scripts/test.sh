#!/usr/bin/env bash
# Sets up the machine (scripts/setup.sh) and runs the whole test suite: lint, unit tests and
# the slow end-to-end tests (real Conan/Meson/Ninja builds, cross compilers, qemu, the JVM).
# Extra arguments go to pytest, e.g. `scripts/test.sh -m "not slow"` for a quick loop.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
printf '\033[1m==> ruff\033[0m\n'
.venv/bin/ruff check sdkbuild tests bench examples
printf '\033[1m==> pytest\033[0m\n'
# loadgroup: tests marked with one xdist_group (they wait for one shared build) share a worker
exec .venv/bin/python -m pytest -n "${SDKBUILD_TEST_JOBS:-2}" --dist loadgroup --durations=30 "$@"
