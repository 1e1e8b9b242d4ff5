"""Cluster search on NATS JetStream (libhotspot-cluster, include/hotspot/cluster.h).

Present only when libhotspot-cluster was built (libnats found); otherwise
importing ``hotspot.cluster`` raises ImportError. docs/cluster.md gives the
design and docs/python.md the Python side::

    from hotspot.cluster import Cluster
    with Cluster("nats://127.0.0.1:4222") as cl:
        cl.init(shards=4, replicas=1)            # once per cluster
        seq = cl.enrol("P-1", fingers=template)  # the stream sequence
        res = cl.search(fingers=probe, max_candidates=10)
        res.candidates   # [hotspot.Candidate], best first
        res.missing      # [] when every shard answered

The module is a SWIG module of its own (``hotspot.cluster_capi``) linked to
the shared libhotspot-cluster; templates and watchlists cross into it as
their encodings (FingerTemplate.encode(), Watchlist.encode()). Every failure
raises :class:`hotspot.Error` with the library's message. A Cluster is used
by one thread at a time (calls from several threads are serialised by a
lock); open one per thread for parallel searches. Long calls release the GIL.
"""

import threading

import numpy as np

from . import Candidate, Error, FingerTemplate, Watchlist, ClosedError
from . import capi as _core

try:
    from . import cluster_capi as _c
except ImportError as e:  # pragma: no cover - a build without the cluster
    raise ImportError("hotspot.cluster: libhotspot-cluster was not built "
                      "(libnats not found): %s" % e) from e

__all__ = ["Cluster", "SearchResult", "ShardResult", "Inbox", "shard_of",
           "SHARD_ANSWERED", "SHARD_MISSING", "SHARD_BEHIND", "SHARD_FAILED",
           "VERDICT_COMPLETE", "VERDICT_INCOMPLETE", "VERDICT_REFUSED"]

SHARD_ANSWERED = _c.SHARD_ANSWERED
SHARD_MISSING = _c.SHARD_MISSING
SHARD_BEHIND = _c.SHARD_BEHIND
SHARD_FAILED = _c.SHARD_FAILED
VERDICT_COMPLETE = _c.VERDICT_COMPLETE
VERDICT_INCOMPLETE = _c.VERDICT_INCOMPLETE
VERDICT_REFUSED = _c.VERDICT_REFUSED
_STATE_NAMES = {SHARD_ANSWERED: "answered", SHARD_MISSING: "missing",
                SHARD_BEHIND: "behind", SHARD_FAILED: "failed"}


def _str(value, what):
    if value is None:
        return None
    value = str(value)
    if "\0" in value:
        raise Error(_core.HS_ERR_INVALID_ARG, "%s holds a NUL character" % what)
    return value


def shard_of(subject_id, shards):
    """Shard (1..shards) of a subject id (hs_cluster_shard_of)."""
    return _c.hs_pyc_shard_of(_str(subject_id, "id"), int(shards))


def _fingers_bytes(fingers):
    if fingers is None:
        return None
    if isinstance(fingers, FingerTemplate):
        return fingers.encode("hst")
    if isinstance(fingers, (bytes, bytearray, memoryview)):
        return bytes(fingers)
    raise TypeError("fingers: a hotspot.FingerTemplate (or its encoding), got %s"
                    % type(fingers).__name__)


def _face_bytes(face):
    if face is None:
        return None
    a = np.ascontiguousarray(face, dtype=np.float32)
    if a.ndim != 1 or a.size == 0:
        raise Error(_core.HS_ERR_INVALID_ARG,
                    "face: expected one embedding (1-D), got shape %s" % (a.shape,))
    return a.tobytes()


class ShardResult:
    """What became of one shard in a search: ``shard`` (1..N), ``state``
    (SHARD_ANSWERED / MISSING / BEHIND / FAILED), ``state_name``,
    ``candidates``, ``sequence`` (applied), ``subjects``, ``rescored``,
    ``search_ms`` and ``replica`` ("" when none answered)."""

    __slots__ = ("shard", "state", "candidates", "sequence", "subjects", "rescored",
                 "search_ms", "replica")

    def __init__(self, d):
        for k in self.__slots__:
            setattr(self, k, d[k])

    @property
    def state_name(self):
        return _STATE_NAMES.get(self.state, str(self.state))

    @property
    def answered(self):
        return self.state == SHARD_ANSWERED

    def __repr__(self):
        return "<hotspot.cluster.ShardResult %d %s %r>" % (self.shard, self.state_name,
                                                          self.replica)


