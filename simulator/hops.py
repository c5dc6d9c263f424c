#!/usr/bin/env python3
"""Where a put's time goes: the median time of each hop on its path.

    python3 simulator/hops.py [--replica PATH] [--seed N] [CONFIG]

Runs one configuration (default configs/simple-2.json) against a replica
and watches every datagram from the simulator's side: when the request
for a put went out, then each datagram that came in from a replica and
each one the simulator sent on, until the put's answer came in. Puts
whose paths share the most common shape (the same sequence of message
types) are summarized hop by hop, with the median time of each step:

- `replica` steps run from the simulator's send to the next datagram in:
  the kernel's delivery, the replica waking up, decoding, deciding,
  encoding and sending, and the simulator waking up;
- `simulator` steps run from a datagram in to its forwarding: the
  simulator decoding and routing it (and any time it lost the processor
  to the replica it woke).

Run it against target/release/floor_responder too: the same table for the
least any put can take. Tests run one at a time on a quiet machine; the
numbers move run to run by tens of microseconds, so compare medians over
several seeds.
"""

import argparse
import json
import os
import statistics
import sys
import time
from collections import Counter

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from simulator.config import load  # noqa: E402
from simulator.simulation import Simulation  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
# What a replica answers a client with; other messages may carry a MID too.
ANSWERS = ("ok", "fail", "redirect")
ROOT = os.path.dirname(HERE)


class TracedSimulation(Simulation):
    """A simulation that timestamps every datagram in and out."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.trace = []
        send_raw = self.net.send_raw

        def traced_send_raw(rid, data):
            sent = send_raw(rid, data)
            self.trace.append((time.monotonic(), "out", rid, data))
            return sent

        self.net.send_raw = traced_send_raw

    def on_datagram(self, rid, data, addr):
        self.trace.append((time.monotonic(), "in", rid, data))
        super().on_datagram(rid, data, addr)


def message(data):
    try:
        msg = json.loads(data)
    except ValueError:
        return {}
    return msg if isinstance(msg, dict) else {}


def put_paths(trace):
    """Each answered put's path: a list of (seconds, direction, message)."""
    paths = []
    for i, (t, direction, _rid, data) in enumerate(trace):
        msg = message(data)
        if direction != "out" or msg.get("type") != "put":
            continue
        path = [(t, direction, msg)]
        for t2, direction2, _rid2, data2 in trace[i + 1:]:
            later = message(data2)
            path.append((t2, direction2, later))
            if direction2 == "in" and later.get("MID") == msg["MID"] and later.get("type") in ANSWERS:
                break
        if path[-1][2].get("type") == "ok":
            paths.append(path)
    return paths


def shape(path):
    return tuple((direction, msg.get("type", "?")) for _, direction, msg in path)


def most_common(paths):
    """The paths that share the most common shape (none if `paths` is empty)."""
    if not paths:
        return []
    shapes = [shape(path) for path in paths]
    common, _ = Counter(shapes).most_common(1)[0]
    return [path for path, s in zip(paths, shapes) if s == common]


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("config", nargs="?", default=os.path.join(ROOT, "configs", "simple-2.json"))
    p.add_argument("--replica", default=os.path.join(ROOT, "3700kvstore"))
    p.add_argument("--seed", type=int, default=1)
    args = p.parse_args()

    sim = TracedSimulation(load(args.config), args.replica, True, args.seed, log=lambda _: None)
    sim.run()
    paths = put_paths(sim.trace)
    if not paths:
        print("no put was answered")
        return 1
    chosen = most_common(paths)
    common = shape(chosen[0])
    print(f"{os.path.basename(args.replica)} on {os.path.basename(args.config)}, seed {args.seed}: "
          f"{len(chosen)} of {len(paths)} answered puts took the most common path")
    print(f"{'step':<10} {'datagram that ends it':<36} {'median us':>10}")
    for step in range(1, len(common)):
        gaps = [(path[step][0] - path[step - 1][0]) * 1e6 for path in chosen]
        _, direction, msg = chosen[0][step]
        who = "replica" if direction == "in" else "simulator"
        ends = f"{direction} {msg.get('src', '?')}->{msg.get('dst', '?')} {msg.get('type', '?')}"
        print(f"{who:<10} {ends:<36} {statistics.median(gaps):>10.0f}")
    totals = [(path[-1][0] - path[0][0]) * 1e6 for path in chosen]
    print(f"{'total':<10} {'':<36} {statistics.median(totals):>10.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
