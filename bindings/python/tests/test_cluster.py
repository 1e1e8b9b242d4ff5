"""hotspot.cluster against a real cluster on 127.0.0.1: one nats-server with
JetStream (free port, store in a scratch directory) and `hotspot shard`
processes, as tests/clusterutil.c and tools/cluster.sh start them. Skipped
with the reason when nats-server, the hotspot tool or libhotspot-cluster is
absent. Every wait is bounded."""
import os
import shutil
import signal
import socket
import subprocess
import time

import pytest

import hotspot

cluster = pytest.importorskip("hotspot.cluster",
                              reason="libhotspot-cluster not built (libnats not found)")

SHARDS = 2


def _nats_server():
    for p in (shutil.which("nats-server"), "/usr/sbin/nats-server", "/usr/bin/nats-server"):
        if p and os.access(p, os.X_OK):
            return p
    return None


def _cli():
    p = os.environ.get("HS_CLI_PATH")
    if p and os.access(p, os.X_OK):
        return p
    src = os.environ.get("HS_SOURCE_DIR")
    for cand in ([os.path.join(src, "build", "hotspot")] if src else []) + \
            [shutil.which("hotspot")]:
        if cand and os.access(cand, os.X_OK):
            return cand
    return None


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _stop(p, sig=signal.SIGTERM):
    if p.poll() is None:
        p.send_signal(sig)
        try:
            p.wait(10)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


class _Local:
    """One nats-server and one `hotspot shard` replica per shard."""

    def __init__(self, tmp, ns, cli):
        self.tmp, self.cli = tmp, cli
        port = _free_port()
        self.urls = "nats://127.0.0.1:%d" % port
        conf = tmp / "n1.conf"
        conf.write_text("server_name: n1\nlisten: 127.0.0.1:%d\n"
                        "jetstream { store_dir: \"%s\", max_memory_store: 64MB, "
                        "max_file_store: 1GB }\n" % (port, tmp / "n1"))
        self.server = subprocess.Popen([ns, "-c", str(conf)], stdout=open(tmp / "n1.log", "w"),
                                       stderr=subprocess.STDOUT)
        self.shards = {}

    def start_shard(self, s):
        log = open(self.tmp / ("s%d.log" % s), "w")
        self.shards[s] = subprocess.Popen(
            [self.cli, "shard", "--nats", self.urls, "--shard", "%d/%d" % (s, SHARDS),
             "--data", str(self.tmp / ("s%d" % s)), "--replica", "s%dr1" % s,
             "--save-interval-ms", "200"], stdout=log, stderr=subprocess.STDOUT)

    def stop(self):
        for p in self.shards.values():
            _stop(p)
        _stop(self.server)


@pytest.fixture(scope="module")
def local(tmp_path_factory):
    ns, cli = _nats_server(), _cli()
    if not ns:
        pytest.skip("nats-server is not on PATH (apt-get install nats-server; tools/setup.sh)")
    if not cli:
        pytest.skip("the hotspot tool was not found (HS_CLI_PATH)")
    lc = _Local(tmp_path_factory.mktemp("cluster"), ns, cli)
    try:
        # the server takes a moment to listen and to start JetStream
        cl, end, err = None, time.monotonic() + 30, None
        while time.monotonic() < end:
            try:
                if cl is None:
                    cl = cluster.Cluster(lc.urls, timeout_ms=1000)
                cl.init(SHARDS, 1)
                break
            except hotspot.Error as e:
                err = e
                time.sleep(0.2)
        else:
            pytest.fail("cluster init: %s" % err)
        for s in range(1, SHARDS + 1):
            lc.start_shard(s)
        end = time.monotonic() + 30
        while time.monotonic() < end and len(cl.status(200)["replicas"]) < SHARDS:
            pass
        assert len(cl.status(200)["replicas"]) == SHARDS, "shard replicas did not come up"
        lc.client = cl
        yield lc
        cl.close()
    finally:
        lc.stop()


@pytest.fixture(scope="module")
def prints():
    syn = hotspot.Synth(seed=19)
    return [syn.impression(m, i)[1] for m in range(6) for i in range(2)]


def test_enrol_search_remove(local, prints):
    cl = local.client
    assert cl.shards == SHARDS
    seqs = []
    for m in range(6):
        seqs.append(cl.enrol("P-%d" % m, fingers=prints[2 * m]))
    assert all(b > a for a, b in zip(seqs, seqs[1:])), seqs
    assert cl.last_sequence == seqs[-1]
    # enrolling an id already present changes nothing, but still has a sequence
    assert cl.enrol("P-0", fingers=prints[0]) > seqs[-1]

    res = cl.search(fingers=prints[2 * 3 + 1], max_candidates=3, deadline_ms=20000)
    assert res.complete and res.missing == []
    assert sorted(res.answered) == list(range(1, SHARDS + 1))
    assert res.candidates[0].id == "P-3" and res.candidates[0].hit
    assert isinstance(res.candidates[0], hotspot.Candidate)
    assert sum(s.subjects for s in res.shards) == 6
    owner = cluster.shard_of("P-3", SHARDS)
    assert res.shards[owner - 1].shard == owner and res.shards[owner - 1].replica

    seq = cl.remove("P-3")
    assert seq > seqs[-1]
    res = cl.search(fingers=prints[2 * 3 + 1], max_candidates=3, deadline_ms=20000)
    assert "P-3" not in [c.id for c in res.candidates]
    assert all(s.sequence >= seq for s in res.shards if s.shard == owner)

    # another client sees the removal once it asks for that sequence
    with cluster.Cluster(local.urls) as other:
        res = other.search(fingers=prints[2 * 3 + 1], min_sequence=seq, deadline_ms=20000)
        assert "P-3" not in [c.id for c in res.candidates]
        st = other.status(1000)
        assert st["sequence"] >= seq
        assert {r["shard"] for r in st["replicas"]} == set(range(1, SHARDS + 1))
        assert all(r["duplicates"] == 0 for r in st["replicas"])
        assert all(isinstance(r["leader_reads"], int) for r in st["replicas"])


