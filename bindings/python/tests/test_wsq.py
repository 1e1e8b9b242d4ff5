"""hotspot.Image with the WSQ and JPEG 2000 codecs: encode to bytes and files,
load back, options, errors; NBIS's reference files when the shared data is
present."""
import numpy as np
import pytest

import hotspot


def psnr(a, b):
    mse = np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2)
    return 99.0 if mse == 0 else 10 * np.log10(255.0 ** 2 / mse)


def test_wsq_bytes_round_trip(ridges):
    im = hotspot.Image.from_array(ridges, ppi=500)
    low = im.encode("wsq")                       # default 0.75 bit/pixel
    high = im.encode("wsq", bitrate=2.25)
    assert low[:2] == b"\xff\xa0" and high[:2] == b"\xff\xa0"
    assert len(high) > len(low)
    assert b"PPI 500" in low                     # NISTCOM keeps the resolution
    back = hotspot.Image.decode(high)
    assert back.info["format"] == "wsq" and back.ppi == 500
    assert back.shape == ridges.shape
    assert psnr(back.pixels, ridges) > psnr(hotspot.Image.decode(low).pixels, ridges) > 25


def test_wsq_restore(ridges, tmp_path):
    im = hotspot.Image.from_array(ridges, ppi=500)
    low = im.encode("wsq", bitrate=0.3)
    assert len(low) * 8 < 0.75 * ridges.size     # below the restoration's rate
    plain = hotspot.Image.decode(low).pixels
    rest = hotspot.Image.decode(low, restore_wsq=True).pixels
    assert rest.shape == plain.shape and np.count_nonzero(rest != plain) > ridges.size // 20
    (tmp_path / "low.wsq").write_bytes(low)
    assert np.array_equal(hotspot.Image.load(tmp_path / "low.wsq", restore_wsq=True).pixels, rest)
    high = im.encode("wsq", bitrate=2.25)        # above it: decoded as without the flag
    assert np.array_equal(hotspot.Image.decode(high, restore_wsq=True).pixels,
                          hotspot.Image.decode(high).pixels)


def test_wsq_and_jp2_files(ridges, tmp_path):
    im = hotspot.Image.from_array(ridges, ppi=500)
    im.save(tmp_path / "r.wsq", bitrate=1.5)
    im.save(tmp_path / "r.jp2")                  # lossless by default
    im.save(tmp_path / "l.jp2", ratio=20)        # a ratio means lossy
    w = hotspot.Image.load(tmp_path / "r.wsq")
    assert w.info["format"] == "wsq" and w.ppi == 500
    j = hotspot.Image.load(tmp_path / "r.jp2")
    assert j.info["format"] == "jp2"
    assert (j.pixels == ridges).all()
    lossy = (tmp_path / "l.jp2").stat().st_size
    assert lossy < (tmp_path / "r.jp2").stat().st_size
    assert psnr(hotspot.Image.load(tmp_path / "l.jp2").pixels, ridges) > 25


def test_encode_errors(ridges):
    im = hotspot.Image.from_array(ridges)
    with pytest.raises(hotspot.Error) as e:
        im.encode("wsq", bitrate=20)
    assert "wsq_bitrate" in str(e.value)
    with pytest.raises(hotspot.Error):
        hotspot.Image(16, 16).encode("wsq")      # below the 32-pixel minimum
    with pytest.raises(ValueError):
        im.encode("gif")
    with pytest.raises(hotspot.Error):
        hotspot.Image.decode(im.encode("wsq")[:40])


def test_nbis_reference(shared_data):
    d = shared_data / "fingerprint" / "wsq-nbis"
    if not d.is_dir():
        pytest.skip("no wsq-nbis reference vectors in %s" % shared_data)
    name = "FVC2002_DB1_B_101_1"
    ours = hotspot.Image.load(d / (name + ".b075.wsq")).pixels
    ref = np.fromfile(d / (name + ".b075.dec.raw"), np.uint8).reshape(374, 388)
    diff = np.abs(ours.astype(int) - ref)
    assert diff.max() <= 1 and diff.mean() < 0.05
    raw = np.fromfile(d / (name + ".raw"), np.uint8).reshape(374, 388)
    enc = hotspot.Image.from_array(raw, ppi=500).encode("wsq", bitrate=0.75)
    assert abs(len(enc) / (d / (name + ".b075.wsq")).stat().st_size - 1) < 0.05
