"""Frame stamps: written into pixels, read back, through a real VP8 encode and decode."""

from __future__ import annotations

import fractions

import av
import numpy as np
import pytest

from supportdrill.media.stamp import Stamp, block_size, elapsed_ms, read_stamp, write_stamp


def _frame(width: int, height: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.integers(16, 235, size=(height, width), dtype=np.uint8)


@pytest.mark.parametrize(("width", "height"), [(320, 180), (640, 360), (1280, 720), (64, 64)])
def test_round_trip(width: int, height: int) -> None:
    luma = _frame(width, height)
    stamp = Stamp(counter=123_456, sent_ms=0xDEADBEEF)
    write_stamp(luma, stamp)
    assert read_stamp(luma) == stamp


def test_counter_wraps_at_24_bits() -> None:
    luma = _frame(320, 180)
    write_stamp(luma, Stamp(counter=(1 << 24) + 5, sent_ms=7))
    assert read_stamp(luma) == Stamp(counter=5, sent_ms=7)


def test_survives_noise_but_a_damaged_stamp_is_refused() -> None:
    luma = _frame(320, 180)
    write_stamp(luma, Stamp(counter=42, sent_ms=99_999))
    noisy = np.clip(
        luma.astype(np.int16) + np.random.default_rng(1).integers(-40, 40, luma.shape), 0, 255
    )
    assert read_stamp(noisy.astype(np.uint8)) == Stamp(42, 99_999)
    size = block_size(320, 180)
    luma[:size, :size] = 255 - luma[:size, :size]  # flip the first bit
    assert read_stamp(luma) is None


def test_unstamped_frames_are_unreadable() -> None:
    assert read_stamp(np.full((180, 320), 128, dtype=np.uint8)) is None


def test_too_small_a_frame_cannot_carry_a_stamp() -> None:
    with pytest.raises(ValueError, match="too small"):
        block_size(32, 32)


def test_elapsed_across_the_32_bit_wrap() -> None:
    assert elapsed_ms(0xFFFF_FFF0, 0x10) == 0x20
    assert elapsed_ms(100, 90) == -10


def test_stamp_survives_real_vp8_at_a_low_bitrate() -> None:
    width, height = 320, 180
    encoder = av.CodecContext.create("libvpx", "w")
    encoder.width, encoder.height, encoder.pix_fmt = width, height, "yuv420p"
    encoder.bit_rate = 150_000  # well under the 250 kbps aiortc uses as its floor
    encoder.time_base = fractions.Fraction(1, 30)
    decoder = av.CodecContext.create("vp8", "r")
    yuv = np.full((height * 3 // 2, width), 128, dtype=np.uint8)
    read: list[Stamp | None] = []
    for index in range(30):
        yuv[:height] = _frame(width, height, seed=index)  # noise: the hardest picture to encode
        write_stamp(yuv[:height], Stamp(index, 1000 + index * 33))
        frame = av.VideoFrame.from_ndarray(yuv, format="yuv420p")
        frame.pts = index
        for packet in encoder.encode(frame):
            for decoded in decoder.decode(packet):
                plane = decoded.planes[0]
                rows = np.frombuffer(memoryview(plane), dtype=np.uint8)
                read.append(read_stamp(rows.reshape(plane.height, plane.line_size)[:, :width]))
    stamps = [s for s in read if s is not None]
    assert len(stamps) >= 0.9 * len(read) > 0
    assert all(s.sent_ms == 1000 + s.counter * 33 for s in stamps)
