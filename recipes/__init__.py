"""The shipped recipes, one module per finding, each exposing `RECIPE` (see `phys.spec`)."""
