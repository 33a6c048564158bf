#!/usr/bin/env bash
# Proves that the README's two commands pass on a fresh Debian machine with nothing installed
# by hand: builds a minimal Debian with debootstrap (from the Debian mirror this machine's apt
# uses), clones this repository's HEAD into it, and runs, in a chroot with /proc, /sys, /dev,
# /dev/pts and /dev/shm mounted,
#     scripts/example.sh && scripts/test.sh
# as root with an empty HOME (no caches, no venv, no Debian packages beyond debootstrap's
# minbase). Everything those commands need must come from scripts/setup.sh.
#
# Run before each release (it is not part of every CI run: it downloads ~1.5 GB of Debian and
# Python packages and runs the whole suite cold, about an hour on 2 cores). Needs root.
#
#   scripts/fresh-root-check.sh [--keep] [--dir DIR] [--suite SUITE] [--mirror URL] [-- PYTEST ARGS]
#
#   --keep        keep the root folder afterwards (default: removed)
#   --dir DIR     where to build the root (default: a new folder under /var/tmp)
#   --suite S     Debian suite (default: this machine's VERSION_CODENAME, e.g. bookworm)
#   --mirror URL  Debian mirror (default: the first deb.debian.org-style URI in /etc/apt/sources.list*)
#   -- ARGS       extra arguments for scripts/test.sh (pytest), e.g. -- -m "not slow"
#
# The machine's network settings (proxy variables, its CA bundle) are carried in; nothing else is.
# The summary (phases, durations, test counts, skips) is printed at the end and written to
# <dir>/fresh-root-result.txt (copied to ./fresh-root-result.txt). Exit 0 only when both
# commands passed and no test was skipped for a missing tool.
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$PWD

keep=0 dir="" suite="" mirror=""
while (($#)); do
  case "$1" in
    --keep) keep=1 ;;
    --dir) dir=$2; shift ;;
    --suite) suite=$2; shift ;;
    --mirror) mirror=$2; shift ;;
    --) shift; break ;;
    -h|--help) sed -n '2,27p' "$0"; exit 0 ;;
    *) echo "error: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done
