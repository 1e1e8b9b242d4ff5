"""The Python examples in examples/*.py run and exit as documented."""
import os
import pathlib
import subprocess
import sys

import pytest

import hotspot
from conftest import built

EXAMPLES = pathlib.Path(os.environ.get("HS_SOURCE_DIR", pathlib.Path(__file__).parents[3])) / "examples"


def run(script, *args):
    p = subprocess.run([sys.executable, str(EXAMPLES / script), *map(str, args)],
                       capture_output=True, text=True, timeout=300)
    print(p.stdout, p.stderr)
    return p


@built("hs_template_load", "hs_template_save")
def test_iso_convert(tmp_path):
    src = EXAMPLES / "data" / "synthetic.hst"
    p = run("iso_convert.py", src, tmp_path / "t.iso")
    assert p.returncode == 0 and "30 minutiae" in p.stdout
    assert hotspot.FingerTemplate.load(tmp_path / "t.iso").source_format == "iso19794-2"
    assert run("iso_convert.py", tmp_path / "t.iso", tmp_path / "t.ansi", "ansi378").returncode == 0
    assert run("iso_convert.py", src, tmp_path / "x", "nosuchformat").returncode == 2
    (tmp_path / "junk").write_bytes(b"junk")
    assert run("iso_convert.py", tmp_path / "junk", tmp_path / "y").returncode == 1
    assert run("iso_convert.py").returncode == 2


@built("hs_finger_extract", "hs_finger_match")
def test_enroll_and_verify(shared_data, tmp_path):
    fvc = shared_data / "fingerprint" / "FVC2002_DB1_B"
    assert run("enroll_and_verify.py").returncode == 2
    assert run("enroll_and_verify.py", tmp_path / "no.png", tmp_path / "no.png").returncode == 2
    p = run("enroll_and_verify.py", fvc / "101_1.tif", fvc / "101_2.tif")
    assert p.returncode in (0, 1) and "score" in p.stdout
