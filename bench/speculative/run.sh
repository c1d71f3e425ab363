#!/usr/bin/env bash
# Speculative decoding by prompt lookup over 3 stages in 3 processes: one stream's tokens/s with and
# without --prompt-lookup, alternated, through Kafka (serve on the embedded broker with the first
# layers, two `laminar node` stages with the rest, on loopback).
#
#   bench/speculative/run.sh [-m MODEL.gguf] [--split A-B,C-D,E-F] [--lookup N] [--rounds R] [--tokens N]
#
# Defaults: ../shared/testdata/models/stories260K.gguf (a real model, so drafts are right as often
# as on real text) split 0-1,2-3,4-4; --lookup 4; 3 rounds; 200 tokens; greedy. Each round starts
# the pipeline once per setting and sends the same prompt 3 times; it prints each run's tokens/s
# (from the FINISH event) and, at the end, the medians and the drafts kept (from /metrics).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
model="$root/../shared/testdata/models/stories260K.gguf" split="0-1,2-3,4-4" lookup=4 rounds=3 tokens=200
while [ $# -gt 0 ]; do
  case "$1" in
    -m) model="$2"; shift 2 ;;
    --split) split="$2"; shift 2 ;;
    --lookup) lookup="$2"; shift 2 ;;
    --rounds) rounds="$2"; shift 2 ;;
    --tokens) tokens="$2"; shift 2 ;;
    *) echo "run.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
[ -f "$model" ] || { echo "run.sh: no model at $model" >&2; exit 2; }
IFS=, read -r first second third <<<"$split"
prompt="Once upon a time there was a little girl named Lily. She liked to play in the park with her dog. One day, Lily"
work="$(mktemp -d "${TMPDIR:-/tmp}/laminar-speculative.XXXXXX")"
pids=()
stop_all() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  pids=()
}
trap 'stop_all; rm -rf "$work"' EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# One pipeline with --prompt-lookup $1: three runs of the prompt; appends "setting tokens/s" lines.
measure() {
  local k="$1" port http
  port="$(free_port)"; http="$(free_port)"
  "$root/laminar" serve -m "$model" --layers "$first" --port "$port" --http "127.0.0.1:$http" --warm-up 2 \
    --prompt-lookup "$k" >"$work/serve.log" 2>&1 &
  pids+=($!)
  for layers in "$second" "$third"; do
    "$root/laminar" node --role stage --layers "$layers" -m "$model" --seed-nodes "127.0.0.1:$port" --warm-up 2 \
      >>"$work/nodes.log" 2>&1 &
    pids+=($!)
  done
  for _ in $(seq 1 180); do grep -q ' ready; requests on ' "$work/serve.log" && break; sleep 1; done
  grep -q ' ready; requests on ' "$work/serve.log" || { cat "$work/serve.log" >&2; exit 1; }
  local bootstrap
  bootstrap="$(sed -n 's/^kafka bootstrap: //p' "$work/serve.log")"
  for _ in 1 2 3; do
    "$root/laminar" prompt --bootstrap-servers "$bootstrap" -n "$tokens" --temp 0 "$prompt" 2>"$work/prompt.err" >/dev/null
    tps="$(sed -n 's/.* \([0-9.]*\) tokens\/s$/\1/p' "$work/prompt.err")"
    echo "lookup=$k $tps" | tee -a "$work/results"
  done
  curl -s "http://127.0.0.1:$http/metrics" | grep -E '^laminar_draft_tokens(_accepted)?_total' >>"$work/drafts.$k" || true
  stop_all
}

"$root/laminar" --version >/dev/null # builds the jar first, if it is stale
for r in $(seq 1 "$rounds"); do
  measure 0
  measure "$lookup"
done
median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
base="$(grep '^lookup=0 ' "$work/results" | awk '{print $2}' | median)"
spec="$(grep "^lookup=$lookup " "$work/results" | awk '{print $2}' | median)"
drafted="$(awk '/^laminar_draft_tokens_total/ {s+=$2} END {print s+0}' "$work/drafts.$lookup")"
kept="$(awk '/^laminar_draft_tokens_accepted_total/ {s+=$2} END {print s+0}' "$work/drafts.$lookup")"
echo "median tokens/s: without $base, with --prompt-lookup $lookup $spec (x$(awk -v a="$spec" -v b="$base" 'BEGIN {printf "%.2f", a / b}')); drafts kept $kept of $drafted"
