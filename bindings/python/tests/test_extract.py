"""hotspot.Extractor and template files (encode/decode/load/save)."""
import numpy as np
import pytest

import hotspot
from conftest import built

pytestmark = built("hs_finger_extract", "hs_template_encode")


def test_extract_from_array_image_and_path(ridges, tmp_path):
    ex = hotspot.Extractor(max_minutiae=40)
    assert ex.get("max_minutiae") == 40 and "max_minutiae=40" in repr(ex)
    img = hotspot.Image.from_array(ridges, ppi=500)
    t = ex.extract(img)
    assert len(t) == 1 and t.view(0)["width"] == 300 and t.view(0)["ppi_x"] == 500
    assert len(t.minutiae()) <= 40
    img.save(tmp_path / "r.png")
    t2 = ex.extract(tmp_path / "r.png")               # a path
    t3 = ex.extract(ridges)                           # an array (default 500 ppi)
    assert (t2.minutiae() == t.minutiae()).all()
    assert (t3.minutiae() == t.minutiae()).all()


def test_extract_real_print(shared_data):
    f = shared_data / "fingerprint" / "FVC2002_DB1_B" / "101_1.tif"
    if not f.exists():
        pytest.skip("%s absent" % f)
    t = hotspot.Extractor(max_minutiae=50).extract(f)
    m = t.minutiae()
    assert 5 <= len(m) <= 50
    v = t.view(0)
    assert (m["x"] < v["width"]).all() and (m["y"] < v["height"]).all()
    assert ((m["angle"] >= 0) & (m["angle"] < 6.2832)).all()


def test_extract_errors():
    ex = hotspot.Extractor()
    with pytest.raises(hotspot.Error) as ei:
        ex.extract(hotspot.Image(300, 300, ppi=500, fill=255))    # blank
    assert ei.value.status == hotspot.ERR_NO_FINGERPRINT
    with pytest.raises(hotspot.Error) as ei:
        ex.set("max_minutiae", 100000)
    assert ei.value.status == hotspot.ERR_INVALID_ARG and "allowed" in ei.value.message
    with pytest.raises(TypeError):
        hotspot.Extractor(colour=1)
    with pytest.raises(TypeError):
        ex.extract(3.5)
    with pytest.raises(hotspot.Error) as ei:
        ex.extract("/nonexistent/finger.png")
    assert ei.value.status == hotspot.ERR_IO
    ex.close()
    with pytest.raises(hotspot.ClosedError):
        ex.extract(np.zeros((300, 300), np.uint8))


@pytest.mark.parametrize("fmt", ["hst", "iso19794-2", "ansi378", "ansi378-2009",
                                 hotspot.TEMPLATE_FORMAT_HST])
def test_template_round_trip(fmt, tmp_path):
    t = hotspot.FingerTemplate().add_view(
        [(10, 20, 1.0, 1, 50), (30, 40, 2.0, 2, 60), (50, 10, 3.0, 1, 70)],
        300, 400, finger=hotspot.FINGER_RIGHT_THUMB)
    blob = t.encode(fmt)
    back = hotspot.FingerTemplate.decode(blob)
    assert len(back.minutiae()) == 3 and back.view(0)["finger"] == hotspot.FINGER_RIGHT_THUMB
    assert np.allclose(back.minutiae()["x"], [10, 30, 50], atol=0.5)
    path = tmp_path / "t.bin"
    t.save(path, fmt)
    assert hotspot.FingerTemplate.load(path).source_format == back.source_format


def test_template_file_errors(tmp_path):
    with pytest.raises(hotspot.Error) as ei:
        hotspot.FingerTemplate.decode(b"definitely not a template")
    assert ei.value.status in (hotspot.ERR_FORMAT, hotspot.ERR_TRUNCATED)
    with pytest.raises(hotspot.Error) as ei:
        hotspot.FingerTemplate.load(tmp_path / "missing.hst")
    assert ei.value.status == hotspot.ERR_IO
    t = hotspot.FingerTemplate().add_view([(10, 20, 1.0, 1, 50)], 300, 400)
    blob = bytearray(t.encode("hst"))
    blob[-1] ^= 0x55
    with pytest.raises(hotspot.Error) as ei:
        hotspot.FingerTemplate.decode(blob)
    assert ei.value.status in (hotspot.ERR_CHECKSUM, hotspot.ERR_CORRUPT)
    with pytest.raises(hotspot.Error) as ei:
        t.encode("no-such-format")
    assert ei.value.status == hotspot.ERR_INVALID_ARG
    with pytest.raises(TypeError):
        t.encode(1.5)
    with pytest.raises(TypeError):
        hotspot.FingerTemplate.load(None)


def test_minutia_stability_tool(tmp_path):
    """tools/minutia-stability.py (docs/accuracy.md, "Grid phase"): a crop by
    the extractor's block size (8 px at 500 ppi) leaves the minutiae where
    they were, away from the cropped strip; after a 1 px crop most stay."""
    import os
    import re
    import subprocess
    import sys
    src = os.environ.get("HS_SOURCE_DIR")
    if not src:
        pytest.skip("HS_SOURCE_DIR unset (run through ctest)")
    tool = os.path.join(src, "tools", "minutia-stability.py")
    syn = hotspot.Synth(5, width=320, height=360)
    paths = []
    for f in range(3):
        img, _ = syn.impression(f, 0)
        p = tmp_path / ("%d.png" % f)
        img.save(p)
        paths.append(str(p))

    def unstable(spec):
        out = subprocess.run([sys.executable, tool, "--perturb", spec] + paths,
                             capture_output=True, text=True, check=True).stdout
        m = re.match(r"%s: 3 images, (\d+) minutiae, unstable ([0-9.]+) %%" % re.escape(spec), out)
        assert m, out
        assert int(m.group(1)) > 20
        return float(m.group(2))

    assert unstable("crop:8,8") <= 3.0
    assert unstable("crop:1,0") < 50.0
    for bad in ("blur:1", "crop:1", "crop:a,1", "noise:300"):
        r = subprocess.run([sys.executable, tool, "--perturb", bad] + paths,
                           capture_output=True, text=True)
        assert r.returncode != 0 and "crop:X,Y or noise:A" in r.stderr, (bad, r.stderr)
