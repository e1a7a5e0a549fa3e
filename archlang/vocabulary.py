"""The vocabulary of the language: kinds, the properties each kind takes, their enumerated
words, and the units of every measure. One table, read by the builder (``archlang.model``),
the parser's messages, the formatter, the highlighters and the docs' tests; the grammar's
keyword lists are checked against it (tests/test_highlight.py, tests/test_language_docs.py).

It imports nothing of archlang: every layer may read it.
"""

from __future__ import annotations

#: The kinds of component, in the order the docs list them.
KINDS: tuple[str, ...] = ("client", "server", "lb", "cache", "cdn", "database", "queue",
                          "storage", "external", "dns")

# ---- units -------------------------------------------------------------------------------
TIME_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0,
           "d": 86_400_000.0}
RATE_RPS = {"rps": 1.0, "qps": 1.0, "rpm": 1.0 / 60.0}
SIZE_B = {"B": 1.0, "KB": 1e3, "MB": 1e6, "GB": 1e9, "TB": 1e12}
PERCENT = {"%": 0.01}
UNIT_CLASSES = {
    "time": (TIME_MS, "a time (us, ms, s, m, h, d), like 20ms"),
    "rate": (RATE_RPS, "a rate (rps, qps, rpm), like 120 rps"),
    "size": (SIZE_B, "a size (B, KB, MB, GB, TB), like 40GB"),
    "percent": (PERCENT, "a percentage, like 99.9%"),
}

# Which properties each kind takes. Everything takes description/availability/mtbf/mttr/latency.
_COMMON = {"description", "availability", "mtbf", "mttr", "latency", "error_rate"}
_SERVING = _COMMON | {"capacity", "replicas", "placement", "engine", "protocol"}
KIND_PROPERTIES: dict[str, set[str]] = {
    "client": {"description", "latency"},
    "server": _SERVING | {"stateless", "stateful", "memory"},
    "lb": _SERVING | {"layer", "strategy", "stateless", "stateful"},
    "cache": _SERVING | {"hit_ratio", "write_policy", "eviction", "ttl", "memory", "replication",
                         "sharding", "rf", "read_quorum", "write_quorum", "skew", "key"},
    "cdn": _SERVING | {"hit_ratio", "eviction", "ttl"},
    "database": _SERVING | {"model", "replication", "sharding", "memory", "size", "consistency",
                            "rf", "read_quorum", "write_quorum", "skew", "key"},
    "queue": _SERVING | {"durable", "delivery", "size"},
    "storage": _SERVING | {"size"},
    "external": _SERVING,
    "dns": _SERVING,
}
#: Every property, sorted.
PROPERTY_NAMES = sorted(set().union(*KIND_PROPERTIES.values()))
ENUMS: dict[str, tuple[str, ...]] = {
    "write_policy": ("write_around", "write_through", "write_back"),
    "eviction": ("lru", "lfu", "fifo", "random"),
    "model": ("sql", "key_value", "document", "wide_column", "graph"),
    "replication": ("none", "leader_follower", "multi_leader", "leaderless"),
    "key": ("sequential", "random"),
    "sharding": ("none", "range", "hash"),
    "delivery": ("at_most_once", "at_least_once", "exactly_once"),
    # what a flow needs of the data it reads (docs/language.md: what the analyses make of each)
    "consistency": ("strong", "read_your_writes", "monotonic_reads", "eventual"),
    "strategy": ("round_robin", "least_connections", "weighted_round_robin", "ip_hash",
                 "consistent_hashing", "random", "path"),
}
#: Words a property takes after its keyword (``replicas 3 min 2``, ``replication
#: leader_follower followers 2 sync``).
SUB_WORDS: dict[str, frozenset[str]] = {
    "replicas": frozenset({"min", "active_active", "active_passive", "failover"}),
    "replication": frozenset({"followers", "sync", "async", "semi_sync", "failover"}),
}
#: The words of a boolean property (``durable``, ``stateless``).
BOOL_WORDS = {"true": True, "yes": True, "on": True, "false": False, "no": False, "off": False}
