"""Writing output files safely: whole or not at all, and never over someone's work.

``write_text_atomic`` writes to a temporary file in the same folder and renames it into place (``os.replace``),
so a reader, or another run writing the same file at the same moment, only ever sees a complete file, and a
crash leaves the old file (or none), never half of one. ``write_text_new`` does the same but refuses to replace
anything that is already there, a dangling symbolic link included, and of two processes racing for one path
exactly one wins.

Both raise ``OSError`` (``FileExistsError`` for an existing path) and leave no temporary file behind.
"""

from __future__ import annotations

import contextlib
import errno
import os
import tempfile
from pathlib import Path

__all__ = ["write_text_atomic", "write_text_new"]


def _read_umask() -> int:
    mask = os.umask(0o022)  # the only way to read it is to set it; done once, at import, not while threads write
    os.umask(mask)
    return mask


_UMASK = _read_umask()


def _umask() -> int:
    return _UMASK


def _temporary(path: Path, text: str | bytes) -> Path:
    """A complete, flushed copy of `text` (UTF-8 text, or bytes) in a hidden temporary file beside `path`
    (folders created)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name[:80]}.", suffix=".tmp")
    try:
        with (os.fdopen(fd, "wb") if isinstance(text, bytes) else
              os.fdopen(fd, "w", encoding="utf-8", newline="")) as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes it private; give it the mode a plain open would
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return Path(tmp)


def write_text_atomic(path: Path | str, text: str | bytes) -> Path:
    """Write `text` (UTF-8 text, or bytes such as a workbook) to `path`, replacing it in one step; folders are
    created. Returns `path`."""
    path = Path(path)
    tmp = _temporary(path, text)
    try:
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return path


def write_text_new(path: Path | str, text: str) -> Path:
    """Write `text` (UTF-8) to a new file `path`; ``FileExistsError`` if anything, even a link, is there."""
    path = Path(path)
    if os.path.lexists(path):
        raise FileExistsError(errno.EEXIST, os.strerror(errno.EEXIST), str(path))
    tmp = _temporary(path, text)
    try:
        try:
            os.link(tmp, path, follow_symlinks=False)  # fails if `path` exists in any form: no overwrite, no race
        except FileExistsError:
            raise
        except OSError:  # a file system without hard links: create exclusively, then fill
            flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
            fd = os.open(path, flags, 0o666)
            try:
                with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
                    f.write(text)
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(path)
                raise
    finally:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
    return path
