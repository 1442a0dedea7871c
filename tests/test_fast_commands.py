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


def all_commands() -> list[str]:
    """Every `phys …` command path, walked from the Typer app itself so that a new command cannot be missed."""
    import typer

    from phys.cli.main import app

    def walk(cmd, prefix: str) -> list[str]:
        subs = getattr(cmd, "commands", None)
        if not subs:
            return [prefix]
        out = [prefix] if prefix != "phys" else []
        for name, sub in sorted(subs.items()):
            out += walk(sub, f"{prefix} {name}")
        return out

    return walk(typer.main.get_command(app), "phys")


def test_every_command_has_help_and_is_in_the_readme():
    from pathlib import Path

    readme = (Path(__file__).parent.parent / "README.md").read_text()
    commands = all_commands()
    assert {"phys tui", "phys report", "phys runs plot", "phys runs compare", "phys run recipe"} <= set(commands)
    for cmd in commands:
        assert f"`{cmd}" in readme, f"{cmd} is not in the README's command table"
        proc = subprocess.run([sys.executable, "-m", "phys", *cmd.split()[1:], "--help"], capture_output=True,
                              text=True, timeout=60)
        assert proc.returncode == 0 and "Usage" in proc.stdout, cmd


def test_the_tui_never_imports_torch():
    code = ("import sys; import phys.tui.app, phys.tui.screens.run, phys.tui.screens.launch, "
            "phys.tui.screens.compare, phys.tui.screens.report, phys.tui.screens.confirm, phys.tui.screens.group; "
            "print('TORCH' if 'torch' in sys.modules else 'NO-TORCH')")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == "NO-TORCH", out.stderr


def test_runs_ls_json_fast_path_prints_what_the_full_cli_prints(smoke_runs, tmp_path):
    """`phys runs ls --json` skips typer and rich; its output is the full command's, byte for byte, and a
    damaged ledger still gets the full CLI's one-line error."""
    root, _ = smoke_runs

    def run(module: str, runs_dir) -> subprocess.CompletedProcess:
        code = (f"import sys; sys.argv = ['phys', '--runs-dir', {str(runs_dir)!r}, 'runs', 'ls', '--json']; "
                f"from {module} import main; main(); "
                "print('TYPER' if 'typer' in sys.modules else 'NO-TYPER', file=sys.stderr)")
        return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)

    fast, full = run("phys.cli.entry", root), run("phys.cli.main", root)
    assert fast.stdout == full.stdout and '"id": ' in fast.stdout
    assert fast.stderr.strip() == "NO-TYPER" and full.stderr.strip() == "TYPER"
    damaged = tmp_path / "damaged"
    damaged.mkdir()
    (damaged / "ledger.json").write_text("{")
    proc = run("phys.cli.entry", damaged)
    assert proc.returncode == 1 and "ledger rebuild" in proc.stderr and not proc.stdout
