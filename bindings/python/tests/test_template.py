"""hotspot.FingerTemplate: views, minutiae arrays, error paths."""
import numpy as np
import pytest

import hotspot

ROWS = [(10, 20, 1.0, hotspot.MINUTIA_ENDING, 50),
        (30.5, 40.25, 2.0, hotspot.MINUTIA_BIFURCATION, 60),
        (50, 10, 3.0, hotspot.MINUTIA_ENDING, 70)]


def test_add_view_and_read_back():
    t = hotspot.FingerTemplate()
    assert len(t) == 0
    t.add_view(ROWS, 300, 400, ppi=500, finger=hotspot.FINGER_LEFT_INDEX, quality=80)
    assert t.view_count == 1
    m = t.minutiae(0)
    assert m.dtype == hotspot.MINUTIA_DTYPE and len(m) == 3
    assert m["x"][1] == pytest.approx(30.5) and m["type"][1] == hotspot.MINUTIA_BIFURCATION
    v = t.view(0)
    assert v["finger"] == hotspot.FINGER_LEFT_INDEX and v["minutia_count"] == 3
    assert v["width"] == 300 and v["ppi_x"] == v["ppi_y"] == 500 and v["quality"] == 80
    assert "1 view" in repr(t) and "3 minutiae" in repr(t)


def test_minutiae_inputs_array_and_bytes():
    t = hotspot.FingerTemplate()
    t.add_view(ROWS, 300, 400)
    arr = t.minutiae()
    t.add_view(arr, 300, 400, view_number=1)             # structured array
    t.add_view(arr.tobytes(), 300, 400, view_number=2)   # raw 16-byte records
    t.add_view(bytearray(arr.tobytes()), 300, 400)
    assert len(t) == 4
    for i in range(4):
        assert (t.minutiae(i) == arr).all()
    t.remove_view(0)
    assert len(t) == 3


def test_copy_is_deep():
    t = hotspot.FingerTemplate().add_view(ROWS, 300, 400)
    c = t.copy()
    t.remove_view(0)
    assert len(c) == 1 and len(t) == 0


def test_invalid_minutiae_and_views():
    t = hotspot.FingerTemplate()
    with pytest.raises(hotspot.Error) as ei:
        t.add_view([(10, 10, 7.0, 1, 0)], 300, 400)       # angle beyond 2*pi
    assert ei.value.status == hotspot.ERR_INVALID_ARG
    with pytest.raises(hotspot.Error):
        t.add_view(ROWS, 300, 400, finger=11)
    assert len(t) == 0                                     # unchanged on failure
    with pytest.raises(ValueError):
        t.add_view(b"\0" * 15, 300, 400)
    with pytest.raises(ValueError):
        t.add_view([(1, 2)], 300, 400)
    with pytest.raises(hotspot.Error) as ei:
        t.remove_view(3)
    assert ei.value.status == hotspot.ERR_NOT_FOUND
    with pytest.raises(hotspot.Error) as ei:
        t.view(0)
    assert ei.value.status == hotspot.ERR_NOT_FOUND
    with pytest.raises(hotspot.Error):
        t.minutiae(0)


def test_wrong_type_and_closed():
    with pytest.raises(TypeError):
        hotspot.FingerTemplate().add_view(42, 300, 400)
    t = hotspot.FingerTemplate().add_view(ROWS, 300, 400)
    with t:
        pass
    assert t.closed
    with pytest.raises(hotspot.ClosedError):
        t.minutiae()
    with pytest.raises(hotspot.ClosedError):
        len(t)
    assert "closed" in repr(t)
