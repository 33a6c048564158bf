#!/usr/bin/env bash
# The long fuzzing run of the engine (docs/fuzzing.md): libFuzzer with ASan + UBSan over
# load + session + run, all ops, fp32 + int8, the x86 kernels, seeded from real converted
# models (every op, the example models including MobileNetV2).
#
#   scripts/fuzz.sh [SECONDS] [JOBS]      # default: 3600 s, 1 job
#
# Findings land in fuzz-out/crashes/ (the run keeps going after each); the corpus grows in
# fuzz-out/corpus/ and is reused by the next run. CI runs a bounded version of the same
# target (tests/test_fuzz.py::test_bounded_fuzzing_run, 45 s).
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_TOTAL=${1:-3600}
JOBS=${2:-1}
OUT=fuzz-out
mkdir -p "$OUT/corpus" "$OUT/crashes" "$OUT/seeds"

[ -x .venv/bin/python ] || bash scripts/setup.sh
BUILD=$(.venv/bin/python - <<'EOF'
import sys
sys.path.insert(0, "tests")
from test_fuzz import BUILDS
from sdkbuild.runtime import build_dev_engine
# -O1 here (CI's bounded run builds -O0 to save compile time): about 4x the executions per second
opts = [o.replace("-Doptimization=0", "-Doptimization=1") for o in BUILDS["asan"]]
print(build_dev_engine(tests=True, meson_options=opts, cxx="clang++").parent)
EOF
)
echo "==> fuzz build: $BUILD"
.venv/bin/python tests/fuzz_seeds.py "$OUT/seeds" --large

export ASAN_OPTIONS=abort_on_error=1:detect_leaks=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
echo "==> fuzzing for ${SECONDS_TOTAL}s on $JOBS job(s); findings in $OUT/crashes/"
"$BUILD/tests/fuzz_load_run" "$OUT/corpus" "$OUT/seeds" tests/data/fuzz \
  -fork="$JOBS" -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1 \
  -max_total_time="$SECONDS_TOTAL" -timeout=30 -rss_limit_mb=2048 \
  -artifact_prefix="$OUT/crashes/" 2>&1 | tee "$OUT/fuzz.log" | grep -E "^#[0-9]+: |ERROR|runtime error|contract broken" || true

echo "==> replaying the corpus for the outcome counts (docs/hardening.md)"
"$BUILD/tests/fuzz_replay" "$OUT/corpus" | tee "$OUT/replay.json"
n=$(find "$OUT/crashes" -type f | wc -l)
if [ "$n" -gt 0 ]; then
  echo "==> $n finding(s) in $OUT/crashes/: reproduce with $BUILD/tests/fuzz_replay FILE, fix, then"
  echo "    python tests/fuzz_seeds.py --add-finding FILE NAME   (and its expected message in tests/test_hardening.py)"
  exit 1
fi
echo "==> no findings"
