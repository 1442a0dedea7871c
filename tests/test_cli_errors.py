"""User mistakes: one line and a hint on stderr, exit 1, no traceback, nothing written."""

import pytest

from conftest import phys


@pytest.mark.parametrize("args,needle", [
    (["run", "recipe", "no_such_recipe", "--scale", "smoke"], "unknown recipe 'no_such_recipe'"),
    (["run", "recipe", "../../etc/passwd", "--scale", "smoke"], "unknown recipe"),
    (["run", "recipe", "reversal_curse", "--scale", "smoke", "--set", "train.nope=1"], "unknown override key"),
    (["run", "recipe", "reversal_curse", "--scale", "smoke", "--set", "train.lr=fast"], "not a number"),
    (["run", "recipe", "reversal_curse", "--scale", "tiny"], "unknown scale"),
    (["run", "recipe", "reversal_curse", "--scale", ""], "unknown scale ''"),
    (["recipes", "check", "reversal_curse", "--scale", ""], "unknown scale ''"),
    (["run", "recipe", "reversal_curse", "--scale", "smoke", "--threads", "0"], "--threads 0 is not a thread count"),
    (["run", "recipe", "reversal_curse", "--scale", "smoke", "--device", "tpu"], "unknown device"),
    (["recipes", "show", "nope"], "unknown recipe"),
    (["recipes", "check", "nope", "--scale", "cpu"], "unknown recipe"),
    (["runs", "show", "nope"], "no runs yet"),
])
def test_user_errors_are_one_line_with_a_hint(runs, args, needle):
    proc = phys(runs, *args, check=False)
    assert proc.returncode == 1
    assert needle in proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout
    assert "hint:" in proc.stderr
    assert not runs.exists()  # nothing written


def test_unknown_and_unsafe_run_ids(smoke_runs):
    root, record = smoke_runs
    for bad, needle in [("zzz", "no run 'zzz'"), ("../store", "is not a run id"), ("/etc", "is not a run id")]:
        proc = phys(root, "runs", "show", bad, check=False)
        assert proc.returncode == 1 and needle in proc.stderr and "Traceback" not in proc.stderr


def test_run_ids_resolve_from_prefix_and_last(smoke_runs):
    root, record = smoke_runs
    for ref in (record["id"], record["id"][:20], "last"):
        assert phys(root, "runs", "show", ref, "--json").stdout.count(record["id"]) >= 1


def test_usage_errors_are_one_error_line_and_a_hint(runs):
    for args, message in ((["run", "recipe", "reversal_curse", "--seed", "x"], "error: Invalid value for '--seed'"),
                          (["bogus"], "error: No such command 'bogus'"),
                          (["runs", "foo"], "error: No such command 'foo'")):
        proc = phys(runs, *args, check=False)
        assert proc.returncode == 2, args
        lines = proc.stderr.strip().splitlines()
        assert lines[0].startswith(message) and lines[1].startswith("hint: see `phys") and len(lines) == 2, lines
        assert proc.stdout == "" and not runs.exists()


def test_a_bare_phys_prints_its_help(runs):
    proc = phys(runs, check=False)  # `phys --runs-dir R` alone: a group without a command
    assert proc.returncode == 2 and "Usage: phys" in proc.stdout and "Commands" in proc.stdout


@pytest.mark.parametrize("args", [["runs", "ls"], ["runs", "ls", "--json"], ["runs", "show", "last"],
                                  ["run", "recipe", "reversal_curse", "--scale", "smoke"], ["tui"], ["ledger", "check"]])
def test_a_runs_folder_that_is_a_file_is_one_line(tmp_path, args):
    """`--runs-dir FILE` (or a folder under a file): one line and a hint for every command, the fast
    `runs ls --json` path and the TUI included; the file is left alone."""
    file = tmp_path / "notes.txt"
    file.write_text("mine")
    for root, needle in ((file, "is a file, not a folder"), (file / "runs", "lies under a file")):
        proc = phys(root, *args, check=False)
        assert proc.returncode == 1, (args, proc.stderr)
        lines = proc.stderr.strip().splitlines()
        assert len(lines) == 2 and needle in lines[0] and lines[1].startswith("hint:"), lines
        assert "Traceback" not in proc.stderr + proc.stdout
    assert file.read_text() == "mine" and sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]
