"""Sentence splitting speed on one megabyte of abbreviation-heavy text (prints seconds).

Was a timed assertion in tests/test_sentences.py, which is flaky on a loaded machine; speed is
measured here and printed, never asserted.
"""

from __future__ import annotations

import time

from pipeline.sentences import split_sentences


def main() -> None:
    para = 'Mr. Smith met Dr. Jones in the U.S. Senate. He said: "It is over." Then he left!\n'
    text = para * (1_000_000 // len(para) + 1)
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        spans = split_sentences(text)
        best = min(best, time.perf_counter() - start)
    print(f"sentences: {len(text):,} chars, {len(spans):,} sentences, best of 3: {best:.3f} s")


if __name__ == "__main__":
    main()
