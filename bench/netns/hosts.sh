#!/usr/bin/env bash
# Network hosts on this one machine: a network namespace per host, each with a veth into a bridge
# that lives in a switch namespace of its own (so nothing is bridged or routed in the root
# namespace, and its firewall never sees this traffic). Private addresses only, on that bridge.
# Where --delay is asked for and the kernel has no netem qdisc, the hosts are linked by a router
# instead (delay-router.py, "router mode"): each host's eth0 is a TUN device and one process in the
# root namespace forwards every packet to the destination host after the delay, at the rate.
#
#   hosts.sh up [--hosts a,b,...] [--rate R] [--delay D] [--mtu N]
#                                                         create (default hosts: broker,serve,stage1,stage2,client)
#   hosts.sh down                                         remove every namespace with the prefix, and leftovers
#   hosts.sh exec HOST CMD...                             run CMD on HOST (ip netns exec)
#   hosts.sh addr HOST                                    print HOST's address
#   hosts.sh list                                         print "HOST ADDR" per host
#   hosts.sh shape [--rate R|none] [--delay D|none]       change every link's shaping
#   hosts.sh cut HOST / heal HOST                         partition HOST from every other host, both ways / undo
#   hosts.sh check                                        every host reaches every other (TCP), within 2 s
#   hosts.sh stats HOST                                   "rx_bytes tx_bytes" of HOST's link
#
# Environment: LMN_PREFIX (default lmn-) names the namespaces; LMN_NET (default 10.231.0) the /24.
# Needs root and iproute2 (ip, tc). Rate shaping is tbf on both ends of each link (what a host sends
# and what it receives are each limited to R); delay is netem on each host's side (one way D, a round
# trip 2D). Kernels without netem (CONFIG_NET_SCH_NETEM) get router mode for --delay (then also
# python3 and /dev/net/tun): the router does both delay and rate, with the same meaning, IPv4 only,
# MTU 9000 unless --mtu says otherwise (bridge mode keeps veth's 1500 unless --mtu is given).
# `shape --delay` needs a network that was made with a delay (--delay 0ms for none at first) where
# the kernel has no netem. Router mode's state (pid, control socket, log) is in /run/PREFIXnetns.
set -euo pipefail

prefix="${LMN_PREFIX:-lmn-}"
net="${LMN_NET:-10.231.0}"
sw="${prefix}sw"
state="/run/${prefix}netns"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
router_py="$here/delay-router.py"

die() { echo "hosts.sh: $*" >&2; exit 2; }
ns() { echo "${prefix}$1"; }

need_root() {
  [ "$(id -u)" = 0 ] || die "needs root (network namespaces and tc)"
  command -v ip >/dev/null && command -v tc >/dev/null || die "needs iproute2 (ip and tc)"
}

hosts() { # the hosts of the running network, one a line
  [ -f "$state/hosts" ] || die "no network is up (hosts.sh up)"
  cat "$state/hosts"
}

addr_of() { # HOST -> its address
  local h i=0
  while read -r h; do
    i=$((i + 1))
    if [ "$h" = "$1" ]; then echo "$net.$((10 + i))"; return 0; fi
  done < <(hosts)
  die "no host '$1' (hosts: $(hosts | tr '\n' ' '))"
}

# tbf wants a bucket of at least one GSO packet (64 KiB over veth) and enough for the rate at
# timer granularity; 10 ms worth of the rate covers both from 100 Mbit up.
tbf_args() { # RATE -> tbf parameters
  local r="$1" bps
  case "$r" in
    *[gG]bit) bps=$(( ${r%[gG]bit} * 1000000000 )) ;;
    *[mM]bit) bps=$(( ${r%[mM]bit} * 1000000 )) ;;
    *[kK]bit) bps=$(( ${r%[kK]bit} * 1000 )) ;;
    *bit)     bps=${r%bit} ;;
    *) die "rate '$r': give it as Nkbit, Nmbit or Ngbit (whole numbers)" ;;
  esac
  local burst=$(( bps / 8 / 100 ))
  [ "$burst" -lt 131072 ] && burst=131072
  echo "rate $r burst $burst latency 100ms"
}