test_args=("$@")

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }
die() { echo "error: $*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || die "needs root (debootstrap, chroot and mounts); run it with sudo"
command -v git >/dev/null || die "git is needed to clone the repository"
git -C "$REPO" rev-parse HEAD >/dev/null 2>&1 || die "$REPO is not a git checkout"
if ! git -C "$REPO" diff --quiet HEAD -- 2>/dev/null; then
  echo "warning: uncommitted changes are NOT part of the check (it clones HEAD)" >&2
fi

if [ -z "$suite" ]; then
  suite=$(. /etc/os-release && echo "${VERSION_CODENAME:-bookworm}")
fi
if [ -z "$mirror" ]; then
  # deb822 (URIs:) or one-line (deb URL suite ...) sources; the first Debian archive (not -security)
  mirror=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources 2>/dev/null |
    grep -oE '(URIs:[[:space:]]*|^deb[[:space:]]+(\[[^]]*\][[:space:]]+)?)https?://[^[:space:]]+' |
    grep -oE 'https?://[^[:space:]]+' | grep -v -- '-security' | grep -E '/debian/?$' | head -n1 || true)
  mirror=${mirror:-http://deb.debian.org/debian}
fi
security=${mirror%/debian}/debian-security
security=${security%/}

if ! command -v debootstrap >/dev/null; then
  say "installing debootstrap on this machine"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends debootstrap >/dev/null
fi

dir=${dir:-$(mktemp -d /var/tmp/sdkbuild-fresh-root.XXXXXX)}
mkdir -p "$dir"
root=$dir/root
result=$dir/fresh-root-result.txt
log=$dir/fresh-root.log
: > "$log"

mounted=()
cleanup() {
  local rc=$?
  # processes still running inside the root (e.g. a daemon a test left) hold the mounts
  for p in /proc/[0-9]*; do
    if [ "$(readlink "$p/root" 2>/dev/null)" = "$root" ]; then kill -9 "${p#/proc/}" 2>/dev/null || true; fi
  done
  for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do
    umount "${mounted[i]}" 2>/dev/null || umount -l "${mounted[i]}" 2>/dev/null || true
  done
  if ((keep)); then
    echo "kept the root in $root"
  elif [ -d "$root" ]; then
    # never follow into a mount that failed to come off
    if findmnt -rn -o TARGET | grep -q "^$root"; then
      echo "warning: mounts under $root remain; not removing it" >&2
    else
      rm -rf "$root"
    fi
  fi
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

mnt() {  # mnt TYPE SOURCE TARGET [OPTIONS]
  mkdir -p "$3"
  mount -t "$1" ${4:+-o "$4"} "$2" "$3"
  mounted+=("$3")
}

t_start=$(date +%s)
commit=$(git -C "$REPO" rev-parse --short HEAD)  # what is cloned (HEAD may move during the run)
subject=$(git -C "$REPO" log -1 --format=%s | cut -c1-70)
phase_names=() phase_secs=() phase_rc=()
phase() {  # phase NAME CMD...: run, log, time
  local name=$1 t0 rc
  shift
  say "$name"
  t0=$(date +%s)
  set +e
  "$@" 2>&1 | tee -a "$log"
  rc=${PIPESTATUS[0]}
  set -e
  phase_names+=("$name") phase_secs+=($(($(date +%s) - t0))) phase_rc+=("$rc")
  return "$rc"
}

# The machine's network settings come along, nothing else: proxy variables, and its CA bundle
# when it has one (a network that inspects TLS needs it for pip), as a file of its own.
net_env=()
for v in http_proxy https_proxy no_proxy HTTP_PROXY HTTPS_PROXY NO_PROXY; do
  [ -n "${!v:-}" ] && net_env+=("$v=${!v}")
done
host_ca=/etc/ssl/certs/ca-certificates.crt
if [ -f "$host_ca" ]; then
  net_env+=(PIP_CERT=/usr/local/share/host-network/ca.crt SSL_CERT_FILE=/usr/local/share/host-network/ca.crt
            REQUESTS_CA_BUNDLE=/usr/local/share/host-network/ca.crt)
fi

inside() {  # run a command in the chroot as a fresh login: empty environment, HOME=/root
  chroot "$root" /usr/bin/env -i HOME=/root TERM=dumb LANG=C.UTF-8 CI=true "${net_env[@]}" \
    PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin "$@"
}

summary() {
  local rc=$1
  {
    echo "fresh-root check of $commit ($subject)"
    echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ); Debian $suite from $mirror; $(nproc) cores"
    for i in "${!phase_names[@]}"; do
      printf '  %-34s %6ss  exit %s\n' "${phase_names[i]}" "${phase_secs[i]}" "${phase_rc[i]}"
    done
    echo "total: $(($(date +%s) - t_start))s"
    grep -E '^(=+ )?[0-9]+ (passed|failed)|^=+ .*(passed|failed).* =+$' "$log" | tail -n 1 || true
    local skips
    skips=$(grep -E '^SKIPPED' "$log" || true)
    echo "skipped tests: $(printf '%s' "$skips" | grep -c . || true)"
    [ -n "$skips" ] && printf '%s\n' "$skips" | sed 's/^/  /'
    echo "result: $([ "$rc" = 0 ] && echo PASS || echo FAIL)"
  } | tee "$result"
  cp "$result" "$REPO/fresh-root-result.txt" 2>/dev/null || true
}

rc=0
phase "debootstrap $suite (minbase)" \
  debootstrap --variant=minbase "$suite" "$root" "$mirror" || rc=$?
if [ "$rc" = 0 ]; then
  cat > "$root/etc/apt/sources.list" <<EOF
deb $mirror $suite main
deb $mirror $suite-updates main
deb $security $suite-security main
EOF
  cp /etc/resolv.conf "$root/etc/resolv.conf"
  if [ -f "$host_ca" ]; then
    mkdir -p "$root/usr/local/share/host-network"
    cp "$host_ca" "$root/usr/local/share/host-network/ca.crt"
  fi
  mnt proc proc "$root/proc"
  mnt sysfs sysfs "$root/sys"
  # a /dev of its own (not a bind of the host's, whose mounts could propagate back)
  mnt tmpfs tmpfs "$root/dev" "mode=755"
  for node in "null c 1 3" "zero c 1 5" "full c 1 7" "random c 1 8" "urandom c 1 9" "tty c 5 0"; do
    set -- $node
    mknod -m 666 "$root/dev/$1" "$2" "$3" "$4"
  done
  ln -s /proc/self/fd "$root/dev/fd"
  ln -s /proc/self/fd/0 "$root/dev/stdin"
  ln -s /proc/self/fd/1 "$root/dev/stdout"
  ln -s /proc/self/fd/2 "$root/dev/stderr"
  mnt devpts devpts "$root/dev/pts" "newinstance,ptmxmode=0666"
  ln -s pts/ptmx "$root/dev/ptmx"
  mnt tmpfs tmpfs "$root/dev/shm" "mode=1777"
  phase "clone $commit into the root" git clone -q --no-local "$REPO" "$root/work/sdkbuild" || rc=$?
  [ "$rc" = 0 ] && { git -C "$root/work/sdkbuild" checkout -q "$commit" || rc=$?; }
fi
# The README's two commands, exactly as a user types them in a fresh clone.
[ "$rc" = 0 ] && { phase "scripts/example.sh" inside bash -c 'cd /work/sdkbuild && bash scripts/example.sh' || rc=$?; }
[ "$rc" = 0 ] && {
  phase "scripts/test.sh ${test_args[*]}" inside bash -c 'cd /work/sdkbuild && bash scripts/test.sh "$@"' _ "${test_args[@]}" || rc=$?
}
if [ "$rc" = 0 ] && grep -qE '^SKIPPED.*(not installed|not found|missing|needs )' "$log"; then
  echo "error: tests were skipped for a missing tool (see the summary): setup.sh does not install it" | tee -a "$log"
  rc=1
fi
summary "$rc"
exit "$rc"
