"""The one place that decides how kernel code is compiled (numba, cached on disk).

Kernel functions are compiled without numba's reference counting (``_nrt=False``): they allocate nothing and
only index arrays handed to them, and the atomic reference counts otherwise took ~40% of the run time.
Set ``NUMBA_DISABLE_JIT=1`` in the environment to run the same source uncompiled (for debugging, and for the
test that the compiled kernel equals the uncompiled one).

**The disk cache is keyed by the kernel's whole source.** numba checks only the timestamp of the file that
defines a function, but the kernel inlines the instrument modules and bakes in ``tables``' column codes
(``C``, from ``Col``) as constants: after an edit to ``tables.py`` or an instrument alone, a cached kernel
would read the wrong columns. So the cache lives in a folder named by a hash of every kernel source file (under
``NUMBA_CACHE_DIR`` if set, else the user's cache folder); any edit to any of them compiles afresh.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

import numba

__all__ = ["KERNEL_SOURCES", "cache_folder", "jit", "jit_small"]

_ENGINE = Path(__file__).resolve().parents[1]
KERNEL_SOURCES = (_ENGINE / "kernel.py", _ENGINE / "tables.py", *sorted((_ENGINE / "instruments").glob("*.py")))


def cache_folder() -> str:
    """Where compiled kernel code is cached: a folder per version of the kernel's source files."""
    digest = hashlib.sha256()
    for path in KERNEL_SOURCES:
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    base = os.environ.get("NUMBA_CACHE_DIR")
    if not base:
        import platformdirs

        base = os.path.join(platformdirs.user_cache_dir("fundcheck"), "numba")
    return os.path.join(base, f"kernel-{digest.hexdigest()[:16]}")


numba.config.CACHE_DIR = cache_folder()  # read by numba when each function below is decorated


def jit(fn: Any) -> Any:
    """Compile a kernel function for the CPU, cached on disk. It is called only by other kernel functions, so
    numba builds no Python or C entry point for it (each such wrapper unboxed every argument, the state
    offsets' tuple included, and took a quarter of the kernel's compile time)."""
    return numba.njit(cache=True, error_model="numpy", _nrt=False, no_cpython_wrapper=True,
                      no_cfunc_wrapper=True)(fn)


def jit_small(fn: Any) -> Any:
    """Compile a small kernel helper, inlined into its callers."""
    return numba.njit(cache=True, inline="always", error_model="numpy", _nrt=False)(fn)