have_netem() { # whether this kernel has the netem qdisc, tried on a scratch namespace's loopback
  local probe="${prefix}probe" ok=1
  ip netns add "$probe" 2>/dev/null || true
  ip -n "$probe" link set lo up
  tc -n "$probe" qdisc add dev lo root netem delay 1ms >/dev/null 2>&1 && ok=0
  ip netns del "$probe" 2>/dev/null || true
  return $ok
}

mode() { cat "$state/mode" 2>/dev/null || echo bridge; } # bridge, or router (delay-router.py)

# RATE DELAY MODE -> refuses what cannot be done here, before anything changes. MODE is the
# network's (up: the one it would get): bridge mode delays with netem only.
check_shaping() {
  local rate="$1" delay="$2" mode="$3"
  [ "$rate" = none ] || tbf_args "$rate" >/dev/null
  if [ "$delay" != none ]; then
    [[ "$delay" =~ ^[0-9]+(\.[0-9]*)?(us|ms|s)$ ]] || die "delay '$delay': give it as e.g. 0.5ms or 20ms"
    [ "$mode" = router ] || have_netem || die "this kernel has no netem qdisc (CONFIG_NET_SCH_NETEM is off, and tbf/htb cannot add
  delay), and this network was made without a delay, on a bridge, so --delay $delay cannot be
  shaped here. Take it down and up again with --delay (0ms for none at first): without netem that
  links the hosts through delay-router.py instead."
  fi
}

router_ctl() { # COMMAND...: to the running router; its answer on stdout
  /usr/bin/python3 "$router_py" ctl "$state/router.sock" "$@" >/dev/null || die "router: $*: failed"
}

router_pids() { # the router of this prefix, if running: by its pid file, else by its socket's path
  local p
  p="$(cat "$state/router.pid" 2>/dev/null || true)"
  if [ -n "$p" ] && tr '\0' ' ' 2>/dev/null <"/proc/$p/cmdline" | grep -q "delay-router.py serve --sock $state/router.sock"; then
    echo "$p"; return 0
  fi
  for p in /proc/[0-9]*; do
    tr '\0' ' ' 2>/dev/null <"$p/cmdline" | grep -q "delay-router.py serve --sock $state/router.sock " && echo "${p#/proc/}"
  done
  return 0
}

shape_dev() { # NS DEV RATE DELAY: egress shaping of one end of a link
  local n="$1" d="$2" rate="$3" delay="$4"
  tc -n "$n" qdisc del dev "$d" root >/dev/null 2>&1 || true
  if [ "$delay" != none ]; then
    tc -n "$n" qdisc add dev "$d" root handle 1: netem delay "$delay" limit 100000
    # shellcheck disable=SC2046
    [ "$rate" = none ] || tc -n "$n" qdisc add dev "$d" parent 1: handle 2: tbf $(tbf_args "$rate")
  elif [ "$rate" != none ]; then
    # shellcheck disable=SC2046
    tc -n "$n" qdisc add dev "$d" root tbf $(tbf_args "$rate")
  fi
}

# Delay goes on the host's side only (what it sends waits D: one way host to host is D, a round trip
# 2D); rate on both sides (what it sends and what it receives are each at most R).
shape_host() { # HOST RATE DELAY
  shape_dev "$(ns "$1")" eth0 "$2" "$3"
  shape_dev "$sw" "v-$1" "$2" none
}

# COMMAND OPTIONS...: sets the caller's list and mtu (--hosts, --mtu: up only), rate and delay.
parse_link_options() {
  local command="$1"; shift
  while [ $# -gt 0 ]; do
    case "$1" in
      --hosts) [ "$command" = up ] || die "$command: unknown option $1"; list="$2"; shift 2 ;;
      --mtu) [ "$command" = up ] || die "$command: unknown option $1"; mtu="$2"; shift 2
             [[ "$mtu" =~ ^[0-9]+$ ]] && [ "$mtu" -ge 576 ] && [ "$mtu" -le 65000 ] || die "mtu '$mtu': 576 to 65000" ;;
      --rate) rate="$2"; shift 2 ;;
      --delay) delay="$2"; shift 2 ;;
      *) die "$command: unknown option $1" ;;
    esac
  done
  need_root
}

