"""Statistics, correctness checks and performance tiers of one run."""

from . import linearizability

TIER_NAMES = ("Bonus!", "Passed", "Partial credit, needs improvement", "Failed")
METRIC_LABELS = (
    ("total_msgs", "Total Messages Between Replicas"),
    ("failures", "Total Failures and Unanswered Requests"),
    ("duplicates", "Duplicate Responses to Clients"),
    ("median_latency", "Median Response Latency to Clients"),
)


def tier(value, thresholds):
    """0 (bonus) if strictly below the first threshold, ... 3 if none."""
    for i, limit in enumerate(thresholds):
        if value < limit:
            return i
    return 3


def quantile(values, q):
    """The value at fraction `q` of the sorted values, picked the way the
    reference picks its median (`sorted(values)[int(n * q)]`); 0 when empty."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(int(len(ordered) * q), len(ordered) - 1)]


def median(values):
    """The reference's median: sorted(values)[n // 2]; 0 when empty."""
    return quantile(values, 0.5)


def median_unanswered_last(latencies, unanswered):
    """The median as though each of the `unanswered` requests had been
    answered after every answered one, picked as `median` picks; None if
    it falls among those. A responder that leaves lost requests
    unanswered has a lower median than one that must answer them, and
    this puts the two on the same requests (bench.py)."""
    n = len(latencies) + unanswered
    if n == 0:
        return 0.0
    if n // 2 >= len(latencies):
        return None
    return sorted(latencies)[n // 2]


def time_to_ok(times):
    """Median, 90th and 99th percentile and maximum of the times requests
    took from their first attempt to their `ok` (see clients.py), in
    seconds, with how many there were."""
    return {"n": len(times), "median": quantile(times, 0.5), "p90": quantile(times, 0.9),
            "p99": quantile(times, 0.99), "max": max(times, default=0.0)}


def score(sim):
    """Everything ./run reports about a finished Simulation, as a dict."""
    cfg, c = sim.cfg, sim.clients
    s = c.stats
    un_gets, un_puts = c.unanswered()
    stats = {
        "leaders": list(sim.leaders),
        "died": len(sim.died),
        "killed": len(sim.killed),
        "total_msgs": sim.net.total,
        "msgs_by_type": dict(sorted(sim.net.by_type.items())),
        "dropped": sim.net.dropped,
        "blocked": sim.net.blocked,
        "gets": s["gets"],
        "puts": s["puts"],
        "get_generation_failures": s["get_generation_failures"],
        "duplicates": s["duplicates"],
        "unanswered_gets": un_gets,
        "unanswered_puts": un_puts,
        "redirects": s["redirects"],
        "get_failures": s["get_failures"],
        "put_failures": s["put_failures"],
        "incorrect_gets": s["incorrect_gets"],
        "unexpected_responses": s["unexpected"],
        "malformed_messages": len(sim.malformed),
        "keys_stored": sum(len(k) for k in c.stored.values()),
        "failures": s["get_failures"] + s["put_failures"] + un_gets + un_puts,
        "median_latency": median(c.latencies),
        "median_latency_unanswered_last": median_unanswered_last(c.latencies, un_gets + un_puts),
        "responses": len(c.latencies),
        "get_time_to_ok": time_to_ok(c.ok_times["get"]),
        "put_time_to_ok": time_to_ok(c.ok_times["put"]),
        "storm": sim.storm,
        "socket_overflows": sim.socket_overflows,
    }
    errors = correctness_errors(cfg, stats)
    violations, undecided = linearizability.check(c.full_history())
    for v in violations:
        errors.append("Error: history is not linearizable: " + v.describe())
    tiers = None
    if not errors:
        tiers = {m: tier(stats[m], cfg.benchmarks[m]) for m, _ in METRIC_LABELS}
    return {
        "name": cfg.name,
        "description": cfg.description,
        "seed": sim.seed,
        "stats": stats,
        "errors": errors,
        "unexpected": [dict(m) for m in c.unexpected[:20]],
        "unanswered": c.unanswered_details(),
        "events": [f"{t:.3f} {what}" for t, what in sim.event_log],
        "linearizability_undecided_keys": undecided,
        "passed": not errors,
        "tiers": tiers,
    }


def correctness_errors(cfg, stats):
    """The reference's correctness checks, as error lines."""
    f = cfg.fractions
    errors = []
    if stats["incorrect_gets"] > 0:
        errors.append("Error: >0 incorrect responses to get()")
    if stats["unexpected_responses"] + stats["malformed_messages"] > 0:
        errors.append(f"Error: {stats['unexpected_responses'] + stats['malformed_messages']} "
                      "unexpected or malformed messages")
    if stats["died"] > 0:
        errors.append(f"Error: {stats['died']} replica(s) died")
    if stats["storm"]:
        errors.append(f"Error: packet storm (over {20000} messages)")
    if stats["keys_stored"] == 0:
        errors.append("Error: no key was stored")
    g, p = stats["gets"], stats["puts"]
    if stats["unanswered_gets"] > g * f["maximum_get_fail_fraction"]:
        errors.append(f"Error: insufficient get() requests answered "
                      f"({stats['unanswered_gets']} > {g} * {f['maximum_get_fail_fraction']:.2f})")
    if stats["unanswered_puts"] > p * f["maximum_put_fail_fraction"]:
        errors.append(f"Error: insufficient put() requests answered "
                      f"({stats['unanswered_puts']} > {p} * {f['maximum_put_fail_fraction']:.2f})")
    if stats["get_generation_failures"] > g * f["maximum_get_generation_fail_fraction"]:
        errors.append(f"Error: insufficient get() requests generated "
                      f"({stats['get_generation_failures']} > {g} * "
                      f"{f['maximum_get_generation_fail_fraction']:.2f})")
    floor = cfg.requests * cfg.replicas * (1 - cfg.mix) * (1 - f["maximum_appends_batched_fraction"])
    if stats["total_msgs"] < floor:
        errors.append(f"Error: too few messages between replicas ({stats['total_msgs']} < {floor:.0f}); "
                      "is replication being skipped?")
    return errors
