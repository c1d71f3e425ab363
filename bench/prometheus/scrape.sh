#!/usr/bin/env bash
# A real Prometheus server scrapes a real `laminar serve` during a run of 16 concurrent requests,
# and what it stored must agree with what the clients received. Needs Debian's prometheus package
# (prometheus and promtool: apt-get install -y prometheus), kcat, jq and curl; the server runs
# from a temporary config and data folder, never as the system service.
#
#   bench/prometheus/scrape.sh [MODEL.gguf]
#
# Without a model it writes a synthetic stories110M (Q8_0) once into ~/.cache/laminar/models.
# It checks, through Prometheus's HTTP API:
#   sum(laminar_requests_total)                    = 16 (all finished)
#   laminar_generation_tokens_total                = TOKEN events received
#   laminar_prompt_tokens_total                    = sum of the FINISH events' usage.prompt_tokens
#   laminar_time_to_first_token_seconds_count, laminar_e2e_request_latency_seconds_count = 16
#   max_over_time(laminar_requests_running[5m])    > 0 (a scrape landed while requests ran)
# and that `promtool check metrics` finds no problem in a scrape. Exits non-zero if any fails.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
requests=16
max_tokens=24
for tool in prometheus promtool kcat jq curl python3; do
  command -v "$tool" >/dev/null || { echo "scrape.sh: $tool is missing (apt-get install -y prometheus kcat jq curl)" >&2; exit 2; }
done

model="${1:-$HOME/.cache/laminar/models/synthetic-stories110M-Q8_0.gguf}"
if [ ! -f "$model" ]; then
  mkdir -p "$(dirname "$model")"
  "$root/laminar" synth -o "$model" --shape stories110M -t Q8_0 >/dev/null
fi

work="$(mktemp -d "${TMPDIR:-/tmp}/laminar-prometheus.XXXXXX")"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
http_port="$(free_port)"
prom_port="$(free_port)"

# serve on the embedded broker, with its HTTP port; JSON responses, for jq.
"$root/laminar" serve -m "$model" --http "127.0.0.1:$http_port" --response-format json --warm-up 5 \
  >"$work/serve.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 300); do
  grep -q ' ready; requests on ' "$work/serve.log" && break
  kill -0 "${pids[0]}" 2>/dev/null || { cat "$work/serve.log" >&2; exit 1; }
  sleep 1
done
bootstrap="$(sed -n 's/^kafka bootstrap: //p' "$work/serve.log")"
[ -n "$bootstrap" ] || { echo "serve did not start" >&2; cat "$work/serve.log" >&2; exit 1; }
echo "serve: kafka $bootstrap, http 127.0.0.1:$http_port"

cat >"$work/prometheus.yml" <<YAML
global:
  scrape_interval: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: laminar
    static_configs:
      - targets: ["127.0.0.1:$http_port"]
YAML
prometheus --config.file="$work/prometheus.yml" --storage.tsdb.path="$work/tsdb" \
  --web.listen-address="127.0.0.1:$prom_port" >"$work/prometheus.log" 2>&1 &
pids+=($!)
prom="http://127.0.0.1:$prom_port"
query() { curl -sf "$prom/api/v1/query" --data-urlencode "query=$1" | jq -r '.data.result[0].value[1] // "none"'; }
for _ in $(seq 1 60); do
  [ "$(query 'up{job="laminar"}' 2>/dev/null || true)" = "1" ] && break
  sleep 1
done
[ "$(query 'up{job="laminar"}')" = "1" ] || { echo "Prometheus does not reach /metrics" >&2; cat "$work/prometheus.log" >&2; exit 1; }
echo "prometheus $(prometheus --version 2>&1 | head -1 | cut -d' ' -f3): scraping /metrics every second"

# 16 requests at once: one kcat call writes them all.
for i in $(seq 1 "$requests"); do
  printf 'p%s:{"request_id":"p%s","prompt":"Once upon a time %s","max_tokens":%s,"temperature":0}\n' \
    "$i" "$i" "$i" "$((max_tokens - i % 4))"
done | kcat -P -b "$bootstrap" -t laminar.requests -K:
start=$(date +%s)
while :; do
  kcat -C -b "$bootstrap" -t laminar.responses -o beginning -e -q -f '%s\n' >"$work/responses.jsonl" 2>/dev/null || true
  ended=$(jq -s '[.[] | select(.type == "FINISH" or .type == "ERROR")] | length' "$work/responses.jsonl")
  [ "$ended" -ge "$requests" ] && break
  [ $(( $(date +%s) - start )) -lt 600 ] || { echo "only $ended of $requests requests ended in 600 s" >&2; exit 1; }
  sleep 1
done
elapsed=$(( $(date +%s) - start ))
finished=$(jq -s '[.[] | select(.type == "FINISH")] | length' "$work/responses.jsonl")
tokens=$(jq -s '[.[] | select(.type == "TOKEN") | "\(.request_id)/\(.token.token_index)"] | unique | length' "$work/responses.jsonl")
prompt=$(jq -s '[.[] | select(.type == "FINISH") | .finish.usage.prompt_tokens] | add' "$work/responses.jsonl")
echo "run: $requests requests in ${elapsed} s, $finished finished, $tokens tokens received, $prompt prompt tokens"

sleep 3 # two more scrapes after the last event
failures=0
check() { # name, PromQL, expected value, comparison (eq or gt)
  local got; got="$(query "$2")"
  local ok=no
  if [ "$4" = eq ]; then [ "$got" = "$3" ] && ok=yes; else
    python3 -c "import sys; sys.exit(0 if float('$got') > float('$3') else 1)" 2>/dev/null && ok=yes; fi
  printf '  %-4s %-58s %s (want %s %s)\n' "$([ $ok = yes ] && echo ok || echo FAIL)" "$2" "$got" "$4" "$3"
  [ $ok = yes ] || failures=$((failures + 1))
}
echo "prometheus says:"
check requests 'sum(laminar_requests_total)' "$requests" eq
check finished 'sum(laminar_requests_total{outcome="finished"})' "$finished" eq
check tokens 'laminar_generation_tokens_total' "$tokens" eq
check prompt 'laminar_prompt_tokens_total' "$prompt" eq
check ttft 'laminar_time_to_first_token_seconds_count' "$requests" eq
check e2e 'laminar_e2e_request_latency_seconds_count' "$requests" eq
check running 'max_over_time(laminar_requests_running[5m])' 0 gt
check busy 'sum(laminar_stage_busy_seconds_total)' 0 gt
check lag 'sum(laminar_kafka_consumer_lag_records{topic="laminar.requests"})' 0 eq
check ready 'laminar_pipeline_ready' 1 eq

curl -sf -H 'Accept: text/plain; version=0.0.4' "http://127.0.0.1:$http_port/metrics" >"$work/scrape.txt"
if problems="$(promtool check metrics <"$work/scrape.txt" 2>&1)"; then
  echo "promtool check metrics: no problem ($(grep -vc '^#' "$work/scrape.txt") samples)"
else
  echo "promtool check metrics found problems:"; echo "$problems"; failures=$((failures + 1))
fi
"$root/laminar" status --http "127.0.0.1:$http_port" || failures=$((failures + 1))
if [ "$failures" -gt 0 ]; then echo "FAILED: $failures checks"; exit 1; fi
echo "PASSED"
