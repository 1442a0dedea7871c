"""`python -m phys` is the `phys` command."""

from phys.cli.entry import main

main()