class SearchResult:
    """A cluster search: ``candidates`` (list of :class:`hotspot.Candidate`,
    best first, merged from every shard that answered), ``shards`` (one
    :class:`ShardResult` per shard), ``answered`` and ``missing`` (the
    shard numbers that did / did not answer); ``complete`` is True when
    ``missing`` is empty. An incomplete result is only returned with
    ``partial_ok=True``; otherwise a missing shard raises
    Error(ERR_UNAVAILABLE) naming it."""

    __slots__ = ("candidates", "shards")

    def __init__(self, candidates, shards):
        self.candidates = [Candidate(d) for d in candidates]
        self.shards = [ShardResult(d) for d in shards]

    @property
    def answered(self):
        return [s.shard for s in self.shards if s.state == SHARD_ANSWERED]

    @property
    def missing(self):
        return [s.shard for s in self.shards if s.state != SHARD_ANSWERED]

    @property
    def complete(self):
        return not self.missing

    def __len__(self):
        return len(self.candidates)

    def __iter__(self):
        return iter(self.candidates)

    def __repr__(self):
        return "<hotspot.cluster.SearchResult %d candidates, shards answered %s missing %s>" % (
            len(self.candidates), self.answered, self.missing)


class _Closing:
    """close() on leaving a with block and when garbage-collected."""

    def __del__(self):
        try:
            self.close()
        except Exception:  # interpreter shutdown
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class Inbox(_Closing):
    """What a device fetched from the centre (:meth:`Cluster.fetch`):
    ``verdicts`` (list of dicts: kind, id, device_public, time_ms, decision,
    status, gallery_sequence, shards, missing, fingers, reason, candidates
    as (id, score, hit)), ``acks`` (signed acknowledgements, bytes, for the
    device's outbox) and ``refusals`` (why messages were refused). Confirm
    with :meth:`Cluster.fetch_confirm` once the acknowledgements are applied."""

    def __init__(self, h):
        self._h = h
        self.verdicts = _c.hs_pyc_inbox_verdicts(h)
        self.acks = _c.hs_pyc_inbox_acks(h)
        self.refusals = _c.hs_pyc_inbox_refusals(h)

    def close(self):
        h, self._h = self._h, None
        if h is not None:
            _c.hs_pyc_inbox_free(h)



