#!/usr/bin/env python3
"""Benchmark: the canonical suite K times, with scores, tiers and ratios.

    python3 simulator/bench.py [-k K] [--first-seed N] [--replica PATH] [--only a,b]
                               [--markdown] [--save RUNS.json]
    python3 simulator/bench.py --results RUN.json [RUN.json ...]

For every test it prints the pass rate; the median and worst of messages,
failures and duplicates; the median of median latencies; for each metric
(messages, failures, duplicates, latency) how many of the runs that
passed reached each tier, as tier:runs (`0:9,2:1`: nine runs at tier 0,
one at tier 2); the median over the runs of the 90th
percentile of the time puts took from their first send to their `ok`
(redirects included, see clients.py; "-" for runs recorded before it
was); and two ratios:

- msgs/floor: median messages over the minimum-traffic floor
  requests x replicas x (1 - mix) x 0.5;
- lat/floor: median latency over the floor: the median latency of a
  responder with no consensus (two trips for a get, four for a put) on
  the same configuration in the same benchmark run:
  target/release/floor_responder (Rust, like the replica, so both pay the
  same cost per message; `make` builds it), or simulator/floor_replica.py
  where that is missing.

The floor responder never resends: a request whose message between
responders is lost stays unanswered and out of its median, while a
replica must answer it, late. Under loss the table is followed by each
such test's floor with the floor responder's unanswered requests ranked
after every answered one (`median_latency_unanswered_last`, scoring.py),
and the replica's median over that: the two medians then cover the same
requests.

One run's median latency moves by about a tenth from seed to seed, the
floor responder's more than the replica's. So the floor responder runs
`--floor-runs` times per test (default 3), each time just before the
replica's run with the same seed, and the floor is the median of those
runs' medians: the two are measured over the same stretch of the
machine's time, and one unlucky floor run does not move the ratio.

With --save, every run of the replica is written to RUNS.json as
`./run --json` writes it (statistics, errors, tiers, seed), plus the
test's floor (`floor_latency`, seconds; `floor_latency_unanswered_last`
too) when one was measured, rewritten
after each test, so that a table can be checked run by run afterwards
and an interrupted benchmark keeps what it measured.

With --results, the replica is not run again: the table summarizes the
given `./run --json` files (each test's runs grouped by name). A test's
floor is then the median of the floors its runs recorded, and the floor
responder runs only for tests whose runs recorded none.

The replica's runs take seeds N, N + 1, ... (--first-seed, default
1000). A long benchmark can so be made in parts with seeds that do not
repeat, `-k 4` and then `-k 6 --first-seed 1004`, each part saved, and
the parts tabulated together with --results.

Tests run one after another (never in parallel: latency depends on a quiet
machine). Numbers vary run to run; compare medians over several runs.
"""

import argparse
import json
import math
import os
import statistics
import sys
import time
from collections import Counter

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from simulator import processes  # noqa: E402
from simulator.cli import ordered_configs, write_json  # noqa: E402
from simulator.config import load  # noqa: E402
from simulator.scoring import METRIC_LABELS, score  # noqa: E402
from simulator.simulation import Simulation  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
RUST_FLOOR = os.path.join(ROOT, "target", "release", "floor_responder")
FLOOR = RUST_FLOOR if os.access(RUST_FLOOR, os.X_OK) else os.path.join(HERE, "floor_replica.py")
METRICS = [m for m, _ in METRIC_LABELS]


def one_run(cfg, replica, seed):
    sim = Simulation(cfg, replica, True, seed, log=lambda _: None).run()
    return score(sim)


def summarize(cfg, results, floor_latency, floor_unanswered_last=None):
    """One table row from a test's runs; `floor_latency` is the floor in
    seconds (None when the floor responder was not run), and
    `floor_unanswered_last` the floor with the floor responder's
    unanswered requests ranked last (None when unknown, or when the
    median fell among them)."""
    stats = [r["stats"] for r in results]
    passed = [r for r in results if r["passed"]]
    row = {"name": cfg.name, "runs": len(results), "passed": len(passed)}
    for key in ("total_msgs", "failures", "duplicates"):
        values = [s[key] for s in stats]
        row[key] = (statistics.median(values), max(values))
    row["median_latency"] = statistics.median(s["median_latency"] for s in stats)
    put_p90 = [s["put_time_to_ok"]["p90"] for s in stats if "put_time_to_ok" in s]
    row["put_p90"] = statistics.median(put_p90) if put_p90 else None
    row["tiers"] = [tier_counts(r["tiers"][m] for r in passed) for m in METRICS]
    traffic_floor = cfg.requests * cfg.replicas * (1 - cfg.mix) * 0.5
    row["msg_ratio"] = row["total_msgs"][0] / traffic_floor if traffic_floor else float("nan")
    row["floor_latency"] = floor_latency
    row["lat_ratio"] = row["median_latency"] / floor_latency if floor_latency else float("nan")
    row["floor_unanswered_last"] = floor_unanswered_last
    return row


