#!/usr/bin/env python3
"""Accuracy of a hotspot build on the eight FVC B sets and on perturbed copies.

The figures of the untouched FVC images owe part of their value to the exact
pixels the extractor's parameters were chosen on (docs/accuracy.md, "How much
the figures owe to the exact pixels"). This harness measures a build on
those images and on copies changed a little (crops of 1-3 px, +-1 or +-2
grey levels of uniform noise), plus a WSQ round trip at 0.75 bit/pixel:

1. `images`: writes the perturbed copies once, as PGM, under DIR/P/<spec>/<set>/
   (the WSQ copies with the given build's `hotspot image convert`);
2. `extract`: extracts every copy with the given `hotspot` binary into
   DIR/<label>/<spec>/<set>/*.hst (so two builds can be compared on the same
   images, and a matcher change on the same templates);
3. `score`: matches all 25,280 FVC pairs (all cross-finger impostors) and the
   rank-1 search (the first impression of each of the 80 fingers as the
   gallery, the 560 others as probes; ties to the earlier gallery entry) of
   every template set with the given binary's `hotspot match --pairs`, and
   prints mean EER / FMR100 / FMR1000, FVC2004 DB1 and DB2 EER and rank-1 per
   set, then the means over the perturbed sets.

The noise draws are numpy's (seeded per image), not those of
`hotspot eval --perturb noise:`; `eval --perturb ... --rank1` measures the
same things on its own perturbations without this script.

    PYTHONPATH=build/python python3 tools/perturbed-ensemble.py images /tmp/pe build/hotspot
    PYTHONPATH=build/python python3 tools/perturbed-ensemble.py extract /tmp/pe build/hotspot main
    PYTHONPATH=build/python python3 tools/perturbed-ensemble.py score /tmp/pe build/hotspot main

Uses only the public Python API and the `hotspot` tool. About 45 s per
extract and 60 s per score on two cores.
"""
import argparse
import glob
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import numpy as np

import hotspot

SETS = ["FVC2002_DB1_B", "FVC2002_DB2_B", "FVC2002_DB3_B", "FVC2002_DB4_B",
        "FVC2004_DB1_B", "FVC2004_DB2_B", "FVC2004_DB3_B", "FVC2004_DB4_B"]
PPI = {"FVC2002_DB2_B": 569, "FVC2004_DB3_B": 512}  # else 500 (the FVC set table)
PERTURBED = ["crop:1,0", "crop:0,1", "crop:3,0", "crop:0,3", "noise:1,1", "noise:1,2", "noise:2,1"]
SPECS = ["none", "wsq"] + PERTURBED
NAMES = ["%d_%d" % (f, i) for f in range(101, 111) for i in range(1, 9)]


def tag(spec):
    return spec.replace(":", "_").replace(",", "_")


def perturb(pix, spec, seed):
    kind, arg = spec.split(":")
    a, b = (int(v) for v in arg.split(","))
    if kind == "crop":
        return np.ascontiguousarray(pix[b:, a:])
    rng = np.random.default_rng(b * 100000 + seed)
    v = pix.astype(np.int16) + rng.integers(-a, a + 1, size=pix.shape, dtype=np.int16)
    return np.clip(v, 0, 255).astype(np.uint8)


def images(a):
    for spec in SPECS:
        for si, s in enumerate(SETS):
            od = os.path.join(a.dir, "P", tag(spec), s)
            os.makedirs(od, exist_ok=True)
            for k, path in enumerate(sorted(glob.glob(os.path.join(a.data, s, "*.tif")))):
                name = os.path.basename(path)[:-4]
                if spec == "wsq":
                    subprocess.run([a.hotspot, "image", "convert", "--bitrate", "0.75", path,
                                    os.path.join(od, name + ".wsq")], check=True)
                    continue
                pix = np.array(hotspot.Image.load(path).pixels, dtype=np.uint8)
                if spec != "none":
                    pix = perturb(pix, spec, k + 1000 * si)
                h, w = pix.shape
                with open(os.path.join(od, name + ".pgm"), "wb") as f:
                    f.write(b"P5\n%d %d\n255\n" % (w, h))
                    f.write(pix.tobytes())


