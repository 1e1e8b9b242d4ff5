/*
 * SWIG interface of libhotspot: the module hotspot.capi, the C API one to
 * one. The friendly classes live in hotspot/__init__.py; this layer only
 * turns C conventions into Python ones:
 *  - `T **out` constructors return [status, handle] (handle None on failure);
 *    handles are not owned here: the Python classes free them.
 *  - `(const void *data, size_t size)` inputs take any object with the
 *    buffer protocol (bytes, bytearray, memoryview, numpy), without a copy;
 *    the buffer is held only for the duration of the call.
 *  - `(void *buf, size_t *size)` outputs take None (size query) or a writable
 *    buffer, and return [status, size].
 *  - pointer outputs (score, bounds, info structs) are returned after the
 *    status.
 * Built with -threads: the GIL is released around every C call except the
 * hs_py_* helpers below, which touch Python objects.
 */
%module(package="hotspot", docstring="libhotspot C API, one function per C function (see hotspot for the classes).") capi

%{
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <string.h>
#include <stdlib.h>
#include "hotspot/hotspot.h"
%}

%include "stdint.i"
%include "typemaps.i"

#define HS_API

/* ---- handles returned through T **out ------------------------------------ */
%define HS_OUT_HANDLE(TYPE)
%typemap(in, numinputs=0) TYPE **out (TYPE *tmp = NULL) { $1 = &tmp; }
%typemap(argout) TYPE **out {
  PyObject *o;
  if (tmp$argnum) {
    o = SWIG_NewPointerObj(SWIG_as_voidptr(tmp$argnum), $descriptor(TYPE *), 0);
  } else {
    Py_INCREF(Py_None);
    o = Py_None;
  }
  $result = SWIG_Python_AppendOutput($result, o);
}
%enddef

HS_OUT_HANDLE(hs_ctx)
HS_OUT_HANDLE(hs_image)
HS_OUT_HANDLE(hs_template)
HS_OUT_HANDLE(hs_finger_prepared)
HS_OUT_HANDLE(hs_finger_matcher)
HS_OUT_HANDLE(hs_finger_extractor)
HS_OUT_HANDLE(hs_face_gallery)
HS_OUT_HANDLE(hs_face_engine)
HS_OUT_HANDLE(hs_watchlist)
HS_OUT_HANDLE(hs_watchlist_subject)
HS_OUT_HANDLE(hs_watchlist_result)
HS_OUT_HANDLE(hs_synth)
HS_OUT_HANDLE(hs_synth_master)
HS_OUT_HANDLE(hs_nist)
HS_OUT_HANDLE(hs_nist_findings)

/* Synthetic fingerprints come out as an image and its true minutiae. */
%typemap(in, numinputs=0) hs_image **img (hs_image *tmp = NULL) { $1 = &tmp; }
%typemap(argout) hs_image **img {
  $result = SWIG_Python_AppendOutput($result, tmp$argnum
    ? SWIG_NewPointerObj(SWIG_as_voidptr(tmp$argnum), $descriptor(hs_image *), 0)
    : (Py_INCREF(Py_None), Py_None));
}
%typemap(in, numinputs=0) hs_template **truth (hs_template *tmp = NULL) { $1 = &tmp; }
%typemap(argout) hs_template **truth {
  $result = SWIG_Python_AppendOutput($result, tmp$argnum
    ? SWIG_NewPointerObj(SWIG_as_voidptr(tmp$argnum), $descriptor(hs_template *), 0)
    : (Py_INCREF(Py_None), Py_None));
}

/* The Python layer always uses the default allocator. */
%typemap(in, numinputs=0) const hs_allocator *alloc { $1 = NULL; }

/* ---- scalar outputs -------------------------------------------------------- */
%apply unsigned long long *OUTPUT { uint64_t *min_value, uint64_t *max_value };
%apply int *OUTPUT { int32_t *min_value, int32_t *max_value };
%apply float *OUTPUT { float *score, float *threshold };
%apply unsigned long long *OUTPUT { uint64_t *value };
%apply int *OUTPUT { int32_t *value };
%apply double *OUTPUT { double *value };
%apply unsigned int *OUTPUT { uint32_t *format, uint32_t *encoding };

