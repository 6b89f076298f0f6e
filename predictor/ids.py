"""Ids of new predictions: time-ordered UUIDs (RFC 9562 version 7).

The model's default and the batch path both take theirs from here, so every stored id is
made the same way.
"""
import os
import time
import uuid

_MS_MASK = (1 << 48) - 1
_RAND_B_MASK = (1 << 62) - 1


def new_ids(count: int) -> list[uuid.UUID]:
    """count new ids, from one read of the OS's randomness.

    A random (version 4) primary key sends every insert to a random page of the key's index:
    with a million rows that means thousands of pages touched per batch, each written whole to
    the WAL after a checkpoint, and COPY slows down. Version 7 ids begin with the
    millisecond, so new keys land together at the index's right edge; 74 random bits keep
    them unguessable. They reveal their creation time, which the prediction shows anyway.
    """
    prefix = (time.time_ns() // 1_000_000 & _MS_MASK) << 80 | 0x7 << 76 | 0b10 << 62
    raw = os.urandom(10 * count)
    ids = []
    for start in range(0, len(raw), 10):
        bits = int.from_bytes(raw[start:start + 10], "big")  # 80 random bits; 74 are used
        ids.append(uuid.UUID(int=prefix | (bits >> 68) << 64 | bits & _RAND_B_MASK))
    return ids


def new_id() -> uuid.UUID:
    return new_ids(1)[0]
