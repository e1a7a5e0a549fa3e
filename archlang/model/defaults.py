"""Documented defaults. A value left unset takes the value here and is marked as assumed.

docs/language.md prints these tables; a test checks that the two agree.
"""

from __future__ import annotations

#: Availability of one replica, by kind (fraction).
AVAILABILITY = {
    "client": 1.0,
    "server": 0.999,
    "lb": 0.9999,
    "cache": 0.999,
    "cdn": 0.9999,
    "database": 0.9995,
    "queue": 0.9999,
    "storage": 0.9999,
    "external": 0.999,
    "dns": 0.9999,
}

#: Service time of one call, by kind (milliseconds). For a client: the last-mile latency.
LATENCY_MS = {
    "client": 0.0,
    "server": 5.0,
    "lb": 1.0,
    "cache": 1.0,
    "cdn": 20.0,
    "database": 5.0,
    "queue": 2.0,
    "storage": 20.0,
    "external": 100.0,
    "dns": 5.0,
}

#: Hit ratio of caches and CDNs (fraction).
HIT_RATIO = {"cache": 0.8, "cdn": 0.9}

MTTR_S = 3600.0                 # mean time to repair one replica: 1 h
FAILOVER_S = 30.0               # active_passive without `failover T`
DOMAIN_AVAILABILITY = 1.0       # zones and regions without `availability`

NETWORK_MS = {
    "same_zone": 0.0,           # round trip of one call inside a zone
    "cross_zone": 1.0,          # between zones of one region
    "cross_region": 50.0,       # between regions, unless `a <-> b T` says otherwise
}

#: Kind-specific settings, by kind: property -> default value.
KIND_SETTINGS: dict[str, dict[str, object]] = {
    "server": {"stateful": False},
    "lb": {"layer": 7, "strategy": "round_robin"},
    "cache": {"write_policy": "write_around", "eviction": "lru"},
    "cdn": {},
    "database": {"data_model": "sql", "replication": "none", "sharding": "none"},
    "queue": {"durable": True, "delivery": "at_least_once"},
}

#: Replication mode when `replication leader_follower` names neither `sync` nor `async`.
REPLICATION_SYNC = False

#: Rate of a flow without `rate` (requests per second).
FLOW_RATE_RPS = 1.0