/* ---- info structs filled by the library ---------------------------------- */
%define HS_OUT_INFO(TYPE)
%typemap(in, numinputs=0) TYPE *info (TYPE tmp) {
  memset(&tmp, 0, sizeof tmp);
  tmp.struct_size = (uint32_t)sizeof tmp;
  $1 = &tmp;
}
%typemap(argout) TYPE *info {
  TYPE *copy = (TYPE *)malloc(sizeof(TYPE));
  if (!copy) SWIG_exception_fail(SWIG_MemoryError, "out of memory");
  *copy = tmp$argnum;
  $result = SWIG_Python_AppendOutput($result,
    SWIG_NewPointerObj(SWIG_as_voidptr(copy), $descriptor(TYPE *), SWIG_POINTER_OWN));
}
/* SWIG would also apply the output typemaps to const inputs: restore those. */
%typemap(in) const TYPE *info (void *argp = 0, int res = 0) {
  res = SWIG_ConvertPtr($input, &argp, $descriptor(TYPE *), 0);
  if (!SWIG_IsOK(res)) SWIG_exception_fail(SWIG_ArgError(res), "expected a " #TYPE);
  $1 = ($1_ltype)argp;
}
%typemap(argout) const TYPE *info "";
%enddef
HS_OUT_INFO(hs_image_info)
HS_OUT_INFO(hs_view_info)
HS_OUT_INFO(hs_watchlist_package_info)
HS_OUT_INFO(hs_nist_image_info)

/* Info structs made from Python start with their struct_size set. */
%extend hs_image_info {
  hs_image_info() {
    hs_image_info *v = (hs_image_info *)calloc(1, sizeof *v);
    if (v) v->struct_size = (uint32_t)sizeof *v;
    return v;
  }
}
%extend hs_view_info {
  hs_view_info() {
    hs_view_info *v = (hs_view_info *)calloc(1, sizeof *v);
    if (v) v->struct_size = (uint32_t)sizeof *v;
    return v;
  }
}

/* ---- read-only byte buffers (no copy) ---------------------------------------- */
%typemap(in) (const void *data, size_t size) (Py_buffer view, int view_ok = 0) {
  if (PyObject_GetBuffer($input, &view, PyBUF_SIMPLE) != 0) SWIG_fail;
  view_ok = 1;
  $1 = view.buf;
  $2 = (size_t)view.len;
}
%typemap(freearg) (const void *data, size_t size) {
  if (view_ok$argnum) PyBuffer_Release(&view$argnum);
}
%typemap(typecheck, precedence=SWIG_TYPECHECK_POINTER) (const void *data, size_t size) {
  $1 = PyObject_CheckBuffer($input);
}
%apply (const void *data, size_t size) { (const void *buf, size_t size),
                                         (const void *pkg, size_t size) };

/* float32 vectors (face embeddings): any buffer of C-contiguous float32. */
%typemap(in) (const float *embedding, uint32_t dim) (Py_buffer view, int view_ok = 0) {
  if ($input == Py_None) {
    $1 = NULL;
    $2 = 0;
    goto $1_done;   /* None: no vector (an optional probe) */
  }
  if (PyObject_GetBuffer($input, &view, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT) != 0) SWIG_fail;
  view_ok = 1;
  if (view.itemsize != 4 || !view.format || strchr(view.format, 'f') == NULL ||
      view.len / 4 > UINT32_MAX) {
    PyErr_SetString(PyExc_TypeError, "expected a float32 vector");
    SWIG_fail;
  }
  $1 = ($1_ltype)view.buf;
  $2 = (uint32_t)(view.len / 4);
  $1_done:;
}
%typemap(freearg) (const float *embedding, uint32_t dim) {
  if (view_ok$argnum) PyBuffer_Release(&view$argnum);
}
%apply (const float *embedding, uint32_t dim) { (const float *face, uint32_t face_dim),
                                                (const float *v, uint32_t dim),
                                                (const float *probe, uint32_t dim) };

/* Face gallery hits: a writable buffer of 16-byte hs_face_hit records. */
%typemap(in) (hs_face_hit *hits, uint32_t cap) (Py_buffer view, int view_ok = 0) {
  if (PyObject_GetBuffer($input, &view, PyBUF_SIMPLE | PyBUF_WRITABLE) != 0) SWIG_fail;
  view_ok = 1;
  $1 = ($1_ltype)view.buf;
  $2 = (uint32_t)((size_t)view.len / sizeof(hs_face_hit));
}
%typemap(freearg) (hs_face_hit *hits, uint32_t cap) {
  if (view_ok$argnum) PyBuffer_Release(&view$argnum);
}
%apply unsigned int *OUTPUT { uint32_t *removed };

/* Writable float32 output vectors: None (size query) or a float32 buffer. */
%typemap(in) (float *out, uint32_t cap) (Py_buffer view, int view_ok = 0) {
  if ($input == Py_None) {
    $1 = NULL;
    $2 = 0;
  } else {
    if (PyObject_GetBuffer($input, &view, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT | PyBUF_WRITABLE) != 0)
      SWIG_fail;
    view_ok = 1;
    if (view.itemsize != 4 || !view.format || strchr(view.format, 'f') == NULL ||
        view.len / 4 > UINT32_MAX) {
      PyErr_SetString(PyExc_TypeError, "expected a writable float32 buffer");
      SWIG_fail;
    }
    $1 = ($1_ltype)view.buf;
    $2 = (uint32_t)(view.len / 4);
  }
}
%typemap(argout) (float *out, uint32_t cap) "";
%typemap(freearg) (float *out, uint32_t cap) {
  if (view_ok$argnum) PyBuffer_Release(&view$argnum);
}
%apply unsigned int *OUTPUT { uint32_t *dim, uint32_t *model_id, uint32_t *count };

/* Faces travel as bytes of hs_face records (see hs_py_sizeof_face). */
%typemap(in) (hs_face *faces, uint32_t cap) (Py_buffer view, int view_ok = 0) {
  if (PyObject_GetBuffer($input, &view, PyBUF_SIMPLE | PyBUF_WRITABLE) != 0) SWIG_fail;
  view_ok = 1;
  $1 = ($1_ltype)view.buf;
  $2 = (uint32_t)((size_t)view.len / sizeof(hs_face));
}
%typemap(freearg) (hs_face *faces, uint32_t cap) {
  if (view_ok$argnum) PyBuffer_Release(&view$argnum);
}
%typemap(in) const hs_face *face (Py_buffer view, int view_ok = 0) {
  if ($input == Py_None) {
    $1 = NULL;
  } else {
    if (PyObject_GetBuffer($input, &view, PyBUF_SIMPLE) != 0) SWIG_fail;
    view_ok = 1;
    if ((size_t)view.len != sizeof(hs_face)) {
      PyErr_SetString(PyExc_ValueError, "a face is one hs_face record");
      SWIG_fail;
    }
    $1 = ($1_ltype)view.buf;
  }
}
%typemap(freearg) const hs_face *face {
  if (view_ok$argnum) PyBuffer_Release(&view$argnum);
}
%typemap(in, numinputs=0) hs_face *used { $1 = NULL; }
%typemap(in) (uint8_t *rgb, size_t rgb_size) (Py_buffer view, int view_ok = 0) {
  if (PyObject_GetBuffer($input, &view, PyBUF_SIMPLE | PyBUF_WRITABLE) != 0) SWIG_fail;
  view_ok = 1;
  $1 = ($1_ltype)view.buf;
  $2 = (size_t)view.len;
}
%typemap(freearg) (uint8_t *rgb, size_t rgb_size) {
  if (view_ok$argnum) PyBuffer_Release(&view$argnum);
}
%apply double *OUTPUT { double *min_value, double *max_value };
%typemap(in, numinputs=0) float *out (float tmp = 0) { $1 = &tmp; }
%typemap(argout) float *out {
  $result = SWIG_Python_AppendOutput($result, PyFloat_FromDouble(tmp$argnum));
}

/* Minutiae as 16-byte records (the frozen hs_minutia layout). */
%typemap(in) (const hs_minutia *minutiae, uint32_t count) (Py_buffer view, int view_ok = 0) {
  if (PyObject_GetBuffer($input, &view, PyBUF_SIMPLE) != 0) SWIG_fail;
  view_ok = 1;
  if (view.len % (Py_ssize_t)sizeof(hs_minutia) != 0 || view.len / 16 > UINT32_MAX) {
    PyErr_SetString(PyExc_ValueError, "minutiae buffer: length is not a multiple of 16 bytes");
    SWIG_fail;
  }
  $1 = ($1_ltype)view.buf;
  $2 = (uint32_t)(view.len / (Py_ssize_t)sizeof(hs_minutia));
}
%typemap(freearg) (const hs_minutia *minutiae, uint32_t count) {
  if (view_ok$argnum) PyBuffer_Release(&view$argnum);
}

/* ---- caller output buffers with the two-call size query ---------------------- */
%typemap(in) (void *buf, size_t *size) (Py_buffer view, int view_ok = 0, size_t sz = 0) {
  if ($input == Py_None) {
    $1 = NULL;
  } else {
    if (PyObject_GetBuffer($input, &view, PyBUF_WRITABLE) != 0) SWIG_fail;
    view_ok = 1;
    $1 = view.buf;
    sz = (size_t)view.len;
  }
  $2 = &sz;
}
%typemap(argout) (void *buf, size_t *size) {
  $result = SWIG_Python_AppendOutput($result, PyLong_FromSize_t(sz$argnum));
}
%typemap(freearg) (void *buf, size_t *size) {
  if (view_ok$argnum) PyBuffer_Release(&view$argnum);
}
%apply (void *buf, size_t *size) { (char *buf, size_t *size) };

/* ---- score lists and results of eval.h ------------------------------------------ */
/* Scores: any C-contiguous buffer of native float64 (the Python layer makes
 * one with numpy), read without a copy. */
%define HS_SCORES(PTR, COUNT)
%typemap(in) (const double *PTR, size_t COUNT) (Py_buffer view, int view_ok = 0) {
  const char *f;
  if (PyObject_GetBuffer($input, &view, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT) != 0) SWIG_fail;
  view_ok = 1;
  f = view.format ? view.format : "B";
  if (view.itemsize != (Py_ssize_t)sizeof(double) || f[strlen(f) - 1] != 'd' ||
      (strlen(f) == 2 && !strchr("@=", f[0])) || strlen(f) > 2) {
    PyErr_SetString(PyExc_TypeError, "scores: expected a contiguous float64 buffer");
    SWIG_fail;
  }
  $1 = ($1_ltype)view.buf;
  $2 = (size_t)(view.len / (Py_ssize_t)sizeof(double));
}
%typemap(freearg) (const double *PTR, size_t COUNT) {
  if (view_ok$argnum) PyBuffer_Release(&view$argnum);
}
%enddef
HS_SCORES(genuine, genuine_count)
HS_SCORES(impostor, impostor_count)

%typemap(in, numinputs=0) hs_eval_result *out (hs_eval_result tmp) {
  memset(&tmp, 0, sizeof tmp);
  tmp.struct_size = (uint32_t)sizeof tmp;
  $1 = &tmp;
}
%typemap(argout) hs_eval_result *out {
  hs_eval_result *copy = (hs_eval_result *)malloc(sizeof(hs_eval_result));
  if (!copy) SWIG_exception_fail(SWIG_MemoryError, "out of memory");
  *copy = tmp$argnum;
  $result = SWIG_Python_AppendOutput($result,
    SWIG_NewPointerObj(SWIG_as_voidptr(copy), $descriptor(hs_eval_result *), SWIG_POINTER_OWN));
}
%typemap(in, numinputs=0) hs_eval_point *out (hs_eval_point tmp) {
  memset(&tmp, 0, sizeof tmp);
  $1 = &tmp;
}
%typemap(argout) hs_eval_point *out {
  hs_eval_point *copy = (hs_eval_point *)malloc(sizeof(hs_eval_point));
  if (!copy) SWIG_exception_fail(SWIG_MemoryError, "out of memory");
  *copy = tmp$argnum;
  $result = SWIG_Python_AppendOutput($result,
    SWIG_NewPointerObj(SWIG_as_voidptr(copy), $descriptor(hs_eval_point *), SWIG_POINTER_OWN));
}
/* DET points: None (count query) or a writable buffer of hs_eval_point
 * records (numpy EVAL_POINT_DTYPE); returns [status, count]. */
%typemap(in) (hs_eval_point *points, size_t *count) (Py_buffer view, int view_ok = 0, size_t n = 0) {
  if ($input == Py_None) {
    $1 = NULL;
  } else {
    if (PyObject_GetBuffer($input, &view, PyBUF_WRITABLE | PyBUF_C_CONTIGUOUS) != 0) SWIG_fail;
    view_ok = 1;
    $1 = (hs_eval_point *)view.buf;
    n = (size_t)view.len / sizeof(hs_eval_point);
  }
  $2 = &n;
}
%typemap(argout) (hs_eval_point *points, size_t *count) {
  $result = SWIG_Python_AppendOutput($result, PyLong_FromSize_t(n$argnum));
}
%typemap(freearg) (hs_eval_point *points, size_t *count) {
  if (view_ok$argnum) PyBuffer_Release(&view$argnum);
}

/* ---- arrays of prepared templates (fusion) ------------------------------------- */
%define HS_PREPARED_ARRAY(PTR, COUNT)
%typemap(in) (const hs_finger_prepared *const *PTR, size_t COUNT) (const hs_finger_prepared **arr = NULL) {
  Py_ssize_t i, n;
  if (!PySequence_Check($input)) {
    PyErr_SetString(PyExc_TypeError, "expected a sequence of prepared templates");
    SWIG_fail;
  }
  n = PySequence_Size($input);
  if (n < 0) SWIG_fail;
  arr = (const hs_finger_prepared **)calloc((size_t)n + 1, sizeof *arr);
  if (!arr) SWIG_exception_fail(SWIG_MemoryError, "out of memory");
  for (i = 0; i < n; i++) {
    void *p = NULL;
    PyObject *item = PySequence_GetItem($input, i);
    int r = item ? SWIG_ConvertPtr(item, &p, $descriptor(hs_finger_prepared *), 0) : SWIG_ERROR;
    Py_XDECREF(item);
    if (!SWIG_IsOK(r) || !p) {
      PyErr_SetString(PyExc_TypeError, "expected a sequence of prepared templates");
      SWIG_fail;
    }
    arr[i] = (const hs_finger_prepared *)p;
  }
  $1 = ($1_ltype)arr;
  $2 = (size_t)n;
}
%typemap(freearg) (const hs_finger_prepared *const *PTR, size_t COUNT) { free((void *)arr$argnum); }
%enddef
HS_PREPARED_ARRAY(probe, nprobe)
HS_PREPARED_ARRAY(candidate, ncandidate)

/* ---- functions replaced by the hs_py_* helpers below ------------------------- */
%ignore hs_allocator;
%ignore hs_image_wrap;
%ignore hs_image_from_rgb;
%ignore hs_image_pixels;
%ignore hs_image_pixels_mut;
%ignore hs_image_rgb;
%ignore hs_template_minutiae;
%ignore hs_watchlist_subject_face;
%ignore hs_watchlist_subject_field_at;
%ignore hs_watchlist_result_candidate;
%ignore hs_watchlist_candidate;
%ignore hs_face;
%ignore hs_watchlist_keygen_authority;
%ignore hs_watchlist_keygen_device;
%ignore hs_watchlist_pack;
%ignore hs_watchlist_unpack;
%ignore hs_face_similarity;
%ignore hs_face_engine_new;
%ignore hs_face_engine_options;
/* Raw-pointer vector helpers: numpy does these; not wrapped. */
%ignore hs_face_embedding_normalize;
%ignore hs_face_quantize;
%ignore hs_face_dequantize;
%ignore hs_face_similarity_q8;
%ignore hs_face_scan_q8;
/* The contact texts of hs_nist_build_options are borrowed for the call:
 * read-only here (Python passes them to hs_py_nist_build_result_hit). */
%immutable hs_nist_build_options::contact_phone;
%immutable hs_nist_build_options::contact_org;
%immutable hs_nist_build_options::contact_person;
%immutable hs_nist_build_options::contact_text;

/* Python reads and frees files itself; hs_file_save is wrapped. */
%ignore hs_file_read;
%ignore hs_file_free;


%extend hs_face_search_options {
  hs_face_search_options() {
    hs_face_search_options *v = (hs_face_search_options *)calloc(1, sizeof *v);
    if (v) {
      v->struct_size = (uint32_t)sizeof *v;
      v->threads = 1;
      v->min_score = -1.0f;
    }
    return v;
  }
}

/* Search options made from Python start with the documented defaults. */
%extend hs_watchlist_search_options {
  hs_watchlist_search_options() {
    hs_watchlist_search_options init = HS_WATCHLIST_SEARCH_OPTIONS_INIT;
    hs_watchlist_search_options *v = (hs_watchlist_search_options *)malloc(sizeof *v);
    if (v) *v = init;
    return v;
  }
}

/* Image encode options made from Python start with the documented defaults. */
%extend hs_image_encode_options {
  hs_image_encode_options() {
    hs_image_encode_options init = HS_IMAGE_ENCODE_OPTIONS_INIT;
    hs_image_encode_options *v = (hs_image_encode_options *)malloc(sizeof *v);
    if (v) *v = init;
    return v;
  }
}

/* encounter.h: handles, ignores and the hs_py_encounter_* helpers */
%include "encounter.i"

/* ---- device keys, audit log, encrypted list: hs_py_device_* / hs_py_audit_*
 * helpers at the end take keys as bytes and give records as dicts ---------- */
HS_OUT_HANDLE(hs_audit)
HS_OUT_HANDLE(hs_audit_view)
%ignore hs_device_keygen;
%ignore hs_device_sign_public;
%ignore hs_device_key_save;
%ignore hs_device_key_load;
%ignore hs_audit_open;
%ignore hs_audit_append;
%ignore hs_audit_head_get;
%ignore hs_audit_verify;
%ignore hs_audit_view_entry;
%ignore hs_audit_view_ident;
%ignore hs_watchlist_save_encrypted;
%ignore hs_watchlist_load_encrypted;
%ignore hs_watchlist_decode_encrypted;
%ignore hs_audit_entry;
%ignore hs_audit_record;
%ignore hs_audit_head;
%ignore hs_audit_verify_info;
%ignore hs_audit_options;
%exception hs_py_device_sign_public { $action if (PyErr_Occurred()) SWIG_fail; }
%exception hs_py_device_key_save { $action if (PyErr_Occurred()) SWIG_fail; }
%exception hs_py_audit_open { $action if (PyErr_Occurred()) SWIG_fail; }
%exception hs_py_audit_verify { $action if (PyErr_Occurred()) SWIG_fail; }
%exception hs_py_watchlist_save_encrypted { $action if (PyErr_Occurred()) SWIG_fail; }
%exception hs_py_watchlist_load_encrypted { $action if (PyErr_Occurred()) SWIG_fail; }
%exception hs_py_watchlist_decode_encrypted { $action if (PyErr_Occurred()) SWIG_fail; }
%nothread hs_py_device_keygen;
%nothread hs_py_device_sign_public;
%nothread hs_py_device_key_load;
%nothread hs_py_device_key_save;
%nothread hs_py_audit_open;
%nothread hs_py_audit_head;
%nothread hs_py_audit_verify;
%nothread hs_py_audit_view_entry;
%nothread hs_py_audit_view_ident;
%nothread hs_py_watchlist_save_encrypted;
%nothread hs_py_watchlist_load_encrypted;
%nothread hs_py_watchlist_decode_encrypted;

/* ---- outbox.h: the device's store of sealed encounters --------------------- */
HS_OUT_HANDLE(hs_outbox)
HS_OUT_INFO(hs_outbox_info)
HS_OUT_INFO(hs_outbox_verify_info)
%apply (const void *data, size_t size) { (const void *sealed, size_t size) };
%apply unsigned int *OUTPUT { uint32_t *exported, uint32_t *acknowledged, uint32_t *purged };
/* options with keys and a borrowed audit handle, and the entry struct:
 * hs_py_outbox_open and hs_py_outbox_entry below */
%ignore hs_outbox_open;
%ignore hs_outbox_options;
%ignore hs_outbox_entry_at;
%ignore hs_outbox_entry;
/* ---- the C API --------------------------------------------------------------- */
/* hs_api.i is generated by CMake: the headers of hotspot.h, minus the
 * functions the library does not export yet. */
%include "hs_api.i"

/* ---- outbox.h helpers (see the typemaps above the C API) ------------------- */
%exception hs_py_outbox_open {
  $action
  if (PyErr_Occurred()) SWIG_fail;
}
%nothread hs_py_outbox_open;
%nothread hs_py_outbox_entry;
%inline %{
/** hs_outbox_open with the options as arguments: the keys as 32-byte
 *  buffers (None = all zero), audit an hs_audit handle or None. Returns
 *  [status, handle]. */
hs_status hs_py_outbox_open(hs_ctx *ctx, hs_outbox **out, const char *dir, uint32_t flags,
                            uint64_t max_bytes, uint32_t max_count, int64_t retention_ms,
                            hs_audit *audit, const char *operator_id, PyObject *device_public,
                            PyObject *authority_sign_public) {
  hs_outbox_options o = HS_OUTBOX_OPTIONS_INIT;
  PyObject *keys[2];
  uint8_t *dst[2];
  int i;
  hs_status s;
  keys[0] = device_public;
  keys[1] = authority_sign_public;
  dst[0] = o.device_public;
  dst[1] = o.authority_sign_public;
  for (i = 0; i < 2; i++) {
    Py_buffer v;
    if (keys[i] == Py_None) continue;
    if (PyObject_GetBuffer(keys[i], &v, PyBUF_SIMPLE) != 0) return HS_ERR_INVALID_ARG;
    if (v.len != 32) {
      PyBuffer_Release(&v);
      PyErr_SetString(PyExc_ValueError, "a public key is 32 bytes");
      return HS_ERR_INVALID_ARG;
    }
    memcpy(dst[i], v.buf, 32);
    PyBuffer_Release(&v);
  }
  o.flags = flags;
  o.max_bytes = max_bytes;
  o.max_count = max_count;
  o.retention_ms = retention_ms;
  o.audit = audit;
  o.operator_id = operator_id;
  Py_BEGIN_ALLOW_THREADS
  s = hs_outbox_open(ctx, out, dir, &o);
  Py_END_ALLOW_THREADS
  return s;
}

/** Encounter @p index of an outbox as a dict (id bytes, state, time_ms,
 *  appended_ms, exported_ms, decision, candidate_count, sealed_bytes,
 *  shown), or None when out of range. */
PyObject *hs_py_outbox_entry(const hs_outbox *ob, uint32_t index) {
  hs_outbox_entry e = HS_OUTBOX_ENTRY_INIT;
  if (hs_outbox_entry_at(ob, &e, index) != HS_OK) Py_RETURN_NONE;
  return Py_BuildValue("{s:y#,s:I,s:L,s:L,s:L,s:i,s:I,s:I,s:s}", "id", (const char *)e.id,
                       (Py_ssize_t)16, "state", e.state, "time_ms", (long long)e.time_ms,
                       "appended_ms", (long long)e.appended_ms, "exported_ms",
                       (long long)e.exported_ms, "decision", (int)e.decision,
                       "candidate_count", e.candidate_count, "sealed_bytes", e.sealed_bytes,
                       "shown", e.shown);
}
%}


/* ---- helpers that hand pixels and minutiae over as Python objects ------------ */
/* The helpers above may leave a Python exception set: raise it. */
%exception hs_py_image_wrap {
  $action
  if (PyErr_Occurred()) SWIG_fail;
}
%exception hs_py_watchlist_pack {
  $action
  if (PyErr_Occurred()) SWIG_fail;
}
%exception hs_py_watchlist_unpack {
  $action
  if (PyErr_Occurred()) SWIG_fail;
}
%exception hs_py_face_similarity {
  $action
  if (PyErr_Occurred()) SWIG_fail;
}
%exception hs_py_image_from_rgb {
  $action
  if (PyErr_Occurred()) SWIG_fail;
}
%nothread hs_py_image_pixels;
%nothread hs_py_image_rgb;
%nothread hs_py_template_minutiae;
%nothread hs_py_image_wrap;
%nothread hs_py_face_similarity;
%nothread hs_py_watchlist_keygen;
%nothread hs_py_watchlist_pack;
%nothread hs_py_watchlist_unpack;
%nothread hs_py_watchlist_candidate;
%nothread hs_py_watchlist_subject_face;
%nothread hs_py_watchlist_subject_fields;
%nothread hs_py_image_from_rgb;
%nothread hs_py_nist_field_at;
%nothread hs_py_nist_image_data;
%nothread hs_py_nist_finding;
%nothread hs_py_nist_build_search;
%nothread hs_py_nist_build_result_hit;
%inline %{
/** Grey pixels of @p img as bytes, rows packed (width*height bytes, the
 *  stride removed). */
PyObject *hs_py_image_pixels(const hs_image *img) {
  const uint8_t *px = hs_image_pixels(img);
  uint32_t w = hs_image_width(img), h = hs_image_height(img), st = hs_image_stride(img);
  PyObject *b;
  char *dst;
  uint32_t y;
  if (!px) {
    PyErr_SetString(PyExc_ValueError, "image has no pixels");
    return NULL;
  }
  b = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)w * h);
  if (!b) return NULL;
  dst = PyBytes_AS_STRING(b);
  for (y = 0; y < h; y++) memcpy(dst + (size_t)y * w, px + (size_t)y * st, w);
  return b;
}

