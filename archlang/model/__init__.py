"""The design model: pydantic models of every construct, units normalised, defaults applied."""

from archlang.model.design import (
    Call,
    Component,
    Design,
    Flow,
    FlowHop,
    FlowPath,
    Latency,
    Network,
    Placement,
    Region,
    Slo,
    Zone,
)

__all__ = [
    "Call",
    "Component",
    "Design",
    "Flow",
    "FlowHop",
    "FlowPath",
    "Latency",
    "Network",
    "Placement",
    "Region",
    "Slo",
    "Zone",
]
