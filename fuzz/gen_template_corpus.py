#!/usr/bin/env python3
"""Write the small, synthetic seed corpora of the template fuzz targets.

Run from the repository root: python3 fuzz/gen_template_corpus.py
The records are built here from the layouts in docs/template-format.md,
independently of the C code, with made-up minutiae (no biometric data)."""
import math
import os
import struct
import zlib

def crc32c(data):
    crc = 0xFFFFFFFF
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82F63B78 if crc & 1 else 0)
    return crc ^ 0xFFFFFFFF

def minutiae(n, seed, w=300, h=400):
    out = []
    for i in range(n):
        x = (i * 37 + seed * 11) % w
        y = (i * 53 + seed * 7) % h
        a = (i * 29 + seed) % 256
        out.append((1 + (i + seed) % 2, x, y, a, (i * 7) % 101))
    return out

def fmr_min(ms, ansi):
    b = b""
    for t, x, y, a, q in ms:
        ang = a * 180 // 256 if ansi else a
        b += struct.pack(">HHBB", (t << 14) | x, y, ang, q)
    return b

def edb(with_areas, iso=False):
    if not with_areas:
        return b"\0\0"
    rc = struct.pack(">HHB", 1, 4 + 1 + 6, 1) + bytes([0, 1, 3, 1, 2, 5])
    # core/delta: ANSI types each group in its count byte, ISO marks each point (bit 14 of x)
    if iso:
        pts = bytes([0x01, 0x40, 100, 0, 120, 40, 0x01, 0x40, 50, 1, 0, 10, 20, 30])
    else:
        pts = bytes([0x41, 0, 100, 0, 120, 40, 0x41, 0, 50, 1, 0, 10, 20, 30])
    cd = struct.pack(">HH", 2, 4 + len(pts)) + pts
    body = rc + cd
    return struct.pack(">H", len(body)) + body

def iso2005(views, w=300, h=400, ppcm=197, areas=False):
    body = b""
    for i, n in enumerate(views):
        body += bytes([1 + i, 0, 60, n]) + fmr_min(minutiae(n, i, w, h), False) + edb(areas and i == 0, iso=True)
    total = 24 + len(body)
    return b"FMR\0 20\0" + struct.pack(">IHHHHHBB", total, 0x00b5, w, h, ppcm, ppcm, len(views), 0) + body

def ansi2004(views, w=300, h=400, ppcm=197, areas=False, long_form=False):
    body = b""
    for i, n in enumerate(views):
        body += bytes([1 + i, 0x01 if i else 0, 70, n]) + fmr_min(minutiae(n, i, w, h), True) + edb(areas and i == 0)
    rest = struct.pack(">IHHHHHBB", 0x00420011, 0x00b5, w, h, ppcm, ppcm, len(views), 0) + body
    if long_form:
        return b"FMR\0 20\0" + struct.pack(">HI", 0, 14 + len(rest)) + rest
    return b"FMR\0 20\0" + struct.pack(">H", 10 + len(rest)) + rest

def ansi2009(views, areas=False):
    body = b""
    for i, n in enumerate(views):
        w, h = 300 + 10 * i, 400
        body += bytes([1 + i, 0, 0, 80]) + struct.pack(">IHHHHB", 0x00060037, w, h, 197, 197, n)
        body += fmr_min(minutiae(n, i, w, h), True) + edb(areas and i == 0)
    rest = struct.pack(">IHBB", 0x00420011, 0x00b5, len(views), 0) + body
    return b"FMR\x00" b"030\x00" + struct.pack(">I", 12 + len(rest)) + rest

def iso2011(views):
    reps = b""
    for i, n in enumerate(views):
        r = bytes(9) + bytes([0]) + struct.pack(">HH", 0x1234, 1) + bytes([1, 77]) + struct.pack(">HH", 1, 2)
        r += bytes([2 + i, 0]) + struct.pack(">HH", 197, 197) + bytes([0]) + struct.pack(">HH", 300, 400)
        r += bytes([0x60, n]) + fmr_min(minutiae(n, i), False) + b"\0\0"
        reps += struct.pack(">I", 4 + len(r)) + r
    total = 15 + len(reps)
    return b"FMR\x00" b"030\x00" + struct.pack(">IHB", total, len(views), 0) + reps

def hst(views, blocks=False):
    out = b""
    for i, n in enumerate(views):
        ms = b""
        for t, x, y, a, q in minutiae(n, i):
            ms += struct.pack("<fffBBH", x + 0.25, y + 0.5, a * 2 * math.pi / 256, t, q, 0)
        blk = b""
        nb = 0
        if blocks and i == 0:
            blk = struct.pack("<HHI", 0x0010, 0, 4) + b"prep" + struct.pack("<HHI", 0x9001, 0, 2) + b"xy"
            nb = 2
        vh = struct.pack("<IHHIIIIBBBBIII", 40 + len(ms) + len(blk), 40, 16, 300, 400, 500, 500,
                         1 + i, 0, 0, 60, n, nb, len(blk))
        out += vh + ms + blk
    head = b"HST\x1a" + struct.pack("<HHIIIHHII", 1, 32, 0, 32 + len(out) + 4, len(views), 0xb5, 0, 0, 0)
    rec = head + out
    return rec + struct.pack("<I", crc32c(rec))

def write(target, name, data):
    d = os.path.join("fuzz", "corpus", target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)

assert crc32c(b"123456789") == 0xE3069283
seeds = {
    "fuzz_template_iso": {
        "iso2005_1view": iso2005([12]),
        "iso2005_2views_edb": iso2005([8, 5], areas=True),
        "iso2005_empty_view": iso2005([0]),
        "iso2011_2reps": iso2011([6, 3]),
    },
    "fuzz_template_ansi": {
        "ansi2004_1view": ansi2004([12]),
        "ansi2004_2views_edb": ansi2004([8, 5], areas=True),
        "ansi2004_3views_255": ansi2004([255, 255, 20]),
        "ansi2009_2views": ansi2009([7, 4], areas=True),
    },
    "fuzz_template_hst": {
        "hst_1view": hst([10]),
        "hst_2views_blocks": hst([6, 3], blocks=True),
        "hst_empty": hst([]),
    },
}
seeds["fuzz_template_roundtrip"] = {k: v for s in seeds.values() for k, v in s.items() if "empty" not in k}
for target, files in seeds.items():
    for name, data in files.items():
        write(target, name, data)
print("ok")
