"""A function for worker processes to import in tests/test_parallel.py (nothing heavy here)."""

import os


def squares_with_pid(chunk: list[int]) -> list[tuple[int, int]]:
    return [(x * x, os.getpid()) for x in chunk]


def fail_on_negative(chunk: list[int]) -> list[int]:
    if min(chunk) < 0:
        raise ValueError(f"negative item in {chunk}")
    return chunk