def extract(a):
    def one(job):
        spec, s = job
        src = os.path.join(a.dir, "P", tag(spec), s)
        out = os.path.join(a.dir, a.label, tag(spec), s)
        os.makedirs(out, exist_ok=True)
        files = sorted(glob.glob(os.path.join(src, "*")))
        if len(files) != 80:
            sys.exit("%s: %d images, expected 80 (run 'images' first)" % (src, len(files)))
        subprocess.run([a.hotspot, "extract", "--ppi", str(PPI.get(s, 500)), "--out", out] + files,
                       check=True, stdout=subprocess.DEVNULL)
    with ThreadPoolExecutor(a.jobs) as p:
        list(p.map(one, [(spec, s) for spec in SPECS for s in SETS]))


def match(a, pairs, name):
    fn = os.path.join(a.dir, "pairs-%d-%s.txt" % (os.getpid(), name))
    with open(fn, "w") as f:
        f.writelines("%s %s\n" % p for p in pairs)
    out = subprocess.run([a.hotspot, "match", "--pairs", fn], capture_output=True, text=True,
                         check=True).stdout.split("\n")
    os.unlink(fn)
    sc = [float(line.split()[-1]) for line in out if line.strip()]
    if len(sc) != len(pairs):
        sys.exit("hotspot match --pairs printed %d scores for %d pairs" % (len(sc), len(pairs)))
    return sc


def score_spec(a, spec):
    root = os.path.join(a.dir, a.label, tag(spec))
    t = lambda s, n: os.path.join(root, s, n + ".hst")
    pairs, lab = [], []
    for s in SETS:
        for i in range(80):
            for j in range(i + 1, 80):
                pairs.append((t(s, NAMES[i]), t(s, NAMES[j])))
                lab.append((s, i // 8 == j // 8))
    sc = match(a, pairs, tag(spec))
    rates = {}
    for s in SETS:
        g = [x for x, (ss, gen) in zip(sc, lab) if ss == s and gen]
        i = [x for x, (ss, gen) in zip(sc, lab) if ss == s and not gen]
        r = hotspot.eval_rates(g, i)
        rates[s] = (100 * r.eer, 100 * r.fmr100.fnmr, 100 * r.fmr1000.fnmr)
    gallery = [(s, f) for s in SETS for f in range(101, 111)]
    pairs = [(t(s, "%d_%d" % (f, k)), t(gs, "%d_1" % gf))
             for s in SETS for f in range(101, 111) for k in range(2, 9) for gs, gf in gallery]
    sc = match(a, pairs, tag(spec) + "-rank1")
    hits = 0
    for p in range(560):
        row = sc[p * 80:(p + 1) * 80]
        hits += int(np.argmax(row)) == p // 7  # the probe's own finger; argmax: first maximum
    return spec, rates, hits


def score(a):
    with ThreadPoolExecutor(a.jobs) as p:
        res = list(p.map(lambda spec: score_spec(a, spec), SPECS))
    print("%-10s %20s %8s %8s %8s" % ("images", "EER / FMR100 / 1000", "DB1 EER", "DB2 EER", "rank-1"))
    acc = []
    for spec, rates, hits in res:
        m = [sum(v[k] for v in rates.values()) / len(SETS) for k in range(3)]
        row = m + [rates["FVC2004_DB1_B"][0], rates["FVC2004_DB2_B"][0], 100.0 * hits / 560]
        print("%-10s %6.2f / %.2f / %.2f %8.2f %8.2f %7.2f%%" % ((spec,) + tuple(row)))
        if spec in PERTURBED:
            acc.append(row)
    m = np.mean(np.array(acc), axis=0)
    print("%-10s %6.2f / %.2f / %.2f %8.2f %8.2f %7.2f%%" % (("perturbed",) + tuple(m)))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("step", choices=["images", "extract", "score"])
    ap.add_argument("dir", help="work folder")
    ap.add_argument("hotspot", help="the hotspot binary to use")
    ap.add_argument("label", nargs="?", default="main", help="name of the template sets")
    ap.add_argument("--data", default=os.environ.get("HS_SHARED_DATA", "../shared/data") +
                    "/fingerprint", help="folder holding the FVC*_B sets")
    ap.add_argument("--jobs", type=int, default=2)
    a = ap.parse_args()
    if a.step != "score" and not os.path.isdir(os.path.join(a.data, SETS[0])):
        sys.exit("%s: no FVC sets there (--data, or HS_SHARED_DATA)" % a.data)
    {"images": images, "extract": extract, "score": score}[a.step](a)


if __name__ == "__main__":
    main()
