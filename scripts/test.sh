#!/usr/bin/env bash
# The one test command: installs whatever is missing (system packages, .venv, Python deps, the test
# models) and runs the whole suite with pytest. Extra arguments go to pytest (e.g. -k models, -x).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
bash scripts/setup.sh --test
VENV="${YTLOCAL_VENV:-$ROOT/.venv}"
# The test models go to the checkout's models/ store; a no-op when present and verified.
"$VENV/bin/ytlocal" models pull whisper-tiny.en smollm2-135m-instruct minilm-l6-v2
exec "$VENV/bin/python" -m pytest "$@"
