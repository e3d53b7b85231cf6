#!/usr/bin/env bash
# One command from a fresh clone to a result: installs whatever is missing (system packages, .venv,
# Python deps, the default models), then runs ytlocal on the bundled sample, says where the result is,
# and ends by saying how to open it all in the browser (`ytlocal serve`).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
bash scripts/setup.sh
VENV="${YTLOCAL_VENV:-$ROOT/.venv}"
YT="$VENV/bin/ytlocal"
"$YT" models pull                       # the default models: whisper-base, smollm2-135m-instruct, minilm-l6-v2
"$YT" doctor
OUT="$ROOT/out/demo"
"$YT" summarize "$ROOT/scripts/sample/bees-talk.opus" -o "$OUT" --with-transcript --timings
echo
"$YT" search "wild flowers" -n 1          # the summarized talk is in the library now
echo
echo "Demo done. The summary (and transcript) of the bundled sample are in $OUT:"
ls -1 "$OUT"
echo
echo "Next: read, search, ask and queue in your browser (the sample is in your library now):"
echo "  cd $ROOT && $YT serve"
echo "It listens on 127.0.0.1 only and opens a link with a one-time token; Ctrl-C stops it."
