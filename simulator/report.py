"""The assignment's output formats: one test in full, or a line per test."""

from .scoring import METRIC_LABELS, TIER_NAMES

GROUPS = (
    ("simple", "Basic tests"),
    ("unreliable", "Unreliable network tests"),
    ("crash", "Crash failure tests"),
    ("partition", "Partition tests"),
    ("advanced", "Advanced tests"),
)


def _fmt(value):
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def _time_to_ok(kind, t):
    """One line on how long requests of `kind` took to their `ok`."""
    ms = [f"{t[k] * 1000:.3f}" for k in ("median", "p90", "p99", "max")]
    return f"{kind}() time to ok, first send to ok (ms, median/p90/p99/max of {t['n']}): " + "/".join(ms)


def full(result, cfg):
    """The single-test report."""
    s = result["stats"]
    lines = [
        "# Simulation Finished",
        "",
        "## Useful Information and Statistics",
        "Leaders: " + " ".join(s["leaders"]),
        f"Replicas that died/were killed: {s['died']}/{s['killed']}",
        f"Total messages sent: {s['total_msgs']}",
        "Messages by type: " + " ".join(f"{k}={v}" for k, v in s["msgs_by_type"].items()),
        f"Total messages dropped: {s['dropped']}",
    ]
    if s.get("socket_overflows"):
        lines.append(
            f"Datagrams the kernel dropped for full receive buffers (whole machine): "
            f"{s['socket_overflows']}"
        )
    lines += [
        f"Total client get()/put() requests: {s['gets']}/{s['puts']}",
        f"Total duplicate responses: {s['duplicates']}",
        f"Total unanswered get()/put() requests: {s['unanswered_gets']}/{s['unanswered_puts']}",
        f"Total redirects: {s['redirects']}",
        f"Total get()/put() failures: {s['get_failures']}/{s['put_failures']}",
        f"Total get() with incorrect response: {s['incorrect_gets']}",
        _time_to_ok("get", s["get_time_to_ok"]),
        _time_to_ok("put", s["put_time_to_ok"]),
        f"Seed: {result['seed']}",
        "",
        "## Correctness Checks",
    ]
    if result["passed"]:
        lines.append("All correctness tests passed")
    else:
        lines.extend(result["errors"])
        for m in result["unexpected"][:5]:
            lines.append(f"  unexpected: {m}")
        lines += ["", "## Correctness Checks Failed, Skipping Performance Tests"]
        return "\n".join(lines)
    lines += ["", "## Performance Tests", "## <test metric>: <your score> <benchmark score>, <test result>"]
    for metric, label in METRIC_LABELS:
        t = result["tiers"][metric]
        limits = cfg.benchmarks[metric]
        value = s[metric]
        bound = f"< {_fmt(limits[t])}" if t < 3 else f">= {_fmt(limits[2])}"
        lines.append(f"{label}: {_fmt(value)} {bound}, {TIER_NAMES[t]}")
    return "\n".join(lines)


def group_heading(cfg):
    """The heading printed before the first test of a group in `all` mode."""
    for prefix, title in GROUPS:
        if cfg.name.startswith(prefix):
            break
    else:
        title = "Other tests"
    return f"{title} ({cfg.replicas} replicas, {cfg.lifetime:g} seconds, {cfg.requests} requests):"


def group_of(cfg):
    """Which heading a test belongs under."""
    for prefix, _ in GROUPS:
        if cfg.name.startswith(prefix):
            return prefix
    return "other"


def line(result, cfg):
    """One test's line in `all` mode."""
    label = cfg.description or cfg.name
    if not result["passed"]:
        overflows = result["stats"].get("socket_overflows")
        note = f"  (the kernel dropped {overflows} datagrams for full socket buffers)" if overflows else ""
        return f"{label}\t\t[FAIL]{note}"
    tiers = " ".join(str(result["tiers"][m]) for m, _ in METRIC_LABELS)
    return f"{label}\t\t[PASS]     Performance Tiers: {tiers}"
