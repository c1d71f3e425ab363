#!/usr/bin/python3
"""Link delay and rate for bench/netns/hosts.sh on kernels without the netem qdisc.

One TUN device (IPv4, no packet information header) per host, made inside the host's network
namespace; this process, in its own namespace, reads what every host sends and writes each packet
into the destination host's device after the one-way delay, as if netem sat on every sender's
egress (one way D, a round trip 2D). With a rate, a token bucket limits what each host sends and
another what each host receives (as tbf on both ends of a veth), each with a tail-dropping queue of
100 ms at the rate. Packets keep their order per sender and per receiver. Packets to an address
that is no host's are dropped, and so are those from or to a cut host.

  delay-router.py serve --sock PATH [--dev eth0] [--rate R|none] [--delay D|none] NAME=NETNS=ADDR...
      made by hosts.sh up; prints "ready" on stdout once every device exists, then serves until
      killed. PATH is a Unix socket that takes one command per connection:
  delay-router.py ctl PATH cut HOST | heal HOST | shape RATE|none DELAY|none | stats
      sends a command, prints the answer; exit status 0 if it was done.

Python 3.11 standard library only; needs root (setns, /dev/net/tun).
"""

import collections
import ctypes
import errno
import fcntl
import heapq
import itertools
import os
import re
import select
import socket
import struct
import sys
import time

CLONE_NEWNET = 0x40000000
TUNSETIFF = 0x400454CA
IFF_TUN = 0x0001
IFF_NO_PI = 0x1000
PR_SET_TIMERSLACK = 29
QUEUE_LATENCY = 0.100  # tbf latency 100ms: a packet that would wait longer is dropped
READ_BATCH = 64

libc = ctypes.CDLL(None, use_errno=True)


def fail(msg):
    print(f"delay-router.py: {msg}", file=sys.stderr)
    sys.exit(2)


def parse_rate(s):
    """'1gbit', '100mbit', '500kbit', '1000bit' or 'none' -> bytes per second (None for none)."""
    if s == "none":
        return None
    m = re.fullmatch(r"(\d+)([kmg]?)bit", s, re.IGNORECASE)
    if not m:
        raise ValueError(f"rate '{s}': give it as Nkbit, Nmbit or Ngbit, or none")
    bps = int(m.group(1)) * {"": 1, "k": 10**3, "m": 10**6, "g": 10**9}[m.group(2).lower()]
    if bps <= 0:
        raise ValueError(f"rate '{s}' is zero")
    return bps / 8.0


def parse_delay(s):
    """'0.5ms', '20ms', '500us', '1s' or 'none' -> seconds."""
    if s == "none":
        return 0.0
    m = re.fullmatch(r"(\d+(?:\.\d*)?)(us|ms|s)", s)
    if not m:
        raise ValueError(f"delay '{s}': give it as e.g. 0.5ms, 20ms or 500us, or none")
    return float(m.group(1)) * {"us": 1e-6, "ms": 1e-3, "s": 1.0}[m.group(2)]


class Bucket:
    """A token bucket of BURST bytes filling at RATE bytes/s, in virtual time: `full_at` is when
    it would be full again. A packet leaves when the bucket holds its size; one that would wait
    longer than QUEUE_LATENCY is dropped (the queue ahead of it is full)."""

    __slots__ = ("rate", "burst", "full_at", "last")

    def __init__(self, rate):
        self.rate = rate
        # as hosts.sh gives tbf: 10 ms worth of the rate, at least 128 KiB
        self.burst = max(rate * 0.010, 131072.0)
        self.full_at = 0.0
        self.last = 0.0

    def admit(self, t, size):
        """Departure time of SIZE bytes offered at time T (T never decreasing), or None: dropped."""
        x = self.full_at - (self.burst - size) / self.rate
        if x < t:
            x = t
        if x < self.last:
            x = self.last
        if x - t > QUEUE_LATENCY:
            return None
        self.full_at = (self.full_at if self.full_at > x else x) + size / self.rate
        self.last = x
        return x


class Host:
    __slots__ = ("name", "ns", "addr", "fd", "cut", "egress", "ingress", "last_out", "last_in", "outq")

    def __init__(self, name, ns, addr):
        self.name, self.ns, self.addr = name, ns, addr
        self.fd = -1
        self.cut = False
        self.egress = self.ingress = None
        self.last_out = 0.0  # when its last packet left the delay stage: keeps its packets in order
        self.last_in = 0.0  # when its last packet left its ingress bucket: the same, as receiver
        self.outq = collections.deque()  # (due, src, packet) to write into it, due never decreasing


