"""Identifiers as the reference simulator assigns them."""

import re

BROADCAST = "FFFF"
NUM_CLIENTS = 8
_ID = re.compile(r"[0-9A-Fa-f]{4}")


def replica_ids(n):
    """Replica ids: the index as four upper-case hex digits."""
    return [f"{i:04X}" for i in range(n)]


def client_ids(n_replicas):
    """Eight client ids, starting at replicas + 16."""
    return [f"{n_replicas + 16 + k:04X}" for k in range(NUM_CLIENTS)]


def is_id(value):
    """True for a four-hex-digit string."""
    return isinstance(value, str) and bool(_ID.fullmatch(value))
