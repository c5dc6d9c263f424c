#!/usr/bin/env python3
"""Who runs during each hop of a put's path: hops.py, with the scheduler's view.

    python3 simulator/hops_cpu.py [--replica PATH] [--seed N] [CONFIG]

Runs hops.py's traced simulation under `perf sched record` (perf must be
installed and allowed to trace the scheduler; it records every processor)
and lays the scheduler's context switches over the put paths. For each
step of the most common path it prints the step's median length and how
long each process ran during it, per processor: the simulator, the
replicas on the path by their order of appearance (R1 takes the request,
R2 is the first one it sends to, ...), any other replica, other
processes, and the idle task.

The two clocks agree because perf is told to timestamp with
CLOCK_MONOTONIC (`-k mono`), the clock of Python's `time.monotonic`.
A replica woken by the simulator often takes the processor inside the
simulator's send, so its work can fall in the step before the one that
ends with its message; the per-process columns show where it went.
"""

import argparse
import bisect
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from collections import defaultdict

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from simulator import hops  # noqa: E402

SWITCH = re.compile(r"\[(\d+)\]\s+([\d.]+):.*\bprev_pid=(\d+)\b.*\bnext_pid=(\d+)\b")


def run_intervals(switch_lines):
    """Each processor's run intervals, [(start, end, pid)], from `perf
    script` lines of sched_switch events in time order."""
    intervals = defaultdict(list)
    running = {}
    for line in switch_lines:
        m = SWITCH.search(line)
        if not m:
            continue
        cpu, t, nxt = int(m[1]), float(m[2]), int(m[4])
        if cpu in running:
            start, pid = running[cpu]
            intervals[cpu].append((start, t, pid))
        running[cpu] = (t, nxt)
    return intervals


def path_roles(path):
    """The replicas on a path, in order of appearance: R1 takes the
    request, then each destination not seen before."""
    roles = {}
    for _, direction, msg in path:
        dst = msg.get("dst")
        if direction == "out" and dst is not None and dst not in roles:
            roles[dst] = f"R{len(roles) + 1}"
    return roles


def step_shares(path, intervals, sim_pid, replica_pids):
    """For each step of `path`, microseconds each (processor, process) ran
    inside it: processes are 'sim', a path role, 'replica' for a replica
    off the path, 'idle' and 'other'."""
    roles = path_roles(path)
    names = {pid: roles.get(rid, "replica") for rid, pid in replica_pids.items()}
    names[sim_pid] = "sim"
    names[0] = "idle"
    shares = []
    for (start, _, _), (end, _, _) in zip(path, path[1:]):
        ran = defaultdict(float)
        for cpu, runs in intervals.items():
            # A processor's runs follow one another, so their ends are in
            # order: start at the first run that ends after the step starts.
            i = bisect.bisect_right(runs, start, key=lambda run: run[1])
            while i < len(runs) and runs[i][0] < end:
                s, e, pid = runs[i]
                ran[(cpu, names.get(pid, "other"))] += (min(e, end) - max(s, start)) * 1e6
                i += 1
        shares.append(dict(ran))
    return shares


def dump_paths(args):
    """Runs the traced simulation and writes its process ids and the most
    common path's puts to `args.dump`."""
    sim = hops.TracedSimulation(hops.load(args.config), args.replica, True, args.seed, log=lambda _: None)
    sim.run()
    chosen = hops.most_common(hops.put_paths(sim.trace))
    with open(args.dump, "w") as f:
        json.dump({
            "sim_pid": os.getpid(),
            "replica_pids": {rid: proc.pid for rid, proc in sim.procs.items()},
            "paths": [[(t, d, {k: m.get(k) for k in ("src", "dst", "type")}) for t, d, m in p] for p in chosen],
        }, f)


def report(traced, intervals):
    paths = traced["paths"]
    if not paths:
        print("no put was answered")
        return 1
    shares = [step_shares(p, intervals, traced["sim_pid"], traced["replica_pids"]) for p in paths]
    print(f"{len(paths)} puts took the most common path; microseconds, median over them")
    print(f"{'step':<4} {'datagram that ends it':<30} {'length':>6}   who ran (processor: process median/mean)")
    for step in range(len(paths[0]) - 1):
        _, direction, msg = paths[0][step + 1]
        ends = f"{direction} {msg['src']}->{msg['dst']} {msg['type']}"
        length = statistics.median((p[step + 1][0] - p[step][0]) * 1e6 for p in paths)
        keys = sorted({k for s in shares for k in s[step]})
        cols = []
        for key in keys:
            values = [s[step].get(key, 0.0) for s in shares]
            mean = statistics.mean(values)
            if mean >= 1:
                cols.append(f"{key[0]}:{key[1]} {statistics.median(values):.0f}/{mean:.0f}")
        print(f"{step + 1:<4} {ends:<30} {length:>6.0f}   " + ", ".join(cols))
    return 0


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("config", nargs="?", default=os.path.join(hops.ROOT, "configs", "simple-2.json"))
    p.add_argument("--replica", default=os.path.join(hops.ROOT, "3700kvstore"))
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--dump", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.dump:
        dump_paths(args)
        return 0
    if shutil.which("perf") is None:
        print("hops_cpu: needs perf (linux-tools) on the PATH", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        data, dump = os.path.join(tmp, "perf.data"), os.path.join(tmp, "paths.json")
        inner = [sys.executable, os.path.abspath(__file__), "--dump", dump, "--replica", args.replica,
                 "--seed", str(args.seed), args.config]
        recorded = subprocess.run(["perf", "sched", "record", "-k", "mono", "-o", data, "--"] + inner,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        if recorded.returncode != 0 or not os.path.exists(dump):
            print(f"hops_cpu: perf sched record failed: {recorded.stderr.strip()[-500:]}", file=sys.stderr)
            return 1
        script = subprocess.run(["perf", "script", "-i", data, "-F", "cpu,time,event,trace"],
                                capture_output=True, text=True)
        switches = (line for line in script.stdout.splitlines() if "sched_switch" in line)
        with open(dump) as f:
            traced = json.load(f)
        return report(traced, run_intervals(switches))


if __name__ == "__main__":
    sys.exit(main())
