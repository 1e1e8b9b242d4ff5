"""hotspot.Transaction: ANSI/NIST-ITL transactions from Python."""
import hotspot
import pytest


def test_load_fields_images(shared_data):
    t = hotspot.Transaction.load(shared_data / "fingerprint/an2k-nbis/frontline-sample.an2")
    assert t.source_encoding == "traditional"
    assert t.records() == [1, 2, 14, 14, 10]
    assert t.text("tcn") == "FRONTLINE-SAMPLE-0001"
    assert t.text("tcr") is None
    assert t.field(0, 2) == b"0400"
    imgs = t.images()
    assert [i["record_type"] for i in imgs] == [14, 14, 10]
    assert imgs[0]["width"] == 388 and imgs[0]["ppi"] == 500
    assert len(t.image_data(0)) == 8495
    face = t.image(2)
    assert (face.width, face.height) == (240, 320)
    assert t.encode() == (shared_data / "fingerprint/an2k-nbis/frontline-sample.an2").read_bytes()
    assert any("INT-I" in m for _, _, m in t.validate())
    assert t.validate("base") == []


def test_xml_and_minutiae(shared_data, tmp_path):
    t = hotspot.Transaction.load(shared_data / "int-i/XMLsamples/Sample-SRE-NOHIT-INT-ITransaction.xml")
    assert t.source_encoding == "xml"
    assert t.text("tot") == "SRE"
    assert t.validate() == []
    out = tmp_path / "again.xml"
    t.save(out)
    assert hotspot.Transaction.load(out).text("tcn") == t.text("tcn")
    m = hotspot.Transaction.load(shared_data / "fingerprint/format-samples/type9.an2k")
    tpl = m.minutiae(1)
    assert len(tpl.minutiae(0)) == 28


def test_build_and_errors(shared_data):
    src = hotspot.Transaction.load(shared_data / "fingerprint/an2k-nbis/frontline-sample.an2")
    t = hotspot.Transaction.build("NPS", "BKA", "INT", ori_name="Bundeskriminalamt",
                                  dai_name="INTERPOL", ori_country="DEU", dai_country="XPO",
                                  tcn_serial=42, when=1796558400, face=src.image_data(2))
    assert t.records() == [1, 2, 10]
    assert t.validate() == []
    back = hotspot.Transaction.decode(t.encode("xml"))
    assert back.text("tcn") == t.text("tcn")
    with pytest.raises(hotspot.Error) as e:
        hotspot.Transaction.decode(b"1.001:99999\x1d")
    assert e.value.status in (hotspot.ERR_TRUNCATED, hotspot.ERR_CORRUPT)
    with pytest.raises(hotspot.Error):
        hotspot.Transaction.build("XYZ", "A", "B")


def test_fingers_for_the_watchlist(shared_data):
    t = hotspot.Transaction.load(shared_data / "fingerprint/an2k-nbis/type_3_wvu.an2")
    fingers = t.fingers(extractor=hotspot.Extractor())
    assert len(fingers) == 10
    assert [v["finger"] for v in fingers.views] == list(range(1, 11))
    with pytest.raises(hotspot.Error) as e:
        t.fingers(images=False)
    assert e.value.status == hotspot.ERR_NOT_FOUND
    wl = hotspot.Watchlist()
    wl.add("WVU", fingers=fingers)
    best = wl.search(fingers=t.fingers())[0]
    assert best.id == "WVU" and best.hit
    m = hotspot.Transaction.load(shared_data / "fingerprint/format-samples/type9.an2k")
    assert len(m.fingers().minutiae(0)) == 28
    with pytest.raises(TypeError):
        t.face_embedding(None)


def test_build_result_answers_a_search(shared_data):
    t = hotspot.Transaction.load(shared_data / "fingerprint/an2k-nbis/type_3_wvu.an2")
    fingers = t.fingers(extractor=hotspot.Extractor())
    wl = hotspot.Watchlist()
    wl.add("WVU", fingers=fingers)
    search = hotspot.Transaction.build("CPS", "BKA", "INT", ori_name="BKA", dai_name="INTERPOL",
                                       ori_country="DEU", dai_country="XPO", tcn_serial=7,
                                       when=1796558400)
    sre = hotspot.Transaction.build_result(search, wl, fingers=fingers, tcn_serial=8,
                                           when=1796558400)
    assert sre.text("tot") == "SRE"
    assert sre.text("tcr") == search.text("tcn")
    assert sre.text("dai") == "BKA" and sre.text("ori") == "INT"
    assert [c.id for c in sre.candidates][:1] == ["WVU"] and sre.candidates[0].hit
    rls = sre.field(1, 64).split(b"\x1f")
    assert rls[3:] == [b"CPS", b"I"]
    assert sre.field(1, 65) == b"WVU"
    assert sre.validate("int-i") == []
    none = hotspot.Transaction.build_result(search, hotspot.Watchlist(), fingers=fingers)
    assert none.candidates == [] and none.field(1, 64).split(b"\x1f")[-1] == b"N"
    with pytest.raises(TypeError):
        hotspot.Transaction.build_result(None, wl, fingers=fingers)
    # One SRE per hit (hs_nist_build_result_hit): the id in 2.010 CRN, the contact in 2.063.
    one = hotspot.Transaction.build_result(search, wl, fingers=fingers, tcn_serial=9,
                                           when=1796558400, hit=0, verified=True,
                                           contact_org="Interpol", contact_text="Call back")
    assert one.field(1, 10) == b"XPO\x1fWVU"
    assert one.field(1, 63) == b"\x1fInterpol\x1f\x1fCall back"
    assert one.field(1, 64).split(b"\x1f") == [b"1", b"true", b"1", b"CPS", b"I"]
    assert one.field(1, 65) is None
    assert one.validate("int-i") == []
    back = hotspot.Transaction.decode(one.encode("xml"))
    assert back.fields(1) == one.fields(1)
    irn = hotspot.Transaction.build_result(search, wl, fingers=fingers, hit=0, irn=True,
                                           subject_country="FRA")
    assert irn.field(1, 90) == b"WVU" and irn.field(1, 10) is None
    with pytest.raises(hotspot.Error) as e:
        hotspot.Transaction.build_result(search, wl, fingers=fingers, hit=1)
    assert e.value.status == hotspot.ERR_NOT_FOUND
    with pytest.raises(hotspot.Error) as e:
        hotspot.Transaction.build_result(search, wl, fingers=fingers, hit=0, contact_phone="+33")
    assert e.value.status == hotspot.ERR_INVALID_ARG
    with pytest.raises(TypeError):
        hotspot.Transaction.build_result(search, wl, fingers=fingers, contact_org="Interpol")


def test_build_with_minutiae(shared_data):
    m = hotspot.Transaction.load(shared_data / "fingerprint/format-samples/type9.an2k").fingers()
    t = hotspot.Transaction.build("CPS", "BKA", "INT", ori_country="DEU", dai_country="XPO",
                                  minutiae=m, when=1796558400)
    assert t.records().count(9) == len(m)
    back = hotspot.Transaction.decode(t.encode("xml"))
    assert len(back.fingers().minutiae(0)) == len(m.minutiae(0))
    assert t.validate("int-i") == []
    with pytest.raises(TypeError):
        hotspot.Transaction.build("CPS", "A", "B", minutiae=b"not a template")
