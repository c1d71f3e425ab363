#!/usr/bin/env bash
# Faults and throughput of a Laminar pipeline spread over network hosts (bench/netns/hosts.sh):
# broker, serve (scheduler + first layers), stage1 and stage2 (the other layers) each on a host of
# its own, the measuring client (io.laminar.bench.ChaosClient) on a fifth. See README.md here.
#
#   chaos.sh [options] [SCENARIO...]     fault scenarios (default: none kill-stage kill-serve
#                                        stop-stage stop-serve cut-stage)
#   chaos.sh [options] throughput        tokens/s at --streams across hosts and in one process
#
# A scenario is none, or FAULT-ROLE with FAULT kill (kill -9, restarted after --restart-delay),
# term (SIGTERM: a graceful stop, restarted likewise), stop (SIGSTOP for --hold s, then SIGCONT),
# cut (partitioned both ways for --hold s, then healed) or intrude (outsiders on the client host
# try the role's cluster port: a node with no certificate, one with a certificate from another
# authority, raw bytes and a Java-serialized object), and ROLE serve, stage (stage1, the middle
# stage) or broker.
#
# Options (defaults in brackets):
#   -m MODEL            GGUF model [a synthetic 'tiny' shape with 6 layers, Q8_0, made once in /tmp/lmn-models]
#   --split A-B,...     layer ranges of serve, stage1, stage2 [0-1,2-3,4-5]
#   --requests N        concurrent requests per scenario [8]
#   --tokens N          tokens per request [300]
#   --streams LIST      throughput: concurrent streams [1,8,32]
#   --tput-tokens N     throughput: tokens per stream [128]
#   --rate R            link rate, e.g. 1gbit (LAN) or 100mbit (a bad day) [unshaped]
#   --delay D           link delay, e.g. 0.5ms or 20ms (without netem: through delay-router.py) [none]
#   --fault-after S     seconds between the first token and the fault [3]
#   --hold S            how long a SIGSTOP or a partition lasts [30]
#   --restart-delay S   a process that exits is started again after this long, as a supervisor
#                       (systemd, Kubernetes) would; it is how kill -9 gets its replacement [3]
#   --threads T         kernel threads per node [1]
#   --warm-up S         nodes' --warm-up [20, as laminar's own default]
#   --timeout S         most time a scenario's requests may take [240]
#   --out DIR           logs, results.jsonl, reference [/tmp/lmn-chaos]
#   --keep-up           leave the hosts up at the end (hosts.sh down removes them)
#   --spare             a sixth host, spare, runs a second stage with stage1's layers: the
#                       scheduler routes through one of the two and fails over to the other
#   --replicas          two independent pipelines in one consumer group instead of one: serve
#                       with stage1 and serve2 with stage2 (--split gives the two ranges of each,
#                       [0-2,3-5]); they share the requests topic's partitions. A killed serve is
#                       not restarted here: its requests must complete on the other pipeline
#
# Everything it starts runs under its control and is ended when it exits, however it exits; the
# network namespaces are removed too (unless --keep-up). Needs root.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
hosts_sh="$here/hosts.sh"

model="" split="0-1,2-3,4-5" requests=8 tokens=300 streams="1,8,32" tput_tokens=128
spare=0 replicas=0 rate=none delay=none fault_after=3 hold=30 restart_delay=3 threads=1 warm_up=20 timeout=240
out=/tmp/lmn-chaos keep_up=0
scenarios=()
while [ $# -gt 0 ]; do
  case "$1" in
    -m) model="$2"; shift 2 ;;
    --split) split="$2"; shift 2 ;;
    --requests) requests="$2"; shift 2 ;;
    --tokens) tokens="$2"; shift 2 ;;
    --streams) streams="$2"; shift 2 ;;
    --tput-tokens) tput_tokens="$2"; shift 2 ;;
    --rate) rate="$2"; shift 2 ;;
    --delay) delay="$2"; shift 2 ;;
    --fault-after) fault_after="$2"; shift 2 ;;
    --hold) hold="$2"; shift 2 ;;
    --restart-delay) restart_delay="$2"; shift 2 ;;
    --threads) threads="$2"; shift 2 ;;
    --warm-up) warm_up="$2"; shift 2 ;;
    --timeout) timeout="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    --keep-up) keep_up=1; shift ;;
    --spare) spare=1; shift ;;
    --replicas) replicas=1; shift ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    -*) echo "chaos.sh: unknown option $1" >&2; exit 2 ;;
    *) scenarios+=("$1"); shift ;;
  esac
