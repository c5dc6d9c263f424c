#!/usr/bin/env python3
"""Where the messages go: a run's replica-to-replica traffic, by kind and phase.

    python3 simulator/traffic.py [--replica PATH] [--seeds A-B] [--brief] [CONFIG ...]

Runs each configuration given (default configs/advanced-1.json) against
a replica once per seed (default 1000-1002, the seeds `make bench` starts
from) and sorts every message the simulator counts, the ones it drops
included, by what it does:

- a new batch along a relay chain: the leader's send to the first
  follower, and each follower passing it on;
- a direct append carrying entries (a resend, a probe, a widened commit,
  a follower's catch-up turn), a quiet batch that asks for no answer, a
  heartbeat with no entries;
- an answer to an append, accepted or rejected;
- pre-vote and vote requests and their answers.

Each kind also shows how many of its messages a partition cut. Then by phase: the stretches between the configuration's events, each
with its messages and how many of them a partition cut. Counts are means
per run. With --brief, one line per configuration instead: its messages
by group of kinds (chains, direct appends with entries, quiet batches
and heartbeats, answers, votes) and how many a partition cut.

The numbers move from run to run with the seeds' faults (which replica
leads when a partition starts, which messages drop), so compare means
over several seeds. Say a change is meant to save messages when a
partition cuts the leader off: this shows whether they went where it
aimed.
"""

import argparse
import os
import sys
from collections import Counter

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from simulator.config import load  # noqa: E402
from simulator.hops import message  # noqa: E402
from simulator.ids import BROADCAST  # noqa: E402
from simulator.simulation import Simulation  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# Kinds in the order the table lists them.
KINDS = [
    "chain: leader's send",
    "chain: passed on",
    "append: entries, direct",
    "append: quiet batch",
    "append: heartbeat",
    "answer: accepted",
    "answer: rejected",
    "pre-vote request",
    "pre-vote answer",
    "vote request",
    "vote answer",
]


def kind_of(msg):
    """What a replica-to-replica message does, as one of KINDS (or its type)."""
    typ = msg.get("type", "?")
    if typ == "append":
        relay = msg.get("relay")
        if isinstance(relay, dict):
            if relay.get("leader") == msg.get("src"):
                return "chain: leader's send"
            return "chain: passed on"
        if msg.get("quiet"):
            return "append: quiet batch"
        if msg.get("entries"):
            return "append: entries, direct"
        return "append: heartbeat"
    if typ == "append_response":
        return "answer: accepted" if msg.get("success") else "answer: rejected"
    if typ in ("vote_request", "vote_response"):
        what = "pre-vote" if msg.get("pre_vote") else "vote"
        return f"{what} {'request' if typ == 'vote_request' else 'answer'}"
    return typ


def phase_of(t, events):
    """The index of the phase time `t` falls in: 0 before the first event,
    i after the i-th (`events` are tuples that start with the event's
    time, sorted by it)."""
    phase = 0
    for i, (at, *_what) in enumerate(events, start=1):
        if t >= at:
            phase = i
    return phase


