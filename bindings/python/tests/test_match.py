"""hotspot.PreparedFinger, Matcher, compare, threshold_for_fmr."""
import math

import numpy as np
import pytest

import hotspot
from conftest import built

pytestmark = built("hs_finger_prepare", "hs_finger_match")


def _template(seed, n=40, finger=0):
    rng = np.random.default_rng(seed)
    rows = [(rng.uniform(20, 280), rng.uniform(20, 380), rng.uniform(0, 2 * math.pi - 1e-3),
             1 + int(rng.integers(0, 2)), 60) for _ in range(n)]
    return hotspot.FingerTemplate().add_view(rows, 300, 400, finger=finger)


def test_prepare_encode_decode_match():
    a, b = _template(1), _template(2)
    pa = a.prepare()
    assert pa.count == 40 and "40 minutiae" in repr(pa)
    blob = pa.encode()
    pa2 = hotspot.PreparedFinger.decode(blob)
    assert pa2.count == 40
    with hotspot.Matcher() as m:
        self_score = m.match(pa, pa2)
        other = m.match(pa, b.prepare())
        assert 0.0 <= other < self_score <= 1.0
        assert m.match(a, b) == pytest.approx(other)     # templates accepted too
    assert hotspot.compare(a, a) == pytest.approx(self_score, abs=1e-4)


def test_matcher_options_and_fusion():
    m = hotspot.Matcher(max_rotation=30, fast=True)
    assert m.get("max_rotation") == 30 and m.get(hotspot.MATCH_FAST) == 1
    assert "max_rotation=30" in repr(m)
    with pytest.raises(hotspot.Error) as ei:
        m.set("max_rotation", 500)
    assert ei.value.status == hotspot.ERR_INVALID_ARG
    p = [_template(i, finger=i + 1).prepare() for i in range(3)]
    q = [_template(i, finger=i + 1).prepare() for i in range(3)]
    assert m.match_multi(p, q, hotspot.FUSION_MEAN) > 0.5
    with pytest.raises(TypeError):
        m.match_multi([a for a in p] + ["x"], q)


def test_thorough_mode():
    m = hotspot.Matcher(thorough=True)
    assert m.get("thorough") == 1 and m.get(hotspot.MATCH_THOROUGH) == 1
    assert "thorough=1" in repr(m)
    default = hotspot.Matcher()
    assert default.get("thorough") == 0
    p = [_template(i).prepare() for i in range(10, 16)]
    for x in p:
        for y in p:
            # the default mode's alignments and more, the best kept
            assert m.match(x, y) >= default.match(x, y)
    with pytest.raises(hotspot.Error) as ei:
        m.set("thorough", 2)
    assert ei.value.status == hotspot.ERR_INVALID_ARG
    m.set("fast", 1)  # both modes: the comparison is refused
    with pytest.raises(hotspot.Error) as ei:
        m.match(p[0], p[1])
    assert ei.value.status == hotspot.ERR_INVALID_ARG
    m.set("thorough", 0)
    assert m.match(p[0], p[0]) > 0.5


def test_kernel_sets_give_the_same_scores():
    a, b = _template(5).prepare(), _template(6).prepare()
    auto = hotspot.Matcher()
    used = auto.get("kernels")
    assert used in (hotspot.MATCH_KERNELS_PORTABLE, hotspot.MATCH_KERNELS_AVX2,
                    hotspot.MATCH_KERNELS_AVX512, hotspot.MATCH_KERNELS_NEON)
    portable = hotspot.Matcher(kernels=hotspot.MATCH_KERNELS_PORTABLE)
    assert portable.get("kernels") == hotspot.MATCH_KERNELS_PORTABLE
    assert auto.match(a, b) == portable.match(a, b)
    assert auto.match(a, a) == portable.match(a, a)
    with pytest.raises(hotspot.Error) as ei:
        portable.set("kernels", 99)
    assert ei.value.status == hotspot.ERR_INVALID_ARG


def test_threshold_for_fmr_is_monotonic():
    t2, t4 = hotspot.threshold_for_fmr(1e-2), hotspot.threshold_for_fmr(1e-4)
    assert 0.0 < t2 <= t4 < 1.0


def test_errors():
    with pytest.raises(hotspot.Error) as ei:
        hotspot.PreparedFinger.decode(b"not a prepared template")
    assert ei.value.status in (hotspot.ERR_FORMAT, hotspot.ERR_TRUNCATED)
    blob = bytearray(_template(3).prepare().encode())
    blob[-1] ^= 0xFF
    with pytest.raises(hotspot.Error) as ei:
        hotspot.PreparedFinger.decode(blob)
    assert ei.value.status in (hotspot.ERR_CHECKSUM, hotspot.ERR_CORRUPT)
    with pytest.raises(hotspot.Error) as ei:
        _template(4).prepare(view=3)
    assert ei.value.status == hotspot.ERR_NOT_FOUND
    with pytest.raises(TypeError):
        hotspot.Matcher().match("a", "b")
    with pytest.raises(TypeError):
        hotspot.compare(1, 2)
    m = hotspot.Matcher()
    m.close()
    with pytest.raises(hotspot.ClosedError):
        m.match(_template(5), _template(6))
    p = _template(7).prepare()
    p.close()
    with pytest.raises(hotspot.ClosedError):
        hotspot.Matcher().match(p, p)
