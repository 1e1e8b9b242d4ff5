"""hotspot.Synth: seeded synthetic fingerprints with their true minutiae."""
import numpy as np
import pytest

import hotspot
from conftest import built

pytestmark = built("hs_synth_new", "hs_synth_impression")


def test_same_seed_same_finger():
    a = hotspot.Synth(11, width=320, height=360)
    img, truth = a.impression(0, 0)
    assert img.shape == (360, 320) and img.ppi == 500
    assert len(truth.minutiae()) > 5
    img2, truth2 = hotspot.Synth(11, width=320, height=360).impression(0, 0)
    assert (img.pixels == img2.pixels).all()
    assert (truth.minutiae() == truth2.minutiae()).all()
    m = a.master(1)
    assert 1 <= m.finger_class <= 5 and "class" in repr(m)
    other, _ = a.impression(m, 0)
    assert not (other.pixels == img.pixels).all()


@built("hs_finger_extract")
def test_extractor_finds_minutiae_in_synthetic_prints():
    img, truth = hotspot.Synth(3).impression(2, 0)
    t = hotspot.Extractor().extract(img)
    assert len(t.minutiae()) > 5


def test_errors():
    with pytest.raises(TypeError):
        hotspot.Synth(1, colour=3)
    with pytest.raises(hotspot.Error) as ei:
        hotspot.Synth(1, width=5)
    assert ei.value.status == hotspot.ERR_INVALID_ARG
    s = hotspot.Synth(1)
    with pytest.raises(TypeError):
        s.impression("finger", 0)
    s.close()
    with pytest.raises(hotspot.ClosedError):
        s.master(0)
