"""`phys recipes` and `phys runs ls` must start fast over SSH: they never import torch."""

import subprocess
import sys


def imported_modules(*args: str) -> str:
    code = ("import sys; from phys.cli.main import app; "
            f"app(args={list(args)!r}, standalone_mode=False); "
            "print('TORCH' if 'torch' in sys.modules else 'NO-TORCH', file=sys.stderr)")
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60).stderr


def test_listing_commands_do_not_import_torch(tmp_path):
    for args in (["recipes"], ["recipes", "--json"], ["--runs-dir", str(tmp_path), "runs", "ls"],
                 ["recipes", "show", "reversal_curse"]):
        assert imported_modules(*args).strip().endswith("NO-TORCH"), args


def test_every_command_has_help_and_is_in_the_readme():
    from pathlib import Path

    readme = (Path(__file__).parent.parent / "README.md").read_text()
    commands = ["phys recipes", "phys recipes show", "phys recipes check", "phys run recipe", "phys runs ls",
                "phys runs show", "phys runs logs", "phys runs resume", "phys runs cancel", "phys runs rm",
                "phys ledger check", "phys ledger rebuild"]
    for cmd in commands:
        assert cmd in readme, cmd
        proc = subprocess.run([sys.executable, "-m", "phys", *cmd.split()[1:], "--help"], capture_output=True,
                              text=True, timeout=60)
        assert proc.returncode == 0 and "Usage" in proc.stdout, cmd
