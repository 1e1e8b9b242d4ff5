/* hotspot.cluster_capi: the Python side of libhotspot-cluster (cluster.h),
 * a SWIG module of its own, built only when libhotspot-cluster is, so that
 * hotspot.capi (the core library) never depends on NATS.
 *
 * This module links the shared libhotspot-cluster (and through it the
 * shared libhotspot), while hotspot.capi carries a static copy of the core
 * library: no C object crosses between the two. Templates, watchlists and
 * face embeddings come in as bytes (their documented encodings), and every
 * result goes out as Python lists and dicts. Each handle (hs_pyc) owns its
 * own hs_ctx. The GIL is released around every network call, with the
 * Python objects read before and built after. The Python classes are in
 * hotspot/cluster.py. */
%module cluster_capi

%{
#include <stdlib.h>
#include <string.h>
#include <hotspot/hotspot.h>
#include <hotspot/cluster.h>

/* One client: its context (errors) and connection. */
typedef struct hs_pyc {
  hs_ctx *ctx;
  hs_cluster *cl;
} hs_pyc;

/* An inbox fetched by a device (kept for hs_cluster_fetch_confirm). */
typedef struct hs_pyc_inbox {
  hs_cluster_inbox *ib;
} hs_pyc_inbox;

static int hs_pyc__buf(PyObject *o, Py_buffer *v, const char *what) {
  if (PyObject_GetBuffer(o, v, PyBUF_SIMPLE) != 0) {
    PyErr_Clear();
    PyErr_Format(PyExc_TypeError, "%s: expected a bytes-like object", what);
    return 0;
  }
  return 1;
}

/* [status, seq] */
static PyObject *hs_pyc__seq(hs_status s, uint64_t seq) {
  return Py_BuildValue("(iK)", (int)s, (unsigned long long)seq);
}

static int hs_pyc__set(PyObject *d, const char *k, PyObject *v) {
  int rc;
  if (!v) return -1;
  rc = PyDict_SetItemString(d, k, v);
  Py_DECREF(v);
  return rc;
}
%}

%include "stdint.i"

%nodefaultctor hs_pyc;
%nodefaultdtor hs_pyc;
%nodefaultctor hs_pyc_inbox;
%nodefaultdtor hs_pyc_inbox;
typedef struct hs_pyc hs_pyc;
typedef struct hs_pyc_inbox hs_pyc_inbox;

%constant int SHARD_ANSWERED = HS_CLUSTER_SHARD_ANSWERED;
%constant int SHARD_MISSING = HS_CLUSTER_SHARD_MISSING;
%constant int SHARD_BEHIND = HS_CLUSTER_SHARD_BEHIND;
%constant int SHARD_FAILED = HS_CLUSTER_SHARD_FAILED;
%constant int PARTIAL_OK = HS_CLUSTER_PARTIAL_OK;
%constant int LOAD_REPLACE = HS_CLUSTER_LOAD_REPLACE;
%constant int INSECURE = HS_CLUSTER_INSECURE;
%constant int SHARDS_MAX = HS_CLUSTER_SHARDS_MAX;
%constant int VERDICT_COMPLETE = HS_CLUSTER_VERDICT_COMPLETE;
%constant int VERDICT_INCOMPLETE = HS_CLUSTER_VERDICT_INCOMPLETE;
%constant int VERDICT_REFUSED = HS_CLUSTER_VERDICT_REFUSED;

