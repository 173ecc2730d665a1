"""Output files are written whole or not at all, and `new` files never replace anything."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from fundcheck.report import files
from fundcheck.report.files import write_text_atomic, write_text_new


def _leftovers(folder: Path) -> list[str]:
    return [p.name for p in folder.iterdir() if p.name.endswith(".tmp")]


def test_atomic_write_creates_folders_and_replaces(tmp_path: Path) -> None:
    path = tmp_path / "a" / "b" / "r.json"
    assert write_text_atomic(path, "one") == path
    write_text_atomic(path, "two ✓")
    assert path.read_text(encoding="utf-8") == "two ✓"
    assert _leftovers(path.parent) == []
    assert oct(path.stat().st_mode & 0o777) == oct(0o666 & ~files._umask())  # not mkstemp's private 0600


def test_a_crash_while_writing_leaves_the_old_file_and_no_temporary(tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "report.html"
    path.write_text("<html>old, complete</html>")

    def full_disk(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", full_disk)
    with pytest.raises(OSError, match="No space left"):
        write_text_atomic(path, "<html>new " + "x" * 100_000)
    assert path.read_text() == "<html>old, complete</html>"
    assert _leftovers(tmp_path) == []


def test_text_that_cannot_be_encoded_leaves_nothing(tmp_path: Path) -> None:
    path = tmp_path / "r.json"
    with pytest.raises(UnicodeEncodeError):
        write_text_atomic(path, "half \udc80 a surrogate")
    assert not path.exists() and _leftovers(tmp_path) == []


def test_atomic_write_onto_a_folder_fails_cleanly(tmp_path: Path) -> None:
    (tmp_path / "r.json").mkdir()
    with pytest.raises(OSError):
        write_text_atomic(tmp_path / "r.json", "{}")
    assert _leftovers(tmp_path) == []


def test_new_never_overwrites_and_never_follows_a_dangling_link(tmp_path: Path) -> None:
    mine = tmp_path / "mine.yaml"
    mine.write_text("my precious work")
    with pytest.raises(FileExistsError):
        write_text_new(mine, "starter")
    assert mine.read_text() == "my precious work"
    link = tmp_path / "link.yaml"
    link.symlink_to(tmp_path / "elsewhere.yaml")  # dangling
    with pytest.raises(FileExistsError):
        write_text_new(link, "starter")
    assert not (tmp_path / "elsewhere.yaml").exists() and link.is_symlink()
    assert _leftovers(tmp_path) == []
    assert write_text_new(tmp_path / "fresh.yaml", "starter").read_text() == "starter"


def test_of_many_racing_writers_of_a_new_file_exactly_one_wins(tmp_path: Path) -> None:
    path = tmp_path / "raced.yaml"
    wins: list[int] = []
    barrier = threading.Barrier(16)

    def writer(i: int) -> None:
        barrier.wait()
        try:
            write_text_new(path, f"writer {i}\n" * 1000)
            wins.append(i)
        except FileExistsError:
            pass

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(wins) == 1
    assert path.read_text() == f"writer {wins[0]}\n" * 1000
    assert _leftovers(tmp_path) == []
