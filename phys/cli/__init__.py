"""`phys`, the command: a thin Typer shell over the core. `entry` answers `phys runs ls --json` without
loading Typer; `main` builds the app from one module per command group (`*_cmd.py`); `options` holds what
several commands share; `render` draws with rich. Never imports torch for listing commands."""