done
[ ${#scenarios[@]} -gt 0 ] || scenarios=(none kill-stage kill-serve stop-stage stop-serve cut-stage)
for s in "${scenarios[@]}"; do
  [[ "$s" =~ ^(none|throughput|(kill|term|stop|cut)-(serve|stage|broker)|intrude-(serve|stage))$ ]] || { echo "chaos.sh: unknown scenario $s" >&2; exit 2; }
done
[ "$(id -u)" = 0 ] || { echo "chaos.sh: needs root (network namespaces)" >&2; exit 2; }
if [ "$replicas" = 1 ]; then
  [ "$spare" = 0 ] || { echo "chaos.sh: --replicas and --spare do not go together" >&2; exit 2; }
  [ "$split" != "0-1,2-3,4-5" ] || split="0-2,3-5"
  IFS=, read -r layers_serve layers_stage1 <<<"$split"
  layers_stage2="$layers_stage1"
else
  IFS=, read -r layers_serve layers_stage1 layers_stage2 <<<"$split"
fi

log() { printf '[chaos %s] %s\n' "$(date +%T)" "$*" >&2; }

# Built here, before any host exists: the launchers rebuild stale jars on start, which must not
# happen inside a timed scenario (nor in five namespaces at once).
log "building (if stale) ..."
"$root/laminar" --version >/dev/null
"$root/bench/run" ChaosClient table /dev/null >/dev/null

if [ -z "$model" ]; then
  model=/tmp/lmn-models/tiny6-q8.gguf
  if [ ! -f "$model" ]; then
    mkdir -p /tmp/lmn-models
    "$root/laminar" synth -o "$model" --shape tiny --layers 6 --ctx-size 1024 -t Q8_0 >&2
  fi
fi
model="$(readlink -f "$model")"

mkdir -p "$out"
out="$(readlink -f "$out")"

# Members bind the hosts' addresses, so the cluster runs over mutual TLS (docs/security.md): one
# key store per member, made once per run with deploy/make-cluster-certs.sh, as a deployment would.
certs="$out/certs"
export LAMINAR_CLUSTER_KEY_STORE_PASSWORD="${LAMINAR_CLUSTER_KEY_STORE_PASSWORD:-chaos-$(od -An -N6 -tx1 /dev/urandom | tr -d ' ')}"
rm -rf "$certs" "$out/cluster-ca"
"$root/deploy/make-cluster-certs.sh" --out "$certs" --ca "$out/cluster-ca" serve serve2 stage1 stage2 spare >/dev/null
tls() { echo --cluster-key-store "$certs/$1.p12" --cluster-trust-store "$certs/cluster-trust.p12"; }
# An outsider's certificate, from an authority of its own (for the intrude scenarios).
rm -rf "$out/outsider" "$out/outsider-ca"
"$root/deploy/make-cluster-certs.sh" --out "$out/outsider" --ca "$out/outsider-ca" outsider >/dev/null
results="$out/results.jsonl"
: >"$results"
link="rate=$rate"; [ "$delay" = none ] || link="$link,delay=$delay"

# --- processes ---------------------------------------------------------------------------------

run_dir="" # per scenario: pid files, logs, the broker's data, the exits file
declare -A supervisors=()

# ROLE HOST CMD...: runs CMD on HOST, again --restart-delay s after every exit, until the
# scenario ends. The command's pid (ip netns exec and the launchers exec, so it is the JVM) is in
# $run_dir/ROLE.pid; every exit is a line in $run_dir/exits.
supervise() {
  local role="$1" host="$2"; shift 2
  (
    start=$SECONDS n=0
    while [ ! -e "$run_dir/stopping" ] && [ ! -e "$run_dir/$role.no-restart" ]; do
      n=$((n + 1))
      "$hosts_sh" exec "$host" env JAVA_OPTS="-Xmx512m" LAMINAR_LOG_LEVEL=INFO "$@" >"$run_dir/logs/$role.$n.log" 2>&1 &
      echo $! >"$run_dir/$role.pid"
      rc=0; wait $! || rc=$?
      [ -e "$run_dir/stopping" ] && break
      echo "$role exited $rc after $((SECONDS - start)) s" >>"$run_dir/exits"
      [ -e "$run_dir/$role.no-restart" ] && break
      sleep "$restart_delay"
    done
  ) 2>>"$run_dir/logs/supervisor.log" &
  supervisors[$role]=$!
  # stop_all ends the loop with kill -9; disowned, the shell does not report that as a crash
  disown "$!"
}

addr() { "$hosts_sh" addr "$1"; }

start_broker() {
  supervise broker broker "$root/laminar" broker --host "$(addr broker)" --port 9092 --log-dir "$run_dir/kafka"
}

node_opts=()
set_node_opts() { # [THREADS]
  node_opts=(-m "$model" -t "${1:-$threads}" --warm-up "$warm_up" --max-sequences 32)
}

start_pipeline() { # the three-host pipeline
  set_node_opts
  supervise serve serve "$root/laminar" serve "${node_opts[@]}" --bootstrap-servers "$(addr broker):9092" \
    --layers "$layers_serve" --host "$(addr serve)" --port 25520 $(tls serve)
  supervise stage1 stage1 "$root/laminar" node --role stage --layers "$layers_stage1" "${node_opts[@]}" \
    --host "$(addr stage1)" --port 25520 --seed-nodes "$(addr serve):25520" $(tls stage1)
  supervise stage2 stage2 "$root/laminar" node --role stage --layers "$layers_stage2" "${node_opts[@]}" \
    --host "$(addr stage2)" --port 25520 --seed-nodes "$(addr serve):25520" $(tls stage2)
  if [ "$spare" = 1 ]; then
    supervise spare spare "$root/laminar" node --role stage --layers "$layers_stage1" "${node_opts[@]}" \
      --host "$(addr spare)" --port 25520 --seed-nodes "$(addr serve):25520" $(tls spare)
  fi
}

start_replicas() { # two pipelines of two hosts each, one consumer group
  set_node_opts
  local s st
  for s in serve serve2; do
    st=stage1; [ "$s" = serve2 ] && st=stage2
    supervise "$s" "$s" "$root/laminar" serve "${node_opts[@]}" --bootstrap-servers "$(addr broker):9092" \
      --layers "$layers_serve" --host "$(addr "$s")" --port 25520 $(tls "$s")
    supervise "$st" "$st" "$root/laminar" node --role stage --layers "$layers_stage1" "${node_opts[@]}" \
      --host "$(addr "$st")" --port 25520 --seed-nodes "$(addr "$s"):25520" $(tls "$st")
  done
}

# Both serves have printed that they are ready (a probe request reaches only one of them).
await_replicas() { # TIMEOUT
  local deadline=$((SECONDS + $1)) s ok
  while [ $SECONDS -lt $deadline ]; do
    ok=1
    for s in serve serve2; do grep -qs ' ready; requests on' "$run_dir"/logs/"$s".*.log || ok=0; done
    [ $ok = 1 ] && return 0
    sleep 1
  done
  return 1
}

start_one_process() { # the same layers, as three stages in one process on the serve host
  # as many kernel threads as the three hosts' processes have together, up to the cores there are
  local t=$((threads * 3)); [ "$t" -gt "$(nproc)" ] && t="$(nproc)"
  set_node_opts "$t"
  supervise serve serve "$root/laminar" serve "${node_opts[@]}" --bootstrap-servers "$(addr broker):9092" \
    --stages 3 --host "$(addr serve)" --port 25520 $(tls serve)
}

stop_all() {
  [ -n "$run_dir" ] || return 0
  touch "$run_dir/stopping"
  local r p
  for r in "${!supervisors[@]}"; do kill -9 "${supervisors[$r]}" 2>/dev/null || true; done
  supervisors=()
  # Healed and continued first, so that nothing is left cut or stopped; then everything in the
  # hosts ends at once: a graceful stop adds nothing to what is measured.
  for r in $roles; do "$hosts_sh" heal "$r" 2>/dev/null || true; done
  for r in $roles client; do
    for p in $(ip netns pids "${LMN_PREFIX:-lmn-}$r" 2>/dev/null || true); do kill -CONT "$p" 2>/dev/null || true; kill -9 "$p" 2>/dev/null || true; done
  done
  wait 2>/dev/null || true
  rm -rf "$run_dir/kafka"
}

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  stop_all || true
  if [ "$keep_up" = 1 ]; then log "hosts left up (bench/netns/hosts.sh down removes them)"; else "$hosts_sh" down || true; fi
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

client() { # ChaosClient args... on the client host, bounded
  timeout --kill-after=10 $((timeout + 200)) "$hosts_sh" exec client env JAVA_OPTS="-Xmx384m" \
    "$root/bench/run" ChaosClient "$@"
}

# NAME: fresh broker and pipeline for one scenario, ready when a request has gone end to end.
bring_up() {
  run_dir="$out/$1"
  rm -rf "$run_dir"; mkdir -p "$run_dir/logs"
  start_broker
  # Topics before serve: serve creating them against a broker still starting fails (it exits and
  # is restarted), which would be timed as part of the scenario's start.
  if ! client topics --bootstrap "$(addr broker):9092" --timeout 120 2>>"$run_dir/logs/topics.log"; then
    log "$1: the broker did not take the topics; logs in $run_dir/logs"
    return 1
  fi
  case "$2" in
    one-process) start_one_process ;;
    replicas) start_replicas ;;
    *) start_pipeline ;;
  esac
  log "$1: waiting for the pipeline (a request end to end) ..."
  local t0=$SECONDS
  if [ "$2" = replicas ] && ! await_replicas 240; then
    log "$1: the two serves were not both ready; logs in $run_dir/logs"
    return 1
  fi
  if ! client probe --bootstrap "$(addr broker):9092" --timeout 240 --warm "${3:-0}" 2>>"$run_dir/logs/probe.log"; then
    log "$1: the pipeline never answered; logs in $run_dir/logs"
    return 1
  fi
  log "$1: ready after $((SECONDS - t0)) s"
}

