"""The emulated LAN: one UDP socket per replica, routing by `dst`.

- A replica's address is learned from its `hello` (never counted or routed).
- `dst` a replica: counted, then delivered unless dropped (the `drops`
  probability), cut by a partition, or addressed to a dead replica.
- `dst` FFFF: counted as replicas - 1 messages, each copy dropped
  independently.
- `dst` a client: handed to the clients, never counted or dropped.
- A partition is a group of replicas: a message crosses only if both ends
  are inside it or both outside; the rest count as dropped.
- Writing waits up to 10 ms for the socket to be writable; otherwise the
  message is counted as blocked and lost.

A datagram can also be lost without anyone counting it: when a burst
arrives faster than the simulator reads, the kernel drops what overflows
a socket's receive buffer. `udp_receive_overflows` reads the kernel's
count of those (for the whole machine) so that a report can show them.
"""

import json
import select
import socket

from .ids import BROADCAST, is_id

WRITE_WAIT = 0.010
SNMP = "/proc/net/snmp"


def udp_receive_overflows(text=None):
    """The kernel's count of UDP datagrams dropped for a full receive
    buffer (`RcvbufErrors` in /proc/net/snmp), or None where unavailable."""
    if text is None:
        try:
            with open(SNMP) as f:
                text = f.read()
        except OSError:
            return None
    rows = [line.split() for line in text.splitlines() if line.startswith("Udp:")]
    if len(rows) < 2 or "RcvbufErrors" not in rows[0]:
        return None
    column = rows[0].index("RcvbufErrors")
    try:
        return int(rows[1][column])
    except (IndexError, ValueError):
        return None


class Network:
    """Sockets, routing and fault injection between replicas."""

    def __init__(self, replica_ids, rng, drops):
        self.ids = list(replica_ids)
        self.rng = rng
        self.drops = drops
        self.sockets = {}
        self.addresses = {}
        self.dead = set()
        self.group = None
        self.total = 0
        self.by_type = {}
        self.dropped = 0
        self.blocked = 0
        for rid in self.ids:
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.bind(("localhost", 0))
            s.setblocking(False)
            self.sockets[rid] = s

    def port(self, rid):
        """The UDP port a replica sends to."""
        return self.sockets[rid].getsockname()[1]

    def close(self):
        """Closes every socket."""
        for s in self.sockets.values():
            s.close()

    def alive(self):
        """Replicas not killed or dead."""
        return [r for r in self.ids if r not in self.dead]

    def crosses(self, src, dst):
        """True when a partition separates src from dst."""
        return self.group is not None and ((src in self.group) != (dst in self.group))

    def require_hello(self, rid):
        """A message routed to a replica that never said hello marks it
        dead, whether or not that copy would have been dropped."""
        if rid not in self.addresses:
            self.dead.add(rid)

    def send_raw(self, rid, data):
        """Writes a datagram to a replica; False if it could not be written."""
        addr = self.addresses.get(rid)
        if addr is None or rid in self.dead:
            return False
        s = self.sockets[rid]
        try:
            s.sendto(data, addr)
            return True
        except BlockingIOError:
            _, writable, _ = select.select([], [s], [], WRITE_WAIT)
            if writable:
                try:
                    s.sendto(data, addr)
                    return True
                except OSError:
                    pass
            self.blocked += 1
            return False
        except OSError:
            return False

    def route(self, src, dst, data, kind="?"):
        """Counts and delivers a replica-to-replica message (or broadcast).

        `kind` is the message's `type`, counted per type in `by_type` so that
        a run shows where its traffic goes.
        """
        targets = [r for r in self.ids if r != src] if dst == BROADCAST else [dst]
        for t in targets:
            self.total += 1
            self.by_type[kind] = self.by_type.get(kind, 0) + 1
            self.require_hello(t)
            if t in self.dead or self.crosses(src, t) or self.rng.random() < self.drops:
                self.dropped += 1
                continue
            self.send_raw(t, data)


def decode(data):
    """Parses a replica's datagram. Returns (message, problem)."""
    try:
        msg = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None, "undecodable"
    if not isinstance(msg, dict):
        return None, "malformed: not a JSON object"
    for key in ("src", "dst", "leader", "type"):
        if key not in msg:
            return msg, f"malformed: missing {key}"
    for key in ("src", "dst", "leader"):
        if not is_id(msg[key]):
            return msg, f"malformed: {key} {msg[key]!r} is not four hex digits"
    if not isinstance(msg["type"], str):
        return msg, "malformed: type is not a string"
    return msg, None
