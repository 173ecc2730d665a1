"""Never a traceback, never a lost file: concurrent runs, outputs that cannot be written, hostile starter
names, racing `new`, messages printed as plain text, and bugs reported briefly with exit status 1."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from fundcheck import cli as cli_module


def _popen(*args: str, stdout: int = subprocess.PIPE) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "fundcheck", *args], stdout=stdout, stderr=subprocess.PIPE,
                            text=True)


def test_eight_concurrent_runs_into_one_folder_leave_complete_files(tmp_path: Path) -> None:
    out = tmp_path / "same"
    procs = [_popen("run", "abilene", "--out", str(out), "--json", str(out / "r.json"), stdout=subprocess.DEVNULL)
             for _ in range(8)]
    reads = 0
    while any(p.poll() is None for p in procs):
        for name in ("r.json", "report.html"):
            try:
                text = (out / name).read_text(encoding="utf-8")
            except FileNotFoundError:
                continue
            reads += 1
            if name == "r.json":
                assert json.loads(text)["program"] == "Abilene campus"  # never half a file
            else:
                assert text.rstrip().endswith("</html>"), len(text)
        time.sleep(0.002)
    for p in procs:
        _, stderr = p.communicate()
        assert p.returncode == 0, stderr
    assert json.loads((out / "r.json").read_text())["checks"]["ok"] is True
    assert (out / "report.html").read_text().rstrip().endswith("</html>")
    assert sorted(p.name for p in out.iterdir()) == ["r.json", "report.html"]  # no temporary file left over
    assert reads > 0


@pytest.fixture
def blocker(tmp_path: Path) -> Path:
    """A regular file, so that any path under it cannot be written, even by root."""
    path = tmp_path / "somefile"
    path.write_text("not a folder")
    return path


UNWRITABLE = {
    "run --json under a file": (["run", "abilene", "--json", "{f}/x.json"], "--json: cannot write {f}/x.json: {f} "
                                "is a file, not a folder"),
    "run --json a folder": (["run", "abilene", "--json", "{d}"], "--json: {d} is a folder; expected a file name"),
    "run --out a file": (["run", "abilene", "--out", "{f}"], "--out: {f} is a file; expected a folder"),
    "run --out under a file": (["run", "abilene", "--out", "{f}/sub"], "--out: cannot use {f}/sub: {f} is a file"),
    "waterfall --json under a file": (["waterfall", "openai-lp-2019", "--out", "{d}", "--json", "{f}/x.json"],
                                      "--json: cannot write {f}/x.json"),
    "waterfall --json a folder": (["waterfall", "openai-lp-2019", "--out", "{d}", "--json", "{d}"],
                                  "--json: {d} is a folder"),
    "waterfall --out a file": (["waterfall", "openai-lp-2019", "--out", "{f}"], "--out: {f} is a file"),
    "control --json under a file": (["control", "openai-2017", "--out", "{d}", "--json", "{f}/a/b.json"],
                                    "--json: cannot write {f}/a/b.json"),
    "control --out a file": (["control", "openai-2017", "--out", "{f}"], "--out: {f} is a file"),
    "power --json under a file": (["power", "--quota", "2", "--weights", "1,1", "--json", "{f}/x.json"],
                                  "--json: cannot write {f}/x.json"),
    "power --json a folder": (["power", "--quota", "2", "--weights", "1,1", "--json", "{d}"],
                              "--json: {d} is a folder"),
    "new --file under a file": (["new", "x", "--file", "{f}/x.yaml"], "--file: cannot write {f}/x.yaml"),
    "new --file a folder": (["new", "x", "--file", "{d}"], "already exists"),
}


@pytest.mark.parametrize("case", list(UNWRITABLE))
def test_unwritable_outputs_are_one_clear_line(cli_here, tmp_path: Path, blocker: Path, case: str) -> None:
    args, words = UNWRITABLE[case]
    fill = {"f": str(blocker), "d": str(tmp_path)}
    done = cli_here(*[a.format(**fill) for a in args])
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), done.stderr
    assert words.format(**fill) in lines[0], lines[0]
    assert blocker.read_text() == "not a folder"


@pytest.mark.skipif(not os.path.isdir("/sys/kernel"), reason="needs a read-only place (sysfs)")
@pytest.mark.parametrize("args", [["run", "abilene", "--json", "/sys/kernel/x.json", "--out", "{d}"],
                                  ["control", "openai-2017", "--out", "/sys/kernel"],
                                  ["new", "x", "--file", "/sys/kernel/x.yaml"]])
def test_a_read_only_place_is_one_clear_line(cli_here, tmp_path: Path, args: list[str]) -> None:
    done = cli_here(*[a.format(d=tmp_path) for a in args])
    assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr
    assert done.stderr.startswith("error: ") and "cannot write /sys/kernel/" in done.stderr


def test_missing_folders_are_created(cli_here, tmp_path: Path) -> None:
    done = cli_here("power", "--quota", "2", "--weights", "1,1", "--json", str(tmp_path / "a" / "b" / "p.json"))
    assert done.returncode == 0, done.stderr
    assert json.loads((tmp_path / "a" / "b" / "p.json").read_text())["banzhaf"] == [0.5, 0.5]
    done = cli_here("new", "x", "--file", str(tmp_path / "c" / "d" / "x.yaml"))
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "c" / "d" / "x.yaml").exists()


NAMES = ["a: b", "null", "#x", "!tag", "'quoted'", '"double" \\ back', "Ünïcödé 日本 🚀", "[/] :100: $\\frac{1}{2}$",
         "*alias", "&anchor", "{a: 1}", "- item", "yes", "1e3", "2026-01", "line\nbreak", "nel\x85 ls\u2028 del\x7f"]


@pytest.mark.parametrize("name", NAMES, ids=[repr(n) for n in NAMES])
def test_any_name_gives_a_starter_that_validates(cli_here, tmp_path: Path, name: str) -> None:
    path = tmp_path / "s.yaml"
    done = cli_here("new", "--file", str(path), "--", name)  # `--`: a name may start with '-'
    assert done.returncode == 0, done.stderr
    assert cli_here("validate", str(path)).returncode == 0
    from fundcheck.scenario import load

    assert load(str(path)).program == name


def test_a_starter_with_a_hostile_name_runs(cli_here, tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    assert cli_here("new", "a: b #c !d", "--file", str(path)).returncode == 0
    ran = cli_here("run", str(path), "--out", str(tmp_path / "o"), "--json", str(tmp_path / "o.json"))
    assert ran.returncode == 0, ran.stderr
    assert json.loads((tmp_path / "o.json").read_text())["program"] == "a: b #c !d"


def test_default_starter_file_name_is_safe(cli_here, tmp_path: Path) -> None:
    done = cli_here("new", "../../etc/a: b", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert [p.name for p in tmp_path.iterdir()] == ["etc-a-b.yaml"]


@pytest.mark.parametrize("name", ["", "   "])
def test_an_empty_name_is_refused(cli_here, tmp_path: Path, name: str) -> None:
    done = cli_here("new", name, "--file", str(tmp_path / "s.yaml"))
    assert done.returncode == 2 and "found an empty name" in done.stderr
    assert not (tmp_path / "s.yaml").exists()


def test_new_never_follows_a_dangling_link(cli_here, tmp_path: Path) -> None:
    link = tmp_path / "s.yaml"
    link.symlink_to(tmp_path / "target.yaml")
    done = cli_here("new", "x", "--file", str(link))
    assert done.returncode == 2 and "already exists" in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "target.yaml").exists() and link.is_symlink()


def test_racing_new_processes_write_once(tmp_path: Path) -> None:
    path = tmp_path / "raced.yaml"
    procs = [_popen("new", f"racer {i}", "--file", str(path)) for i in range(8)]
    results = [(p.wait(timeout=300), p.communicate()) for p in procs]
    winners = [i for i, (rc, _) in enumerate(results) if rc == 0]
    assert len(winners) == 1, results
    for rc, (_, stderr) in results:
        assert rc in (0, 2) and "Traceback" not in stderr
        assert rc == 0 or "already exists" in stderr
    assert path.read_text().startswith(f"# racer {winners[0]}:")
    assert [p.name for p in tmp_path.iterdir()] == ["raced.yaml"]


def test_messages_are_plain_text(cli_here, tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("# padding\n" * 99 + "program: x\n")  # line 100
    path.write_text("# padding\n" * 99 + "'x[/]y :100: [bold]z': 1\n")
    done = cli_here("validate", str(path))
    assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr
    assert f"{path}:100:" in done.stderr and "💯" not in done.stderr
    assert "x[/]y :100: [bold]z" in done.stderr


def test_option_values_are_printed_as_written(cli_here, tmp_path: Path) -> None:
    done = cli_here("power", "--quota", "2", "--weights", "1,1", "--names", "[/]a:100:,[bold]b")
    assert done.returncode == 0, done.stderr
    assert "[/]a:100:" in done.stdout and "[bold]b" in done.stdout and "💯" not in done.stdout
    folder = tmp_path / "[/]:100:"
    done = cli_here("run", "abilene", "--out", str(folder))
    assert done.returncode == 0 and f"{folder}/report.html" in done.stdout, done.stderr


def _boom(*args: object, **kwargs: object) -> None:
    raise RuntimeError("something [/] broke :100:\nsecond line")


@pytest.mark.parametrize("debug", [False, True])
def test_a_bug_is_a_short_report_and_status_1(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
                                              debug: bool) -> None:
    import fundcheck.scenario

    monkeypatch.setattr(fundcheck.scenario, "load", _boom)
    monkeypatch.setattr(sys, "argv", ["fundcheck", "validate", "my file.yaml"])
    if debug:
        monkeypatch.setenv("FUNDCHECK_DEBUG", "1")
    else:
        monkeypatch.delenv("FUNDCHECK_DEBUG", raising=False)
    with pytest.raises(SystemExit) as exit_:
        cli_module.main()
    assert exit_.value.code == 1
    err = capsys.readouterr().err
    assert "internal error: RuntimeError: something [/] broke :100: second line" in err
    assert "This is a bug in fundcheck" in err and "fundcheck validate 'my file.yaml'" in err
    assert ("Traceback" in err) is debug
    assert ("FUNDCHECK_DEBUG=1" in err) is not debug


def test_user_mistakes_still_exit_2(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(sys, "argv", ["fundcheck", "validate", "no-such-scenario"])
    with pytest.raises(SystemExit) as exit_:
        cli_module.main()
    assert exit_.value.code == 2
    assert "internal error" not in capsys.readouterr().err


def test_normal_exits_pass_through(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(sys, "argv", ["fundcheck", "power", "--quota", "2", "--weights", "1,1"])
    with pytest.raises(SystemExit) as exit_:
        cli_module.main()
    assert exit_.value.code == 0
    assert "Banzhaf" in capsys.readouterr().out