# FAULT ROLE: waits for the client's first token, then the fault. Runs in the background.
inject() {
  local fault="$1" role="$2" target pid i
  target="$role"; [ "$role" = stage ] && target=stage1
  for ((i = 0; i < 600; i++)); do [ -e "$run_dir/generating" ] && break; sleep 0.2; done
  [ -e "$run_dir/generating" ] || { echo "fault: no token within 120 s, no fault injected" >>"$run_dir/faults"; return; }
  sleep "$fault_after"
  pid="$(cat "$run_dir/$target.pid")"
  # With two pipelines, a lost serve's requests are the other's to finish: no replacement.
  [ "$replicas" = 1 ] && [ "$fault" = kill ] && touch "$run_dir/$target.no-restart"
  local at; at="$(date +%T.%3N)" # to line the fault up with the logs and the client's events.txt
  case "$fault" in
    kill) kill -9 "$pid"; echo "kill -9 $target (pid $pid) at $at" >>"$run_dir/faults" ;;
    term) kill -TERM "$pid"; echo "SIGTERM $target (pid $pid) at $at" >>"$run_dir/faults" ;;
    intrude) intrude "$target" >>"$run_dir/faults" ;;
    stop) kill -STOP "$pid"; echo "SIGSTOP $target for $hold s at $at" >>"$run_dir/faults"
          sleep "$hold"; kill -CONT "$pid" 2>/dev/null || true ;;
    cut) "$hosts_sh" cut "$target"; echo "cut $target for $hold s at $at" >>"$run_dir/faults"
         sleep "$hold"; "$hosts_sh" heal "$target" ;;
  esac
}

