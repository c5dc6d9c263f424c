"""The eight clients: what they ask, where they send it, how they judge answers.

Behaviour, as in the reference simulator:
- each scheduled request goes to a random client; a get is made only if
  that client has a stored key (one of its puts answered `ok`), else the
  get "fails to generate" and a put is made instead;
- a put writes a new random 32-character key or, half the time, updates
  one of the client's keys; values are 32 hex characters;
- a request goes to the leader the client last heard of if it is alive,
  else to a random living replica, with a fresh MID;
- `redirect` and `fail` are retried at once with a new MID, to the named
  leader (or a random living replica if that is FFFF or dead); there are no
  timeouts, so a request that gets no answer stays unanswered;
- latency is recorded for the first response to every MID.

Beyond the reference, each request's time to `ok` is also recorded: from
its first attempt to the `ok` that ends it, redirects included. The
reference's latency counts a redirect as an answer, so a storm of quick
redirects can hide how long clients really wait; this one cannot.
"""

from .ids import BROADCAST


class Attempt:
    """One send of a request, under one MID."""
    __slots__ = ("request", "mid", "sent_at", "dst")

    def __init__(self, request, mid, sent_at, dst):
        self.request = request
        self.mid = mid
        self.sent_at = sent_at
        self.dst = dst


class Request:
    """A logical get or put, which may take several attempts."""
    __slots__ = ("client", "kind", "key", "value", "first_sent")

    def __init__(self, client, kind, key, value=None):
        self.client = client
        self.kind = kind
        self.key = key
        self.value = value
        self.first_sent = None


class Clients:
    """All clients' state and statistics."""

    def __init__(self, ids, rng):
        self.ids = list(ids)
        self.rng = rng
        self.leader = {c: BROADCAST for c in self.ids}
        self.stored = {c: {} for c in self.ids}
        self.pending = {}
        self.answered_ok = set()
        self.closed = set()
        self.latencies = []
        self.ok_times = {"get": [], "put": []}
        self.history = []
        self.unexpected = []
        self.stats = dict(gets=0, puts=0, get_generation_failures=0, duplicates=0,
                          redirects=0, get_failures=0, put_failures=0, incorrect_gets=0,
                          unexpected=0)

    def _hex(self, n):
        return f"{self.rng.getrandbits(4 * n):0{n}x}"

    def new_request(self, mix):
        """Draws the next request: which client, get or put, which key."""
        client = self.rng.choice(self.ids)
        keys = self.stored[client]
        if self.rng.random() < mix:
            if keys:
                self.stats["gets"] += 1
                return Request(client, "get", self.rng.choice(list(keys)))
            self.stats["get_generation_failures"] += 1
        self.stats["puts"] += 1
        if keys and self.rng.random() < 0.5:
            key = self.rng.choice(list(keys))
        else:
            key = self._hex(32)
        return Request(client, "put", key, self._hex(32))

    def destination(self, client, alive, named=None):
        """Where a client sends: the named or last known leader if alive, else anyone alive."""
        target = named if named is not None else self.leader[client]
        if target != BROADCAST and target in alive:
            return target
        return self.rng.choice(sorted(alive)) if alive else None

    def attempt(self, request, now, dst):
        """Builds the message for a new attempt and records it as pending."""
        mid = f"{self.rng.getrandbits(64):016X}"
        if request.first_sent is None:
            request.first_sent = now
        self.pending[mid] = Attempt(request, mid, now, dst)
        msg = {"src": request.client, "dst": dst, "leader": self.leader[request.client],
               "type": request.kind, "MID": mid, "key": request.key}
        if request.kind == "put":
            msg["value"] = request.value
        return msg

    def forget_leader(self):
        """After a leader kill or a hard partition, clients no longer know the leader."""
        for c in self.ids:
            self.leader[c] = BROADCAST

    def on_response(self, msg, now):
        """Judges a response. Returns the request to retry, or None."""
        mid = msg.get("MID")
        client = msg["dst"]
        kind = msg["type"]
        if not isinstance(mid, str):
            # No request has such an MID (a list could not even be looked up).
            self.stats["unexpected"] += 1
            self.unexpected.append(msg)
            return None
        attempt = self.pending.pop(mid, None)
        if attempt is None:
            if kind == "ok" and mid in self.answered_ok:
                self.stats["duplicates"] += 1
            else:
                self.stats["unexpected"] += 1
                self.unexpected.append(msg)
            return None
        if client != attempt.request.client:
            self.stats["unexpected"] += 1
            self.unexpected.append(msg)
            return None
        self.latencies.append(now - attempt.sent_at)
        if msg.get("leader") is not None:
            self.leader[client] = msg["leader"]
        req = attempt.request
        if kind == "ok":
            self.answered_ok.add(mid)
            self.ok_times[req.kind].append(now - req.first_sent)
            if req.kind == "put":
                self.stored[client][req.key] = req.value
                self.history.append(("put", req.key, req.value, attempt.sent_at, now))
            else:
                expected = self.stored[client].get(req.key, "")
                got = msg.get("value")
                if got != expected:
                    self.stats["incorrect_gets"] += 1
                    self.unexpected.append(dict(msg, expected=expected))
                if isinstance(got, str):
                    self.history.append(("get", req.key, got, attempt.sent_at, now))
            return None
        self.closed.add(mid)
        if kind == "redirect":
            self.stats["redirects"] += 1
        elif kind == "fail":
            self.stats["get_failures" if req.kind == "get" else "put_failures"] += 1
        else:
            self.stats["unexpected"] += 1
            self.unexpected.append(msg)
            return None
        return req

    def unanswered(self):
        """(gets, puts) still waiting for an answer."""
        gets = sum(1 for a in self.pending.values() if a.request.kind == "get")
        return gets, len(self.pending) - gets

    def unanswered_details(self):
        """Every attempt still waiting: kind, MID, destination, send time."""
        return [{"kind": a.request.kind, "mid": a.mid, "dst": a.dst, "sent_at": round(a.sent_at, 6)}
                for a in sorted(self.pending.values(), key=lambda a: a.sent_at)]

    def full_history(self):
        """Completed operations plus unanswered puts (which may have taken effect)."""
        open_puts = [("put", a.request.key, a.request.value, a.sent_at, None)
                     for a in self.pending.values() if a.request.kind == "put"]
        return self.history + open_puts