/** Interleaved RGB pixels of @p img as bytes (3*width*height), or None when
 *  the image kept no colour (see HS_IMAGE_KEEP_COLOR). */
PyObject *hs_py_image_rgb(const hs_image *img) {
  const uint8_t *px = hs_image_rgb(img);
  if (!px) Py_RETURN_NONE;
  return PyBytes_FromStringAndSize((const char *)px,
    (Py_ssize_t)hs_image_width(img) * hs_image_height(img) * 3);
}

/** Minutiae of view @p view as bytes of 16-byte hs_minutia records (empty
 *  when the view has none or does not exist). */
PyObject *hs_py_template_minutiae(const hs_template *t, uint32_t view) {
  uint32_t n = 0;
  const hs_minutia *m = hs_template_minutiae(t, &n, view);
  if (!m) n = 0;
  return PyBytes_FromStringAndSize((const char *)m, (Py_ssize_t)n * (Py_ssize_t)sizeof(hs_minutia));
}

/** Candidate @p index of a watchlist search result as a dict (id, hit,
 *  score, finger_score, face_score, face_similarity, finger_similarity,
 *  finger_position), or None when out of range. */
PyObject *hs_py_watchlist_candidate(const hs_watchlist_result *r, uint32_t index) {
  hs_watchlist_candidate c;
  PyObject *d, *sim, *pos;
  uint32_t i, n;
  memset(&c, 0, sizeof c);
  c.struct_size = (uint32_t)sizeof c;
  if (hs_watchlist_result_candidate(r, &c, index) != HS_OK) Py_RETURN_NONE;
  n = c.finger_count <= HS_WATCHLIST_FINGERS_MAX ? c.finger_count : HS_WATCHLIST_FINGERS_MAX;
  sim = PyList_New(n);
  pos = PyList_New(n);
  if (!sim || !pos) { Py_XDECREF(sim); Py_XDECREF(pos); return NULL; }
  for (i = 0; i < n; i++) {
    PyList_SET_ITEM(sim, i, PyFloat_FromDouble(c.finger_similarity[i]));
    PyList_SET_ITEM(pos, i, PyLong_FromUnsignedLong(c.finger_position[i]));
  }
  d = Py_BuildValue("{s:s,s:O,s:d,s:d,s:d,s:d,s:N,s:N}", "id", c.id ? c.id : "",
                    "hit", c.hit ? Py_True : Py_False, "score", c.score,
                    "finger_score", c.finger_score, "face_score", c.face_score,
                    "face_similarity", c.face_similarity, "finger_similarity", sim,
                    "finger_position", pos);
  return d;
}

