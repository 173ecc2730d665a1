"""The one place that decides how kernel code is compiled (numba, cached on disk).

Kernel functions are compiled without numba's reference counting (``_nrt=False``): they allocate nothing and
only index arrays handed to them, and the atomic reference counts otherwise took ~40% of the run time.
Set ``NUMBA_DISABLE_JIT=1`` in the environment to run the same source uncompiled (for debugging, and for the
test that the compiled kernel equals the uncompiled one).
"""

from __future__ import annotations

from typing import Any

import numba

__all__ = ["jit", "jit_small"]


def jit(fn: Any) -> Any:
    """Compile a kernel function for the CPU, cached on disk."""
    return numba.njit(cache=True, error_model="numpy", _nrt=False)(fn)


def jit_small(fn: Any) -> Any:
    """Compile a small kernel helper, inlined into its callers."""
    return numba.njit(cache=True, inline="always", error_model="numpy", _nrt=False)(fn)
