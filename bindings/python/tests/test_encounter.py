"""Encounters: build, seal, receipt, batch, central open, acknowledgements."""
import os
import stat

import pytest

import hotspot
from conftest import built

pytestmark = built("hs_encounter_new", "hs_py_encounter_seal")


@pytest.fixture(scope="module")
def fx():
    syn = hotspot.Synth(seed=3)
    img1, truth = syn.impression(0, 0)
    img2, _ = syn.impression(1, 0)
    keys = hotspot.authority_keygen()
    dev_pk, dev_sk, _ = hotspot.device_keygen()
    other_pk, other_sk, _ = hotspot.device_keygen()
    e = hotspot.Encounter()
    e.time_ms = 1796558400123
    e.set_text("operator_id", "officer-7")
    e.set_text("location", "CP-3")
    e.set_text("shown", "no match")
    e.set_field("lane", "2")
    e.add_finger_image(img1, 2, 80)
    e.add_finger_image(img2, 7)
    e.set_face(img1)
    e.watchlist_version = 42
    e.add_candidate("S-0001", 3.5)
    e.decision = "no_hit"
    sealed = e.seal(keys.box_public, dev_sk)
    reg = hotspot.Registry()
    reg.add(dev_pk, "dev-1")
    return dict(e=e, keys=keys, dev_pk=dev_pk, dev_sk=dev_sk, other_pk=other_pk,
                other_sk=other_sk, sealed=sealed, reg=reg, img=img1)


def test_object(fx):
    e = fx["e"]
    assert len(e.id) == 16
    assert e.text("operator_id") == "officer-7"
    assert e.text("reason") == ""
    assert e.fields() == {"lane": "2"}
    assert e.finger_count == 2
    assert e.candidates() == [("S-0001", 3.5, False)]
    assert e.face_jpeg()[:2] == b"\xff\xd8"
    assert '"operator_id":"officer-7"' in e.result_json()
    with pytest.raises(hotspot.Error) as ei:
        e.set_text("location", "bad\nline")
    assert ei.value.status == hotspot.ERR_INVALID_ARG
    with pytest.raises(hotspot.Error):
        e.add_finger_image(fx["img"], 2)   # position taken
    t = e.transaction()
    assert t.text("tot") == "CPS"
    assert len(t.images()) == 3


def test_seal_receipt_open(fx):
    r = hotspot.sealed_receipt(fx["sealed"])
    assert r["id"] == fx["e"].id and r["decision"] == "no_hit"
    assert r["device_public"] == fx["dev_pk"] and r["shown"] == "no match"
    assert b"officer-7" not in fx["sealed"] and b"S-0001" not in fx["sealed"]
    seen = hotspot.SeenIds()
    opened, tx = hotspot.open_encounter(fx["sealed"], fx["keys"].box_secret, fx["reg"], seen)
    assert opened.id == fx["e"].id and opened.candidates() == fx["e"].candidates()
    assert opened.finger_count == 0 and len(tx.images()) == 3
    assert fx["e"].id in seen and len(seen) == 1
    with pytest.raises(hotspot.Error) as ei:
        hotspot.open_encounter(fx["sealed"], fx["keys"].box_secret, fx["reg"], seen)
    assert ei.value.status == hotspot.ERR_REPLAY
    # the device cannot open what it sealed, nor can another authority
    with pytest.raises(hotspot.Error) as ei:
        hotspot.open_encounter(fx["sealed"], hotspot.authority_keygen().box_secret, fx["reg"])
    assert ei.value.status == hotspot.ERR_DECRYPT
    bad = bytearray(fx["sealed"])
    bad[len(bad) // 2] ^= 1
    with pytest.raises(hotspot.Error) as ei:
        hotspot.sealed_receipt(bad)
    assert ei.value.status == hotspot.ERR_SIGNATURE


def test_registry_and_seen_files(fx, tmp_path):
    d = tmp_path / "devices"
    d.mkdir()
    (d / "dev-1.pub").write_bytes(fx["dev_pk"])
    (d / "old.pub").write_bytes(fx["other_pk"])
    (d / "revoked").write_text("old\n")
    reg = hotspot.Registry.load(d)
    assert reg.lookup(fx["dev_pk"]) == (1, "dev-1")
    assert reg.lookup(fx["other_pk"]) == (-1, "old")
    rogue = fx["e"].seal(fx["keys"].box_public, fx["other_sk"])
    with pytest.raises(hotspot.Error) as ei:
        hotspot.open_encounter(rogue, fx["keys"].box_secret, reg)
    assert ei.value.status == hotspot.ERR_REVOKED and "revoked" in ei.value.message
    seen = hotspot.SeenIds()
    seen.add(fx["e"].id)
    p = tmp_path / "seen"
    seen.save(p)
    assert stat.S_IMODE(os.stat(p).st_mode) == 0o600
    assert fx["e"].id in hotspot.SeenIds.load(p)
    assert len(hotspot.SeenIds.load(tmp_path / "absent", create=True)) == 0


def test_batch_and_ack(fx):
    e2 = hotspot.Encounter()
    e2.add_finger_image(fx["img"], 3)
    s2 = e2.seal(fx["keys"].box_public, fx["dev_sk"], tot="NPS")
    rogue = e2.seal(fx["keys"].box_public, fx["other_sk"])
    batch = hotspot.batch_encode([fx["sealed"], s2, rogue, s2])
    recs = hotspot.open_batch(batch, fx["keys"].box_secret, fx["reg"], hotspot.SeenIds())
    assert [r.status for r in recs] == [0, 0, hotspot.ERR_REVOKED, hotspot.ERR_REPLAY]
    assert "record 2" in recs[2].reason and "unknown device" in recs[2].reason
    assert recs[1].transaction.text("tot") == "NPS"
    assert '"decision":"not_searched"' in recs[1].result
    assert recs[0].receipt["shown"] == "no match"
    with pytest.raises(hotspot.Error) as ei:
        hotspot.open_batch(batch[:-10], fx["keys"].box_secret, fx["reg"])
    assert ei.value.status == hotspot.ERR_TRUNCATED
    ids = [fx["e"].id, e2.id]
    ack = hotspot.ack_make(fx["dev_pk"], ids, fx["keys"].sign_secret)
    a = hotspot.ack_verify(ack, fx["keys"].sign_public, fx["dev_pk"])
    assert a["ids"] == ids and len(a["nonce"]) == 16 and a["device_public"] == fx["dev_pk"]
    with pytest.raises(hotspot.Error) as ei:
        hotspot.ack_verify(ack, fx["keys"].sign_public, fx["other_pk"])
    assert ei.value.status == hotspot.ERR_SIGNATURE and "another device" in ei.value.message
    with pytest.raises(hotspot.Error) as ei:
        hotspot.ack_verify(ack, hotspot.authority_keygen().sign_public, fx["dev_pk"])
    assert ei.value.status == hotspot.ERR_SIGNATURE


def test_authority_files(tmp_path):
    k = hotspot.authority_keygen()
    hotspot.authority_save(tmp_path / "a.pub", tmp_path / "a.sec", k)
    assert hotspot.authority_load_public(tmp_path / "a.pub") == (k.box_public, k.sign_public)
    assert hotspot.authority_load_secret(tmp_path / "a.sec") == (k.box_secret, k.sign_secret)
    with pytest.raises(hotspot.Error) as ei:
        hotspot.authority_save(tmp_path / "a.pub", tmp_path / "a.sec", k)
    assert ei.value.status == hotspot.ERR_EXISTS