/** Size in bytes of one hs_face record (detect / embed / align). */
size_t hs_py_sizeof_face(void) { return sizeof(hs_face); }

/** Cosine similarity of two float32 vectors of equal length
 *  (hs_face_similarity). Returns [status, score]. */
hs_status hs_py_face_similarity(hs_ctx *ctx, float *score, PyObject *a, PyObject *b) {
  Py_buffer va, vb;
  hs_status s = HS_ERR_INVALID_ARG;
  if (PyObject_GetBuffer(a, &va, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT) != 0) return s;
  if (PyObject_GetBuffer(b, &vb, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT) != 0) {
    PyBuffer_Release(&va);
    return s;
  }
  if (va.itemsize != 4 || vb.itemsize != 4 || !va.format || !vb.format ||
      !strchr(va.format, 'f') || !strchr(vb.format, 'f'))
    PyErr_SetString(PyExc_TypeError, "expected two float32 vectors");
  else if (va.len != vb.len || va.len / 4 > UINT32_MAX)
    PyErr_SetString(PyExc_ValueError, "embeddings of different lengths");
  else
    s = hs_face_similarity(ctx, score, (const float *)va.buf, (const float *)vb.buf,
                           (uint32_t)(va.len / 4));
  PyBuffer_Release(&vb);
  PyBuffer_Release(&va);
  return s;
}

