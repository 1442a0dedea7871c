"""`python -m phys` is the `phys` command."""

from phys.cli.main import main

main()