class CountingSimulation(Simulation):
    """A simulation that records every routed message: when, its kind,
    and whether a partition cut it."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.routed = []
        self.events_seen = []
        route = self.net.route

        def counted_route(src, dst, data, kind="?"):
            what = kind_of(message(data))
            targets = [r for r in self.net.ids if r != src] if dst == BROADCAST else [dst]
            for t in targets:
                self.routed.append((self.now(), what, self.net.crosses(src, t)))
            return route(src, dst, data, kind)

        self.net.route = counted_route
        apply_event = self.apply_event

        def noted_event(event):
            leader = self.leader
            apply_event(event)
            cut_off = None
            if self.net.group is not None and event.type.startswith("part_"):
                cut_off = leader not in self.net.group
            self.events_seen.append((self.now(), event.type, cut_off))

        self.apply_event = noted_event


def tally(routed, events):
    """Counts by kind and by phase, and of each how many a partition cut."""
    by_kind = Counter()
    by_phase = Counter()
    cut_by_kind = Counter()
    cut_by_phase = Counter()
    for t, kind, cut in routed:
        phase = phase_of(t, events)
        by_kind[kind] += 1
        by_phase[phase] += 1
        if cut:
            cut_by_kind[kind] += 1
            cut_by_phase[phase] += 1
    return by_kind, by_phase, cut_by_kind, cut_by_phase


def parse_seeds(text):
    """The seeds of `--seeds`: one, or an inclusive range A-B."""
    first, _, last = text.partition("-")
    lo = int(first)
    hi = int(last) if last else lo
    if hi < lo:
        raise argparse.ArgumentTypeError(f"seeds {text}: the last comes before the first")
    return list(range(lo, hi + 1))


# The brief table's columns: a heading and the kinds each one adds up.
GROUPS = [
    ("chains", ["chain: leader's send", "chain: passed on"]),
    ("direct", ["append: entries, direct"]),
    ("contacts", ["append: quiet batch", "append: heartbeat"]),
    ("answers", ["answer: accepted", "answer: rejected"]),
    ("votes", ["pre-vote request", "pre-vote answer", "vote request", "vote answer"]),
]


class Measured:
    """What the runs of one configuration sent, summed over its seeds."""

    def __init__(self, runs):
        self.runs = runs
        self.kinds = Counter()
        self.phases = Counter()
        self.cut_kinds = Counter()
        self.cut = Counter()
        # Phase index -> [time, event, partitions, of them with the leader
        # cut off]: phases differ between seeds only in where the leader
        # stood when a partition began.
        self.labels = {}

    def add(self, sim):
        by_kind, by_phase, cut_by_kind, cut_by_phase = tally(sim.routed, sim.events_seen)
        self.kinds.update(by_kind)
        self.phases.update(by_phase)
        self.cut_kinds.update(cut_by_kind)
        self.cut.update(cut_by_phase)
        for i, (at, event, cut_off) in enumerate(sim.events_seen, start=1):
            label = self.labels.setdefault(i, [at, event, 0, 0])
            label[2] += cut_off is not None
            label[3] += bool(cut_off)

    def per_run(self, kinds):
        return sum(self.kinds[k] for k in kinds) / self.runs


def measure(cfg, replica, seeds):
    """Runs `cfg` against `replica` once per seed; what they sent."""
    measured = Measured(len(seeds))
    for seed in seeds:
        sim = CountingSimulation(cfg, replica, True, seed, log=lambda _: None)
        sim.run()
        measured.add(sim)
    return measured


def print_tables(m):
    """The full report of one configuration: by kind, then by phase."""
    total = sum(m.kinds.values())
    print(f"{'kind':<26} {'per run':>8} {'share':>6} {'cut':>6}")
    for kind in KINDS + sorted(k for k in m.kinds if k not in KINDS):
        if m.kinds[kind]:
            print(f"{kind:<26} {m.kinds[kind] / m.runs:>8.1f} {m.kinds[kind] / total:>6.1%}"
                  f" {m.cut_kinds[kind] / m.runs:>6.1f}")
    print()
    print(f"{'from s':>7}  {'phase':<40} {'per run':>8} {'cut':>6}")
    for phase in sorted(set(m.phases) | set(m.labels) | {0}):
        if phase == 0:
            at, name = 0.0, "start"
        else:
            at, name, partitions, cut_off = m.labels[phase]
            if partitions:
                name += f", leader cut off in {cut_off} of {partitions}"
        print(f"{at:>7.1f}  {name:<40} {m.phases[phase] / m.runs:>8.1f} {m.cut[phase] / m.runs:>6.1f}")


def brief_heading():
    """The column heads of --brief."""
    columns = "".join(f" {name:>9}" for name, _ in GROUPS)
    return f"{'test':<14} {'per run':>8}{columns} {'cut':>6}"


def brief_row(name, m):
    """One configuration's line of --brief: messages a run, by group."""
    columns = "".join(f" {m.per_run(kinds):>9.1f}" for _, kinds in GROUPS)
    return f"{name:<14} {sum(m.kinds.values()) / m.runs:>8.1f}{columns} {sum(m.cut.values()) / m.runs:>6.1f}"


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("configs", nargs="*", default=[os.path.join(ROOT, "configs", "advanced-1.json")],
                   help="one or more configurations (default configs/advanced-1.json)")
    p.add_argument("--replica", default=os.path.join(ROOT, "3700kvstore"))
    p.add_argument("--seeds", type=parse_seeds, default=parse_seeds("1000-1002"),
                   help="a seed or a range A-B (default 1000-1002)")
    p.add_argument("--brief", action="store_true",
                   help="one line per configuration: messages a run by group of kinds")
    args = p.parse_args()
    cfgs = [(os.path.basename(path), load(path)) for path in args.configs]

    first, last = args.seeds[0], args.seeds[-1]
    seeds = f"seed {first}" if first == last else f"seeds {first}-{last}"
    if args.brief:
        print(f"{os.path.basename(args.replica)}, {seeds}, means per run")
        print(brief_heading())
    for name, cfg in cfgs:
        measured = measure(cfg, args.replica, args.seeds)
        if args.brief:
            print(brief_row(name.removesuffix(".json"), measured), flush=True)
            continue
        total = sum(measured.kinds.values())
        print(f"{os.path.basename(args.replica)} on {name}, {seeds}: "
              f"{total / measured.runs:.0f} messages a run")
        print_tables(measured)
        print(flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
