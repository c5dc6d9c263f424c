#!/usr/bin/env python3
"""A deliberately broken stand-in: every replica answers from its own dict
without replication and names a random leader, so clients wander and read
stale values. The simulator must fail it."""

import random

from common import messages, start

sock, send, me, others = start()
data = {}
for m in messages(sock):
    if m["type"] not in ("get", "put"):
        continue
    leader = random.choice(others + [me])
    reply = {"src": me, "dst": m["src"], "leader": leader, "MID": m["MID"], "type": "ok"}
    if m["type"] == "put":
        data[m["key"]] = m["value"]
        send({"src": me, "dst": "FFFF", "leader": leader, "type": "note"})
    else:
        reply["value"] = data.get(m["key"], "")
    send(reply)