def open_tun(ns, dev, own_ns_fd):
    """A TUN device named DEV inside namespace NS (the namespace a TUN belongs to is the one the
    opening thread was in when it opened /dev/net/tun)."""
    ns_fd = os.open(f"/run/netns/{ns}", os.O_RDONLY | os.O_CLOEXEC)
    try:
        if libc.setns(ns_fd, CLONE_NEWNET) != 0:
            e = ctypes.get_errno()
            raise OSError(e, f"setns into {ns}: {os.strerror(e)}")
        try:
            fd = os.open("/dev/net/tun", os.O_RDWR | os.O_NONBLOCK | os.O_CLOEXEC)
            fcntl.ioctl(fd, TUNSETIFF, struct.pack("16sH22x", dev.encode(), IFF_TUN | IFF_NO_PI))
        finally:
            if libc.setns(own_ns_fd, CLONE_NEWNET) != 0:
                e = ctypes.get_errno()
                raise OSError(e, f"setns back: {os.strerror(e)}")
    finally:
        os.close(ns_fd)
    return fd


class Router:
    ARRIVE, FLUSH = 0, 1

    def __init__(self, hosts, rate, delay):
        self.hosts = hosts
        self.by_name = {h.name: h for h in hosts}
        self.by_addr = {h.addr: h for h in hosts}
        self.heap = []  # (due, seq, ARRIVE, src, dst, packet) or (due, seq, FLUSH, None, dst, None)
        self.seq = itertools.count()
        self.counts = dict(forwarded=0, forwarded_bytes=0, unknown=0, cut=0, queue=0, write_err=0, not_ipv4=0)
        self.late = []  # how late scheduled packets were written, seconds (the last 20000)
        self.late_n = 0
        self.set_shape(rate, delay)

    def set_shape(self, rate, delay):
        """New rate and delay for what is read from now on. What is on its way keeps its schedule,
        and whatever is read later leaves after it: no packet overtakes an earlier one."""
        self.rate, self.delay = rate, delay
        horizon = max((e[0] for e in self.heap), default=0.0)
        for h in self.hosts:
            h.last_out = max(h.last_out, horizon)
            for side in ("egress", "ingress"):
                old, new = getattr(h, side), Bucket(rate) if rate else None
                if old is not None and new is not None:
                    new.last = old.last
                setattr(h, side, new)

    # A packet from SRC read at NOW: the delay (netem on the sender), the sender's bucket (tbf on its
    # side of the link); then, at that time, the receiver's bucket (tbf on the switch's side of its
    # link), and into the receiver's device. Times never go down per sender (last_out, and the
    # buckets) nor per receiver (last_in), and the heap pops in time order, first pushed first, so
    # a sender's packets reach each receiver in the order sent.
    def on_packet(self, src, pkt, now):
        if len(pkt) < 20 or pkt[0] >> 4 != 4:
            self.counts["not_ipv4"] += 1
            return
        dst = self.by_addr.get(pkt[16:20])
        if dst is None or dst is src:
            self.counts["unknown"] += 1
            return
        if src.cut or dst.cut:
            self.counts["cut"] += 1
            return
        t = now + self.delay
        if t < src.last_out:
            t = src.last_out  # the delay was lowered: never overtake what is already on its way
        src.last_out = t
        if src.egress is not None:
            t = src.egress.admit(t, len(pkt))
            if t is None:
                self.counts["queue"] += 1
                return
        heap = self.heap
        if t <= now and not (heap and heap[0][0] <= t):
            self.arrive(src, dst, pkt, t, now, False)  # no delay, nothing ahead of it
        else:
            heapq.heappush(heap, (t, next(self.seq), self.ARRIVE, src, dst, pkt))

    def arrive(self, src, dst, pkt, t, now, scheduled):
        if dst.ingress is not None:
            t = dst.ingress.admit(t, len(pkt))
            if t is None:
                self.counts["queue"] += 1
                return
        if t < dst.last_in:
            t = dst.last_in
        dst.last_in = t
        if t <= now and not dst.outq:
            if scheduled:
                self.record_late(now - t)
            self.deliver(src, dst, pkt)
        else:
            dst.outq.append((t, src, pkt))
            heapq.heappush(self.heap, (t, next(self.seq), self.FLUSH, None, dst, None))

    def record_late(self, late):
        if len(self.late) < 20000:
            self.late.append(late)
        else:
            self.late[self.late_n % 20000] = late
        self.late_n += 1

    def deliver(self, src, dst, pkt):
        if src.cut or dst.cut:
            self.counts["cut"] += 1
            return
        try:
            os.write(dst.fd, pkt)
        except OSError:  # EAGAIN, or EIO while the device is down: lost, as on a wire
            self.counts["write_err"] += 1
            return
        self.counts["forwarded"] += 1
        self.counts["forwarded_bytes"] += len(pkt)

    def run_due(self, now):
        heap = self.heap
        while heap and heap[0][0] <= now:
            due, _, kind, src, dst, pkt = heapq.heappop(heap)
            if kind == self.ARRIVE:
                self.arrive(src, dst, pkt, due, now, True)
            else:
                q = dst.outq
                while q and q[0][0] <= now:
                    t, src, pkt = q.popleft()
                    self.record_late(now - t)
                    self.deliver(src, dst, pkt)

    def command(self, line):
        words = line.split()
        if not words:
            return "error: empty command"
        cmd, args = words[0], words[1:]
        if cmd in ("cut", "heal") and len(args) == 1:
            h = self.by_name.get(args[0])
            if h is None:
                return f"error: no host '{args[0]}'"
            h.cut = cmd == "cut"
            return f"ok {cmd} {h.name}"
        if cmd == "shape" and len(args) == 2:
            try:
                rate, delay = parse_rate(args[0]), parse_delay(args[1])
            except ValueError as e:
                return f"error: {e}"
            self.set_shape(rate, delay)
            return f"ok shape rate {args[0]} delay {args[1]}"
        if cmd == "stats":
            late = sorted(self.late)
            pct = lambda p: late[min(len(late) - 1, int(p * len(late)))] * 1e6 if late else 0.0
            c = " ".join(f"{k}={v}" for k, v in self.counts.items())
            return (f"ok {c} queued={sum(len(h.outq) for h in self.hosts) + len(self.heap)} scheduled={self.late_n} late_us_p50={pct(0.5):.0f} "
                    f"late_us_p90={pct(0.9):.0f} late_us_p99={pct(0.99):.0f} late_us_max={pct(1.0):.0f}")
        return f"error: unknown command '{line.strip()}'"

    def serve_ctl(self, srv):
        try:
            conn, _ = srv.accept()
        except OSError:
            return
        with conn:
            conn.settimeout(1.0)
            try:
                data = b""
                while b"\n" not in data and len(data) < 1024:
                    chunk = conn.recv(1024)
                    if not chunk:
                        break
                    data += chunk
                conn.sendall((self.command(data.decode(errors="replace")) + "\n").encode())
            except OSError:
                pass

    def loop(self, srv):
        rfds = [h.fd for h in self.hosts] + [srv.fileno()]
        srv_fd = srv.fileno()
        by_fd = {h.fd: h for h in self.hosts}
        clock = time.monotonic
        read = os.read
        heap = self.heap
        while True:
            now = clock()
            self.run_due(now)
            timeout = max(0.0, heap[0][0] - clock()) if heap else None
            ready, _, _ = select.select(rfds, [], [], timeout)
            for fd in ready:
                if fd == srv_fd:
                    self.serve_ctl(srv)
                    continue
                src = by_fd[fd]
                for _ in range(READ_BATCH):
                    try:
                        pkt = read(fd, 65536)
                    except BlockingIOError:
                        break
                    except OSError as e:
                        if e.errno == errno.EINTR:
                            continue
                        break
                    self.on_packet(src, pkt, clock())