def tier_counts(tiers):
    """How many runs reached each tier, as (tier, runs) in tier order."""
    return sorted(Counter(tiers).items())


def tier_cell(counts):
    """One metric's tier counts as `tier:runs,...`, or "-" with none."""
    return ",".join(f"{t}:{n}" for t, n in counts) or "-"


FIRST_SEED = 1000


def schedule(k, floor_runs, first_seed=FIRST_SEED):
    """The runs of one test, in order: ("floor" or "replica", seed).

    The replica's runs take seeds first_seed, first_seed + 1, ...; the
    floor responder's run with a seed comes just before the replica's
    with the same seed, so that the two see the machine alike."""
    runs = []
    for i in range(max(k, floor_runs)):
        if i < floor_runs:
            runs.append(("floor", first_seed + i))
        if i < k:
            runs.append(("replica", first_seed + i))
    return runs


def floor_median(floors):
    """The floor: the median of the floor runs' median latencies, or None
    if none ran. A run whose median fell among its unanswered requests
    (None, see `median_unanswered_last`) ranks above every other, and a
    floor that falls there is None too."""
    if not floors:
        return None
    middle = statistics.median(math.inf if f is None else f for f in floors)
    return None if math.isinf(middle) else middle


def recorded_floor(results, key="floor_latency"):
    """The floor that saved runs recorded: the median over the runs that
    carry one (each carries its own benchmark's), or None if none does."""
    return floor_median([r[key] for r in results if key in r])


HEADER = ("test", "pass", "msgs med/max", "fail med/max", "dup med/max", "lat ms",
          "put p90 ms", "tiers m f d l (tier:runs)", "msgs/floor", "floor ms", "lat/floor")


def cells(row):
    tiers = " ".join(tier_cell(c) for c in row["tiers"])
    return (row["name"], f"{row['passed']}/{row['runs']}",
            "%d/%d" % row["total_msgs"], "%d/%d" % row["failures"], "%d/%d" % row["duplicates"],
            f"{row['median_latency'] * 1000:.3f}",
            f"{row['put_p90'] * 1000:.2f}" if row["put_p90"] is not None else "-",
            tiers, f"{row['msg_ratio']:.2f}",
            f"{row['floor_latency'] * 1000:.3f}" if row["floor_latency"] else "-",
            f"{row['lat_ratio']:.2f}")


def select_tests(configs, only):
    """The configs named in `only` (comma-separated), in suite order.

    A name that is no test's is an error, not a silently shorter table."""
    wanted = {name.strip() for name in only.split(",") if name.strip()}
    unknown = sorted(wanted - {c.name for c in configs})
    if unknown:
        raise ValueError(f"--only: no test named {', '.join(unknown)}")
    return [c for c in configs if c.name in wanted]


LOSS_HEADER = ("test", "floor ms", "floor, unanswered last, ms", "lat/floor")


def loss_cells(rows):
    """The rows whose floor responder left requests unanswered, each with
    its floor counting them as answered last and the replica's median
    over that floor."""
    return [(r["name"], f"{r['floor_latency'] * 1000:.3f}",
             f"{r['floor_unanswered_last'] * 1000:.3f}",
             f"{r['median_latency'] / r['floor_unanswered_last']:.2f}")
            for r in rows
            if r["floor_latency"] and r["floor_unanswered_last"]
            and r["floor_unanswered_last"] != r["floor_latency"]]


def print_table(rows, markdown):
    table = [HEADER] + [cells(r) for r in rows]
    if markdown:
        print("| " + " | ".join(HEADER) + " |")
        print("|" + "---|" * len(HEADER))
        for c in table[1:]:
            print("| " + " | ".join(c) + " |")
        return
    print_columns(table)
    loss = loss_cells(rows)
    if loss:
        print("\nwith the floor responder's unanswered requests ranked after every answered one:")
        print_columns([LOSS_HEADER] + loss)


