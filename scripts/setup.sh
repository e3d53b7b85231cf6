#!/usr/bin/env bash
# Shared set-up for scripts/demo.sh and scripts/test.sh: installs whatever is missing, idempotently.
#   scripts/setup.sh [--test]
# - system packages (ffmpeg; espeak-ng and chromium with --test; a C/C++ compiler and python3-venv when missing):
#   installed with apt-get when run as root on Debian/Ubuntu, otherwise named with the fix;
# - a virtualenv at .venv (or $YTLOCAL_VENV) with ytlocal installed in editable mode;
#   skipped on a second run unless pyproject.toml changed (pip keeps the built llama-cpp-python wheel).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${YTLOCAL_VENV:-$ROOT/.venv}"
WANT_TEST=0
[ "${1:-}" = "--test" ] && WANT_TEST=1

say() { printf '[setup] %s\n' "$*" >&2; }

# ---------------------------------------------------------------- system packages
missing_pkgs=()
command -v ffmpeg >/dev/null 2>&1 || missing_pkgs+=(ffmpeg)
if [ "$WANT_TEST" = 1 ]; then command -v espeak-ng >/dev/null 2>&1 || missing_pkgs+=(espeak-ng); fi
# The browser tests of `ytlocal serve` drive Debian's Chromium with Playwright (Playwright's own browser
# download is not used: it needs hosts a build machine may not reach).
if [ "$WANT_TEST" = 1 ]; then
  { command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1; } || missing_pkgs+=(chromium)
fi
{ command -v c++ >/dev/null 2>&1 && command -v cc >/dev/null 2>&1; } || missing_pkgs+=(build-essential)
command -v git >/dev/null 2>&1 || missing_pkgs+=(git)

pick_python() {
  for candidate in "${PYTHON:-}" python3.13 python3.12 python3.11 python3; do
    [ -n "$candidate" ] || continue
    if command -v "$candidate" >/dev/null 2>&1 &&
       "$candidate" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' 2>/dev/null; then
      command -v "$candidate"; return 0
    fi
  done
  return 1
}
PY="$(pick_python || true)"
if [ -z "$PY" ]; then
  say "ytlocal needs Python 3.11 or newer (none found on PATH; set PYTHON=/path/to/python3.11)"
  exit 1
fi
if [ ! -x "$VENV/bin/python" ] && ! "$PY" -c 'import ensurepip, venv' >/dev/null 2>&1; then
  missing_pkgs+=("python3-venv")
fi

if [ "${#missing_pkgs[@]}" -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    say "installing system packages: ${missing_pkgs[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    apt-get install -y -qq --no-install-recommends "${missing_pkgs[@]}" >/dev/null
  else
    say "missing system packages: ${missing_pkgs[*]}"
    say "install them (e.g. sudo apt-get install ${missing_pkgs[*]}) and run this script again"
    exit 1
  fi
fi

# ---------------------------------------------------------------- virtualenv + Python deps
if [ ! -x "$VENV/bin/python" ]; then
  say "creating virtualenv $VENV with $PY"
  "$PY" -m venv "$VENV"
  "$VENV/bin/python" -m pip install -q --upgrade pip
fi
extras=""
[ "$WANT_TEST" = 1 ] && extras="[test]"
stamp="$VENV/.ytlocal-installed"
want_stamp="$(cat "$ROOT/pyproject.toml" | sha256sum | cut -c1-16)$extras"
if [ "$(cat "$stamp" 2>/dev/null)" != "$want_stamp" ] || ! "$VENV/bin/python" -c 'import ytlocal, llama_cpp, faster_whisper, yt_dlp' >/dev/null 2>&1; then
  say "installing ytlocal$extras and its dependencies into $VENV (first run builds llama-cpp-python: ~5 min)"
  "$VENV/bin/python" -m pip install -q -e "$ROOT$extras"
  printf '%s' "$want_stamp" > "$stamp"
else
  say "Python dependencies already installed in $VENV"
fi
