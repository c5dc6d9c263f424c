"""One test run: start the replicas, drive clients and faults, collect results.

The loop is single-threaded: a selector over the replicas' sockets and
output pipes, woken for the next request, event or deadline. Event times
count from the end of the start delay; `requests` requests are spread
evenly over `lifetime` after it. Events due at the same moment as a
request are applied first.
"""

import json
import os
import random
import selectors
import sys
import time

from . import processes
from .clients import Clients
from .ids import BROADCAST, client_ids, replica_ids
from .network import Network, decode, udp_receive_overflows

STORM_LIMIT = 20_000
POLL = 0.05


class Simulation:
    """Runs one configuration against one replica program."""

    def __init__(self, cfg, replica, silence, seed, log=None):
        self.cfg = cfg
        self.replica = replica
        self.silence = silence
        self.seed = seed
        self.rng = random.Random(seed)
        self.log = log or (lambda line: print(line, file=sys.stderr, flush=True))
        self.ids = replica_ids(cfg.replicas)
        self.clients = Clients(client_ids(cfg.replicas), self.rng)
        self.net = Network(self.ids, self.rng, cfg.drops)
        self.procs = {}
        self.killed = set()
        self.died = set()
        self.malformed = []
        self.leader = BROADCAST
        self.leaders = [BROADCAST]
        self.storm = False
        self.socket_overflows = None
        self.event_log = []
        self.selector = selectors.DefaultSelector()
        self.t0 = 0.0

    def now(self):
        """Seconds since the replicas were started."""
        return time.monotonic() - self.t0

    # ---- replicas -------------------------------------------------------

    def start_replicas(self):
        self.t0 = time.monotonic()
        for rid in self.ids:
            others = [r for r in self.ids if r != rid]
            argv = [self.replica, str(self.net.port(rid)), rid] + others
            proc = processes.start(argv, self.silence)
            self.procs[rid] = proc
            self.selector.register(self.net.sockets[rid], selectors.EVENT_READ, ("net", rid))
            if proc.stdout is not None:
                os.set_blocking(proc.stdout.fileno(), False)
                self.selector.register(proc.stdout, selectors.EVENT_READ, ("out", rid))

    def kill(self, rid):
        processes.kill(self.procs[rid])
        self.killed.add(rid)
        self.net.dead.add(rid)

    def end_replica(self, rid, why):
        """A replica that quit or misbehaved fatally: it counts as died."""
        if rid in self.net.dead:
            return
        self.log(f"[{self.now():8.3f}] error: replica {rid} {why}")
        self.died.add(rid)
        self.net.dead.add(rid)
        processes.kill(self.procs[rid])

    def check_exits(self):
        for rid, proc in self.procs.items():
            if rid not in self.net.dead and proc.poll() is not None:
                self.end_replica(rid, f"exited unexpectedly with status {proc.returncode}")

    def show_output(self, rid, stream):
        try:
            data = os.read(stream.fileno(), 65536)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            data = b""
        if not data:
            self.selector.unregister(stream)
            return
        for line in data.decode("utf-8", "replace").splitlines():
            self.log(f"[{self.now():8.3f}] {rid}: {line}")

    # ---- messages -------------------------------------------------------

    def on_datagram(self, rid, data, addr):
        msg, problem = decode(data)
        if problem == "undecodable":
            self.end_replica(rid, "sent an undecodable datagram")
            return
        if problem:
            self.malformed.append((rid, problem))
            self.log(f"[{self.now():8.3f}] error: {rid} sent a {problem}")
            return
        if msg["type"] == "hello":
            self.net.addresses[rid] = addr
            return
        if rid in self.net.dead:
            return
        if self.net.group is None or rid in self.net.group:
            if msg["leader"] != self.leader:
                self.leader = msg["leader"]
                if self.leaders[-1] != self.leader:
                    self.leaders.append(self.leader)
        dst = msg["dst"]
        if dst in self.clients.leader:
            retry = self.clients.on_response(msg, self.now())
            if retry is not None:
                self.send_request(retry, named=msg.get("leader"))
        elif dst == BROADCAST or dst in self.net.sockets:
            self.net.route(msg["src"], dst, data, msg["type"])
        else:
            self.log(f"[{self.now():8.3f}] error: {rid} sent to unknown destination {dst}")

    def drain(self, rid):
        sock = self.net.sockets[rid]
        while True:
            try:
                data, addr = sock.recvfrom(65535)
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                return
            self.on_datagram(rid, data, addr)
            if self.net.total > STORM_LIMIT:
                return

    def send_request(self, request, named=None):
        alive = set(self.net.alive())
        dst = self.clients.destination(request.client, alive, named)
        if dst is None:
            return
        msg = self.clients.attempt(request, self.now(), dst)
        self.net.require_hello(dst)
        self.net.send_raw(dst, json.dumps(msg).encode())

    # ---- events -----------------------------------------------------------

    def apply_event(self, event):
        self.event_log.append((self.now(), f"{event.type} (believed leader {self.leader})"))
        alive = self.net.alive()
        majority = self.cfg.replicas // 2 + 1
        if event.type == "kill_leader":
            # As the reference: nothing happens if it believes FFFF; a
            # believed leader already dead has nothing left to kill, but
            # the clients forget it all the same.
            if self.leader != BROADCAST:
                if self.leader in alive:
                    self.log(f"[{self.now():8.3f}] event: killing leader {self.leader}")
                    self.kill(self.leader)
                self.clients.forget_leader()
        elif event.type == "kill_non_leader":
            candidates = sorted(r for r in alive if r != self.leader)
            if candidates:
                victim = self.rng.choice(candidates)
                self.log(f"[{self.now():8.3f}] event: killing non-leader {victim}")
                self.kill(victim)
        elif event.type == "part_easy":
            others = [r for r in self.ids if r != self.leader]
            self.rng.shuffle(others)
            if self.leader in self.ids:
                group = {self.leader} | set(others[: majority - 1])
            else:
                group = set(others[:majority])
            self.net.group = group
            self.log(f"[{self.now():8.3f}] event: easy partition {sorted(group)}")
        elif event.type == "part_hard":
            self.clients.forget_leader()
            shuffled = list(self.ids)
            self.rng.shuffle(shuffled)
            self.net.group = set(shuffled[:majority])
            self.log(f"[{self.now():8.3f}] event: hard partition {sorted(self.net.group)}")
        elif event.type == "part_end":
            self.net.group = None
            self.log(f"[{self.now():8.3f}] event: partition ends")

    # ---- the loop -----------------------------------------------------------

    def run(self):
        """Runs the test to its end; returns the raw observations."""
        cfg = self.cfg
        spacing = cfg.lifetime / cfg.requests if cfg.requests else 0.0
        events = list(cfg.events)
        next_request = 0
        last_poll = 0.0
        overflows_before = udp_receive_overflows()
        try:
            self.start_replicas()
            while True:
                now = self.now()
                if now >= cfg.duration:
                    break
                if self.net.total > STORM_LIMIT:
                    self.storm = True
                    self.log(f"[{now:8.3f}] error: packet storm ({self.net.total} messages), stopping")
                    break
                if not self.net.alive():
                    self.log(f"[{now:8.3f}] error: no replica is alive, stopping")
                    break
                while events and cfg.wait + events[0].time <= now:
                    self.apply_event(events.pop(0))
                while next_request < cfg.requests and cfg.wait + next_request * spacing <= now:
                    next_request += 1
                    self.send_request(self.clients.new_request(cfg.mix))
                if now - last_poll >= POLL:
                    self.check_exits()
                    last_poll = now
                due = [cfg.duration]
                if events:
                    due.append(cfg.wait + events[0].time)
                if next_request < cfg.requests:
                    due.append(cfg.wait + next_request * spacing)
                timeout = max(0.0, min(min(due) - self.now(), POLL))
                for key, _ in self.selector.select(timeout):
                    kind, rid = key.data
                    if kind == "net":
                        self.drain(rid)
                    else:
                        self.show_output(rid, key.fileobj)
            # A replica that exited since the last poll died all the same.
            self.check_exits()
        finally:
            for proc in self.procs.values():
                processes.reap(proc)
            self.selector.close()
            self.net.close()
            overflows_after = udp_receive_overflows()
            if overflows_before is not None and overflows_after is not None:
                self.socket_overflows = overflows_after - overflows_before
        return self
