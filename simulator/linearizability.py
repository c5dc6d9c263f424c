"""Whole-history linearizability of gets and puts, one register per key.

Each key is an independent register with initial value "". A history is
a list of operations (kind, key, value, invoked, responded): a get with
the value it returned, a put with the value it wrote. A put that was
never answered may or may not have taken effect, so it has no response
time and need not be placed. The history is linearizable if the
operations can be ordered so that each happens between its invocation and
response and every get returns the latest put before it (a Wing & Gong
search, memoized on the set of placed operations and the current value).
"""

from collections import defaultdict

INITIAL = ""
DEFAULT_BUDGET = 200_000


class Violation:
    """A key whose operations admit no legal order."""

    def __init__(self, key, ops):
        self.key = key
        self.ops = ops

    def describe(self):
        lines = [f"key {self.key}: no order of these operations is legal:"]
        for kind, _, value, inv, resp in sorted(self.ops, key=lambda o: o[3]):
            end = "never answered" if resp is None else f"{resp:.6f}"
            lines.append(f"  {kind} {value!r} invoked {inv:.6f} answered {end}")
        return "\n".join(lines)


def check_key(ops, budget=DEFAULT_BUDGET):
    """True if legal, False if not, None if the search budget ran out."""
    inf = float("inf")
    ops = sorted(ops, key=lambda o: o[3])
    n = len(ops)
    required = frozenset(i for i, o in enumerate(ops) if o[4] is not None)
    seen = set()
    calls = [0]

    def search(done, value):
        if required <= done:
            return True
        state = (done, value)
        if state in seen:
            return False
        calls[0] += 1
        if calls[0] > budget:
            raise TimeoutError
        seen.add(state)
        pending = [i for i in range(n) if i not in done]
        horizon = min((ops[i][4] if ops[i][4] is not None else inf) for i in pending)
        for i in pending:
            kind, _, v, inv, _ = ops[i]
            if inv > horizon:
                break
            if kind == "get":
                if v == value and search(done | {i}, value):
                    return True
            elif search(done | {i}, v):
                return True
        return False

    try:
        return search(frozenset(), INITIAL)
    except TimeoutError:
        return None


def check(history, budget=DEFAULT_BUDGET):
    """Checks every key. Returns (violations, undecided keys)."""
    by_key = defaultdict(list)
    for op in history:
        by_key[op[1]].append(op)
    violations, undecided = [], []
    for key, ops in by_key.items():
        if not any(o[0] == "get" for o in ops):
            continue
        verdict = check_key(ops, budget)
        if verdict is False:
            violations.append(Violation(key, ops))
        elif verdict is None:
            undecided.append(key)
    return violations, undecided
