"""Version, errors, status codes, limits, constants."""
import threading

import pytest

import hotspot


def test_version_matches_c_library():
    assert hotspot.__version__ == hotspot.capi.hs_version_string()
    major, minor, patch = hotspot.version_info
    assert hotspot.capi.hs_version_number() == major * 10000 + minor * 100 + patch
    assert hotspot.capi.HS_VERSION_STRING == hotspot.__version__


def test_constants_exported_without_prefix():
    assert hotspot.OK == 0
    assert hotspot.ERR_IO == -3
    assert hotspot.ERR_STATE == -21
    assert hotspot.FINGER_RIGHT_INDEX == 2
    assert hotspot.MINUTIA_BIFURCATION == 2


def test_status_str():
    assert "error" in hotspot.status_str(hotspot.ERR_IO).lower() or hotspot.status_str(hotspot.ERR_IO)
    assert hotspot.status_str(12345) == "unknown status"


def test_error_carries_status_and_message():
    e = hotspot.Error(hotspot.ERR_FORMAT, "details here")
    assert e.status == hotspot.ERR_FORMAT
    assert e.message == "details here"
    assert "details here" in str(e) and "-4" in str(e)
    assert isinstance(hotspot.ClosedError("X"), ValueError)
    assert hotspot.ClosedError("X").status == hotspot.ERR_STATE


def test_limit_bounds_and_errors():
    lo, hi = hotspot.limit_bounds(hotspot.LIMIT_MAX_PIXELS)
    assert 0 < lo <= hi
    with pytest.raises(hotspot.Error) as ei:
        hotspot.limit_bounds(999)
    assert ei.value.status == hotspot.ERR_INVALID_ARG
    assert "unknown limit key 999" in str(ei.value) and "LIMIT_MAX_PIXELS" in str(ei.value)
    with pytest.raises(hotspot.Error) as ei:
        hotspot.set_limit(99, 5)
    assert "unknown limit key 99" in str(ei.value)
    with pytest.raises(hotspot.Error) as ei:
        hotspot.set_limit(hotspot.LIMIT_MAX_PIXELS, hi + 1)
    assert ei.value.status == hotspot.ERR_INVALID_ARG
    assert "[%d, %d]" % (lo, hi) in str(ei.value)


def test_limit_applies_to_every_thread():
    key = hotspot.LIMIT_MAX_DIMENSION
    old = hotspot.get_limit(key)
    try:
        hotspot.set_limit(key, 1000)
        seen = []
        t = threading.Thread(target=lambda: seen.append(hotspot.get_limit(key)))
        t.start()
        t.join()
        assert seen == [1000]
        assert hotspot.get_limit(key) == 1000
    finally:
        hotspot.set_limit(key, old)
    assert hotspot.get_limit(key) == old


def test_docstrings_come_from_the_c_headers():
    assert "HS_ERR_FORMAT" in hotspot.Image.load.__doc__
    assert "hs_image_load" in hotspot.Image.load.__doc__
    assert hotspot.capi.hs_image_load.__doc__
