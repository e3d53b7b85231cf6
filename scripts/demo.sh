#!/usr/bin/env bash
# One command from a fresh clone to a result: installs whatever is missing (system packages, .venv,
# Python deps, the default models), then runs ytlocal on the bundled sample and says where the result is.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
bash scripts/setup.sh
VENV="${YTLOCAL_VENV:-$ROOT/.venv}"
YT="$VENV/bin/ytlocal"
"$YT" models pull whisper-base smollm2-135m-instruct
"$YT" doctor
OUT="$ROOT/out/demo"
"$YT" summarize "$ROOT/scripts/sample/bees-talk.opus" -o "$OUT" --with-transcript --timings
echo
"$YT" search "wild flowers" -n 1          # the summarized talk is in the library now
"$YT" ask "How can farmers help bees?"   # an answer only where the passages support it
echo
echo "Demo done. The summary (and transcript) of the bundled sample are in $OUT:"
ls -1 "$OUT"
