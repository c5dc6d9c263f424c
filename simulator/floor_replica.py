#!/usr/bin/env python3
"""A minimal responder with no consensus, to measure the simulator's floor.

Replica 0000 acts as leader; the others redirect to it. A get is answered
at once from a dict: two trips through the simulator (client to leader,
leader to client). A put costs one round trip to replica 0001 before the
answer: four trips, the least any replicated put can take. The benchmark
runs the same test configuration against this program and divides the
real replica's median latency by this one's.
"""

import json
import socket
import sys


def main():
    port, me = int(sys.argv[1]), sys.argv[2]
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("localhost", 0))
    sim = ("localhost", port)

    def send(msg):
        sock.sendto(json.dumps(msg).encode(), sim)

    send({"src": me, "dst": "FFFF", "leader": "FFFF", "type": "hello", "MID": "hello"})
    data, waiting = {}, {}
    while True:
        m = json.loads(sock.recvfrom(65535)[0])
        kind = m.get("type")
        if kind == "echo":
            if me == "0000":
                put = waiting.pop(m["MID"])
                data[put["key"]] = put["value"]
                send({"src": me, "dst": put["src"], "leader": "0000", "type": "ok", "MID": put["MID"]})
            else:
                send(dict(m, src=me, dst=m["src"]))
            continue
        if kind not in ("get", "put"):
            continue
        if me != "0000":
            send({"src": me, "dst": m["src"], "leader": "0000", "type": "redirect", "MID": m["MID"]})
        elif kind == "get":
            send({"src": me, "dst": m["src"], "leader": "0000", "type": "ok", "MID": m["MID"],
                  "value": data.get(m["key"], "")})
        else:
            waiting[m["MID"]] = m
            send({"src": me, "dst": "0001", "leader": "0000", "type": "echo", "MID": m["MID"]})


if __name__ == "__main__":
    main()