/** Create a face engine (hs_face_engine_new) from file paths; None leaves a
 *  path unset (all None: the default models, from models_dir, else
 *  $HOTSPOT_FACE_MODELS, else the installed ones; otherwise no detector
 *  path: the Haar fallback, no model: detection only). Returns
 *  [status, engine]. */
hs_status hs_py_face_engine_new(hs_ctx *ctx, hs_face_engine **out, uint32_t model_id,
                                uint32_t model_format, const char *model_path,
                                const char *model_config_path, const char *detector_path,
                                const char *cascade_path, const char *landmark_path,
                                const char *models_dir) {
  hs_face_engine_options o;
  memset(&o, 0, sizeof o);
  o.struct_size = (uint32_t)sizeof o;
  o.model_id = model_id;
  o.model_format = model_format;
  o.model_path = model_path;
  o.model_config_path = model_config_path;
  o.detector_path = detector_path;
  o.cascade_path = cascade_path;
  o.landmark_path = landmark_path;
  o.models_dir = models_dir;
  return hs_face_engine_new(ctx, out, &o);
}

/* Read-only view of exactly @p n bytes (keys), or of a multiple of @p n. */
static int hs_py__bytes(PyObject *o, Py_buffer *v, Py_ssize_t n, int multiple, const char *what) {
  if (PyObject_GetBuffer(o, v, PyBUF_SIMPLE) != 0) return 0;
  if (multiple ? (v->len == 0 || v->len % n != 0) : v->len != n) {
    PyErr_Format(PyExc_ValueError, "%s: %zd bytes, expected %s%zd", what, v->len,
                 multiple ? "a multiple of " : "", n);
    PyBuffer_Release(v);
    return 0;
  }
  return 1;
}

/** Generate a key pair: the authority's Ed25519 signing pair (@p device 0)
 *  or a device's X25519 pair (@p device 1). Returns [status, public bytes,
 *  secret bytes] (None, None on failure). */
PyObject *hs_py_watchlist_keygen(int device) {
  uint8_t pub[32], sec[64];
  hs_status s = device ? hs_watchlist_keygen_device(pub, sec)
                       : hs_watchlist_keygen_authority(pub, sec);
  PyObject *r;
  if (s != HS_OK) return Py_BuildValue("(iOO)", s, Py_None, Py_None);
  r = Py_BuildValue("(iy#y#)", s, (const char *)pub, (Py_ssize_t)32, (const char *)sec,
                    (Py_ssize_t)(device ? 32 : 64));
  memset(sec, 0, sizeof sec);
  return r;
}

/** hs_watchlist_pack with keys given as bytes: @p sign_secret 64 bytes,
 *  @p recipients a concatenation of 32-byte device public keys. Two-call
 *  size query through buf (None asks the size). Returns [status, size]. */
hs_status hs_py_watchlist_pack(hs_ctx *ctx, void *buf, size_t *size, const hs_watchlist *wl,
                               const hs_watchlist *base, PyObject *sign_secret,
                               PyObject *recipients) {
  Py_buffer vs, vr;
  hs_status s;
  if (!hs_py__bytes(sign_secret, &vs, 64, 0, "signing secret key")) return HS_ERR_INVALID_ARG;
  if (!hs_py__bytes(recipients, &vr, 32, 1, "device public keys")) {
    PyBuffer_Release(&vs);
    return HS_ERR_INVALID_ARG;
  }
  Py_BEGIN_ALLOW_THREADS
  s = hs_watchlist_pack(ctx, buf, size, wl, base,
                        (const uint8_t *)vs.buf, (const uint8_t *)vr.buf, (uint32_t)(vr.len / 32));
  Py_END_ALLOW_THREADS
  PyBuffer_Release(&vr);
  PyBuffer_Release(&vs);
  return s;
}

/** hs_watchlist_unpack with the package and keys given as bytes. Returns
 *  [status, watchlist]. */