def print_columns(table):
    widths = [max(len(c[i]) for c in table) for i in range(len(table[0]))]
    for c in table:
        print("  ".join(v.ljust(w) for v, w in zip(c, widths)))


def save(path, results):
    """Writes `results` to `path` as ./run --json does, creating its
    directory if need be."""
    directory = os.path.dirname(path)
    if directory:
        os.makedirs(directory, exist_ok=True)
    write_json(path, results)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("-k", type=int, default=3, help="runs per test (default 3)")
    p.add_argument("--first-seed", type=int, default=FIRST_SEED,
                   help=f"the seed of each test's first run (default {FIRST_SEED})")
    p.add_argument("--replica", default="./3700kvstore")
    p.add_argument("--configs", default="./configs/")
    p.add_argument("--only", help="comma-separated test names")
    p.add_argument("--no-floor", action="store_true", help="skip the floor responder runs")
    p.add_argument("--floor", default=FLOOR, help=f"the floor responder (default {os.path.relpath(FLOOR)})")
    p.add_argument("--floor-runs", type=int, default=3,
                   help="floor responder runs per test, the floor being their median (default 3)")
    p.add_argument("--pause", type=float, default=1.0, help="seconds between runs (default 1)")
    p.add_argument("--markdown", action="store_true")
    p.add_argument("--save", metavar="RUNS.json",
                   help="write every run of the replica here, as ./run --json does")
    p.add_argument("--results", nargs="+", metavar="RUN.json",
                   help="summarize these ./run --json files instead of running the replica")
    args = p.parse_args()
    if args.floor_runs < 1:
        p.error("--floor-runs must be at least 1")
    processes.install_handlers()
    configs = [load(path) for path in ordered_configs(args.configs)]
    if args.only:
        try:
            configs = select_tests(configs, args.only)
        except ValueError as e:
            p.error(str(e))
    recorded = {}
    for path in args.results or []:
        with open(path, encoding="utf-8") as f:
            for result in json.load(f):
                recorded.setdefault(result["name"], []).append(result)
    if args.results:
        configs = [c for c in configs if c.name in recorded]
    floor_runs = 0 if args.no_floor else args.floor_runs
    rows, saved = [], []
    started = time.time()
    for cfg in configs:
        floors, floors_unanswered_last, results = [], [], []
        known_floor = recorded_floor(recorded.get(cfg.name, []))
        runs = 0 if args.results else args.k
        for who, seed in schedule(runs, 0 if known_floor else floor_runs, args.first_seed):
            if who == "floor":
                stats = one_run(cfg, args.floor, seed=seed)["stats"]
                floors.append(stats["median_latency"])
                floors_unanswered_last.append(stats["median_latency_unanswered_last"])
                print(f"  {cfg.name} floor (seed {seed}): {floors[-1] * 1000:.3f} ms", file=sys.stderr, flush=True)
            else:
                results.append(one_run(cfg, args.replica, seed=seed))
                verdict = "pass" if results[-1]["passed"] else "FAIL: " + "; ".join(results[-1]["errors"])[:200]
                print(f"  {cfg.name} run {len(results)}/{args.k}: {verdict}", file=sys.stderr, flush=True)
            time.sleep(args.pause)
        floor = known_floor or floor_median(floors)
        if known_floor:
            floor_unanswered_last = recorded_floor(recorded[cfg.name], "floor_latency_unanswered_last")
        else:
            floor_unanswered_last = floor_median(floors_unanswered_last)
        if args.results:
            results = recorded[cfg.name]
        elif args.save:
            saved.extend(dict(r, floor_latency=floor, floor_latency_unanswered_last=floor_unanswered_last)
                         if floor else r for r in results)
            save(args.save, saved)
        rows.append(summarize(cfg, results, floor, floor_unanswered_last))
    if args.results:
        print(f"# runs from {' '.join(args.results)}; floors as recorded, or measured "
              f"{floor_runs} times for a test with none, in {time.time() - started:.0f} s")
    else:
        print(f"# {args.k} runs per test (seeds from {args.first_seed}) and {floor_runs} "
              f"of the floor responder, "
              f"{time.time() - started:.0f} s, replica {args.replica}"
              + (f", runs saved to {args.save}" if args.save else ""))
    print_table(rows, args.markdown)
    return 0


if __name__ == "__main__":
    sys.exit(main())