def test_load_and_replace(local, prints):
    cl = local.client
    wl = hotspot.Watchlist()
    wl.add("L-1", fingers=prints[10])
    wl.add("L-2", fingers=prints[8])
    seq = cl.load(wl)
    assert seq == cl.last_sequence
    res = cl.search(fingers=prints[11], max_candidates=2, deadline_ms=20000)
    assert res.candidates[0].id == "L-1"
    # replace L-1 by another finger: the old probe no longer finds it first
    cl.replace("L-1", fingers=prints[4])
    res = cl.search(fingers=prints[5], max_candidates=3, deadline_ms=20000)
    assert {"L-1", "P-2"} <= {c.id for c in res.candidates}


def test_errors(local, prints):
    cl = local.client
    with pytest.raises(hotspot.Error) as e:
        cl.search(fingers=prints[0], max_candidates=0)
    assert e.value.status == hotspot.ERR_INVALID_ARG and e.value.message
    with pytest.raises(hotspot.Error) as e:
        cl.init(SHARDS + 1, 1)  # exists with another shard count
    assert e.value.status == hotspot.ERR_EXISTS and e.value.message
    with pytest.raises(hotspot.Error):
        cl.enrol("bad\0id", fingers=prints[0])
    with pytest.raises(TypeError):
        cl.search(fingers="not a template")
    c2 = cluster.Cluster(local.urls)
    c2.close()
    with pytest.raises(hotspot.ClosedError):
        c2.search(fingers=prints[0])


def test_deferred_checks(local, prints, tmp_path):
    """A device's sealed encounter submitted, searched by the central intake
    worker (`hotspot cluster intake`), its verdict fetched and confirmed."""
    if not hasattr(hotspot.capi, "hs_py_encounter_seal"):
        pytest.skip("libhotspot built without libsodium (sealed encounters)")
    cl = local.client
    cl.enrol("D-5", fingers=prints[10])
    keys = hotspot.authority_keygen()
    hotspot.authority_save(str(tmp_path / "auth.pub"), str(tmp_path / "auth.sec"), keys)
    dev_pk, dev_sk, _ = hotspot.device_keygen()
    (tmp_path / "devices").mkdir()
    hotspot.device_key_save(str(tmp_path / "devices" / "dev.pub"), dev_pk)
    vi = prints[11].view(0)
    probe = hotspot.FingerTemplate()     # the encounter needs a finger position
    probe.add_view(prints[11].minutiae(0), vi["width"], vi["height"], ppi=vi["ppi_x"], finger=2)
    e = hotspot.Encounter()
    e.add_finger_template(probe, 0)
    batch = hotspot.batch_encode([e.seal(keys.box_public, dev_sk)])

    info = cl.submit(batch)
    assert info["records"] == 1 and info["messages"] == 1 and info["duplicates"] == 0
    assert info["device_public"] == dev_pk and info["sequence"] > 0
    assert cl.submit(batch)["duplicates"] == 1           # a re-sent batch is stored once
    with pytest.raises(hotspot.Error):
        cl.submit(b"not a batch")

    out = subprocess.run([local.cli, "cluster", "intake", "--nats", local.urls,
                          "--authority", str(tmp_path / "auth.sec"),
                          "--devices", str(tmp_path / "devices"),
                          "--seen", str(tmp_path / "seen.ids"), "--until-idle", "1500"],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stdout + out.stderr

    forger = hotspot.authority_keygen()
    with cl.fetch(dev_pk, forger.sign_public) as forged:
        assert forged.verdicts == [] and forged.acks == [] and forged.refusals
    with cl.fetch(dev_pk, keys.sign_public) as inbox:
        assert inbox.refusals == []
        assert len(inbox.verdicts) == 1 and len(inbox.acks) == 1
        v = inbox.verdicts[0]
        assert v["kind"] == cluster.VERDICT_COMPLETE and v["missing"] == 0
        assert v["id"] == e.id and v["device_public"] == dev_pk
        assert v["candidates"][0][0] == "D-5" and v["candidates"][0][2] is True
        cl.fetch_confirm(inbox)
    with cl.fetch(dev_pk, keys.sign_public) as again:
        assert again.verdicts == [] and again.acks == []


def test_missing_shard(local, prints):
    """Runs last: stops shard 2's only replica."""
    cl = local.client
    local.shards[2].send_signal(signal.SIGKILL)
    local.shards[2].wait(10)
    with pytest.raises(hotspot.Error) as e:
        cl.search(fingers=prints[1], deadline_ms=500)
    assert e.value.status == hotspot.ERR_UNAVAILABLE
    assert "2" in e.value.message
    res = cl.search(fingers=prints[1], deadline_ms=500, partial_ok=True)
    assert not res.complete
    assert res.missing == [2] and res.answered == [1]
    assert res.shards[1].state == cluster.SHARD_MISSING and res.shards[1].replica == ""
    assert all(cluster.shard_of(c.id, SHARDS) == 1 for c in res.candidates)
