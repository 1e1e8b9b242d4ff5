"""The device's outbox from Python: an outbox made by the library (the fuzz
seed with three sealed encounters) listed, read back, exported, purged and
verified; errors as exceptions with the C status."""
import os
import pathlib
import shutil

import numpy as np
import pytest

import hotspot

SEEDS = pathlib.Path(__file__).resolve().parents[3] / "fuzz" / "corpus" / "fuzz_outbox"


def _have_sodium():
    try:
        hotspot.device_keygen()
        return True
    except hotspot.Error as e:
        if e.status == hotspot.ERR_NOT_BUILT:
            return False
        raise


needs_sodium = pytest.mark.skipif(not _have_sodium(),
                                  reason="built without libsodium: no sealed encounters")


def outbox_dir(tmp_path, seed="queued"):
    d = tmp_path / ("ob-" + seed)
    d.mkdir()
    shutil.copy(SEEDS / seed, d / "outbox.seg")
    os.chmod(d / "outbox.seg", 0o600)
    return d


def test_no_outbox(tmp_path):
    with pytest.raises(hotspot.Error) as e:
        hotspot.Outbox(tmp_path)
    assert e.value.status == hotspot.ERR_NOT_FOUND
    with pytest.raises(hotspot.Error) as e:
        hotspot.outbox_verify(tmp_path)
    assert e.value.status == hotspot.ERR_NOT_FOUND


def test_create_empty(tmp_path):
    key = bytes(range(32))
    with hotspot.Outbox(tmp_path, device_public=key) as ob:
        assert len(ob) == 0
        assert ob.info["count"] == 0
        assert ob.info["max_count"] == hotspot.OUTBOX_DEFAULT_MAX_COUNT
        with pytest.raises(hotspot.Error):
            ob.append(b"not a sealed encounter")
        assert ob.export(tmp_path / "batch") == 0
        with pytest.raises(hotspot.Error) as e:
            ob.ack(b"x" * 100)  # no authority key given
        assert e.value.status == hotspot.ERR_STATE
    assert hotspot.outbox_verify(tmp_path) == {"records": 0, "encounters": 0, "bytes": 56}
    with pytest.raises(hotspot.Error) as e:
        hotspot.Outbox(tmp_path, device_public=bytes(32 * [7]))
    assert e.value.status == hotspot.ERR_STATE
    with pytest.raises(ValueError):
        hotspot.Outbox(tmp_path, device_public=b"short")


@needs_sodium
def test_list_read_export_purge(tmp_path):
    d = outbox_dir(tmp_path)
    with hotspot.Outbox(d, readonly=True) as ob:
        entries = ob.entries()
        assert len(entries) == 3
        assert [e.state for e in entries] == ["queued"] * 3
        assert [e.decision for e in entries] == [0, 1, 0]
        assert all(len(e.id) == 16 and e.shown == "no hit" for e in entries)
        sealed = [ob.sealed(i) for i in range(3)]
        assert [len(s) for s in sealed] == [e.sealed_bytes for e in entries]
        with pytest.raises(IndexError):
            ob.entry(3)
        with pytest.raises(hotspot.Error) as e:
            ob.purge()
        assert e.value.status == hotspot.ERR_STATE
    assert hotspot.outbox_verify(d)["encounters"] == 3
    with hotspot.Outbox(d) as ob:
        # the same encounter twice: refused
        with pytest.raises(hotspot.Error) as e:
            ob.append(sealed[0])
        assert e.value.status == hotspot.ERR_EXISTS
        # a second writer waits, or with nowait is told
        with pytest.raises(hotspot.Error) as e:
            hotspot.Outbox(d, nowait=True)
        assert e.value.status == hotspot.ERR_LOCKED
        assert ob.export(tmp_path / "batch") == 3
        assert (tmp_path / "batch").stat().st_size > sum(len(s) for s in sealed)
        assert [e.state for e in ob.entries()] == ["exported"] * 3
        assert ob.export(tmp_path / "batch2", new_only=True) == 0
        assert ob.purge() == 0
        # far in the future: everything is past the retention period
        assert ob.purge(now_ms=4 * 10**12) == 3
        assert len(ob) == 0
        assert ob.info["forgotten"] == 3
        with pytest.raises(hotspot.Error) as e:
            ob.append(sealed[1])  # purged ids never come back
        assert e.value.status == hotspot.ERR_EXISTS
    assert hotspot.outbox_verify(d)["encounters"] == 0
    data = (d / "outbox.seg").read_bytes()
    assert all(s[-64:] not in data for s in sealed)


def test_damage_named(tmp_path):
    d = outbox_dir(tmp_path)
    p = d / "outbox.seg"
    data = bytearray(p.read_bytes())
    data[2000] ^= 0x10
    p.write_bytes(bytes(data))
    with pytest.raises(hotspot.Error) as e:
        hotspot.outbox_verify(d)
    assert e.value.status == hotspot.ERR_CHECKSUM
    assert "offset" in e.value.message
    d2 = outbox_dir(tmp_path, "torn")
    with pytest.raises(hotspot.Error) as e:
        hotspot.outbox_verify(d2)
    assert e.value.status == hotspot.ERR_TRUNCATED
    with hotspot.Outbox(d2) as ob:  # a writable open drops the torn record
        assert len(ob) == 2
        assert ob.info["dropped_bytes"] > 0
    assert hotspot.outbox_verify(d2)["encounters"] == 2


def _sealed(keys, sign_secret, seed):
    e = hotspot.Encounter()
    img = hotspot.Image.from_array(
        np.random.default_rng(seed).integers(0, 256, (64, 64), dtype="uint8"), ppi=500)
    e.add_finger_image(img, 2)
    e.decision = "no_hit"
    e.set_text("shown", "no hit")
    return e.id, e.seal(keys.box_public, sign_secret)


@needs_sodium
def test_round_trip_with_audit(tmp_path):
    pub, sec, _ = hotspot.device_keygen()
    keys = hotspot.authority_keygen()
    other = hotspot.authority_keygen()
    log = hotspot.AuditLog(tmp_path, sec)
    with hotspot.Outbox(tmp_path, device_public=pub, authority_sign_public=keys.sign_public,
                        audit=log, operator="officer-1") as ob:
        made = [_sealed(keys, sec, i) for i in range(3)]
        for _, s in made:
            ob.append(s)
        assert [e.id for e in ob.entries()] == [i for i, _ in made]
        assert ob.export(tmp_path / "b") == 3
        ack = hotspot.ack_make(pub, [made[0][0], made[2][0]], keys.sign_secret)
        with pytest.raises(hotspot.Error) as e:
            ob.ack(hotspot.ack_make(pub, [made[0][0]], other.sign_secret))
        assert e.value.status == hotspot.ERR_SIGNATURE
        assert ob.ack(ack) == 2
        with pytest.raises(hotspot.Error) as e:
            ob.ack(ack)
        assert e.value.status == hotspot.ERR_REPLAY
        assert [e.id for e in ob.entries()] == [made[1][0]]
        assert ob.info["acks_applied"] == 1
    log.close()
    view = hotspot.AuditView((tmp_path / "audit.log").read_bytes())
    events = [r["event"] for r in view]
    assert events.count(hotspot.AUDIT_OUTBOX_APPEND) == 3
    assert events.count(hotspot.AUDIT_OUTBOX_EXPORT) == 1
    assert events.count(hotspot.AUDIT_OUTBOX_ACK) == 1
