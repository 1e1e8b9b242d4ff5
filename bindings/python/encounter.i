/* encounter.h for hotspot.i (included before the C API): keys and ids go
 * in and out as bytes, receipts and acknowledgements as dicts; borrowed
 * pointers into an opened batch are copied out, so that no Python object
 * points into C memory it does not own. The Python classes are in
 * hotspot/encounter.py. */

HS_OUT_HANDLE(hs_encounter)
HS_OUT_HANDLE(hs_encounter_registry)
HS_OUT_HANDLE(hs_encounter_seen)
HS_OUT_HANDLE(hs_encounter_batch)

%apply (const void *data, size_t size) { (const void *jpeg, size_t size) };

/* replaced by the hs_py_encounter_* helpers below */
%ignore hs_encounter_id;
%ignore hs_encounter_set_id;
%ignore hs_encounter_get_text;
%ignore hs_encounter_field_at;
%ignore hs_encounter_finger_image;
%ignore hs_encounter_templates;
%ignore hs_encounter_face_jpeg;
%ignore hs_encounter_candidate;
%ignore hs_encounter_result_json;
%ignore hs_encounter_keygen_authority;
%ignore hs_encounter_authority_save;
%ignore hs_encounter_authority_load_public;
%ignore hs_encounter_authority_load_secret;
%ignore hs_encounter_seal;
%ignore hs_encounter_seal_options;
%ignore hs_encounter_receipt;
%ignore hs_encounter_sealed_receipt;
%ignore hs_encounter_batch_encode;
%ignore hs_encounter_batch_record;
%ignore hs_encounter_ack_make;
%ignore hs_encounter_ack_verify;
%ignore hs_encounter_ack_count;
%ignore hs_encounter_ack_id;
%ignore hs_encounter_ack_nonce;
%ignore hs_encounter_ack_time;
%ignore hs_encounter_ack_device;
%ignore hs_encounter_ack_free;
%ignore hs_encounter_registry_add;
%ignore hs_encounter_registry_revoke;
%ignore hs_encounter_registry_lookup;
%ignore hs_encounter_seen_contains;
%ignore hs_encounter_seen_add;
%ignore hs_encounter_open;
%ignore hs_encounter_batch_open;
%ignore hs_encounter_batch_status;
%ignore hs_encounter_batch_receipt;
%ignore hs_encounter_batch_encounter;
%ignore hs_encounter_batch_transaction;

%exception hs_py_encounter_seal {
  $action
  if (PyErr_Occurred()) SWIG_fail;
}
%nothread hs_py_encounter_id;
%nothread hs_py_encounter_set_id;
%nothread hs_py_encounter_text;
%nothread hs_py_encounter_fields;
%nothread hs_py_encounter_face_jpeg;
%nothread hs_py_encounter_candidates;
%nothread hs_py_encounter_result_json;
%nothread hs_py_encounter_keygen_authority;
%nothread hs_py_encounter_authority_save;
%nothread hs_py_encounter_authority_load;
%nothread hs_py_encounter_seal;
%nothread hs_py_encounter_sealed_receipt;
%nothread hs_py_encounter_batch_encode;
%nothread hs_py_encounter_ack_make;
%nothread hs_py_encounter_ack_verify;
%nothread hs_py_encounter_registry_key;
%nothread hs_py_encounter_registry_lookup;
%nothread hs_py_encounter_seen_id;
%nothread hs_py_encounter_open;
%nothread hs_py_encounter_batch_open;
%nothread hs_py_encounter_batch_item;

