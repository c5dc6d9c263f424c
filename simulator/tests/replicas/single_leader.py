#!/usr/bin/env python3
"""A trivially correct stand-in: 0000 serves everything from one dict and
broadcasts each put (so there is replica traffic); the others redirect."""

from common import messages, start

sock, send, me, others = start()
data = {}
for m in messages(sock):
    if m["type"] not in ("get", "put"):
        continue
    reply = {"src": me, "dst": m["src"], "leader": "0000", "MID": m["MID"]}
    if me != "0000":
        send(dict(reply, type="redirect"))
    elif m["type"] == "put":
        data[m["key"]] = m["value"]
        send({"src": me, "dst": "FFFF", "leader": "0000", "type": "note"})
        send(dict(reply, type="ok"))
    else:
        send(dict(reply, type="ok", value=data.get(m["key"], "")))