hs_status hs_py_watchlist_unpack(hs_ctx *ctx, hs_watchlist **out, const hs_watchlist *installed,
                                 uint64_t installed_version, PyObject *pkg,
                                 PyObject *authority_public, PyObject *device_public,
                                 PyObject *device_secret) {
  Py_buffer vp, va, vd, vs;
  hs_status s = HS_ERR_INVALID_ARG;
  if (PyObject_GetBuffer(pkg, &vp, PyBUF_SIMPLE) != 0) return s;
  if (!hs_py__bytes(authority_public, &va, 32, 0, "authority public key")) goto p;
  if (!hs_py__bytes(device_public, &vd, 32, 0, "device public key")) goto a;
  if (!hs_py__bytes(device_secret, &vs, 32, 0, "device secret key")) goto d;
  Py_BEGIN_ALLOW_THREADS
  s = hs_watchlist_unpack(ctx, out, installed, installed_version, vp.buf, (size_t)vp.len,
                          (const uint8_t *)va.buf, (const uint8_t *)vd.buf,
                          (const uint8_t *)vs.buf);
  Py_END_ALLOW_THREADS
  PyBuffer_Release(&vs);
d:
  PyBuffer_Release(&vd);
a:
  PyBuffer_Release(&va);
p:
  PyBuffer_Release(&vp);
  return s;
}

/** Raw value of field @p index of @p record of a transaction as bytes
 *  (None when absent). */
PyObject *hs_py_nist_field_at(const hs_nist *n, uint32_t record, uint32_t index) {
  size_t size = 0;
  const uint8_t *p = hs_nist_field_at(n, &size, record, index);
  if (!p) Py_RETURN_NONE;
  return PyBytes_FromStringAndSize((const char *)p, (Py_ssize_t)size);
}

/** Bytes of image @p index of a transaction as stored (None when absent). */
PyObject *hs_py_nist_image_data(const hs_nist *n, uint32_t index) {
  size_t size = 0;
  const uint8_t *p = hs_nist_image_data(n, &size, index);
  if (!p) Py_RETURN_NONE;
  return PyBytes_FromStringAndSize((const char *)p, (Py_ssize_t)size);
}

/** Finding @p index as (record, field, message), None when out of range. */
PyObject *hs_py_nist_finding(const hs_nist_findings *f, uint32_t index) {
  uint32_t record = 0, field = 0;
  const char *msg = hs_nist_finding(f, &record, &field, index);
  if (!msg) Py_RETURN_NONE;
  return Py_BuildValue("(IIs)", record, field, msg);
}

/** hs_nist_build_search with the fingers as a sequence of
 *  (image, position, quality) and the countries as str. Returns
 *  [status, transaction]. */
hs_status hs_py_nist_build_search(hs_ctx *ctx, hs_nist **out, const char *tot, const char *ori,
                                  const char *ori_name, const char *dai, const char *dai_name,
                                  uint64_t tcn_serial, int64_t when, PyObject *fingers,
                                  PyObject *face, const char *ori_country,
                                  const char *dai_country, const hs_template *minutiae) {
  hs_nist_finger f[14];
  Py_ssize_t i, nf = 0;
  Py_buffer vf;
  int face_ok = 0;
  hs_status s;
  hs_nist_build_options o = HS_NIST_BUILD_OPTIONS_INIT;
  *out = NULL;
  if (fingers != Py_None) {
    nf = PySequence_Size(fingers);
    if (nf < 0 || nf > 14) return HS_ERR_INVALID_ARG;
    for (i = 0; i < nf; i++) {
      PyObject *t = PySequence_GetItem(fingers, i), *img;
      void *p = NULL;
      unsigned pos = 0, q = 255;
      int ok = t && PyArg_ParseTuple(t, "OI|I", &img, &pos, &q) &&
               SWIG_IsOK(SWIG_ConvertPtr(img, &p, SWIGTYPE_p_hs_image, 0)) && p;
      Py_XDECREF(t);
      if (!ok) {
        PyErr_Clear();
        return HS_ERR_INVALID_ARG;
      }
      f[i].image = (const hs_image *)p;
      f[i].position = pos;
      f[i].quality = q;
    }
  }
  if (face != Py_None) {
    if (PyObject_GetBuffer(face, &vf, PyBUF_SIMPLE) != 0) {
      PyErr_Clear();
      return HS_ERR_INVALID_ARG;
    }
    face_ok = 1;
  }
  snprintf(o.ori_country, sizeof o.ori_country, "%s", ori_country ? ori_country : "");
  snprintf(o.dai_country, sizeof o.dai_country, "%s", dai_country ? dai_country : "");
  Py_BEGIN_ALLOW_THREADS
  s = hs_nist_build_search(ctx, out, tot, ori, ori_name, dai, dai_name, tcn_serial, when,
                           nf ? f : NULL, (uint32_t)nf, face_ok ? vf.buf : NULL,
                           face_ok ? (size_t)vf.len : 0, minutiae, &o);
  Py_END_ALLOW_THREADS
  if (face_ok) PyBuffer_Release(&vf);
  return s;
}

/** hs_nist_build_result_hit with the options as arguments (None or "" = not
 *  given). Returns [status, transaction]. */
hs_status hs_py_nist_build_result_hit(hs_ctx *ctx, hs_nist **out, const hs_nist *search,
                                      const hs_watchlist_result *result, uint32_t hit,
                                      uint64_t tcn_serial, int64_t when, uint32_t flags,
                                      const char *subject_country, const char *contact_phone,
                                      const char *contact_org, const char *contact_person,
                                      const char *contact_text) {
  hs_status s;
  hs_nist_build_options o = HS_NIST_BUILD_OPTIONS_INIT;
  *out = NULL;
  if (subject_country && strlen(subject_country) >= sizeof o.subject_country)
    return HS_ERR_INVALID_ARG;
  snprintf(o.subject_country, sizeof o.subject_country, "%s",
           subject_country ? subject_country : "");
  o.result_flags = flags;
  o.contact_phone = contact_phone && *contact_phone ? contact_phone : NULL;
  o.contact_org = contact_org && *contact_org ? contact_org : NULL;
  o.contact_person = contact_person && *contact_person ? contact_person : NULL;
  o.contact_text = contact_text && *contact_text ? contact_text : NULL;
  Py_BEGIN_ALLOW_THREADS
  s = hs_nist_build_result_hit(ctx, out, search, result, hit, tcn_serial, when, &o);
  Py_END_ALLOW_THREADS
  return s;
}

/** Face embedding @p index of a subject as bytes of float32 (None if absent). */
PyObject *hs_py_watchlist_subject_face(const hs_watchlist_subject *s, uint32_t index) {
  uint32_t dim = 0;
  const float *v = hs_watchlist_subject_face(s, &dim, NULL, index);
  if (!v) Py_RETURN_NONE;
  return PyBytes_FromStringAndSize((const char *)v, (Py_ssize_t)dim * 4);
}

/** Fields of a subject as a dict of str. */
PyObject *hs_py_watchlist_subject_fields(const hs_watchlist_subject *s) {
  PyObject *d = PyDict_New();
  uint32_t i, n = hs_watchlist_subject_field_count(s);
  if (!d) return NULL;
  for (i = 0; i < n; i++) {
    const char *k = NULL, *v = NULL;
    PyObject *pv;
    if (hs_watchlist_subject_field_at(s, &k, &v, i) != HS_OK || !k || !v) continue;
    pv = PyUnicode_FromString(v);
    if (!pv || PyDict_SetItemString(d, k, pv) != 0) { Py_XDECREF(pv); Py_DECREF(d); return NULL; }
    Py_DECREF(pv);
  }
  return d;
}

