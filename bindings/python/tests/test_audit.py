"""hotspot device keys, AuditLog / AuditView / audit_verify, and the
encrypted installed watchlist."""
import os
import stat

import numpy as np
import pytest

import hotspot
from conftest import built

pytestmark = built("hs_py_device_keygen", "hs_py_audit_open")


@pytest.fixture(scope="module")
def keys():
    try:
        return hotspot.device_keygen()
    except hotspot.Error as e:
        if e.status == hotspot.ERR_NOT_BUILT:
            pytest.skip("built without libsodium")
        raise


def _read(d):
    with open(os.path.join(d, "audit.log"), "rb") as f:
        return f.read()


def test_keys(tmp_path, keys):
    pub, sec, storage = keys
    assert len(pub) == 32 and len(sec) == 64 and len(storage) == 32
    assert hotspot.device_sign_public(sec) == pub
    bad = bytearray(sec)
    bad[40] ^= 1
    with pytest.raises(hotspot.Error) as ei:
        hotspot.device_sign_public(bytes(bad))
    assert ei.value.status == hotspot.ERR_CORRUPT
    with pytest.raises(ValueError):
        hotspot.device_sign_public(b"short")
    p = tmp_path / "k.sec"
    hotspot.device_key_save(p, sec, secret=True)
    assert stat.S_IMODE(os.stat(p).st_mode) == 0o600
    with pytest.raises(hotspot.Error) as ei:
        hotspot.device_key_save(p, sec, secret=True)
    assert ei.value.status == hotspot.ERR_EXISTS
    assert hotspot.device_key_load(p, 64, secret=True) == sec
    os.chmod(p, 0o644)
    with pytest.raises(hotspot.Error):
        hotspot.device_key_load(p, 64, secret=True)


def test_log_append_view_verify(tmp_path, keys):
    pub, sec, _ = keys
    with hotspot.AuditLog(tmp_path, sec) as log:
        log.append(hotspot.AUDIT_SEARCH, operator_id="officer-1", ref="list-v3", decision=1,
                   count=4, detail="checkpoint A")
        log.append(hotspot.AUDIT_OUTBOX_APPEND, ref="00ff")
        head = log.head()
        assert head.count == 2 and len(head.log_id) == 16
        with pytest.raises(hotspot.Error) as ei:
            log.append(hotspot.AUDIT_SEARCH, detail="bad\ntext")
        assert ei.value.status == hotspot.ERR_INVALID_ARG
        export = log.export()
    data = _read(tmp_path)
    info = hotspot.audit_verify(data, pub)
    assert info["count"] == 2 and not info["exported"] and info["head"] == head
    assert info["key_public"] == pub
    with hotspot.AuditView(data) as v:
        assert len(v) == 2 and v.first_seq == 0 and v.log_id == head.log_id
        e = v[0]
        assert e["event"] == hotspot.AUDIT_SEARCH and e["event_name"] == "search"
        assert e["operator_id"] == "officer-1" and e["ref"] == "list-v3"
        assert e["decision"] == 1 and e["count"] == 4 and e["detail"] == "checkpoint A"
        assert v[-1]["operator_id"] is None and v[-1]["hash"] == head.last_hash
        with pytest.raises(IndexError):
            v[2]
    assert len(hotspot.AuditView.load(tmp_path)) == 2
    # the export verifies, the head is the centre's next anchor
    info = hotspot.audit_verify(export, pub)
    assert info["exported"] and info["head"].count == 2
    anchor = info["head"]
    # tampering is found and named
    bad = bytearray(data)
    bad[-100] ^= 1
    with pytest.raises(hotspot.AuditError) as ei:
        hotspot.audit_verify(bytes(bad), pub)
    assert ei.value.info["bad_index"] == 1 and "entry 1" in ei.value.message
    # truncation: only the anchor tells
    cut = data[:-1]
    assert hotspot.audit_verify(cut, pub)["torn_bytes"] > 0
    with pytest.raises(hotspot.AuditError) as ei:
        hotspot.audit_verify(cut, pub, anchor=anchor)
    assert ei.value.status == hotspot.ERR_TRUNCATED
    # reopen and continue; the incremental export checks against the anchor
    with hotspot.AuditLog(tmp_path, sec) as log:
        log.append(hotspot.AUDIT_OUTBOX_ACK, count=1)
        inc = log.export(start=2)
    assert hotspot.audit_verify(inc, pub, anchor=anchor)["head"].count == 3


def test_encrypted_watchlist(tmp_path, keys):
    _, _, storage = keys
    wl = hotspot.Watchlist()
    rng = np.random.default_rng(1)
    for i in range(3):
        wl.add("S-%d" % i, faces=[rng.normal(size=64).astype(np.float32)],
               fields={"reference": "CASE-123"})
    p = tmp_path / "list.enc"
    wl.save_encrypted(p, storage)
    raw = p.read_bytes()
    assert b"CASE-123" not in raw and b"S-1" not in raw
    back = hotspot.Watchlist.load_encrypted(p, storage)
    assert len(back) == 3 and "S-2" in back
    assert len(hotspot.Watchlist.decode_encrypted(raw, storage)) == 3
    wrong = bytes(32)
    with pytest.raises(hotspot.Error) as ei:
        hotspot.Watchlist.load_encrypted(p, wrong)
    assert ei.value.status == hotspot.ERR_DECRYPT
    bad = bytearray(raw)
    bad[len(bad) // 2] ^= 0x80
    with pytest.raises(hotspot.Error) as ei:
        hotspot.Watchlist.decode_encrypted(bytes(bad), storage)
    assert ei.value.status == hotspot.ERR_DECRYPT