class Cluster(_Closing):
    """A client of a hotspot cluster (hs_cluster_connect).

    ``urls``: comma-separated NATS URLs; ``name``: the cluster's name
    (default "hotspot"). TLS (``tls_ca_file``, ``tls_cert_file``,
    ``tls_key_file``), credentials (``creds_file``) or an NKEY
    (``nkey_public``, ``nkey_seed_file``) as in hs_cluster_options; outside
    the loopback interface TLS is required unless ``insecure=True``.
    ``timeout_ms`` / ``write_timeout_ms``: 0 keeps the defaults."""

    def __init__(self, urls, name=None, tls_ca_file=None, tls_cert_file=None,
                 tls_key_file=None, creds_file=None, nkey_public=None, nkey_seed_file=None,
                 insecure=False, timeout_ms=0, write_timeout_ms=0):
        self._lock = threading.Lock()
        self._h = _c.hs_pyc_new()
        if self._h is None:
            raise Error(_core.HS_ERR_NOMEM, "cannot create a cluster client")
        s = _c.hs_pyc_connect(self._h, _str(urls, "urls"), _str(name, "name"),
                              _c.INSECURE if insecure else 0,
                              _str(tls_ca_file, "tls_ca_file"),
                              _str(tls_cert_file, "tls_cert_file"),
                              _str(tls_key_file, "tls_key_file"), _str(creds_file, "creds_file"),
                              _str(nkey_public, "nkey_public"),
                              _str(nkey_seed_file, "nkey_seed_file"), int(timeout_ms),
                              int(write_timeout_ms))
        if s != 0:
            msg = _c.hs_pyc_error(self._h)
            self.close()
            raise Error(s, msg)

    # -- plumbing
    def _handle(self):
        if self._h is None:
            raise ClosedError("Cluster")
        return self._h

    def _check(self, s):
        if s < 0:
            raise Error(s, _c.hs_pyc_error(self._h))
        return s

    def close(self):
        """Disconnect and free (hs_cluster_free); idempotent."""
        with self._lock:
            h, self._h = self._h, None
        if h is not None:
            _c.hs_pyc_free(h)

    # -- properties
    @property
    def shards(self):
        """Number of shards (0 before init)."""
        with self._lock:
            return _c.hs_pyc_shards(self._handle())

    @property
    def last_sequence(self):
        """Highest stream sequence this client has written (0 before any)."""
        with self._lock:
            return _c.hs_pyc_last_sequence(self._handle())

    # -- administration and writes
    def init(self, shards, replicas=1):
        """Create the cluster's stream: ``shards`` shards, ``replicas``
        copies of the stream (hs_cluster_init)."""
        with self._lock:
            self._check(_c.hs_pyc_init(self._handle(), int(shards), int(replicas)))

    def _write(self, mode, subject_id, fingers, face, face_model):
        fl = []
        if fingers is not None:
            for f in (fingers if isinstance(fingers, (list, tuple)) else [fingers]):
                fl.append(_fingers_bytes(f))
        faces = []
        if face is not None:
            faces.append((_face_bytes(face), int(face_model)))
        if not fl and not faces:
            raise Error(_core.HS_ERR_INVALID_ARG, "enrol: no finger and no face")
        with self._lock:
            s, seq = _c.hs_pyc_enrol(self._handle(), mode, _str(subject_id, "id"), fl, faces)
            self._check(s)
        return seq

    def enrol(self, subject_id, fingers=None, face=None, face_model=0):
        """Enrol subject ``subject_id`` with ``fingers`` (a FingerTemplate,
        every view a finger, or a list of them) and/or one ``face``
        embedding; returns the stream sequence (hs_cluster_enrol). A subject
        already on its shard is left unchanged."""
        return self._write(0, subject_id, fingers, face, face_model)

    def replace(self, subject_id, fingers=None, face=None, face_model=0):
        """As :meth:`enrol`, replacing a subject with the same id."""
        return self._write(1, subject_id, fingers, face, face_model)

    def remove(self, subject_id):
        """Remove a subject; returns the stream sequence."""
        with self._lock:
            s, seq = _c.hs_pyc_remove(self._handle(), _str(subject_id, "id"))
            self._check(s)
        return seq

    def load(self, watchlist, replace=False):
        """Enrol every subject of a :class:`hotspot.Watchlist` (or its
        encoding); returns the highest sequence written (hs_cluster_load)."""
        data = watchlist.encode() if isinstance(watchlist, Watchlist) else watchlist
        with self._lock:
            s, seq = _c.hs_pyc_load(self._handle(), data, _c.LOAD_REPLACE if replace else 0)
            self._check(s)
        return seq

    # -- search and status
    def search(self, fingers=None, face=None, max_candidates=10, fmr=1e-4, deadline_ms=5000,
               min_sequence=0, partial_ok=False, exhaustive=False, hits_only=False,
               rescore=0, face_model=0):
        """Search every shard with probe ``fingers`` (a FingerTemplate)
        and/or a ``face`` embedding; top ``max_candidates``; shards answer
        only once they applied ``min_sequence`` and this client's own writes
        (read-your-writes); those not answering within ``deadline_ms`` are
        missing: Error(ERR_UNAVAILABLE) naming them, or with
        ``partial_ok=True`` a :class:`SearchResult` whose ``missing`` lists
        them."""
        fb, fv = _fingers_bytes(fingers), _face_bytes(face)
        if fb is None and fv is None:
            raise Error(_core.HS_ERR_INVALID_ARG, "search: no finger and no face")
        flags = ((_core.HS_WATCHLIST_EXHAUSTIVE if exhaustive else 0)
                 | (_core.HS_WATCHLIST_HITS_ONLY if hits_only else 0)
                 | (_c.PARTIAL_OK if partial_ok else 0))
        with self._lock:
            s, cands, shards = _c.hs_pyc_search(self._handle(), fb, fv, int(max_candidates),
                                                flags, int(rescore), int(face_model),
                                                int(deadline_ms), float(fmr), int(min_sequence))
            self._check(s)
        return SearchResult(cands, shards)

    def status(self, wait_ms=1000):
        """Ask every replica for its state: dict with ``sequence`` (the
        stream's last) and ``replicas`` (list of dicts: shard, replica,
        sequence, subjects, fingers, refused, saved_sequence, duplicates:
        copies of changes it had applied, skipped; leader_reads: changes it
        read from the stream's leader because its consumer delivered
        nothing)."""
        with self._lock:
            s, seq, reps = _c.hs_pyc_status(self._handle(), int(wait_ms))
            self._check(s)
        return {"sequence": seq, "replicas": reps}

    # -- deferred checks
    def submit(self, batch):
        """Submit an exported outbox batch (bytes) to the intake stream
        (hs_cluster_submit); returns a dict: records, messages, duplicates,
        sequence, device_public."""
        with self._lock:
            s, info = _c.hs_pyc_submit(self._handle(), batch)
            self._check(s)
        return info

    def fetch(self, device_public, authority_sign_public):
        """The verdicts and acknowledgements waiting for a device, verified
        with the authority's signing key (hs_cluster_fetch): an
        :class:`Inbox`."""
        with self._lock:
            s, h = _c.hs_pyc_fetch(self._handle(), device_public, authority_sign_public)
            self._check(s)
        return Inbox(h)

    def fetch_confirm(self, inbox):
        """Delete what ``inbox`` holds from the results stream
        (hs_cluster_fetch_confirm)."""
        if not isinstance(inbox, Inbox) or inbox._h is None:
            raise Error(_core.HS_ERR_INVALID_ARG, "fetch_confirm: an open Inbox")
        with self._lock:
            self._check(_c.hs_pyc_fetch_confirm(self._handle(), inbox._h))

    def __repr__(self):
        if self._h is None:
            return "<hotspot.cluster.Cluster closed>"
        return "<hotspot.cluster.Cluster %d shards>" % self.shards