cmd_up() {
  local list="broker,serve,stage1,stage2,client" rate=none delay=none mtu="" mode=bridge
  parse_link_options up "$@"
  if ip netns list | grep -q "^${prefix}"; then
    die "namespaces with prefix '$prefix' exist already (hosts.sh down removes them)"
  fi
  if [ "$delay" != none ] && ! have_netem; then
    mode=router
    [ -x /usr/bin/python3 ] && [ -c /dev/net/tun ] && [ -f "$router_py" ] \
      || die "this kernel has no netem qdisc, and router mode (for --delay) needs /usr/bin/python3, /dev/net/tun and $router_py"
  fi
  check_shaping "$rate" "$delay" "$mode"
  [ -n "$(router_pids)" ] && die "a router for prefix '$prefix' runs already (hosts.sh down ends it)"
  mkdir -p "$state"
  tr ',' '\n' <<<"$list" | sed '/^$/d' >"$state/hosts"
  local h
  while read -r h; do
    [[ "$h" =~ ^[a-z0-9]{1,10}$ ]] || { rm -rf "$state"; die "host name '$h': 1-10 of [a-z0-9] (interface names are short)"; }
  done <"$state/hosts"
  echo "$rate" >"$state/rate"; echo "$delay" >"$state/delay"; echo "$mode" >"$state/mode"
  if [ "$mode" = router ]; then up_router; else up_bridge; fi
  cmd_list
}

# Router mode: the namespaces, then the router, which makes a TUN device called eth0 in each, then
# their addresses. The router runs in a session of its own, so that a Ctrl-C meant for the caller
# does not take the network down under it (hosts.sh down ends it).
up_router() {
  local h i=0 specs=()
  while read -r h; do
    i=$((i + 1))
    local n; n="$(ns "$h")"
    ip netns add "$n"
    ip -n "$n" link set lo up
    specs+=("$h=$n=$net.$((10 + i))")
  done <"$state/hosts"
  setsid /usr/bin/python3 "$router_py" serve --sock "$state/router.sock" --dev eth0 \
    --rate "$rate" --delay "$delay" "${specs[@]}" </dev/null >"$state/router.log" 2>&1 &
  echo $! >"$state/router.pid"
  local tries=0
  until grep -q '^ready$' "$state/router.log" 2>/dev/null; do
    tries=$((tries + 1))
    if [ $tries -gt 100 ] || ! kill -0 "$(cat "$state/router.pid")" 2>/dev/null; then
      cat "$state/router.log" >&2 || true
      die "the router did not start (hosts.sh down cleans up)"
    fi
    sleep 0.05
  done
  i=0
  while read -r h; do
    i=$((i + 1))
    local n; n="$(ns "$h")"
    ip -n "$n" addr add "$net.$((10 + i))/24" dev eth0
    ip -n "$n" link set eth0 mtu "${mtu:-9000}" up
  done <"$state/hosts"
}

up_bridge() {
  local h
  ip netns add "$sw"
  ip -n "$sw" link set lo up
  ip -n "$sw" link add br0 type bridge
  ip -n "$sw" link set br0 up
  local i=0
  while read -r h; do
    i=$((i + 1))
    local n; n="$(ns "$h")"
    ip netns add "$n"
    ip -n "$n" link set lo up
    # Made in the root namespace under throw-away names, then moved and renamed: the root namespace
    # may already have interfaces called eth0.
    ip link add "${prefix}t$i" type veth peer name "${prefix}p$i"
    ip link set "${prefix}t$i" netns "$n"
    ip link set "${prefix}p$i" netns "$sw"
    ip -n "$n" link set "${prefix}t$i" name eth0
    ip -n "$sw" link set "${prefix}p$i" name "v-$h"
    ip -n "$sw" link set "v-$h" master br0 up
    if [ -n "$mtu" ]; then
      ip -n "$sw" link set "v-$h" mtu "$mtu"
      ip -n "$n" link set eth0 mtu "$mtu"
    fi
    ip -n "$n" addr add "$net.$((10 + i))/24" dev eth0
    ip -n "$n" link set eth0 up
    shape_host "$h" "$rate" "$delay"
  done <"$state/hosts"
}

