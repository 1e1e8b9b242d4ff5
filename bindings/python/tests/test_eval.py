"""hotspot.eval_*: the C evaluation functions (eval.h) on known score lists."""
import math

import numpy as np
import pytest

import hotspot
from conftest import built

pytestmark = built("hs_eval_rates", "hs_eval_threshold_for_fmr", "hs_eval_det")


def test_known_rates():
    g = [0.9, 0.8, 0.7, 0.6, 0.2]
    im = [0.1, 0.3, 0.5, 0.05, 0.0]
    r = hotspot.eval_rates(g, im)
    assert r.eer == pytest.approx(0.2)
    assert r.fmr100.fnmr == pytest.approx(0.2)
    assert r.zero_fmr == hotspot.EvalPoint(0.6, 0.0, 0.2)
    assert hotspot.eval_rates(g, im, accept_above=True).zero_fmr.threshold == 0.5
    # numpy arrays of any dtype work, and are not modified
    a = np.array(g, np.float32)
    before = a.copy()
    assert hotspot.eval_rates(a, np.array(im)).eer == pytest.approx(0.2)
    assert (a == before).all()


def test_threshold_and_det():
    rng = np.random.default_rng(7)
    g = rng.normal(0.6, 0.1, 300)
    im = rng.normal(0.2, 0.1, 5000)
    p = hotspot.eval_threshold_for_fmr(g, im, 0.01)
    assert p.fmr <= 0.01
    assert p.fmr == pytest.approx((im >= p.threshold).mean())
    assert p.fnmr == pytest.approx((g < p.threshold).mean())
    assert p == hotspot.eval_rates(g, im).fmr100
    det = hotspot.eval_det(g, im)
    assert det.dtype == hotspot.EVAL_POINT_DTYPE
    assert len(det) == len(np.unique(np.concatenate([g, im]))) + 1
    assert det["fmr"][0] == 1.0 and det["fnmr"][-1] == 1.0
    assert math.isinf(det["threshold"][-1])
    assert (np.diff(det["threshold"]) > 0).all()


def test_bad_scores():
    with pytest.raises(hotspot.Error) as e:
        hotspot.eval_rates([0.5, float("nan")], [0.1])
    assert e.value.status == hotspot.ERR_INVALID_ARG
    assert "genuine score 1" in e.value.message
    with pytest.raises(hotspot.Error):
        hotspot.eval_rates([], [0.1])
    with pytest.raises(hotspot.Error):
        hotspot.eval_threshold_for_fmr([0.5], [0.1], 2.0)
    with pytest.raises(TypeError):
        hotspot.eval_rates("0.5", [0.1])
