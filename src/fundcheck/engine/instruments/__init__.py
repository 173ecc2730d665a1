"""Instruments, one kind per module: each compiles its scenario items into a Plan table and holds the
kernel's step parts for that kind (compiled with numba, written for one path)."""