cmd_down() {
  need_root
  local n p
  # The router first: its TUN devices go with it.
  for p in $(router_pids); do kill "$p" 2>/dev/null || true; done
  for _ in 1 2 3 4 5 6 7 8 9 10; do [ -z "$(router_pids)" ] && break; sleep 0.1; done
  for p in $(router_pids); do kill -9 "$p" 2>/dev/null || true; done
  for n in $(ip netns list | awk '{print $1}' | grep "^${prefix}" || true); do
    # Processes still inside would keep the namespace's interfaces alive: end them first.
    local p
    for p in $(ip netns pids "$n" 2>/dev/null || true); do kill -9 "$p" 2>/dev/null || true; done
    ip netns del "$n" 2>/dev/null || true
  done
  for n in $(ip -o link show | awk -F': ' '{print $2}' | sed 's/@.*//' | grep "^${prefix}" || true); do
    ip link del "$n" 2>/dev/null || true
  done
  rm -rf "$state"
}

cmd_list() {
  local h
  while read -r h; do echo "$h $(addr_of "$h")"; done < <(hosts)
}

cmd_shape() {
  local list rate delay
  rate="$(cat "$state/rate" 2>/dev/null || echo none)"; delay="$(cat "$state/delay" 2>/dev/null || echo none)"
  parse_link_options shape "$@"
  check_shaping "$rate" "$delay" "$(mode)"
  local h
  if [ "$(mode)" = router ]; then
    router_ctl shape "$rate" "$delay"
  else
    while read -r h; do shape_host "$h" "$rate" "$delay"; done < <(hosts)
  fi
  echo "$rate" >"$state/rate"; echo "$delay" >"$state/delay"
  echo "shaping: rate $rate, delay $delay"
}

# A partition, not a link failure: the host's interface stays up (its routes, its sockets'
# send calls succeed), but the switch stops forwarding to and from its port (in router mode: the
# router drops what comes from it or goes to it, also what is already on its way), so packets are
# lost silently both ways, as across a broken switch or a firewall that drops.
cmd_cut() {
  addr_of "$1" >/dev/null
  if [ "$(mode)" = router ]; then router_ctl cut "$1"; return; fi
  ip -n "$sw" link set "v-$1" nomaster
}

cmd_heal() {
  addr_of "$1" >/dev/null
  if [ "$(mode)" = router ]; then router_ctl heal "$1"; return; fi
  ip -n "$sw" link set "v-$1" master br0
  ip -n "$sw" link set "v-$1" up
}

# Reachable means a TCP answer: a connection to a port nobody listens on is refused at once by a
# host that gets the packet, and times out when the packet is lost. No listener, ping or nc needed.
reaches() { # FROM TO_ADDR
  local out
  out="$(ip netns exec "$(ns "$1")" timeout 2 bash -c "exec 3<>/dev/tcp/$2/9" 2>&1)" && return 0
  [[ "$out" == *"refused"* ]]
}

cmd_check() {
  local a b bad=0
  while read -r a; do
    while read -r b; do
      [ "$a" = "$b" ] && continue
      if ! reaches "$a" "$(addr_of "$b")"; then echo "$a -> $b: unreachable"; bad=1; fi
    done < <(hosts)
  done < <(hosts)
  [ $bad = 0 ] && echo "every host reaches every other"
  return $bad
}

cmd_stats() { # the host's link is eth0 in both modes (a veth end, or the router's TUN device)
  local d=/sys/class/net/eth0/statistics
  ip netns exec "$(ns "$1")" cat "$d/rx_bytes" "$d/tx_bytes" | paste -sd' '
}

case "${1:-}" in
  up) shift; cmd_up "$@" ;;
  down) cmd_down ;;
  exec) shift; [ $# -ge 2 ] || die "exec HOST CMD..."; h="$1"; shift; addr_of "$h" >/dev/null; exec ip netns exec "$(ns "$h")" "$@" ;;
  addr) addr_of "${2:?addr HOST}" ;;
  list) cmd_list ;;
  shape) shift; cmd_shape "$@" ;;
  cut) need_root; cmd_cut "${2:?cut HOST}" ;;
  heal) need_root; cmd_heal "${2:?heal HOST}" ;;
  check) need_root; cmd_check ;;
  stats) cmd_stats "${2:?stats HOST}" ;;
  *) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 2 ;;
esac
