"""phys: a terminal lab bench for the Physics of Language Models findings.

Importing phys (or any of the core modules: spec, plan, runner, ledger, the CLI listing commands) never
imports torch; only the stages that train or evaluate do.
"""

__version__ = "0.1.0"