def serve(argv):
    sock_path, dev, rate_s, delay_s, specs = None, "eth0", "none", "none", []
    it = iter(argv)
    for a in it:
        if a == "--sock":
            sock_path = next(it)
        elif a == "--dev":
            dev = next(it)
        elif a == "--rate":
            rate_s = next(it)
        elif a == "--delay":
            delay_s = next(it)
        else:
            specs.append(a)
    if not sock_path or not specs:
        fail("serve --sock PATH [--dev DEV] [--rate R] [--delay D] NAME=NETNS=ADDR...")
    os.closerange(3, 1024)  # nothing of the caller's (pipes of a $(...)) stays open in here
    try:
        rate, delay = parse_rate(rate_s), parse_delay(delay_s)
    except ValueError as e:
        fail(str(e))
    hosts = []
    for s in specs:
        parts = s.split("=")
        if len(parts) != 3:
            fail(f"host '{s}': give it as NAME=NETNS=ADDR")
        hosts.append(Host(parts[0], parts[1], socket.inet_aton(parts[2])))
    # Wake-ups as close to the due time as the kernel's timers allow (default slack: 50 us).
    libc.prctl(PR_SET_TIMERSLACK, 1, 0, 0, 0)
    own = os.open("/proc/self/ns/net", os.O_RDONLY | os.O_CLOEXEC)
    for h in hosts:
        try:
            h.fd = open_tun(h.ns, dev, own)
        except OSError as e:
            fail(f"TUN device {dev} in {h.ns}: {e}")
    os.close(own)
    try:
        os.unlink(sock_path)
    except FileNotFoundError:
        pass
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(sock_path)
    os.chmod(sock_path, 0o600)
    srv.listen(8)
    srv.setblocking(False)
    router = Router(hosts, rate, delay)
    print("ready", flush=True)
    router.loop(srv)


def ctl(argv):
    if len(argv) < 2:
        fail("ctl PATH COMMAND...")
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(5.0)
    try:
        s.connect(argv[0])
        s.sendall((" ".join(argv[1:]) + "\n").encode())
        data = b""
        while True:
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
    except OSError as e:
        fail(f"router at {argv[0]}: {e}")
    answer = data.decode().strip()
    print(answer)
    return 0 if answer.startswith("ok") else 1


if __name__ == "__main__":
    if len(sys.argv) >= 2 and sys.argv[1] == "serve":
        serve(sys.argv[2:])
    elif len(sys.argv) >= 2 and sys.argv[1] == "ctl":
        sys.exit(ctl(sys.argv[2:]))
    else:
        print(__doc__.strip(), file=sys.stderr)
        sys.exit(2)