# Refusals TARGET has logged so far.
refusals() { cat "$run_dir"/logs/"$1".*.log | grep -c 'refused an incoming cluster connection' || true; }

# TARGET: outsiders on the client host knock on TARGET's cluster port, one after another; prints
# what TARGET logged for each. The scenario's requests run meanwhile, and are checked as usual.
intrude() {
  local target="$1" a before n
  a="$(addr "$target")"
  outsider() { # NAME ARGS...: a stage node that tries to join for 15 s
    local name="$1"; shift
    timeout -s KILL 20 "$hosts_sh" exec client env JAVA_OPTS="-Xmx256m" "$root/laminar" node --role stage \
      --layers "$layers_stage1" -m "$model" -t 1 --warm-up 0 --no-rejoin --host "$(addr client)" --port 25521 \
      --seed-nodes "$a:25520" "$@" >"$run_dir/logs/outsider-$name.log" 2>&1 &
    sleep 15; kill -9 $! 2>/dev/null || true; wait $! 2>/dev/null || true
  }
  knock() { # NAME PRINTF-FORMAT: bytes to the port, then what comes back for 3 s
    "$hosts_sh" exec client timeout 5 bash -c "exec 3<>/dev/tcp/$a/25520 && printf '$2' >&3 && timeout 3 cat <&3 >/dev/null" \
      >"$run_dir/logs/outsider-$1.log" 2>&1 || true
    sleep 1
  }
  before="$(refusals "$target")"
  outsider no-certificate --insecure-cluster
  n="$(refusals "$target")"; echo "intrude $target: node with no certificate: $((n - before)) refusals logged"; before=$n
  outsider other-authority --cluster-key-store "$out/outsider/outsider.p12" --cluster-trust-store "$out/outsider/cluster-trust.p12"
  n="$(refusals "$target")"; echo "intrude $target: node with another authority's certificate: $((n - before)) refusals logged"; before=$n
  knock raw-bytes 'GET / HTTP/1.1\r\nHost: x\r\n\r\n'
  n="$(refusals "$target")"; echo "intrude $target: raw bytes: $((n - before)) refusals logged"; before=$n
  # a java.lang.String in Java's serialization stream format (magic AC ED, version 5)
  knock java-serialized '\xac\xed\x00\x05t\x00\x05hello'
  n="$(refusals "$target")"; echo "intrude $target: Java-serialized object: $((n - before)) refusals logged"
  local joined
  joined="$(cat "$run_dir"/logs/"$target".*.log | grep -c "$(addr client):25521" || true)"
  echo "intrude $target: lines naming an outsider's address in $target's log (a join would): $joined"
}