/* Pointer to a buffer of 8-bit samples holding rows of @p row_bytes bytes,
 * @p stride bytes apart: a contiguous buffer of at least
 * stride*(height-1)+row_bytes bytes, or a 2-D/3-D array whose first stride is
 * @p stride. The view stays acquired: the caller releases it. */
static const uint8_t *hs_py__rows(PyObject *obj, Py_buffer *view, uint32_t row_bytes,
                                  uint32_t height, uint32_t stride) {
  size_t need, span;
  if (PyObject_GetBuffer(obj, view, PyBUF_STRIDED_RO) != 0) return NULL;
  if (view->itemsize != 1) {
    PyErr_SetString(PyExc_TypeError, "pixels must be 8-bit (uint8) samples");
    goto fail;
  }
  if (height == 0 || row_bytes == 0 || stride < row_bytes) {
    PyErr_SetString(PyExc_ValueError, "bad image dimensions or stride");
    goto fail;
  }
  need = (size_t)stride * (height - 1) + row_bytes;
  if (view->ndim <= 1) {
    if (view->ndim == 1 && view->strides[0] != 1) {
      PyErr_SetString(PyExc_ValueError, "pixel buffer is not contiguous");
      goto fail;
    }
    span = (size_t)view->len;
  } else {
    Py_ssize_t inner = 1;
    int d;
    for (d = view->ndim - 1; d >= 1; d--) {
      if (view->strides[d] != inner) {
        PyErr_SetString(PyExc_ValueError, "pixel rows are not contiguous");
        goto fail;
      }
      inner *= view->shape[d];
    }
    if (view->strides[0] != (Py_ssize_t)stride || (size_t)inner != row_bytes ||
        view->shape[0] != (Py_ssize_t)height) {
      PyErr_SetString(PyExc_ValueError, "array shape or strides disagree with width/height/stride");
      goto fail;
    }
    span = need;
  }
  if (span < need) {
    PyErr_Format(PyExc_ValueError, "pixel buffer holds %zu bytes, %zu needed", span, need);
    goto fail;
  }
  return (const uint8_t *)view->buf;
fail:
  PyBuffer_Release(view);
  return NULL;
}

/** Wrap 8-bit grey pixels held by a Python buffer without copying
 *  (hs_image_wrap). The caller must keep the buffer object alive and
 *  unchanged while the image lives: the Python class Image does. Returns
 *  [status, image]; raises ValueError/TypeError for a buffer that does not
 *  hold width x height pixels. */
hs_status hs_py_image_wrap(hs_ctx *ctx, hs_image **out, PyObject *pixels, uint32_t width,
                           uint32_t height, uint32_t stride, uint32_t ppi) {
  Py_buffer view;
  const uint8_t *p = hs_py__rows(pixels, &view, width, height, stride);
  hs_status s;
  if (!p) return HS_ERR_INVALID_ARG;
  s = hs_image_wrap(ctx, out, p, width, height, stride, ppi);
  PyBuffer_Release(&view);
  return s;
}

/** Copy interleaved 8-bit RGB pixels from a Python buffer into a new image
 *  (hs_image_from_rgb). Returns [status, image]. */
hs_status hs_py_image_from_rgb(hs_ctx *ctx, hs_image **out, PyObject *rgb, uint32_t width,
                               uint32_t height, uint32_t stride, uint32_t ppi) {
  Py_buffer view;
  const uint8_t *p;
  hs_status s;
  if (width > UINT32_MAX / 3) {
    PyErr_SetString(PyExc_ValueError, "image too wide");
    return HS_ERR_INVALID_ARG;
  }
  p = hs_py__rows(rgb, &view, width * 3, height, stride);
  if (!p) return HS_ERR_INVALID_ARG;
  s = hs_image_from_rgb(ctx, out, p, width, height, stride, ppi);
  PyBuffer_Release(&view);
  return s;
}
%}

