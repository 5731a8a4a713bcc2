"""Frame stamps: a frame counter and a send time written into the pixels of a video frame.

aiortc's stats have no framesDecoded, no freeze counters and no latency, so the viewer measures
them from what it receives. The publisher writes 64 bits into the luma plane as an 8x8 grid of
black or white blocks: 24 bits of frame counter, 32 bits of send time (milliseconds, modulo
2**32) and an 8-bit check. Blocks are multiples of 16 pixels, VP8's macroblock size, and the
reader averages each block's middle, so the bits survive VP8 at low bitrates; a frame whose check
does not match is counted as unreadable rather than trusted.

Pure numpy: no aiortc here, so it is tested without peers.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

GRID = 8
"""The stamp is GRID x GRID blocks, one bit each."""
COUNTER_BITS = 24
TIME_BITS = 32
CHECK_BITS = 8
_BITS = COUNTER_BITS + TIME_BITS + CHECK_BITS
assert _BITS == GRID * GRID
_WEIGHTS = (1 << np.arange(_BITS - 1, -1, -1, dtype=np.uint64)).astype(np.uint64)


@dataclass(frozen=True)
class Stamp:
    """What one frame carries: its number and when it was sent (ms, modulo 2**32)."""

    counter: int
    sent_ms: int


def block_size(width: int, height: int) -> int:
    """Side of one stamp block: a multiple of 16 (4 on tiny frames) fitting the short side."""
    side = min(width, height) // (GRID + 2)
    size = side // 16 * 16 if side >= 16 else side // 4 * 4
    if size < 4:
        raise ValueError(f"{width}x{height} is too small to carry a frame stamp")
    return size


def _check(counter: int, sent_ms: int) -> int:
    value = counter ^ (counter >> 8) ^ (counter >> 16) ^ sent_ms
    value ^= (sent_ms >> 8) ^ (sent_ms >> 16) ^ (sent_ms >> 24)
    return (value ^ 0xA5) & 0xFF


def stamp_bits(stamp: Stamp) -> npt.NDArray[np.uint8]:
    """The 64 bits of ``stamp``, most significant first, as 0/1."""
    counter = stamp.counter & ((1 << COUNTER_BITS) - 1)
    sent = stamp.sent_ms & ((1 << TIME_BITS) - 1)
    word = (counter << (TIME_BITS + CHECK_BITS)) | (sent << CHECK_BITS) | _check(counter, sent)
    return np.array([(word >> (_BITS - 1 - i)) & 1 for i in range(_BITS)], dtype=np.uint8)


def write_stamp(luma: npt.NDArray[np.uint8], stamp: Stamp) -> None:
    """Write ``stamp`` into the top-left corner of a luma plane (height x width), in place."""
    height, width = luma.shape
    size = block_size(width, height)
    bits = stamp_bits(stamp).reshape(GRID, GRID)
    # Each bit becomes a size x size block: 16 (black) or 235 (white), video-range luma.
    blocks = np.where(bits == 1, 235, 16).astype(np.uint8)
    luma[: GRID * size, : GRID * size] = np.kron(blocks, np.ones((size, size), dtype=np.uint8))


def read_stamp(luma: npt.NDArray[np.uint8]) -> Stamp | None:
    """The stamp in a decoded luma plane, or ``None`` if it is unreadable or fails its check."""
    height, width = luma.shape
    size = block_size(width, height)
    if luma.shape[0] < GRID * size or luma.shape[1] < GRID * size:
        return None
    region = luma[: GRID * size, : GRID * size].astype(np.float32)
    # Average the middle half of each block: its edges are where VP8's ringing lands.
    quarter = size // 4
    blocks = region.reshape(GRID, size, GRID, size)[
        :, quarter : size - quarter, :, quarter : size - quarter
    ]
    means = blocks.mean(axis=(1, 3)).reshape(-1)
    bits = (means > 125.0).astype(np.uint64)
    word = int((bits * _WEIGHTS).sum())
    check = word & 0xFF
    sent = (word >> CHECK_BITS) & ((1 << TIME_BITS) - 1)
    counter = word >> (TIME_BITS + CHECK_BITS)
    if _check(counter, sent) != check:
        return None
    return Stamp(counter=counter, sent_ms=sent)


def elapsed_ms(sent_ms: int, now_ms: int) -> int:
    """``now - sent`` for 32-bit millisecond clocks, correct across the wrap."""
    diff = (now_ms - sent_ms) & ((1 << TIME_BITS) - 1)
    # A "negative" difference (a stamp from a clock slightly ahead) wraps to near 2**32.
    return diff - (1 << TIME_BITS) if diff >= (1 << (TIME_BITS - 1)) else diff