scenario() {
  local name="$1"
  log "=== $name"
  local kind=pipeline; [ "$replicas" = 1 ] && kind=replicas
  if ! bring_up "$name" "$kind"; then
    echo "{\"scenario\":\"$name\",\"link\":\"$link\",\"requests\":$requests,\"exits\":\"pipeline not ready\"}" >>"$results"
    stop_all; return
  fi
  local injector="" ref_args=(--reference "$out/reference.txt")
  [ "$name" = none ] && ref_args+=(--save-reference)
  if [ "$name" != none ]; then
    [ -f "$out/reference.txt" ] || log "$name: no reference yet (run 'none' first): tokens are not compared"
    inject "${name%%-*}" "${name#*-}" &
    injector=$!
  fi
  client run --bootstrap "$(addr broker):9092" --scenario "$name" --label "$link" --requests "$requests" \
    --tokens "$tokens" "${ref_args[@]}" --timeout "$timeout" --mark "$run_dir/generating" \
    --exits "$run_dir/exits" --events "$run_dir/events.txt" --results "$results" >/dev/null || log "$name: the client failed (exit $?)"
  # Outsiders are reported in full, even when the requests ended first.
  if [ -n "$injector" ] && [ "${name%%-*}" = intrude ]; then wait "$injector" 2>/dev/null || true; fi
  if [ -n "$injector" ]; then kill "$injector" 2>/dev/null || true; wait "$injector" 2>/dev/null || true; fi
  [ -f "$run_dir/faults" ] && log "$name: $(paste -sd';' "$run_dir/faults")"
  if [ "$replicas" = 1 ]; then
    local s
    for s in serve serve2; do
      log "$name: $s's requests partitions: $(grep -h 'requests partitions assigned' "$run_dir"/logs/"$s".*.log | sed 's/.*assigned: //' | paste -sd' ')"
    done
  fi
  stop_all
}

