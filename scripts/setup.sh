#!/usr/bin/env bash
# Sets up everything sdkbuild needs on a Debian/Ubuntu machine, idempotently:
# system packages (cross compilers, qemu, clang/lld/llvm, a JDK, Chromium for the report
# screenshot test) and a Python virtual environment in .venv/ with sdkbuild installed.
# Re-running it is cheap: it installs only what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }

APT_PACKAGES=(
  g++ g++-aarch64-linux-gnu g++-arm-linux-gnueabihf g++-i686-linux-gnu
  qemu-user clang libclang-rt-dev lld llvm ccache openjdk-17-jdk-headless chromium proguard-cli file
  # tests/test_maven.py resolves dist/maven offline; Maven's compiler plugin and what it needs
  # come from Debian's /usr/share/maven-repo (Maven Central is not reachable everywhere)
  maven libmaven-compiler-plugin-java junit5
)
# The android-x86 stand-ins (i686) run natively on an x86_64 machine: their test programs need
# the i386 loader /lib/ld-linux.so.2 with libc/libm (libc6-i386), libstdc++ and libgcc_s.
if [ "$(dpkg --print-architecture 2>/dev/null || true)" = amd64 ]; then
  APT_PACKAGES+=(libc6-i386 lib32stdc++6 lib32gcc-s1)
fi
PY=${PYTHON:-python3}
# A fresh Debian has no Python, or one without venv/ensurepip (Debian splits them out).
if ! command -v "$PY" >/dev/null 2>&1; then
  [ -z "${PYTHON:-}" ] && APT_PACKAGES+=(python3 python3-venv)
elif ! "$PY" -c 'import ensurepip, venv' >/dev/null 2>&1 && [ "$(command -v "$PY")" = /usr/bin/python3 ]; then
  APT_PACKAGES+=(python3-venv)
fi

missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# A JDK that is already on PATH (any vendor) is as good as Debian's.
if command -v javac >/dev/null 2>&1; then
  missing=("${missing[@]/openjdk-17-jdk-headless}")
fi
missing=($(printf '%s\n' "${missing[@]}" | grep -v '^$' || true))

if ((${#missing[@]})); then
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "error: missing system packages: ${missing[*]}" >&2
    echo "  this script installs them with apt-get (Debian/Ubuntu); install the equivalents by hand" >&2
    exit 1
  fi
  SUDO=""
  if [ "$(id -u)" != 0 ]; then
    if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
      echo "error: missing system packages: ${missing[*]}" >&2
      echo "  run as root: apt-get update && apt-get install -y ${missing[*]}" >&2
      exit 1
    fi
  fi
  say "installing system packages: ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if ! "$PY" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
  echo "error: sdkbuild needs Python >= 3.11 (found: $("$PY" --version 2>&1))" >&2
  echo "  install it (e.g. apt-get install python3.11 python3.11-venv) or set PYTHON=/path/to/python3.11" >&2
  exit 1
fi
if [ ! -x .venv/bin/python ]; then
  say "creating .venv"
  "$PY" -m venv .venv
fi
# Reinstall only when the project's dependencies changed.
stamp=.venv/.sdkbuild-installed
want=$(sha256sum pyproject.toml | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  say "installing sdkbuild and its test dependencies into .venv"
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -e '.[test]'
  echo "$want" > "$stamp"
fi
say "setup complete"
