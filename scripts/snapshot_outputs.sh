#!/usr/bin/env bash
# What a refactor must keep byte for byte: the summaries of the development cases (JSON and Markdown,
# default models), a library built from them and from the ad cases' transcripts, search (text and JSON)
# and ask on questions of ../shared/data, and the CLI's listings. Usage:
#     bash scripts/snapshot_outputs.sh OUT_DIR        # then: diff -r OUT_BEFORE OUT_AFTER
# Volatile fields (generated_at, seconds, timings, temporary paths) are dropped before writing.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="$(realpath -m "$1")"
DATA="${YTLOCAL_SHARED_DATA:-$ROOT/../shared/data}"
VENV="${YTLOCAL_VENV:-$ROOT/.venv}"
PY="$VENV/bin/python"
export PYTHONPATH="$ROOT${PYTHONPATH:+:$PYTHONPATH}"  # this checkout's code, whichever venv runs it
YT() { "$PY" -m ytlocal "$@"; }
export YTLOCAL_MODELS_DIR="${YTLOCAL_MODELS_DIR:-$ROOT/models}"
rm -rf "$OUT" && mkdir -p "$OUT/summaries" "$OUT/raw"
WORK="$(mktemp -d)"; trap 'rm -rf "$WORK"' EXIT
export YTLOCAL_CONFIG="$WORK/none.toml" YTLOCAL_CACHE_DIR="$WORK/cache"
LIB="$WORK/library"; : >"$WORK/none.toml"
scrub() { "$PY" - "$@" <<'PY'
import json, re, sys
path = sys.argv[1]
text = open(path, encoding="utf-8").read()
def drop(o):
    if isinstance(o, dict):
        return {k: drop(v) for k, v in o.items() if k not in ("generated_at", "seconds", "timings", "elapsed")}
    if isinstance(o, list):
        return [drop(v) for v in o]
    return o
try:
    text = json.dumps(drop(json.loads(text)), indent=1, sort_keys=True, ensure_ascii=False)
except ValueError:
    pass
text = re.sub(r"/tmp/tmp[\w.]+", "TMP", text)
open(path, "w", encoding="utf-8").write(text)
PY
}
for dir in "$DATA"/eval/*/; do
  name="$(basename "$dir")"
  YT summarize "$dir/transcript.srt" -f json -f md -o "$WORK/s-$name" >"$OUT/raw/summarize-$name.out" 2>&1
  for f in "$WORK/s-$name"/*; do cp "$f" "$OUT/summaries/$name-$(basename "$f")"; scrub "$OUT/summaries/$name-$(basename "$f")"; done
  YT summarize "$dir/transcript.txt" -f txt -o - >"$OUT/summaries/$name-txt-stdout.txt" 2>/dev/null
done
YT library add --library "$LIB" "$WORK"/s-*/ >"$OUT/raw/library-add-summaries.out" 2>&1 || true
for dir in "$DATA"/ads/*/; do
  YT library add --library "$LIB" "$dir/transcript.srt" >>"$OUT/raw/library-add-ads.out" 2>&1 || true
done
YT library list --library "$LIB" >"$OUT/raw/library-list.out" 2>&1 || true
n=0
for q in "$DATA"/eval/*/questions.json "$DATA"/ads/*/questions.json; do
  [ -f "$q" ] || continue
  "$PY" -c 'import json,sys; d=json.load(open(sys.argv[1])); qs=d["questions"] if isinstance(d,dict) else d; [print((x.get("question") or x.get("q") or x.get("text")) if isinstance(x,dict) else x) for x in qs[:4]]' "$q" >"$WORK/qs"
  while IFS= read -r question; do
    n=$((n+1))
    YT search --library "$LIB" -n 8 "$question" >"$OUT/raw/search-$n.out" 2>&1 || true
    YT search --library "$LIB" -n 8 --json "$question" >"$OUT/raw/search-$n.json" 2>&1 || true
  done <"$WORK/qs"
done
YT search --library "$LIB" '"Melanie Mitchell"' >"$OUT/raw/search-quoted.out" 2>&1 || true
YT ask --library "$LIB" "What does Melanie Mitchell say analogies are for?" >"$OUT/raw/ask-1.out" 2>&1 || true
YT --help >"$OUT/raw/help.out" 2>&1
YT models list >"$OUT/raw/models-list.out" 2>&1 || true
for f in "$OUT"/raw/*; do scrub "$f"; sed -i "s#$WORK#WORK#g" "$f"; done
echo "snapshot in $OUT: $(find "$OUT" -type f | wc -l) files"