%inline %{
/** A new client handle with its own context, not connected (NULL: no
 *  memory). */
hs_pyc *hs_pyc_new(void) {
  hs_pyc *p = (hs_pyc *)calloc(1, sizeof *p);
  if (!p) return NULL;
  if (hs_ctx_new(&p->ctx, NULL) != HS_OK) {
    free(p);
    return NULL;
  }
  return p;
}

/** Disconnect and free (NULL accepted). */
void hs_pyc_free(hs_pyc *p) {
  if (!p) return;
  Py_BEGIN_ALLOW_THREADS
  hs_cluster_free(p->cl);
  Py_END_ALLOW_THREADS
  hs_ctx_free(p->ctx);
  free(p);
}

/** The last error message of the handle's context. */
const char *hs_pyc_error(hs_pyc *p) { return p ? hs_ctx_last_error(p->ctx) : ""; }

/** Text of a status code. */
const char *hs_pyc_status_str(int s) { return hs_status_str((hs_status)s); }

/** hs_cluster_connect; NULL strings are absent options, 0 a default. */
int hs_pyc_connect(hs_pyc *p, const char *urls, const char *name, uint32_t flags,
                   const char *tls_ca_file, const char *tls_cert_file,
                   const char *tls_key_file, const char *creds_file,
                   const char *nkey_public, const char *nkey_seed_file,
                   uint32_t timeout_ms, uint32_t write_timeout_ms) {
  hs_cluster_options o = HS_CLUSTER_OPTIONS_INIT;
  hs_status s;
  if (p->cl) return HS_ERR_STATE;
  o.flags = flags;
  o.name = name;
  o.tls_ca_file = tls_ca_file;
  o.tls_cert_file = tls_cert_file;
  o.tls_key_file = tls_key_file;
  o.creds_file = creds_file;
  o.nkey_public = nkey_public;
  o.nkey_seed_file = nkey_seed_file;
  if (timeout_ms) o.timeout_ms = timeout_ms;
  if (write_timeout_ms) o.write_timeout_ms = write_timeout_ms;
  Py_BEGIN_ALLOW_THREADS
  s = hs_cluster_connect(p->ctx, &p->cl, urls, &o);
  Py_END_ALLOW_THREADS
  return s;
}

uint32_t hs_pyc_shards(hs_pyc *p) { return hs_cluster_shards(p->cl); }

unsigned long long hs_pyc_last_sequence(hs_pyc *p) {
  return (unsigned long long)hs_cluster_last_sequence(p->cl);
}

uint32_t hs_pyc_shard_of(const char *id, uint32_t shards) { return hs_cluster_shard_of(id, shards); }

int hs_pyc_init(hs_pyc *p, uint32_t shards, uint32_t replicas) {
  hs_status s;
  Py_BEGIN_ALLOW_THREADS
  s = hs_cluster_init(p->ctx, p->cl, shards, replicas);
  Py_END_ALLOW_THREADS
  return s;
}

/** Enrol (mode 0) or replace (mode 1) subject @p id: @p fingers a list of
 *  encoded templates (every view a finger), @p faces a list of (float32
 *  bytes, model). [status, sequence]. */
PyObject *hs_pyc_enrol(hs_pyc *p, int mode, const char *id, PyObject *fingers, PyObject *faces) {
  hs_watchlist_subject *sub = NULL;
  hs_status s;
  uint64_t seq = 0;
  Py_ssize_t i, n;
  if (!PyList_Check(fingers) || !PyList_Check(faces)) {
    PyErr_SetString(PyExc_TypeError, "fingers and faces: lists");
    return NULL;
  }
  s = hs_watchlist_subject_new(p->ctx, &sub, id);
  n = PyList_GET_SIZE(fingers);
  for (i = 0; s == HS_OK && i < n; i++) {
    Py_buffer v;
    hs_template *t = NULL;
    uint32_t k;
    if (!hs_pyc__buf(PyList_GET_ITEM(fingers, i), &v, "finger template")) {
      hs_watchlist_subject_free(sub);
      return NULL;
    }
    s = hs_template_decode(p->ctx, &t, NULL, v.buf, (size_t)v.len);
    PyBuffer_Release(&v);
    for (k = 0; s == HS_OK && k < hs_template_view_count(t); k++)
      s = hs_watchlist_subject_add_finger(p->ctx, sub, t, k);
    hs_template_free(t);
  }
  n = PyList_GET_SIZE(faces);
  for (i = 0; s == HS_OK && i < n; i++) {
    PyObject *f = PyList_GET_ITEM(faces, i);
    Py_buffer v;
    unsigned long model;
    if (!PyTuple_Check(f) || PyTuple_GET_SIZE(f) != 2) {
      PyErr_SetString(PyExc_TypeError, "faces: (float32 bytes, model) tuples");
      hs_watchlist_subject_free(sub);
      return NULL;
    }
    model = PyLong_AsUnsignedLong(PyTuple_GET_ITEM(f, 1));
    if (PyErr_Occurred() || !hs_pyc__buf(PyTuple_GET_ITEM(f, 0), &v, "face")) {
      hs_watchlist_subject_free(sub);
      return NULL;
    }
    s = hs_watchlist_subject_add_face(p->ctx, sub, (const float *)v.buf,
                                      (uint32_t)(v.len / (Py_ssize_t)sizeof(float)),
                                      (uint32_t)model);
    PyBuffer_Release(&v);
  }
  if (s == HS_OK) {
    Py_BEGIN_ALLOW_THREADS
    s = mode ? hs_cluster_replace(p->ctx, &seq, p->cl, sub)
             : hs_cluster_enrol(p->ctx, &seq, p->cl, sub);
    Py_END_ALLOW_THREADS
  }
  hs_watchlist_subject_free(sub);
  return hs_pyc__seq(s, seq);
}

PyObject *hs_pyc_remove(hs_pyc *p, const char *id) {
  hs_status s;
  uint64_t seq = 0;
  Py_BEGIN_ALLOW_THREADS
  s = hs_cluster_remove(p->ctx, &seq, p->cl, id);
  Py_END_ALLOW_THREADS
  return hs_pyc__seq(s, seq);
}

/** Bulk load of an encoded watchlist (Watchlist.encode()). [status, seq] */
PyObject *hs_pyc_load(hs_pyc *p, PyObject *data, uint32_t flags) {
  Py_buffer v;
  hs_watchlist *wl = NULL;
  hs_status s;
  uint64_t seq = 0;
  if (!hs_pyc__buf(data, &v, "watchlist")) return NULL;
  s = hs_watchlist_decode(p->ctx, &wl, v.buf, (size_t)v.len);
  PyBuffer_Release(&v);
  if (s == HS_OK) {
    Py_BEGIN_ALLOW_THREADS
    s = hs_cluster_load(p->ctx, &seq, p->cl, wl, flags);
    Py_END_ALLOW_THREADS
  }
  hs_watchlist_free(wl);
  return hs_pyc__seq(s, seq);
}

static PyObject *hs_pyc__candidate(const hs_watchlist_candidate *c) {
  PyObject *d = PyDict_New(), *sim, *pos;
  uint32_t i, n = c->finger_count <= HS_WATCHLIST_FINGERS_MAX ? c->finger_count
                                                                : HS_WATCHLIST_FINGERS_MAX;
  if (!d) return NULL;
  sim = PyList_New(n);
  pos = PyList_New(n);
  if (!sim || !pos) {
    Py_XDECREF(sim);
    Py_XDECREF(pos);
    Py_DECREF(d);
    return NULL;
  }
  for (i = 0; i < n; i++) {
    PyList_SET_ITEM(sim, i, PyFloat_FromDouble(c->finger_similarity[i]));
    PyList_SET_ITEM(pos, i, PyLong_FromUnsignedLong(c->finger_position[i]));
  }
  if (hs_pyc__set(d, "id", PyUnicode_FromString(c->id ? c->id : "")) ||
      hs_pyc__set(d, "hit", PyBool_FromLong(c->hit != 0)) ||
      hs_pyc__set(d, "score", PyFloat_FromDouble(c->score)) ||
      hs_pyc__set(d, "finger_score", PyFloat_FromDouble(c->finger_score)) ||
      hs_pyc__set(d, "face_score", PyFloat_FromDouble(c->face_score)) ||
      hs_pyc__set(d, "face_similarity", PyFloat_FromDouble(c->face_similarity)) ||
      hs_pyc__set(d, "finger_similarity", sim) || hs_pyc__set(d, "finger_position", pos)) {
    Py_DECREF(d);
    return NULL;
  }
  return d;
}

static PyObject *hs_pyc__shard(const hs_cluster_shard_result *r) {
  PyObject *d = PyDict_New();
  if (!d) return NULL;
  if (hs_pyc__set(d, "shard", PyLong_FromUnsignedLong(r->shard)) ||
      hs_pyc__set(d, "state", PyLong_FromUnsignedLong(r->state)) ||
      hs_pyc__set(d, "candidates", PyLong_FromUnsignedLong(r->candidates)) ||
      hs_pyc__set(d, "sequence", PyLong_FromUnsignedLongLong(r->sequence)) ||
      hs_pyc__set(d, "subjects", PyLong_FromUnsignedLongLong(r->subjects)) ||
      hs_pyc__set(d, "rescored", PyLong_FromUnsignedLongLong(r->rescored)) ||
      hs_pyc__set(d, "search_ms", PyFloat_FromDouble(r->search_ms)) ||
      hs_pyc__set(d, "replica", PyUnicode_FromString(r->replica))) {
    Py_DECREF(d);
    return NULL;
  }
  return d;
}

/** hs_cluster_search: @p fingers an encoded template or None, @p face
 *  float32 bytes or None. [status, candidates (list of dicts), shards
 *  (list of dicts)]; the lists are None on failure. */
PyObject *hs_pyc_search(hs_pyc *p, PyObject *fingers, PyObject *face, uint32_t max_candidates,
                        uint32_t flags, uint32_t rescore, uint32_t face_model,
                        uint32_t deadline_ms, double fmr, unsigned long long min_sequence) {
  hs_cluster_search_options o = HS_CLUSTER_SEARCH_OPTIONS_INIT;
  hs_template *t = NULL;
  hs_cluster_result *r = NULL;
  Py_buffer fv;
  int have_face = 0;
  hs_status s = HS_OK;
  PyObject *cands = NULL, *shards = NULL, *ret;
  uint32_t i;
  o.max_candidates = max_candidates;
  o.flags = flags;
  o.rescore = rescore;
  o.face_model = face_model;
  o.deadline_ms = deadline_ms;
  o.fmr = fmr;
  o.min_sequence = (uint64_t)min_sequence;
  if (fingers != Py_None) {
    Py_buffer v;
    if (!hs_pyc__buf(fingers, &v, "fingers")) return NULL;
    s = hs_template_decode(p->ctx, &t, NULL, v.buf, (size_t)v.len);
    PyBuffer_Release(&v);
  }
  if (face != Py_None) {
    if (!hs_pyc__buf(face, &fv, "face")) {
      hs_template_free(t);
      return NULL;
    }
    have_face = 1;
  }
  if (s == HS_OK) {
    Py_BEGIN_ALLOW_THREADS
    s = hs_cluster_search(p->ctx, &r, p->cl, t, have_face ? (const float *)fv.buf : NULL,
                          have_face ? (uint32_t)(fv.len / (Py_ssize_t)sizeof(float)) : 0, &o);
    Py_END_ALLOW_THREADS
  }
  if (have_face) PyBuffer_Release(&fv);
  hs_template_free(t);
  if (s != HS_OK) return Py_BuildValue("(iOO)", (int)s, Py_None, Py_None);
  cands = PyList_New(0);
  shards = PyList_New(0);
  for (i = 0; cands && shards && i < hs_cluster_result_count(r); i++) {
    hs_watchlist_candidate c = HS_WATCHLIST_CANDIDATE_INIT;
    PyObject *d;
    if (hs_cluster_result_candidate(r, &c, i) != HS_OK) continue;
    d = hs_pyc__candidate(&c);
    if (!d || PyList_Append(cands, d) != 0) {
      Py_XDECREF(d);
      Py_CLEAR(cands);
      break;
    }
    Py_DECREF(d);
  }
  for (i = 0; cands && shards && i < hs_cluster_result_shards(r); i++) {
    hs_cluster_shard_result sr = HS_CLUSTER_SHARD_RESULT_INIT;
    PyObject *d;
    if (hs_cluster_result_shard(r, &sr, i) != HS_OK) continue;
    d = hs_pyc__shard(&sr);
    if (!d || PyList_Append(shards, d) != 0) {
      Py_XDECREF(d);
      Py_CLEAR(shards);
      break;
    }
    Py_DECREF(d);
  }
  hs_cluster_result_free(r);
  if (!cands || !shards) {
    Py_XDECREF(cands);
    Py_XDECREF(shards);
    return NULL;
  }
  ret = Py_BuildValue("(iNN)", (int)s, cands, shards);
  return ret;
}

/** hs_cluster_status: [status, stream sequence, replicas (list of dicts)]. */
PyObject *hs_pyc_status(hs_pyc *p, uint32_t wait_ms) {
  hs_cluster_status_report *st = NULL;
  hs_status s;
  PyObject *l;
  uint32_t i;
  unsigned long long seq;
  Py_BEGIN_ALLOW_THREADS
  s = hs_cluster_status(p->ctx, &st, p->cl, wait_ms);
  Py_END_ALLOW_THREADS
  if (s != HS_OK) return Py_BuildValue("(iKO)", (int)s, 0ULL, Py_None);
  l = PyList_New(0);
  for (i = 0; l && i < hs_cluster_status_replicas(st); i++) {
    hs_cluster_replica_info ri = HS_CLUSTER_REPLICA_INFO_INIT;
    PyObject *d;
    if (hs_cluster_status_replica(st, &ri, i) != HS_OK) continue;
    d = PyDict_New();
    if (!d || hs_pyc__set(d, "shard", PyLong_FromUnsignedLong(ri.shard)) ||
        hs_pyc__set(d, "replica", PyUnicode_FromString(ri.replica)) ||
        hs_pyc__set(d, "sequence", PyLong_FromUnsignedLongLong(ri.sequence)) ||
        hs_pyc__set(d, "subjects", PyLong_FromUnsignedLongLong(ri.subjects)) ||
        hs_pyc__set(d, "fingers", PyLong_FromUnsignedLongLong(ri.fingers)) ||
        hs_pyc__set(d, "refused", PyLong_FromUnsignedLongLong(ri.refused)) ||
        hs_pyc__set(d, "duplicates", PyLong_FromUnsignedLongLong(ri.duplicates)) ||
        hs_pyc__set(d, "leader_reads", PyLong_FromUnsignedLongLong(ri.leader_reads)) ||
        hs_pyc__set(d, "saved_sequence", PyLong_FromUnsignedLongLong(ri.saved_sequence)) ||
        PyList_Append(l, d) != 0) {
      Py_XDECREF(d);
      Py_CLEAR(l);
      break;
    }
    Py_DECREF(d);
  }
  seq = (unsigned long long)hs_cluster_status_sequence(st);
  hs_cluster_status_free(st);
  if (!l) return NULL;
  return Py_BuildValue("(iKN)", (int)s, seq, l);
}

/** hs_cluster_submit of an exported outbox batch: [status, info dict]. */
PyObject *hs_pyc_submit(hs_pyc *p, PyObject *batch) {
  hs_cluster_submit_info info = HS_CLUSTER_SUBMIT_INFO_INIT;
  Py_buffer v;
  hs_status s;
  if (!hs_pyc__buf(batch, &v, "batch")) return NULL;
  Py_BEGIN_ALLOW_THREADS
  s = hs_cluster_submit(p->ctx, &info, p->cl, v.buf, (size_t)v.len);
  Py_END_ALLOW_THREADS
  PyBuffer_Release(&v);
  if (s != HS_OK) return Py_BuildValue("(iO)", (int)s, Py_None);
  return Py_BuildValue("(i{s:I,s:I,s:I,s:K,s:y#})", (int)s, "records", info.records,
                       "messages", info.messages, "duplicates", info.duplicates, "sequence",
                       (unsigned long long)info.sequence, "device_public",
                       (const char *)info.device_public, (Py_ssize_t)32);
}

/** hs_cluster_fetch: [status, inbox handle or None]. */
PyObject *hs_pyc_fetch(hs_pyc *p, PyObject *device_public, PyObject *authority_sign_public) {
  Py_buffer d, a;
  hs_status s;
  hs_cluster_inbox *ib = NULL;
  hs_pyc_inbox *w;
  if (!hs_pyc__buf(device_public, &d, "device_public")) return NULL;
  if (!hs_pyc__buf(authority_sign_public, &a, "authority_sign_public")) {
    PyBuffer_Release(&d);
    return NULL;
  }
  if (d.len != 32 || a.len != 32) {
    PyBuffer_Release(&d);
    PyBuffer_Release(&a);
    return Py_BuildValue("(iO)", (int)HS_ERR_INVALID_ARG, Py_None);
  }
  Py_BEGIN_ALLOW_THREADS
  s = hs_cluster_fetch(p->ctx, &ib, p->cl, (const uint8_t *)d.buf, (const uint8_t *)a.buf);
  Py_END_ALLOW_THREADS
  PyBuffer_Release(&d);
  PyBuffer_Release(&a);
  if (s != HS_OK) return Py_BuildValue("(iO)", (int)s, Py_None);
  w = (hs_pyc_inbox *)calloc(1, sizeof *w);
  if (!w) {
    hs_cluster_inbox_free(ib);
    return Py_BuildValue("(iO)", (int)HS_ERR_NOMEM, Py_None);
  }
  w->ib = ib;
  return Py_BuildValue("(iN)", (int)s,
                       SWIG_NewPointerObj(SWIG_as_voidptr(w), SWIGTYPE_p_hs_pyc_inbox, 0));
}

void hs_pyc_inbox_free(hs_pyc_inbox *w) {
  if (!w) return;
  hs_cluster_inbox_free(w->ib);
  free(w);
}

/** The verified verdicts as a list of dicts (candidates as (id, score, hit)). */
PyObject *hs_pyc_inbox_verdicts(hs_pyc_inbox *w) {
  PyObject *l = PyList_New(0);
  uint32_t i, k;
  for (i = 0; l && i < hs_cluster_inbox_verdicts(w->ib); i++) {
    hs_cluster_verdict v = HS_CLUSTER_VERDICT_INIT;
    PyObject *c, *d;
    if (hs_cluster_inbox_verdict(w->ib, &v, i) != HS_OK) continue;
    c = PyList_New(0);
    for (k = 0; c && k < v.candidates; k++) {
      const char *id = NULL;
      double score = 0;
      uint32_t hit = 0;
      PyObject *t;
      if (hs_cluster_inbox_candidate(w->ib, &id, &score, &hit, i, k) != HS_OK) continue;
      t = Py_BuildValue("(sdO)", id ? id : "", score, hit ? Py_True : Py_False);
      if (!t || PyList_Append(c, t) != 0) {
        Py_XDECREF(t);
        Py_CLEAR(c);
      } else {
        Py_DECREF(t);
      }
    }
    if (!c) {
      Py_CLEAR(l);
      break;
    }
    d = Py_BuildValue("{s:I,s:y#,s:y#,s:L,s:i,s:i,s:K,s:I,s:I,s:I,s:s,s:N}", "kind", v.kind,
                      "id", (const char *)v.id, (Py_ssize_t)16, "device_public",
                      (const char *)v.device_public, (Py_ssize_t)32, "time_ms",
                      (long long)v.time_ms, "decision", (int)v.decision, "status",
                      (int)v.status, "gallery_sequence", (unsigned long long)v.gallery_sequence,
                      "shards", v.shards, "missing", v.missing, "fingers", v.fingers, "reason",
                      v.reason, "candidates", c);
    if (!d || PyList_Append(l, d) != 0) {
      Py_XDECREF(d);
      Py_CLEAR(l);
      break;
    }
    Py_DECREF(d);
  }
  return l;
}

/** The verified acknowledgements as a list of bytes (for Outbox.ack). */
PyObject *hs_pyc_inbox_acks(hs_pyc_inbox *w) {
  PyObject *l = PyList_New(0);
  uint32_t i;
  for (i = 0; l && i < hs_cluster_inbox_acks(w->ib); i++) {
    size_t n = 0;
    const uint8_t *a = hs_cluster_inbox_ack(w->ib, &n, i);
    PyObject *b;
    if (!a) continue;
    b = PyBytes_FromStringAndSize((const char *)a, (Py_ssize_t)n);
    if (!b || PyList_Append(l, b) != 0) {
      Py_XDECREF(b);
      Py_CLEAR(l);
      break;
    }
    Py_DECREF(b);
  }
  return l;
}

/** Why each refused message was refused: a list of str. */
PyObject *hs_pyc_inbox_refusals(hs_pyc_inbox *w) {
  PyObject *l = PyList_New(0);
  uint32_t i;
  for (i = 0; l && i < hs_cluster_inbox_refused(w->ib); i++) {
    const char *why = hs_cluster_inbox_refusal(w->ib, i);
    PyObject *t = PyUnicode_FromString(why ? why : "");
    if (!t || PyList_Append(l, t) != 0) {
      Py_XDECREF(t);
      Py_CLEAR(l);
      break;
    }
    Py_DECREF(t);
  }
  return l;
}

int hs_pyc_fetch_confirm(hs_pyc *p, hs_pyc_inbox *w) {
  hs_status s;
  Py_BEGIN_ALLOW_THREADS
  s = hs_cluster_fetch_confirm(p->ctx, p->cl, w->ib);
  Py_END_ALLOW_THREADS
  return s;
}
%}