%inline %{
/* A read-only view of exactly n bytes; 0 with a Python exception otherwise. */
static int hs_py__enc_bytes(PyObject *o, Py_buffer *v, Py_ssize_t n, const char *what) {
  if (PyObject_GetBuffer(o, v, PyBUF_SIMPLE) != 0) return 0;
  if (n >= 0 && v->len != n) {
    PyErr_Format(PyExc_ValueError, "%s: %zd bytes, expected %zd", what, v->len, n);
    PyBuffer_Release(v);
    return 0;
  }
  return 1;
}

/** The encounter's 16-byte id as bytes. */
PyObject *hs_py_encounter_id(const hs_encounter *e) {
  const uint8_t *id = hs_encounter_id(e);
  if (!id) Py_RETURN_NONE;
  return PyBytes_FromStringAndSize((const char *)id, HS_ENCOUNTER_ID_BYTES);
}

/** hs_encounter_set_id with the id as 16 bytes. */
hs_status hs_py_encounter_set_id(hs_ctx *ctx, hs_encounter *e, PyObject *id) {
  Py_buffer v;
  hs_status s;
  if (!hs_py__enc_bytes(id, &v, HS_ENCOUNTER_ID_BYTES, "encounter id")) {
    PyErr_Clear();
    return HS_ERR_INVALID_ARG;
  }
  s = hs_encounter_set_id(ctx, e, (const uint8_t *)v.buf);
  PyBuffer_Release(&v);
  return s;
}

/** Metadata text @p key as str, None for an unknown key. */
PyObject *hs_py_encounter_text(const hs_encounter *e, int key) {
  const char *v = NULL;
  if (hs_encounter_get_text(e, &v, (hs_encounter_text)key) != HS_OK) Py_RETURN_NONE;
  return PyUnicode_FromString(v);
}

/** The free fields as a list of (key, value) in the order set. */
PyObject *hs_py_encounter_fields(const hs_encounter *e) {
  uint32_t i, n = hs_encounter_field_count(e);
  PyObject *l = PyList_New(0);
  if (!l) return NULL;
  for (i = 0; i < n; i++) {
    const char *k = NULL, *v = NULL;
    PyObject *t;
    if (hs_encounter_field_at(e, &k, &v, i) != HS_OK) continue;
    t = Py_BuildValue("(ss)", k, v);
    if (!t || PyList_Append(l, t) != 0) {
      Py_XDECREF(t);
      Py_DECREF(l);
      return NULL;
    }
    Py_DECREF(t);
  }
  return l;
}

/** The face JPEG as bytes, None when there is none. */
PyObject *hs_py_encounter_face_jpeg(const hs_encounter *e) {
  size_t n = 0;
  const uint8_t *p = hs_encounter_face_jpeg(e, &n);
  if (!p) Py_RETURN_NONE;
  return PyBytes_FromStringAndSize((const char *)p, (Py_ssize_t)n);
}

/** The candidates as a list of (subject, score, hit). */
PyObject *hs_py_encounter_candidates(const hs_encounter *e) {
  uint32_t i, n = hs_encounter_candidate_count(e);
  PyObject *l = PyList_New(0);
  if (!l) return NULL;
  for (i = 0; i < n; i++) {
    const char *sub = NULL;
    double score = 0;
    uint32_t hit = 0;
    PyObject *t;
    if (hs_encounter_candidate(e, &sub, &score, &hit, i) != HS_OK) continue;
    t = Py_BuildValue("(sdO)", sub, score, hit ? Py_True : Py_False);
    if (!t || PyList_Append(l, t) != 0) {
      Py_XDECREF(t);
      Py_DECREF(l);
      return NULL;
    }
    Py_DECREF(t);
  }
  return l;
}

/** hs_encounter_result_json as [status, str]. */
PyObject *hs_py_encounter_result_json(hs_ctx *ctx, const hs_encounter *e) {
  size_t n = 0;
  char *buf;
  PyObject *r;
  hs_status s = hs_encounter_result_json(ctx, NULL, &n, e);
  if (s) return Py_BuildValue("(iO)", s, Py_None);
  buf = (char *)malloc(n + 1);
  if (!buf) return Py_BuildValue("(iO)", HS_ERR_NOMEM, Py_None);
  n = n + 1;
  s = hs_encounter_result_json(ctx, buf, &n, e);
  r = s ? Py_BuildValue("(iO)", s, Py_None) : Py_BuildValue("(is#)", s, buf, (Py_ssize_t)n);
  free(buf);
  return r;
}

/** [status, box_public, box_secret, sign_public, sign_secret] as bytes. */
PyObject *hs_py_encounter_keygen_authority(void) {
  uint8_t bp[32], bs[32], sp[32], ss[64];
  PyObject *r;
  hs_status s = hs_encounter_keygen_authority(bp, bs, sp, ss);
  if (s) return Py_BuildValue("(iOOOO)", s, Py_None, Py_None, Py_None, Py_None);
  r = Py_BuildValue("(iy#y#y#y#)", s, (const char *)bp, (Py_ssize_t)32, (const char *)bs,
                    (Py_ssize_t)32, (const char *)sp, (Py_ssize_t)32, (const char *)ss,
                    (Py_ssize_t)64);
  memset(bs, 0, sizeof bs);
  memset(ss, 0, sizeof ss);
  return r;
}

/** hs_encounter_authority_save with the keys as bytes. */
hs_status hs_py_encounter_authority_save(hs_ctx *ctx, const char *public_path,
                                         const char *secret_path, PyObject *bp, PyObject *bs,
                                         PyObject *sp, PyObject *ss) {
  Py_buffer v[4];
  PyObject *in[4] = {bp, bs, sp, ss};
  const Py_ssize_t len[4] = {32, 32, 32, 64};
  int i, got = 0;
  hs_status s = HS_ERR_INVALID_ARG;
  for (i = 0; i < 4; i++, got++)
    if (!hs_py__enc_bytes(in[i], &v[i], len[i], "authority key")) break;
  if (got == 4)
    s = hs_encounter_authority_save(ctx, public_path, secret_path, (const uint8_t *)v[0].buf,
                                    (const uint8_t *)v[1].buf, (const uint8_t *)v[2].buf,
                                    (const uint8_t *)v[3].buf);
  for (i = 0; i < got; i++) PyBuffer_Release(&v[i]);
  return s;
}

/** Load an authority key file: [status, box key, signing key] as bytes
 *  (@p secret 0: the public file, 1: the secret one). */
PyObject *hs_py_encounter_authority_load(hs_ctx *ctx, const char *path, int secret) {
  uint8_t box[32], sig[64];
  PyObject *r;
  hs_status s = secret ? hs_encounter_authority_load_secret(ctx, box, sig, path)
                       : hs_encounter_authority_load_public(ctx, box, sig, path);
  if (s) return Py_BuildValue("(iOO)", s, Py_None, Py_None);
  r = Py_BuildValue("(iy#y#)", s, (const char *)box, (Py_ssize_t)32, (const char *)sig,
                    (Py_ssize_t)(secret ? 64 : 32));
  memset(box, 0, sizeof box);
  memset(sig, 0, sizeof sig);
  return r;
}

/** hs_encounter_seal: [status, sealed bytes]. */
PyObject *hs_py_encounter_seal(hs_ctx *ctx, const hs_encounter *e, PyObject *box_public,
                               PyObject *sign_secret, const char *tot) {
  Py_buffer vb, vs;
  hs_encounter_seal_options o = HS_ENCOUNTER_SEAL_OPTIONS_INIT;
  size_t n = 0;
  hs_status s;
  PyObject *r = NULL;
  uint8_t *buf = NULL;
  if (!hs_py__enc_bytes(box_public, &vb, 32, "authority box public key")) return NULL;
  if (!hs_py__enc_bytes(sign_secret, &vs, 64, "device signing secret key")) {
    PyBuffer_Release(&vb);
    return NULL;
  }
  snprintf(o.tot, sizeof o.tot, "%s", tot ? tot : "");
  /* one pass into a generous buffer, the size query only when needed */
  Py_BEGIN_ALLOW_THREADS
  n = (size_t)4 << 20;
  buf = (uint8_t *)malloc(n);
  s = buf ? hs_encounter_seal(ctx, buf, &n, e, (const uint8_t *)vb.buf,
                              (const uint8_t *)vs.buf, &o)
          : HS_ERR_NOMEM;
  if (s == HS_ERR_BUFFER_TOO_SMALL) {
    uint8_t *bigger = (uint8_t *)realloc(buf, n);
    if (bigger) buf = bigger;
    s = bigger ? hs_encounter_seal(ctx, buf, &n, e, (const uint8_t *)vb.buf,
                                   (const uint8_t *)vs.buf, &o)
               : HS_ERR_NOMEM;
  }
  Py_END_ALLOW_THREADS
  PyBuffer_Release(&vs);
  PyBuffer_Release(&vb);
  r = s ? Py_BuildValue("(iO)", s, Py_None)
        : Py_BuildValue("(iy#)", s, (const char *)buf, (Py_ssize_t)n);
  free(buf);
  return r;
}

static PyObject *hs_py__receipt(const hs_encounter_receipt *r) {
  return Py_BuildValue("{s:y#,s:L,s:y#,s:i,s:I,s:s}", "id", (const char *)r->id,
                       (Py_ssize_t)16, "time_ms", (long long)r->time_ms, "device_public",
                       (const char *)r->device_public, (Py_ssize_t)32, "decision",
                       (int)r->decision, "candidate_count", (unsigned)r->candidate_count,
                       "shown", r->shown);
}

/** hs_encounter_sealed_receipt: [status, dict]. */
PyObject *hs_py_encounter_sealed_receipt(hs_ctx *ctx, PyObject *sealed) {
  Py_buffer v;
  hs_encounter_receipt r = HS_ENCOUNTER_RECEIPT_INIT;
  hs_status s;
  if (!hs_py__enc_bytes(sealed, &v, -1, "sealed encounter")) return NULL;
  s = hs_encounter_sealed_receipt(ctx, &r, v.buf, (size_t)v.len);
  PyBuffer_Release(&v);
  if (s) return Py_BuildValue("(iO)", s, Py_None);
  return Py_BuildValue("(iN)", s, hs_py__receipt(&r));
}

/** hs_encounter_batch_encode of a sequence of sealed records: [status, bytes]. */
PyObject *hs_py_encounter_batch_encode(hs_ctx *ctx, PyObject *records) {
  Py_ssize_t i, n = PySequence_Size(records);
  Py_buffer *v;
  const void **p;
  size_t *sz, total = 0;
  hs_status s = HS_ERR_NOMEM;
  PyObject *r = NULL;
  uint8_t *buf = NULL;
  Py_ssize_t got = 0;
  if (n < 0) return NULL;
  v = (Py_buffer *)calloc((size_t)n + 1, sizeof *v);
  p = (const void **)calloc((size_t)n + 1, sizeof *p);
  sz = (size_t *)calloc((size_t)n + 1, sizeof *sz);
  if (!v || !p || !sz) goto out;
  for (i = 0; i < n; i++, got++) {
    PyObject *o = PySequence_GetItem(records, i);
    int ok = o && hs_py__enc_bytes(o, &v[i], -1, "sealed encounter");
    Py_XDECREF(o);
    if (!ok) goto out;
    p[i] = v[i].buf;
    sz[i] = (size_t)v[i].len;
  }
  s = hs_encounter_batch_encode(ctx, NULL, &total, p, sz, (uint32_t)n);
  if (!s) {
    buf = (uint8_t *)malloc(total ? total : 1);
    s = buf ? hs_encounter_batch_encode(ctx, buf, &total, p, sz, (uint32_t)n) : HS_ERR_NOMEM;
  }
  r = s ? Py_BuildValue("(iO)", s, Py_None)
        : Py_BuildValue("(iy#)", s, (const char *)buf, (Py_ssize_t)total);
out:
  for (i = 0; i < got; i++) PyBuffer_Release(&v[i]);
  free(v);
  free((void *)p);
  free(sz);
  free(buf);
  if (!r && !PyErr_Occurred()) r = Py_BuildValue("(iO)", s, Py_None);
  return r;
}

/** hs_encounter_ack_make with keys and ids (count * 16 bytes) as bytes:
 *  [status, bytes]. */
PyObject *hs_py_encounter_ack_make(hs_ctx *ctx, PyObject *device_public, PyObject *ids,
                                   PyObject *sign_secret) {
  Py_buffer vd, vi, vs;
  size_t n = 0;
  hs_status s;
  uint8_t *buf = NULL;
  PyObject *r;
  if (!hs_py__enc_bytes(device_public, &vd, 32, "device public key")) return NULL;
  if (!hs_py__enc_bytes(ids, &vi, -1, "ids")) {
    PyBuffer_Release(&vd);
    return NULL;
  }
  if (!hs_py__enc_bytes(sign_secret, &vs, 64, "authority signing secret key")) {
    PyBuffer_Release(&vi);
    PyBuffer_Release(&vd);
    return NULL;
  }
  if (vi.len % 16) {
    s = HS_ERR_INVALID_ARG;
  } else {
    uint32_t count = (uint32_t)(vi.len / 16);
    s = hs_encounter_ack_make(ctx, NULL, &n, (const uint8_t *)vd.buf, (const uint8_t *)vi.buf,
                              count, (const uint8_t *)vs.buf);
    if (!s) {
      buf = (uint8_t *)malloc(n);
      s = buf ? hs_encounter_ack_make(ctx, buf, &n, (const uint8_t *)vd.buf,
                                      (const uint8_t *)vi.buf, count, (const uint8_t *)vs.buf)
              : HS_ERR_NOMEM;
    }
  }
  PyBuffer_Release(&vs);
  PyBuffer_Release(&vi);
  PyBuffer_Release(&vd);
  r = s ? Py_BuildValue("(iO)", s, Py_None)
        : Py_BuildValue("(iy#)", s, (const char *)buf, (Py_ssize_t)n);
  free(buf);
  return r;
}

/** hs_encounter_ack_verify: [status, dict(ids, nonce, time_ms, device_public)]. */
PyObject *hs_py_encounter_ack_verify(hs_ctx *ctx, PyObject *data, PyObject *authority_public,
                                     PyObject *device_public) {
  Py_buffer v, va, vd;
  hs_encounter_ack *a = NULL;
  hs_status s;
  PyObject *ids, *r;
  uint32_t i;
  if (!hs_py__enc_bytes(data, &v, -1, "acknowledgement")) return NULL;
  if (!hs_py__enc_bytes(authority_public, &va, 32, "authority signing public key")) {
    PyBuffer_Release(&v);
    return NULL;
  }
  if (!hs_py__enc_bytes(device_public, &vd, 32, "device public key")) {
    PyBuffer_Release(&va);
    PyBuffer_Release(&v);
    return NULL;
  }
  s = hs_encounter_ack_verify(ctx, &a, v.buf, (size_t)v.len, (const uint8_t *)va.buf,
                              (const uint8_t *)vd.buf);
  PyBuffer_Release(&vd);
  PyBuffer_Release(&va);
  PyBuffer_Release(&v);
  if (s) return Py_BuildValue("(iO)", s, Py_None);
  ids = PyList_New(0);
  for (i = 0; ids && i < hs_encounter_ack_count(a); i++) {
    PyObject *b = PyBytes_FromStringAndSize((const char *)hs_encounter_ack_id(a, i), 16);
    if (!b || PyList_Append(ids, b) != 0) {
      Py_XDECREF(b);
      Py_CLEAR(ids);
    } else
      Py_DECREF(b);
  }
  r = ids ? Py_BuildValue("(i{s:N,s:y#,s:L,s:y#})", s, "ids", ids, "nonce",
                          (const char *)hs_encounter_ack_nonce(a), (Py_ssize_t)16, "time_ms",
                          (long long)hs_encounter_ack_time(a), "device_public",
                          (const char *)hs_encounter_ack_device(a), (Py_ssize_t)32)
          : NULL;
  hs_encounter_ack_free(a);
  return r;
}

/** Registry add (@p op 0, with @p name) or revoke (@p op 1) of a 32-byte key. */
hs_status hs_py_encounter_registry_key(hs_ctx *ctx, hs_encounter_registry *r, PyObject *key,
                                       const char *name, int op) {
  Py_buffer v;
  hs_status s;
  if (!hs_py__enc_bytes(key, &v, 32, "device public key")) {
    PyErr_Clear();
    return HS_ERR_INVALID_ARG;
  }
  s = op ? hs_encounter_registry_revoke(ctx, r, (const uint8_t *)v.buf)
         : hs_encounter_registry_add(ctx, r, (const uint8_t *)v.buf, name);
  PyBuffer_Release(&v);
  return s;
}

/** Registry lookup: (state 1/0/-1, name or None). */
PyObject *hs_py_encounter_registry_lookup(const hs_encounter_registry *r, PyObject *key) {
  Py_buffer v;
  const char *name = NULL;
  int32_t st;
  if (!hs_py__enc_bytes(key, &v, 32, "device public key")) return NULL;
  st = hs_encounter_registry_lookup(r, &name, (const uint8_t *)v.buf);
  PyBuffer_Release(&v);
  if (!name) return Py_BuildValue("(iO)", (int)st, Py_None);
  return Py_BuildValue("(is)", (int)st, name);
}

/** Seen ids: contains (@p op 0, returns 0/1) or add (@p op 1, a status). */
int hs_py_encounter_seen_id(hs_ctx *ctx, hs_encounter_seen *s, PyObject *id, int op) {
  Py_buffer v;
  int r;
  if (!hs_py__enc_bytes(id, &v, 16, "encounter id")) {
    PyErr_Clear();
    return op ? HS_ERR_INVALID_ARG : 0;
  }
  r = op ? hs_encounter_seen_add(ctx, s, (const uint8_t *)v.buf)
         : hs_encounter_seen_contains(s, (const uint8_t *)v.buf);
  PyBuffer_Release(&v);
  return r;
}

/** hs_encounter_open: [status, encounter, transaction]. */
PyObject *hs_py_encounter_open(hs_ctx *ctx, PyObject *sealed, PyObject *box_secret,
                               const hs_encounter_registry *reg, hs_encounter_seen *seen) {
  Py_buffer v, vk;
  hs_encounter *e = NULL;
  hs_nist *n = NULL;
  hs_status s;
  if (!hs_py__enc_bytes(sealed, &v, -1, "sealed encounter")) return NULL;
  if (!hs_py__enc_bytes(box_secret, &vk, 32, "authority box secret key")) {
    PyBuffer_Release(&v);
    return NULL;
  }
  Py_BEGIN_ALLOW_THREADS
  s = hs_encounter_open(ctx, &e, &n, v.buf, (size_t)v.len, (const uint8_t *)vk.buf, reg, seen);
  Py_END_ALLOW_THREADS
  PyBuffer_Release(&vk);
  PyBuffer_Release(&v);
  if (s) return Py_BuildValue("(iOO)", s, Py_None, Py_None);
  return Py_BuildValue("(iNN)", s,
                       SWIG_NewPointerObj(SWIG_as_voidptr(e), SWIGTYPE_p_hs_encounter, 0),
                       SWIG_NewPointerObj(SWIG_as_voidptr(n), SWIGTYPE_p_hs_nist, 0));
}

/** hs_encounter_batch_open: [status, batch]. */
PyObject *hs_py_encounter_batch_open(hs_ctx *ctx, PyObject *data, PyObject *box_secret,
                                     const hs_encounter_registry *reg, hs_encounter_seen *seen) {
  Py_buffer v, vk;
  hs_encounter_batch *b = NULL;
  hs_status s;
  if (!hs_py__enc_bytes(data, &v, -1, "batch")) return NULL;
  if (!hs_py__enc_bytes(box_secret, &vk, 32, "authority box secret key")) {
    PyBuffer_Release(&v);
    return NULL;
  }
  Py_BEGIN_ALLOW_THREADS
  s = hs_encounter_batch_open(ctx, &b, v.buf, (size_t)v.len, (const uint8_t *)vk.buf, reg, seen,
                              0);
  Py_END_ALLOW_THREADS
  PyBuffer_Release(&vk);
  PyBuffer_Release(&v);
  if (s) return Py_BuildValue("(iO)", s, Py_None);
  return Py_BuildValue("(iN)", s,
                       SWIG_NewPointerObj(SWIG_as_voidptr(b), SWIGTYPE_p_hs_encounter_batch, 0));
}

/** Record @p index of an opened batch, copied out: (status, reason,
 *  receipt dict or None, result JSON or None, transaction bytes or None). */
PyObject *hs_py_encounter_batch_item(hs_ctx *ctx, const hs_encounter_batch *b, uint32_t index) {
  const char *why = NULL;
  hs_status st = hs_encounter_batch_status(b, &why, index);
  hs_encounter_receipt r = HS_ENCOUNTER_RECEIPT_INIT;
  PyObject *rec = Py_None, *json = Py_None, *tx = Py_None, *out;
  const hs_encounter *e = hs_encounter_batch_encounter(b, index);
  const hs_nist *n = hs_encounter_batch_transaction(b, index);
  if (st == HS_ERR_NOT_FOUND && !why) Py_RETURN_NONE;
  Py_INCREF(Py_None);
  Py_INCREF(Py_None);
  Py_INCREF(Py_None);
  if (hs_encounter_batch_receipt(b, &r, index) == HS_OK) {
    Py_DECREF(rec);
    rec = hs_py__receipt(&r);
  }
  if (e) {
    PyObject *j = hs_py_encounter_result_json(ctx, e);
    if (j && PyTuple_Check(j) && PyTuple_Size(j) == 2 && PyTuple_GetItem(j, 1) != Py_None) {
      Py_DECREF(json);
      json = PyTuple_GetItem(j, 1);
      Py_INCREF(json);
    }
    Py_XDECREF(j);
  }
  if (n) {
    size_t sz = 0;
    if (hs_nist_encode(ctx, NULL, &sz, n, HS_NIST_ENCODING_TRADITIONAL, 0) == HS_OK) {
      PyObject *bytes = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)sz);
      if (bytes && hs_nist_encode(ctx, PyBytes_AS_STRING(bytes), &sz, n,
                                  HS_NIST_ENCODING_TRADITIONAL, 0) == HS_OK) {
        Py_DECREF(tx);
        tx = bytes;
      } else
        Py_XDECREF(bytes);
    }
  }
  out = Py_BuildValue("(isNNN)", (int)st, why ? why : "", rec, json, tx);
  return out;
}
%}
