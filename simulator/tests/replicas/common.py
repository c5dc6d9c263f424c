"""Shared plumbing for the stand-in replicas used by the end-to-end tests."""

import json
import socket
import sys


def start():
    """Parses the replica command line, opens the socket, says hello."""
    port, me, others = int(sys.argv[1]), sys.argv[2], sys.argv[3:]
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("localhost", 0))
    sim = ("localhost", port)

    def send(msg):
        sock.sendto(json.dumps(msg).encode(), sim)

    send({"src": me, "dst": "FFFF", "leader": "FFFF", "type": "hello", "MID": "hello"})
    return sock, send, me, others


def messages(sock):
    """Every message the replica receives, decoded."""
    while True:
        data, _ = sock.recvfrom(65535)
        yield json.loads(data)