# Bytes a host's link carried, "rx tx".
counters() { "$hosts_sh" stats "$1"; }

throughput() {
  local where n
  for where in hosts one-process; do
    log "=== throughput, $where"
    local what=pipeline; [ "$where" = one-process ] && what=one-process
    if ! bring_up "tput-$where" "$what" 8; then stop_all; continue; fi
    for n in ${streams//,/ }; do
      local s1a s2a s1b s2b
      s1a="$(counters stage1)"; s2a="$(counters stage2)"
      client run --bootstrap "$(addr broker):9092" --scenario "$where-$n" --label "$link" --requests "$n" \
        --tokens "$tput_tokens" --timeout "$timeout" --settle 0.5 --results "$out/tput.jsonl" >/dev/null \
        || log "throughput $where-$n: the client failed"
      s1b="$(counters stage1)"; s2b="$(counters stage2)"
      if [ "$where" = hosts ]; then
        local generated
        generated="$(tail -n1 "$out/tput.jsonl" | sed -n 's/.*"distinct_tokens":\([0-9]*\).*/\1/p')"
        read -r a_rx a_tx <<<"$s1a"; read -r b_rx b_tx <<<"$s1b"
        read -r c_rx c_tx <<<"$s2a"; read -r d_rx d_tx <<<"$s2b"
        echo "$n ${generated:-0} $((b_rx - a_rx)) $((b_tx - a_tx)) $((d_tx - c_tx))" >>"$out/hops.txt"
      fi
    done
    stop_all
  done
}

roles="broker serve stage1 stage2"; [ "$spare" = 1 ] && roles="$roles spare"; [ "$replicas" = 1 ] && roles="$roles serve2"
"$hosts_sh" down
"$hosts_sh" up --hosts "$(echo $roles client | tr ' ' ,)" --rate "$rate" --delay "$delay" >/dev/null
"$hosts_sh" check >&2

tput=0
for s in "${scenarios[@]}"; do
  if [ "$s" = throughput ]; then tput=1; : >"$out/tput.jsonl"; : >"$out/hops.txt"; throughput; else scenario "$s"; fi
done

echo
if [ -s "$results" ]; then
  echo "Faults: $requests requests x $tokens tokens, link $link, model $(basename "$model") split $split"
  "$root/bench/run" ChaosClient table "$results"
  echo
  cat "$results"
fi
if [ "$tput" = 1 ] && [ -s "$out/tput.jsonl" ]; then
  echo
  echo "Throughput: $tput_tokens tokens per stream, link $link, model $(basename "$model") split $split"
  "$root/bench/run" ChaosClient table "$out/tput.jsonl"
  echo
  echo "Bytes per generated token on each hop (link counters, so heartbeats and prompt tokens included):"
  printf '%-8s %-10s %-22s %-22s %-22s\n' streams tokens "serve->stage1 (B/tok)" "stage1->stage2 (B/tok)" "stage2->serve (B/tok)"
  while read -r n gen h1 h2 h3; do
    [ "$gen" -gt 0 ] || gen=1
    printf '%-8s %-10s %-22s %-22s %-22s\n' "$n" "$gen" $((h1 / gen)) $((h2 / gen)) $((h3 / gen))
  done <"$out/hops.txt"
  echo
  cat "$out/tput.jsonl"
fi
