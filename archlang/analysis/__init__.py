"""The analyses of a design, one module per question (docs/analyses/): availability
(availability.py over replica_groups, overrides, compiled_flow, success_dist, exact, slo),
SPOFs and cut sets (spof.py), latency (latency.py, montecarlo.py, distributions.py),
capacity (capacity.py), resilience (resilience.py), the data tier (quorum.py, ring.py),
what-ifs (down.py) and design diffs (diff.py). Their reports are the models of result.py.

archlang/findings.py runs them all, with the design rules, into one Result.
"""
