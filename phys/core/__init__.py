"""The bench: plans, the registry, execution and scheduling, the ledger and the store, verdicts, run folders,
audits and comparisons. Imports stages, science and views; never torch at import time."""
