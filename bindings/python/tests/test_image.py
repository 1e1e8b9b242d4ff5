"""hotspot.Image: every constructor, accessors, buffers, and error paths."""
import os
import pickle
import struct
import zlib

import numpy as np
import pytest

import hotspot


def test_new_and_accessors():
    with hotspot.Image(120, 80, ppi=500, fill=9) as im:
        assert (im.width, im.height, im.ppi) == (120, 80, 500)
        assert im.shape == (80, 120)
        px = im.pixels
        assert px.shape == (80, 120) and px.dtype == np.uint8 and (px == 9).all()
        assert np.asarray(im).shape == (80, 120)
        assert im.rgb is None
        im.ppi = 1000
        assert im.ppi == 1000
        with pytest.raises(hotspot.Error) as ei:
            im.ppi = 10**9
        assert "0..10000" in str(ei.value) and im.ppi == 1000
        assert "120x80" in repr(im) and "1000 ppi" in repr(im)
    assert im.closed
    assert "closed" in repr(im)


def test_from_array_wraps_without_copy():
    a = np.zeros((50, 200), np.uint8)
    view = a[:, 20:120]                       # rows not contiguous with each other
    im = hotspot.Image.from_array(view, ppi=500)
    assert (im.width, im.height) == (100, 50)
    a[3, 25] = 77                             # visible through the image: no copy
    assert im.pixels[3, 5] == 77
    im.close()


def test_from_array_copies_what_cannot_be_wrapped():
    a = np.arange(60 * 40, dtype=np.uint8).reshape(60, 40)
    im = hotspot.Image.from_array(a.T)        # column-major: copied
    assert (im.pixels == a.T).all()


def test_from_array_rgb_is_grey_bt601():
    rgb = np.zeros((10, 12, 3), np.uint8)
    rgb[..., 0] = 255
    im = hotspot.Image.from_array(rgb)
    assert im.pixels[0, 0] == (299 * 255 + 500) // 1000
    assert im.shape == (10, 12)


@pytest.mark.parametrize("kind", ["bytes", "bytearray", "memoryview"])
def test_from_buffer(kind):
    raw = bytes(range(256)) * 4               # 32x32
    buf = {"bytes": raw, "bytearray": bytearray(raw), "memoryview": memoryview(raw)}[kind]
    im = hotspot.Image.from_buffer(buf, 32, 32, ppi=250)
    assert im.pixels.tobytes() == raw
    im2 = hotspot.Image.from_buffer(raw, 16, 32, stride=32)
    assert (im2.pixels == np.frombuffer(raw, np.uint8).reshape(32, 32)[:, :16]).all()


def test_from_buffer_too_small():
    with pytest.raises(ValueError):
        hotspot.Image.from_buffer(b"\0" * 99, 10, 10)


def test_png_round_trip_bytes_and_file(tmp_path, ridges):
    im = hotspot.Image.from_array(ridges, ppi=500)
    png = im.encode("png")
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    for src in (png, bytearray(png), memoryview(png), np.frombuffer(png, np.uint8)):
        back = hotspot.Image.decode(src)
        assert (back.pixels == ridges).all() and back.ppi == 500
        assert back.info["format"] == "png"
    path = tmp_path / "r.png"
    im.save(path)
    back = hotspot.Image.load(path)
    assert (back.pixels == ridges).all()
    assert hotspot.Image.load(str(path)).shape == ridges.shape
    assert hotspot.Image.load(os.fsencode(path)).shape == ridges.shape


def _rgb_png(pixels, width, height):
    """A minimal 8-bit RGB PNG written by hand (zlib, no filter)."""
    def chunk(kind, data):
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data)))
    rows = b"".join(b"\0" + pixels[y * width * 3:(y + 1) * width * 3] for y in range(height))
    return (b"\x89PNG\r\n\x1a\n"
            + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


def test_keep_color(tmp_path):
    p = tmp_path / "c.png"
    p.write_bytes(_rgb_png(bytes([255, 0, 0, 0, 0, 255]), 2, 1))
    im = hotspot.Image.load(p, keep_color=True)
    assert im.rgb.shape == (1, 2, 3) and tuple(im.rgb[0, 0]) == (255, 0, 0)
    assert im.info["has_rgb"] and "+rgb" in repr(im)
    assert hotspot.Image.load(p).rgb is None


def test_bad_file_errors(tmp_path):
    with pytest.raises(hotspot.Error) as ei:
        hotspot.Image.load(tmp_path / "missing.png")
    assert ei.value.status == hotspot.ERR_IO
    assert "missing.png" in ei.value.message          # detailed message from the ctx
    junk = tmp_path / "junk.png"
    junk.write_bytes(b"this is not an image at all")
    with pytest.raises(hotspot.Error) as ei:
        hotspot.Image.load(junk)
    assert ei.value.status == hotspot.ERR_FORMAT
    png = hotspot.Image(64, 64).encode("png")
    with pytest.raises(hotspot.Error) as ei:
        hotspot.Image.decode(png[: len(png) // 2])
    assert ei.value.status in (hotspot.ERR_TRUNCATED, hotspot.ERR_CORRUPT)


def test_limits_are_enforced():
    png = hotspot.Image(300, 300).encode("png")
    old = hotspot.get_limit(hotspot.LIMIT_MAX_PIXELS)
    try:
        hotspot.set_limit(hotspot.LIMIT_MAX_PIXELS, 1000)
        with pytest.raises(hotspot.Error) as ei:
            hotspot.Image.decode(png)
        assert ei.value.status == hotspot.ERR_LIMIT
        assert "1000" in ei.value.message
    finally:
        hotspot.set_limit(hotspot.LIMIT_MAX_PIXELS, old)
    assert hotspot.Image.decode(png).width == 300


def test_wrong_types():
    with pytest.raises(TypeError):
        hotspot.Image.load(123)
    with pytest.raises(TypeError):
        hotspot.Image.decode("not bytes")
    with pytest.raises(TypeError):
        hotspot.Image.decode(12)
    with pytest.raises(TypeError):
        hotspot.Image.from_array(np.zeros((4, 4), np.float32))
    with pytest.raises(TypeError):
        hotspot.Image.from_array(np.zeros(16, np.uint8))
    with pytest.raises(hotspot.Error):
        hotspot.Image(0, 10)
    with pytest.raises(hotspot.Error):
        hotspot.Image(10, 10).ppi = 20000
    with pytest.raises(TypeError):
        pickle.dumps(hotspot.Image(2, 2))


def test_closed_object():
    im = hotspot.Image(10, 10)
    im.close()
    im.close()                                   # idempotent
    for op in (lambda: im.width, lambda: im.pixels, lambda: im.encode("png"),
               lambda: im.info, lambda: im.__enter__()):
        with pytest.raises(hotspot.ClosedError) as ei:
            op()
        assert ei.value.status == hotspot.ERR_STATE