/* ---- device keys, audit log, encrypted list ---------------------------------- */
%inline %{
static PyObject *hs_py__opt_str(const char *s) {
  if (s) return PyUnicode_FromString(s);
  Py_INCREF(Py_None);
  return Py_None;
}

/** hs_device_keygen: [status, sign public, sign secret, storage key]. */
PyObject *hs_py_device_keygen(void) {
  uint8_t pub[32], sec[64], key[32];
  hs_status s = hs_device_keygen(pub, sec, key);
  PyObject *r;
  if (s != HS_OK) return Py_BuildValue("(iOOO)", s, Py_None, Py_None, Py_None);
  r = Py_BuildValue("(iy#y#y#)", s, (const char *)pub, (Py_ssize_t)32, (const char *)sec,
                    (Py_ssize_t)64, (const char *)key, (Py_ssize_t)32);
  memset(sec, 0, sizeof sec);
  memset(key, 0, sizeof key);
  return r;
}

/** hs_device_sign_public: [status, public bytes or None]. */
PyObject *hs_py_device_sign_public(hs_ctx *ctx, PyObject *secret) {
  Py_buffer v;
  uint8_t pub[32];
  hs_status s;
  if (!hs_py__bytes(secret, &v, 64, 0, "signing secret key")) return NULL;
  s = hs_device_sign_public(ctx, pub, (const uint8_t *)v.buf);
  PyBuffer_Release(&v);
  if (s != HS_OK) return Py_BuildValue("(iO)", s, Py_None);
  return Py_BuildValue("(iy#)", s, (const char *)pub, (Py_ssize_t)32);
}

/** hs_device_key_load of @p size bytes: [status, bytes or None]. */
PyObject *hs_py_device_key_load(hs_ctx *ctx, const char *path, unsigned size, unsigned flags) {
  uint8_t key[64];
  hs_status s;
  PyObject *r;
  if (size > sizeof key) size = 0; /* refused by the library */
  Py_BEGIN_ALLOW_THREADS
  s = hs_device_key_load(ctx, key, size, path, flags);
  Py_END_ALLOW_THREADS
  if (s != HS_OK) return Py_BuildValue("(iO)", s, Py_None);
  r = Py_BuildValue("(iy#)", s, (const char *)key, (Py_ssize_t)size);
  memset(key, 0, sizeof key);
  return r;
}

/** hs_device_key_save with the key given as bytes. */
hs_status hs_py_device_key_save(hs_ctx *ctx, const char *path, PyObject *key, unsigned flags) {
  Py_buffer v;
  hs_status s;
  if (PyObject_GetBuffer(key, &v, PyBUF_SIMPLE) != 0) return HS_ERR_INVALID_ARG;
  Py_BEGIN_ALLOW_THREADS
  s = hs_device_key_save(ctx, path, (const uint8_t *)v.buf, (size_t)v.len, flags);
  Py_END_ALLOW_THREADS
  PyBuffer_Release(&v);
  return s;
}

/** hs_audit_open with the secret as bytes and the options as arguments.
 *  Returns [status, log]. */
hs_status hs_py_audit_open(hs_ctx *ctx, hs_audit **out, const char *dir, PyObject *secret,
                           unsigned flags, unsigned long long max_bytes) {
  Py_buffer v;
  hs_status s;
  hs_audit_options o = HS_AUDIT_OPTIONS_INIT;
  o.flags = flags;
  o.max_bytes = max_bytes;
  if (!hs_py__bytes(secret, &v, 64, 0, "signing secret key")) return HS_ERR_INVALID_ARG;
  Py_BEGIN_ALLOW_THREADS
  s = hs_audit_open(ctx, out, dir, (const uint8_t *)v.buf, &o);
  Py_END_ALLOW_THREADS
  PyBuffer_Release(&v);
  return s;
}

/** hs_audit_append with the entry's fields as arguments (None strings are
 *  absent). */
hs_status hs_py_audit_append(hs_ctx *ctx, hs_audit *log, unsigned event, long long time_ms,
                             const char *operator_id, const char *ref, int decision,
                             unsigned count, const char *detail) {
  hs_audit_entry e = HS_AUDIT_ENTRY_INIT;
  e.event = event;
  e.time_ms = time_ms;
  e.operator_id = operator_id;
  e.ref = ref;
  e.decision = decision;
  e.count = count;
  e.detail = detail;
  return hs_audit_append(ctx, log, &e);
}

static PyObject *hs_py__head(const hs_audit_head *h) {
  return Py_BuildValue("(Ky#y#L)", (unsigned long long)h->count, (const char *)h->log_id,
                       (Py_ssize_t)16, (const char *)h->last_hash, (Py_ssize_t)32,
                       (long long)h->time_ms);
}

/** hs_audit_head_get: [status, (count, log_id, last_hash, time_ms)]. */
PyObject *hs_py_audit_head(hs_ctx *ctx, const hs_audit *log) {
  hs_audit_head h = HS_AUDIT_HEAD_INIT;
  hs_status s = hs_audit_head_get(ctx, &h, log);
  if (s != HS_OK) return Py_BuildValue("(iO)", s, Py_None);
  return Py_BuildValue("(iN)", s, hs_py__head(&h));
}

/** hs_audit_verify: @p anchor None or (count, log_id, last_hash, time_ms).
 *  Returns [status, dict of hs_audit_verify_info] (filled on failure too). */
PyObject *hs_py_audit_verify(hs_ctx *ctx, PyObject *data, PyObject *pub, PyObject *anchor) {
  Py_buffer vd, vp;
  hs_audit_head a = HS_AUDIT_HEAD_INIT;
  hs_audit_verify_info info = HS_AUDIT_VERIFY_INFO_INIT;
  hs_status s;
  if (anchor != Py_None) {
    unsigned long long count;
    long long t;
    const char *id, *hash;
    Py_ssize_t idn, hn;
    if (!PyArg_ParseTuple(anchor, "Ky#y#L", &count, &id, &idn, &hash, &hn, &t)) return NULL;
    if (idn != 16 || hn != 32) {
      PyErr_SetString(PyExc_ValueError, "anchor: log_id must be 16 bytes, last_hash 32");
      return NULL;
    }
    a.count = count;
    memcpy(a.log_id, id, 16);
    memcpy(a.last_hash, hash, 32);
    a.time_ms = t;
  }
  if (PyObject_GetBuffer(data, &vd, PyBUF_SIMPLE) != 0) return NULL;
  if (!hs_py__bytes(pub, &vp, 32, 0, "device public key")) {
    PyBuffer_Release(&vd);
    return NULL;
  }
  Py_BEGIN_ALLOW_THREADS
  s = hs_audit_verify(ctx, &info, vd.buf, (size_t)vd.len, (const uint8_t *)vp.buf,
                      anchor != Py_None ? &a : NULL);
  Py_END_ALLOW_THREADS
  PyBuffer_Release(&vp);
  PyBuffer_Release(&vd);
  return Py_BuildValue("(i{s:O,s:K,s:K,s:L,s:L,s:K,s:N,s:y#})", s,
                       "exported", info.exported ? Py_True : Py_False,
                       "first_seq", (unsigned long long)info.first_seq,
                       "count", (unsigned long long)info.count,
                       "bad_index", info.bad_index == UINT64_MAX ? -1LL : (long long)info.bad_index,
                       "bad_offset", info.bad_offset == UINT64_MAX ? -1LL : (long long)info.bad_offset,
                       "torn_bytes", (unsigned long long)info.torn_bytes,
                       "head", hs_py__head(&info.head),
                       "key_public", (const char *)info.key_public, (Py_ssize_t)32);
}

/** hs_audit_view_entry: [status, dict or None]. */
PyObject *hs_py_audit_view_entry(hs_ctx *ctx, const hs_audit_view *view,
                                 unsigned long long index) {
  hs_audit_record r = HS_AUDIT_RECORD_INIT;
  hs_status s = hs_audit_view_entry(ctx, &r, view, index);
  if (s != HS_OK) return Py_BuildValue("(iO)", s, Py_None);
  return Py_BuildValue("(i{s:K,s:K,s:I,s:s,s:L,s:N,s:N,s:i,s:I,s:N,s:y#})", s,
                       "seq", (unsigned long long)r.seq, "offset", (unsigned long long)r.offset,
                       "event", (unsigned)r.event, "event_name", hs_audit_event_name(r.event),
                       "time_ms", (long long)r.time_ms,
                       "operator_id", hs_py__opt_str(r.operator_id),
                       "ref", hs_py__opt_str(r.ref), "decision", (int)r.decision,
                       "count", (unsigned)r.count, "detail", hs_py__opt_str(r.detail),
                       "hash", (const char *)r.hash, (Py_ssize_t)32);
}

/** hs_audit_view_ident: (log_id bytes, first_seq). */
PyObject *hs_py_audit_view_ident(const hs_audit_view *view) {
  uint8_t id[16] = {0};
  uint64_t first = 0;
  hs_audit_view_ident(view, id, &first);
  return Py_BuildValue("(y#K)", (const char *)id, (Py_ssize_t)16, (unsigned long long)first);
}

/** hs_watchlist_save_encrypted with the storage key as bytes. */
hs_status hs_py_watchlist_save_encrypted(hs_ctx *ctx, const char *path, const hs_watchlist *wl,
                                         PyObject *key) {
  Py_buffer v;
  hs_status s;
  if (!hs_py__bytes(key, &v, 32, 0, "storage key")) return HS_ERR_INVALID_ARG;
  Py_BEGIN_ALLOW_THREADS
  s = hs_watchlist_save_encrypted(ctx, path, wl, (const uint8_t *)v.buf, 0);
  Py_END_ALLOW_THREADS
  PyBuffer_Release(&v);
  return s;
}

/** hs_watchlist_load_encrypted with the storage key as bytes. Returns
 *  [status, watchlist]. */
hs_status hs_py_watchlist_load_encrypted(hs_ctx *ctx, hs_watchlist **out, const char *path,
                                         PyObject *key) {
  Py_buffer v;
  hs_status s;
  if (!hs_py__bytes(key, &v, 32, 0, "storage key")) return HS_ERR_INVALID_ARG;
  Py_BEGIN_ALLOW_THREADS
  s = hs_watchlist_load_encrypted(ctx, out, path, (const uint8_t *)v.buf);
  Py_END_ALLOW_THREADS
  PyBuffer_Release(&v);
  return s;
}

/** hs_watchlist_decode_encrypted with the data and key as bytes. Returns
 *  [status, watchlist]. */
hs_status hs_py_watchlist_decode_encrypted(hs_ctx *ctx, hs_watchlist **out, PyObject *data,
                                           PyObject *key) {
  Py_buffer vd, v;
  hs_status s;
  if (PyObject_GetBuffer(data, &vd, PyBUF_SIMPLE) != 0) return HS_ERR_INVALID_ARG;
  if (!hs_py__bytes(key, &v, 32, 0, "storage key")) {
    PyBuffer_Release(&vd);
    return HS_ERR_INVALID_ARG;
  }
  Py_BEGIN_ALLOW_THREADS
  s = hs_watchlist_decode_encrypted(ctx, out, vd.buf, (size_t)vd.len, (const uint8_t *)v.buf);
  Py_END_ALLOW_THREADS
  PyBuffer_Release(&v);
  PyBuffer_Release(&vd);
  return s;
}
%}
