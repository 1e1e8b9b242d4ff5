"""libhotspot for Python: fingerprint and face screening.

The classes wrap the C library (``hotspot.capi`` is the C API one to one):

* :class:`Image` - a decoded picture (PNG, JPEG, TIFF, PNM, BMP) or a numpy
  array / buffer wrapped without a copy.
* :class:`FingerTemplate` - minutiae of one or more finger views.
* :class:`PreparedFinger` - one view made ready for fast matching.
* :class:`Extractor` - fingerprint image -> minutiae template.
* :class:`Matcher` - 1:1 comparison of prepared fingers, fusion.
* :class:`Watchlist` - subjects (fingers, faces, fields) searched 1:N.
* :class:`FaceEngine` - face detection and embeddings (OpenCV builds).
* :class:`Synth` - synthetic fingerprints for tests and demos.

Conventions:

* Every failure raises :class:`Error` (``.status`` is the C status code,
  ``.message`` the library's detailed message); using a closed object raises
  :class:`ClosedError`; a wrong argument type raises :class:`TypeError`.
* Objects holding C memory are context managers; ``close()`` frees them at
  once (the garbage collector does it otherwise). Biometric data is wiped by
  the C library when freed.
* Inputs take ``bytes``, ``bytearray``, ``memoryview`` or numpy arrays
  through the buffer protocol; outputs are numpy arrays or ``bytes``.
* Long calls release the GIL, so Python threads run them in parallel. Each
  Python thread gets its own C context (errors, limits) automatically.
  Images, templates, prepared fingers and watchlists may be shared by
  threads; an Extractor, Matcher or FaceEngine serialises calls made on it
  from several threads, so keep one per thread for parallelism. See
  docs/python.md.
"""

import collections
import os
import threading

import numpy as np

from . import capi

__all__ = ["Error", "ClosedError", "Image", "FingerTemplate", "PreparedFinger", "Extractor",
           "Transaction",
           "Matcher", "compare", "threshold_for_fmr", "set_limit", "get_limit",
           "limit_bounds", "status_str", "MINUTIA_DTYPE", "__version__", "eval_rates",
           "eval_threshold_for_fmr", "eval_det", "EvalRates", "EvalPoint", "EVAL_POINT_DTYPE"]

#: Version of the C library actually loaded, e.g. ``"1.0.0"``.
__version__ = capi.hs_version_string()
#: The same as a tuple of ints.
version_info = tuple(int(p) for p in __version__.split("."))

# C constants without their HS_ prefix: ERR_IO, FINGER_RIGHT_INDEX, ...
for _name in dir(capi):
    if _name.startswith("HS_") and isinstance(getattr(capi, _name), int):
        globals()[_name[3:]] = getattr(capi, _name)
        __all__.append(_name[3:])
del _name

#: numpy dtype of one minutia: the C ``hs_minutia`` record (16 bytes).
#: x, y in pixels of the source image (y down); angle in radians in
#: [0, 2*pi), counter-clockwise; type MINUTIA_ENDING / MINUTIA_BIFURCATION /
#: MINUTIA_OTHER; quality 0-100.
MINUTIA_DTYPE = np.dtype([("x", "=f4"), ("y", "=f4"), ("angle", "=f4"),
                          ("type", "u1"), ("quality", "u1"), ("reserved", "u1", (2,))])
assert MINUTIA_DTYPE.itemsize == 16


def _c(name):
    """The C function ``name``, or a stand-in raising Error(ERR_NOT_BUILT)
    when this build of the library does not have it yet."""
    fn = getattr(capi, name, None)
    if fn is None:
        def missing(*args, **kwargs):
            raise Error(capi.HS_ERR_NOT_BUILT, "%s is not in this build of libhotspot" % name)
        missing.__name__ = name
        return missing
    return fn


def _cdoc(*cnames):
    """Append the C documentation of the wrapped functions to a docstring."""
    def deco(fn):
        parts = [fn.__doc__ or ""]
        for n in cnames:
            cd = getattr(getattr(capi, n, None), "__doc__", None)
            if cd:
                parts.append("C function %s:\n%s" % (n, cd.strip()))
        fn.__doc__ = "\n\n".join(parts)
        return fn
    return deco


# ---- errors ---------------------------------------------------------------

class Error(Exception):
    """A libhotspot call failed.

    Attributes: ``status`` (negative C status code, compare with the
    ``ERR_*`` constants), ``name`` (hs_status_str text) and ``message`` (the
    detailed message from hs_ctx_last_error, may be empty).
    """

    def __init__(self, status, message=""):
        self.status = int(status)
        self.name = _c("hs_status_str")(self.status)
        self.message = message or ""
        text = self.name + (": " + self.message if self.message else "")
        super().__init__("%s [status %d]" % (text, self.status))


class ClosedError(Error, ValueError):
    """The object was closed; status is ERR_STATE."""

    def __init__(self, what):
        super().__init__(capi.HS_ERR_STATE, "%s is closed" % what)


def status_str(status):
    """Static English text of a status code (hs_status_str)."""
    return _c("hs_status_str")(int(status))


# ---- per-thread context -----------------------------------------------------

class _Ctx:
    """An hs_ctx owned by one Python thread."""
    __slots__ = ("h", "gen")

    def __init__(self):
        s, h = _c("hs_ctx_new")()
        if s != 0:
            raise Error(s, "cannot create a context")
        self.h = h
        self.gen = -1

    def __del__(self):
        try:
            _c("hs_ctx_free")(self.h)
        except Exception:  # interpreter shutdown
            pass


_tls = threading.local()
_limits = {}            # key -> value set through set_limit()
_limits_gen = 0
_limits_lock = threading.Lock()


def _ctx():
    """The calling thread's hs_ctx, with the module's limits applied."""
    c = getattr(_tls, "ctx", None)
    if c is None:
        c = _tls.ctx = _Ctx()
    if c.gen != _limits_gen:
        with _limits_lock:
            for k, v in _limits.items():
                _c("hs_ctx_set_limit")(c.h, k, v)
            c.gen = _limits_gen
    return c.h


def _text(value, what):
    """``value`` as str for a C string argument: a NUL inside would end the
    C string early, so that "P-1\\0x" silently became "P-1"; refuse it."""
    value = str(value)
    if "\0" in value:
        raise Error(capi.HS_ERR_INVALID_ARG, "%s holds a NUL character" % what)
    return value


def _check(status, ctx=None, message=""):
    if status < 0:
        msg = _c("hs_ctx_last_error")(ctx) if ctx is not None else ""
        raise Error(status, msg or message)
    return status


def set_limit(key, value):
    """Set an input limit (``LIMIT_*``) for every thread's calls from now on.

    Raises Error(ERR_INVALID_ARG) for an unknown key or a value outside
    :func:`limit_bounds`."""
    global _limits_gen
    key, value = int(key), int(value)
    lo, hi = limit_bounds(key)
    if not lo <= value <= hi:
        raise Error(capi.HS_ERR_INVALID_ARG,
                    "limit %d: %d outside [%d, %d]" % (key, value, lo, hi))
    with _limits_lock:
        _limits[key] = value
        _limits_gen += 1


def get_limit(key):
    """Current value of an input limit (``LIMIT_*``) for this thread."""
    s, v = _c("hs_ctx_get_limit")(_ctx(), int(key))
    _check(s, message="unknown limit key %r" % (key,))
    return v


@_cdoc("hs_limit_bounds")
def limit_bounds(key):
    """(min, max) allowed for an input limit (``LIMIT_*``)."""
    s, lo, hi = _c("hs_limit_bounds")(int(key))
    known = sorted(n for n in dir(capi) if n.startswith("HS_LIMIT_"))
    _check(s, message="unknown limit key %r (known: %s)"
           % (key, ", ".join(n[3:] for n in known)))
    return lo, hi


def _path(path):
    if isinstance(path, bytes):
        return os.fsdecode(path)
    if isinstance(path, (str, os.PathLike)):
        return os.fsdecode(os.fspath(path))
    raise TypeError("expected a path (str, bytes or os.PathLike), got %s"
                    % type(path).__name__)


def _buffer(obj, what):
    """A C-contiguous memoryview of obj (bytes-like or array), no copy when
    the object allows it."""
    if isinstance(obj, str):
        raise TypeError("%s: expected a bytes-like object or array, got str" % what)
    try:
        mv = memoryview(obj)
    except TypeError:
        raise TypeError("%s: expected a bytes-like object or array, got %s"
                        % (what, type(obj).__name__)) from None
    if not mv.c_contiguous:
        mv = memoryview(np.ascontiguousarray(obj))
    return mv


# ---- base of the handle classes ---------------------------------------------------

class _Handle:
    """Owns one C object. Calls borrow the handle: ``with self._use as h``
    for reads (any number of threads at once), ``with self._write as h`` for
    changes (alone), so that close() from another thread can never free the
    object under a running call. Exclusive objects (scratch space: extractor,
    matcher) serialise every call."""

    _free = None          # capi function freeing the handle
    _exclusive = False    # C object used by one thread at a time

    def __init__(self, h, keep=None):
        self._h = h
        self._keep = keep                 # Python objects the C object points into
        self._cond = threading.Condition(threading.Lock())
        self._busy = 0                    # readers inside a call
        self._writing = False
        self._wwait = 0                   # writers waiting: new readers queue behind them
        self._mutex = threading.RLock() if self._exclusive else None
        self._use = _Use(self)
        self._write = _Write(self)

    @classmethod
    def _adopt(cls, h, keep=None):
        obj = cls.__new__(cls)
        _Handle.__init__(obj, h, keep)
        return obj

    @property
    def closed(self):
        """True once close() was called."""
        return self._h is None

    def close(self):
        """Free the C object now (its biometric content is wiped). Calling it
        again does nothing. Raises Error(ERR_STATE) while another thread is
        using the object."""
        with self._cond:
            if self._busy or self._writing:
                raise Error(capi.HS_ERR_STATE,
                            "%s is in use by another thread" % type(self).__name__)
            h, self._h = self._h, None
            self._keep = None
        if h is not None:
            type(self)._free(h)

    def __enter__(self):
        if self._h is None:
            raise ClosedError(type(self).__name__)
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        try:
            h = self.__dict__.get("_h")
            if h is not None:
                self._h = None
                type(self)._free(h)
        except Exception:
            pass

    def __getstate__(self):
        raise TypeError("%s objects cannot be pickled; use encode()" % type(self).__name__)


class _Use:
    """Shared borrow of a handle (see _Handle)."""
    __slots__ = ("o",)

    def __init__(self, o):
        self.o = o

    def __enter__(self):
        o = self.o
        if o._mutex is not None:
            o._mutex.acquire()
        try:
            with o._cond:
                # Writer preference, like the C watchlist's lock: a stream of
                # searches starved an add (4 adds in 32 s) when readers could
                # always join the ones running.
                while o._writing or o._wwait:
                    o._cond.wait()
                if o._h is None:
                    raise ClosedError(type(o).__name__)
                o._busy += 1
                return o._h
        except BaseException:
            if o._mutex is not None:
                o._mutex.release()
            raise

    def __exit__(self, *exc):
        o = self.o
        with o._cond:
            o._busy -= 1
            if not o._busy:
                o._cond.notify_all()
        if o._mutex is not None:
            o._mutex.release()


class _Write:
    """Exclusive borrow of a handle, for calls that modify the C object."""
    __slots__ = ("o",)

    def __init__(self, o):
        self.o = o

    def __enter__(self):
        o = self.o
        with o._cond:
            o._wwait += 1
            try:
                while o._writing or o._busy:
                    o._cond.wait()
            finally:
                o._wwait -= 1
            if o._h is None:
                o._cond.notify_all()
                raise ClosedError(type(o).__name__)
            o._writing = True
            return o._h

    def __exit__(self, *exc):
        o = self.o
        with o._cond:
            o._writing = False
            o._cond.notify_all()


def _handle_of(obj, cls, what):
    if not isinstance(obj, cls):
        raise TypeError("%s: expected %s, got %s" % (what, cls.__name__, type(obj).__name__))
    return obj


# ---- images ---------------------------------------------------------------------

def _decode_flags(keep_color, restore_wsq):
    return ((capi.HS_IMAGE_KEEP_COLOR if keep_color else 0)
            | (capi.HS_IMAGE_WSQ_RESTORE if restore_wsq else 0))


class Image(_Handle):
    """A decoded 8-bit grey image (optionally with an RGB copy) and its
    resolution in pixels per inch (0 = unknown).

    Create one with :meth:`load`, :meth:`decode`, :meth:`from_array`,
    :meth:`from_buffer` or ``Image(width, height, ppi=0, fill=255)``.
    ``numpy.asarray(image)`` gives the grey pixels (a copy)."""

    _free = _c("hs_image_free")

    @_cdoc("hs_image_new")
    def __init__(self, width, height, ppi=0, fill=255):
        """A new image of width x height pixels, all set to ``fill``."""
        ctx = _ctx()
        s, h = _c("hs_image_new")(ctx, int(width), int(height), int(ppi), int(fill))
        _check(s, ctx)
        super().__init__(h)

    @classmethod
    @_cdoc("hs_image_load")
    def load(cls, path, keep_color=False, restore_wsq=False):
        """Decode an image file (format detected from its content).
        ``keep_color=True`` also keeps the RGB pixels of colour sources;
        ``restore_wsq=True`` restores WSQ files below 0.75 bit/pixel for
        fingerprint extraction (HS_IMAGE_WSQ_RESTORE, since 1.1)."""
        p = _path(path)
        ctx = _ctx()
        s, h = _c("hs_image_load")(ctx, p, _decode_flags(keep_color, restore_wsq))
        _check(s, ctx)
        return cls._adopt(h)

    @classmethod
    @_cdoc("hs_image_decode")
    def decode(cls, data, keep_color=False, restore_wsq=False):
        """Decode an image file held in memory (bytes-like); not kept.
        The keywords as for load()."""
        mv = _buffer(data, "Image.decode")
        ctx = _ctx()
        s, h = _c("hs_image_decode")(ctx, mv, _decode_flags(keep_color, restore_wsq))
        _check(s, ctx)
        return cls._adopt(h)

    @classmethod
    def from_array(cls, array, ppi=0):
        """An image from a 2-D uint8 array (grey, wrapped without a copy when
        its rows are contiguous: keep it unchanged while the image lives) or a
        3-D (height, width, 3) uint8 array (RGB, copied; grey computed with
        ITU-R BT.601)."""
        if isinstance(array, (str, bytes)):
            raise TypeError("Image.from_array: expected a 2-D or 3-D array; "
                            "use Image.decode for file contents")
        try:
            mv = memoryview(array)
        except TypeError:
            mv = None
        if mv is None or mv.ndim not in (2, 3):
            a = np.asarray(array)
            if a.ndim not in (2, 3):
                raise TypeError("Image.from_array: expected a 2-D or 3-D array, got %r"
                                % (type(array).__name__,))
            mv = memoryview(np.ascontiguousarray(a))
        if mv.itemsize != 1 or mv.format not in ("B", "c", "<B", "=B", "|B"):
            raise TypeError("Image.from_array: pixels must be uint8, got format %r" % mv.format)
        if mv.ndim == 3 and mv.shape[2] != 3:
            raise ValueError("Image.from_array: a 3-D array must be (height, width, 3)")
        inner_ok = all(mv.strides[d] == (1 if d == mv.ndim - 1 else mv.shape[d + 1] * mv.strides[d + 1])
                       for d in range(1, mv.ndim))
        if not inner_ok or mv.strides[0] <= 0:
            mv = memoryview(np.ascontiguousarray(np.asarray(mv)))
        height, width = mv.shape[0], mv.shape[1]
        ctx = _ctx()
        if mv.ndim == 2:
            s, h = _c("hs_py_image_wrap")(ctx, mv, width, height, mv.strides[0], int(ppi))
            _check(s, ctx)
            return cls._adopt(h, keep=mv)
        s, h = _c("hs_py_image_from_rgb")(ctx, mv, width, height, mv.strides[0], int(ppi))
        _check(s, ctx)
        return cls._adopt(h)

    @classmethod
    @_cdoc("hs_py_image_wrap")
    def from_buffer(cls, buffer, width, height, stride=None, ppi=0):
        """Wrap raw 8-bit grey pixels (rows ``stride`` bytes apart, default
        ``width``) without a copy; the buffer must stay unchanged while the
        image lives (the image keeps a reference to it)."""
        mv = _buffer(buffer, "Image.from_buffer").cast("B")
        stride = int(width) if stride is None else int(stride)
        ctx = _ctx()
        s, h = _c("hs_py_image_wrap")(ctx, mv, int(width), int(height), stride, int(ppi))
        _check(s, ctx)
        return cls._adopt(h, keep=mv)

    @property
    def width(self):
        """Width in pixels."""
        with self._use as h:
            return _c("hs_image_width")(h)

    @property
    def height(self):
        """Height in pixels."""
        with self._use as h:
            return _c("hs_image_height")(h)

    @property
    def shape(self):
        """(height, width), as numpy orders it."""
        with self._use as h:
            return _c("hs_image_height")(h), _c("hs_image_width")(h)

    @property
    def ppi(self):
        """Resolution in pixels per inch (0 = unknown); settable (0..10000)."""
        with self._use as h:
            return _c("hs_image_ppi")(h)

    @ppi.setter
    def ppi(self, value):
        with self._write as h:
            _check(_c("hs_image_set_ppi")(h, int(value)),
                   message="ppi %r outside the allowed range 0..10000 (0 = unknown)" % (value,))

    @property
    def info(self):
        """Dict: width, height, ppi, format (name), color, bits_per_sample,
        has_rgb."""
        with self._use as h:
            s, i = _c("hs_image_get_info")(h)
            _check(s)
            return {"width": i.width, "height": i.height, "ppi": i.ppi,
                    "format": _c("hs_image_format_name")(i.format), "color": i.color,
                    "bits_per_sample": i.bits_per_sample, "has_rgb": bool(i.has_rgb)}

    @property
    def pixels(self):
        """Grey pixels as a new (height, width) uint8 numpy array."""
        with self._use as h:
            b = _c("hs_py_image_pixels")(h)
            shape = _c("hs_image_height")(h), _c("hs_image_width")(h)
        return np.frombuffer(b, dtype=np.uint8).reshape(shape).copy()

    @property
    def rgb(self):
        """RGB pixels as a new (height, width, 3) uint8 array, or None when
        the image was not loaded with ``keep_color=True`` or is grey."""
        with self._use as h:
            b = _c("hs_py_image_rgb")(h)
            shape = _c("hs_image_height")(h), _c("hs_image_width")(h), 3
        if b is None:
            return None
        return np.frombuffer(b, dtype=np.uint8).reshape(shape).copy()

    def __array__(self, dtype=None, copy=None):
        a = self.pixels
        return a if dtype is None else a.astype(dtype)

    _FORMATS = {"png": 1, "jpeg": 2, "jpg": 2, "pnm": 4, "pgm": 4, "bmp": 5, "wsq": 6,
                "jp2": 7}

    @staticmethod
    def _encode_options(bitrate, lossless, ratio, quality):
        opt = capi.hs_image_encode_options()
        if bitrate is not None:
            opt.wsq_bitrate = float(bitrate)
        if lossless is not None:
            opt.jp2_lossless = 1 if lossless else 0
        if ratio is not None:
            opt.jp2_ratio = float(ratio)
            if lossless is None:
                opt.jp2_lossless = 0
        if quality is not None:
            opt.jpeg_quality = int(quality)
        return opt

    @classmethod
    def _format(cls, fmt):
        if fmt is None:
            return 0
        if isinstance(fmt, int):
            return fmt
        try:
            return cls._FORMATS[str(fmt).lower().lstrip(".")]
        except KeyError:
            raise ValueError("unknown image format %r (one of %s)"
                             % (fmt, ", ".join(sorted(cls._FORMATS)))) from None

    @_cdoc("hs_image_encode")
    def encode(self, format="png", bitrate=None, lossless=None, ratio=None, quality=None):
        """The grey plane encoded as ``format`` ("png", "wsq", "jp2", "jpeg",
        "pgm", "bmp"), as bytes. ``bitrate``: WSQ bits per pixel (default
        0.75); ``lossless``/``ratio``: JPEG 2000 reversible coding or a lossy
        compression ratio; ``quality``: JPEG quality."""
        fmt = self._format(format)
        if fmt == 0:
            raise ValueError("encode needs a format")
        opt = self._encode_options(bitrate, lossless, ratio, quality)
        ctx = _ctx()
        with self._use as h:
            s, n = _c("hs_image_encode")(ctx, None, h, fmt, opt)
            _check(s, ctx)
            buf = bytearray(n)
            s, n = _c("hs_image_encode")(ctx, buf, h, fmt, opt)
            _check(s, ctx)
        return bytes(buf[:n])

    @_cdoc("hs_image_save")
    def save(self, path, format=None, bitrate=None, lossless=None, ratio=None, quality=None):
        """Write the grey plane to ``path`` (atomically); the format comes from
        the extension (.png .wsq .jp2 .j2k .jpg .pgm .bmp) unless given."""
        p = _path(path)
        opt = self._encode_options(bitrate, lossless, ratio, quality)
        ctx = _ctx()
        with self._use as h:
            _check(_c("hs_image_save")(ctx, p, h, self._format(format), opt), ctx)

    def __repr__(self):
        if self._h is None:
            return "<hotspot.Image closed>"
        i = self.info
        src = " from %s" % i["format"] if i["format"] not in ("", "none", "memory", None) else ""
        ppi = "%d ppi" % i["ppi"] if i["ppi"] else "ppi unknown"
        return "<hotspot.Image %dx%d grey%s, %s%s>" % (
            i["width"], i["height"], "+rgb" if i["has_rgb"] else "", ppi, src)


def _as_image(obj, what):
    """Image from an Image, a path or a 2-D/3-D array; second value says
    whether the caller must close it."""
    if isinstance(obj, Image):
        return obj, False
    if isinstance(obj, (str, bytes, os.PathLike)):
        return Image.load(obj), True
    try:
        return Image.from_array(obj), True
    except TypeError:
        raise TypeError("%s: expected an Image, a path or a uint8 array, got %s"
                        % (what, type(obj).__name__)) from None


# ---- finger templates -------------------------------------------------------------

def _minutiae_array(minutiae):
    """Minutiae given as a MINUTIA_DTYPE array, 16-byte records, or rows of
    (x, y, angle, type, quality) -> contiguous MINUTIA_DTYPE array."""
    if isinstance(minutiae, np.ndarray) and minutiae.dtype.names:
        a = np.zeros(minutiae.shape[0], MINUTIA_DTYPE)
        for f in ("x", "y", "angle", "type", "quality"):
            if f in minutiae.dtype.names:
                a[f] = minutiae[f]
        return a
    if isinstance(minutiae, (bytes, bytearray, memoryview)):
        mv = memoryview(minutiae).cast("B")
        if len(mv) % 16:
            raise ValueError("minutiae: %d bytes is not a whole number of 16-byte records"
                             % len(mv))
        return np.frombuffer(mv, MINUTIA_DTYPE)
    rows = list(minutiae)
    a = np.zeros(len(rows), MINUTIA_DTYPE)
    for i, r in enumerate(rows):
        r = tuple(r)
        if len(r) not in (4, 5):
            raise ValueError("minutia %d: expected (x, y, angle, type[, quality])" % i)
        a[i] = (r[0], r[1], r[2], r[3], r[4] if len(r) == 5 else 0, (0, 0))
    return a


def _template_format(fmt):
    if isinstance(fmt, str):
        v = _c("hs_template_format_from_name")(fmt)
        if v == 0:
            raise Error(capi.HS_ERR_INVALID_ARG, "unknown template format %r" % fmt)
        return v
    if isinstance(fmt, int):
        return fmt
    raise TypeError("template format: expected a name or TEMPLATE_FORMAT_* value, got %s"
                    % type(fmt).__name__)


class FingerTemplate(_Handle):
    """Minutiae of one or more finger views (as in an ISO/IEC 19794-2
    record). ``FingerTemplate()`` is empty; fill it with :meth:`add_view`
    (or get one from an extractor or a file)."""

    _free = _c("hs_template_free")
    #: Format name the template was decoded from (None when built in memory).
    source_format = None

    @_cdoc("hs_template_new")
    def __init__(self):
        ctx = _ctx()
        s, h = _c("hs_template_new")(ctx)
        _check(s, ctx)
        super().__init__(h)

    @_cdoc("hs_template_add_view")
    def add_view(self, minutiae, width, height, ppi=500, finger=0, view_number=0,
                 impression=0, quality=0, ppi_y=None):
        """Append a view: ``minutiae`` as a MINUTIA_DTYPE array, bytes of
        16-byte records, or rows (x, y, angle, type[, quality]); the image
        size and resolution; ISO finger position (FINGER_*), view number,
        impression type (IMPRESSION_*) and quality 0-100."""
        a = _minutiae_array(minutiae)
        info = _c("hs_view_info")()
        info.width, info.height = int(width), int(height)
        info.ppi_x = int(ppi)
        info.ppi_y = int(ppi if ppi_y is None else ppi_y)
        info.finger_position, info.view_number = int(finger), int(view_number)
        info.impression_type, info.quality = int(impression), int(quality)
        ctx = _ctx()
        with self._write as h:
            _check(_c("hs_template_add_view")(ctx, h, info, memoryview(a).cast("B")), ctx)
        return self

    @_cdoc("hs_template_copy_view")
    def copy_view(self, src, view=0, finger=None):
        """Append a copy of view ``view`` of the FingerTemplate ``src`` with
        its extended data (our extractor's ridge orientation field, which the
        matcher and the watchlist use), with ISO finger position ``finger``
        when given (since 1.1). ``add_view`` with the source's minutiae would
        lose the field."""
        _handle_of(src, FingerTemplate, "FingerTemplate.copy_view")
        if src is self:
            raise Error(capi.HS_ERR_INVALID_ARG, "copy_view: src is this template")
        ctx = _ctx()
        with src._use as sh:
            info = None
            if finger is not None:
                s, info = _c("hs_template_view_info")(sh, int(view))
                if s < 0:
                    raise Error(s, "view %d of a template with %d views"
                                % (view, _c("hs_template_view_count")(sh)))
                info.finger_position = int(finger)
            with self._write as h:
                _check(_c("hs_template_copy_view")(ctx, h, sh, int(view), info), ctx)
        return self

    def remove_view(self, view):
        """Remove view number ``view`` (Error ERR_NOT_FOUND if absent)."""
        with self._write as h:
            _check(_c("hs_template_remove_view")(h, int(view)))

    def __len__(self):
        with self._use as h:
            return _c("hs_template_view_count")(h)

    @property
    def view_count(self):
        """Number of finger views."""
        return len(self)

    @_cdoc("hs_template_view_info")
    def view(self, view=0):
        """Dict describing view ``view``: width, height, ppi_x, ppi_y, finger,
        view_number, impression, quality, minutia_count."""
        with self._use as h:
            s, i = _c("hs_template_view_info")(h, int(view))
            if s < 0:
                raise Error(s, "view %d of a template with %d views"
                            % (view, _c("hs_template_view_count")(h)))
        return {"width": i.width, "height": i.height, "ppi_x": i.ppi_x, "ppi_y": i.ppi_y,
                "finger": i.finger_position, "view_number": i.view_number,
                "impression": i.impression_type, "quality": i.quality,
                "minutia_count": i.minutia_count}

    @property
    def views(self):
        """List of :meth:`view` dicts."""
        return [self.view(i) for i in range(len(self))]

    def minutiae(self, view=0):
        """Minutiae of view ``view`` as a new MINUTIA_DTYPE numpy array."""
        with self._use as h:
            if not 0 <= int(view) < _c("hs_template_view_count")(h):
                raise Error(capi.HS_ERR_NOT_FOUND, "no view %d" % view)
            b = _c("hs_py_template_minutiae")(h, int(view))
        return np.frombuffer(b, MINUTIA_DTYPE).copy()

    @_cdoc("hs_template_clone")
    def copy(self):
        """A deep copy."""
        ctx = _ctx()
        with self._use as h:
            s, c = _c("hs_template_clone")(ctx, h)
            _check(s, ctx)
        return FingerTemplate._adopt(c)

    __copy__ = copy

    @classmethod
    @_cdoc("hs_template_decode")
    def decode(cls, data):
        """Decode a template record (native .hst, ISO/IEC 19794-2, ANSI/INCITS
        378; detected by content). The format found is in ``source_format``."""
        mv = _buffer(data, "FingerTemplate.decode")
        ctx = _ctx()
        s, h, fmt = _c("hs_template_decode")(ctx, mv)
        _check(s, ctx)
        t = cls._adopt(h)
        t.source_format = _c("hs_template_format_name")(fmt)
        return t

    @classmethod
    @_cdoc("hs_template_load")
    def load(cls, path):
        """Read a template file (any format :meth:`decode` knows)."""
        p = _path(path)
        ctx = _ctx()
        s, h, fmt = _c("hs_template_load")(ctx, p)
        _check(s, ctx)
        t = cls._adopt(h)
        t.source_format = _c("hs_template_format_name")(fmt)
        return t

    @_cdoc("hs_template_encode")
    def encode(self, format="hst"):
        """The template as bytes in ``format``: a TEMPLATE_FORMAT_* value or a
        name ("hst", "iso19794-2", "ansi378", "ansi378-2009")."""
        fmt = _template_format(format)
        ctx = _ctx()
        with self._use as h:
            s, n = _c("hs_template_encode")(ctx, None, h, fmt)
            _check(s, ctx)
            buf = bytearray(n)
            s, n = _c("hs_template_encode")(ctx, buf, h, fmt)
            _check(s, ctx)
        return bytes(buf[:n])

    @_cdoc("hs_template_save")
    def save(self, path, format="hst"):
        """Write the template to ``path`` in ``format`` (atomically)."""
        fmt = _template_format(format)
        p = _path(path)
        ctx = _ctx()
        with self._use as h:
            _check(_c("hs_template_save")(ctx, p, h, fmt), ctx)

    def prepare(self, view=0):
        """Prepare view ``view`` for matching (:class:`PreparedFinger`)."""
        return PreparedFinger(self, view)

    def __repr__(self):
        if self._h is None:
            return "<hotspot.FingerTemplate closed>"
        v = self.views
        return "<hotspot.FingerTemplate %d view%s, %d minutiae%s>" % (
            len(v), "" if len(v) == 1 else "s", sum(x["minutia_count"] for x in v),
            (", finger %d" % v[0]["finger"]) if len(v) == 1 and v[0]["finger"] else "")


# ---- extraction -------------------------------------------------------------------

class Extractor(_Handle):
    """Fingerprint minutiae extractor: ``Extractor(max_minutiae=64)``, then
    :meth:`extract`. Parameters (also set()/get()): ``default_ppi`` (assumed
    when an image's resolution is unknown), ``ppi`` (forced resolution, 0 =
    the image's own), ``max_minutiae``, ``min_quality``.

    An extractor keeps scratch memory: calls on one extractor from several
    threads are serialised; use one per thread to extract in parallel (the
    GIL is released during extraction)."""

    _free = _c("hs_finger_extractor_free")
    _exclusive = True
    _keys = {"default_ppi": getattr(capi, "HS_FINGER_PARAM_DEFAULT_PPI", 1),
             "ppi": getattr(capi, "HS_FINGER_PARAM_PPI", 2),
             "max_minutiae": getattr(capi, "HS_FINGER_PARAM_MAX_MINUTIAE", 3),
             "min_quality": getattr(capi, "HS_FINGER_PARAM_MIN_QUALITY", 4)}

    @_cdoc("hs_finger_extractor_new")
    def __init__(self, **params):
        ctx = _ctx()
        s, h = _c("hs_finger_extractor_new")(ctx)
        _check(s, ctx)
        super().__init__(h)
        for k, v in params.items():
            if k not in self._keys:
                self.close()
                raise TypeError("Extractor: unknown parameter %r (known: %s)"
                                % (k, ", ".join(sorted(self._keys))))
            self.set(k, v)

    @_cdoc("hs_finger_extractor_set")
    def set(self, key, value):
        """Set a parameter (its name or a FINGER_PARAM_* key)."""
        key = self._keys.get(key, key)
        with self._use as h:
            s = _c("hs_finger_extractor_set")(h, int(key), int(value))
        if s < 0:
            s2, lo, hi = _c("hs_finger_param_bounds")(int(key))
            raise Error(s, "extractor parameter %r = %r" % (key, value)
                        + (" (allowed %d..%d)" % (lo, hi) if s2 == 0 else ""))

    def get(self, key):
        """Current value of a parameter (its name or a FINGER_PARAM_* key)."""
        key = self._keys.get(key, key)
        with self._use as h:
            s, v = _c("hs_finger_extractor_get")(h, int(key))
        _check(s, message="unknown extractor parameter %r" % (key,))
        return v

    @_cdoc("hs_finger_extract")
    def extract(self, image):
        """Minutiae of the fingerprint in ``image`` (an Image, a path, or a
        2-D uint8 array) as a new :class:`FingerTemplate`. Raises
        Error(ERR_NO_FINGERPRINT) when no ridge area is found."""
        img, temp = _as_image(image, "Extractor.extract")
        ctx = _ctx()
        try:
            with self._use as h, img._use as ih:
                s, t = _c("hs_finger_extract")(ctx, h, ih)
                _check(s, ctx)
            return FingerTemplate._adopt(t)
        finally:
            if temp:
                img.close()

    def __repr__(self):
        if self._h is None:
            return "<hotspot.Extractor closed>"
        return "<hotspot.Extractor %s>" % " ".join(
            "%s=%d" % (k, self.get(k)) for k in sorted(self._keys))


# ---- matching ---------------------------------------------------------------------------

class PreparedFinger(_Handle):
    """One finger view prepared for matching (immutable; may be shared by
    threads). Build it from a template, or :meth:`decode` a stored one."""

    _free = _c("hs_finger_prepared_free")

    @_cdoc("hs_finger_prepare")
    def __init__(self, template, view=0):
        _handle_of(template, FingerTemplate, "PreparedFinger")
        ctx = _ctx()
        with template._use as t:
            s, h = _c("hs_finger_prepare")(ctx, t, int(view))
            _check(s, ctx)
        super().__init__(h)

    @classmethod
    @_cdoc("hs_finger_prepared_decode")
    def decode(cls, data):
        """Load a prepared finger written by :meth:`encode`."""
        mv = _buffer(data, "PreparedFinger.decode")
        ctx = _ctx()
        s, h = _c("hs_finger_prepared_decode")(ctx, mv)
        _check(s, ctx)
        return cls._adopt(h)

    @_cdoc("hs_finger_prepared_encode")
    def encode(self):
        """Serialise to bytes (versioned, checksummed)."""
        ctx = _ctx()
        with self._use as h:
            s, n = _c("hs_finger_prepared_encode")(ctx, None, h)
            _check(s, ctx)
            buf = bytearray(n)
            s, n = _c("hs_finger_prepared_encode")(ctx, buf, h)
            _check(s, ctx)
        return bytes(buf[:n])

    @property
    def count(self):
        """Number of minutiae."""
        with self._use as h:
            return _c("hs_finger_prepared_count")(h)

    @property
    def finger(self):
        """ISO finger position (FINGER_*) of the source view."""
        with self._use as h:
            return _c("hs_finger_prepared_position")(h)

    def __repr__(self):
        if self._h is None:
            return "<hotspot.PreparedFinger closed>"
        return "<hotspot.PreparedFinger %d minutiae, finger %d>" % (self.count, self.finger)


def _prepared(obj, what):
    """(PreparedFinger, temporary?) from a PreparedFinger or a template."""
    if isinstance(obj, PreparedFinger):
        return obj, False
    if isinstance(obj, FingerTemplate):
        return PreparedFinger(obj, 0), True
    raise TypeError("%s: expected a PreparedFinger or FingerTemplate, got %s"
                    % (what, type(obj).__name__))


class Matcher(_Handle):
    """1:1 fingerprint comparison (scores in [0, 1], higher = more similar).

    Options: ``max_rotation`` (degrees, 0-180), ``fast`` (first-stage
    filter mode), ``thorough`` (second-stage mode: about 1.6 times the cost,
    about 4 times for templates with orientation fields,
    a score never below the default one; for re-scoring the best few
    candidates of a search or a 1:1 check where time allows; not with
    ``fast``, matching then raises Error) and ``kernels`` (MATCH_KERNELS_AUTO, _PORTABLE, _AVX2,
    _AVX512 or _NEON: speed only, every set gives the same scores; ``get("kernels")``
    tells which set runs). A matcher holds scratch space: calls on one matcher from
    several threads are serialised; use one matcher per thread to run them
    in parallel."""

    _free = _c("hs_finger_matcher_free")
    _exclusive = True
    _keys = {"max_rotation": capi.HS_MATCH_MAX_ROTATION, "fast": capi.HS_MATCH_FAST,
             "kernels": capi.HS_MATCH_KERNELS, "thorough": capi.HS_MATCH_THOROUGH}

    @_cdoc("hs_finger_matcher_new")
    def __init__(self, max_rotation=None, fast=None, kernels=None, thorough=None):
        ctx = _ctx()
        s, h = _c("hs_finger_matcher_new")(ctx)
        _check(s, ctx)
        super().__init__(h)
        if max_rotation is not None:
            self.set(capi.HS_MATCH_MAX_ROTATION, max_rotation)
        if fast is not None:
            self.set(capi.HS_MATCH_FAST, int(bool(fast)))
        if kernels is not None:
            self.set(capi.HS_MATCH_KERNELS, kernels)
        if thorough is not None:
            self.set(capi.HS_MATCH_THOROUGH, int(bool(thorough)))

    @_cdoc("hs_finger_matcher_set")
    def set(self, key, value):
        """Set a parameter (MATCH_* key or its name)."""
        key = self._keys.get(key, key)
        with self._use as h:
            s = _c("hs_finger_matcher_set")(h, int(key), int(value))
            if s < 0:
                raise Error(s, "matcher parameter %r = %r" % (key, value))

    def get(self, key):
        """Current value of a parameter (MATCH_* key or its name)."""
        key = self._keys.get(key, key)
        with self._use as h:
            s, v = _c("hs_finger_matcher_get")(h, int(key))
        _check(s, message="unknown matcher parameter %r" % (key,))
        return v

    @_cdoc("hs_finger_match")
    def match(self, probe, candidate):
        """Similarity of two fingers in [0, 1]. Each argument is a
        PreparedFinger, or a FingerTemplate (its view 0 is prepared for this
        call: prepare once when comparing many times)."""
        p, tp = _prepared(probe, "Matcher.match probe")
        c, tc = _prepared(candidate, "Matcher.match candidate")
        try:
            with self._use as m, p._use as ph, c._use as ch:
                s, score = _c("hs_finger_match")(m, ph, ch)
                _check(s)
            return score
        finally:
            if tp:
                p.close()
            if tc:
                c.close()

    @_cdoc("hs_finger_match_multi")
    def match_multi(self, probes, candidates, rule=capi.HS_FUSION_MAX):
        """Fused similarity of two sets of prepared fingers (paired by finger
        position), rule FUSION_MAX, FUSION_MEAN or FUSION_SUM_TOP2."""
        ps = [_handle_of(p, PreparedFinger, "Matcher.match_multi") for p in probes]
        cs = [_handle_of(c, PreparedFinger, "Matcher.match_multi") for c in candidates]
        uses = [o._use for o in ps + cs]
        hs = []
        try:
            for u in uses:
                hs.append(u.__enter__())
            with self._use as m:
                s, score = _c("hs_finger_match_multi")(m, hs[:len(ps)], hs[len(ps):], int(rule))
                _check(s)
            return score
        finally:
            for u in uses[:len(hs)]:
                u.__exit__(None, None, None)

    def __repr__(self):
        if self._h is None:
            return "<hotspot.Matcher closed>"
        return "<hotspot.Matcher max_rotation=%d fast=%d thorough=%d>" % (
            self.get(capi.HS_MATCH_MAX_ROTATION), self.get(capi.HS_MATCH_FAST),
            self.get(capi.HS_MATCH_THOROUGH))


@_cdoc("hs_finger_compare")
def compare(a, b):
    """Similarity in [0, 1] of view 0 of two templates (prepares both:
    convenient but slower than a Matcher on prepared fingers)."""
    _handle_of(a, FingerTemplate, "compare")
    _handle_of(b, FingerTemplate, "compare")
    ctx = _ctx()
    with a._use as ha, b._use as hb:
        s, score = _c("hs_finger_compare")(ctx, ha, hb)
        _check(s, ctx)
    return score


@_cdoc("hs_finger_threshold_for_fmr")
def threshold_for_fmr(fmr):
    """Score threshold giving a false match rate of about ``fmr``."""
    s, t = _c("hs_finger_threshold_for_fmr")(float(fmr))
    _check(s, message="fmr %r: must be a finite rate in (0, 1)" % (fmr,))
    return t


# ---- evaluation (eval.h) ----------------------------------------------------------

#: numpy dtype of one DET point: the C ``hs_eval_point`` record.
EVAL_POINT_DTYPE = np.dtype([("threshold", "=f8"), ("fmr", "=f8"), ("fnmr", "=f8")])
assert EVAL_POINT_DTYPE.itemsize == 24

#: One operating point: the threshold and the FMR and FNMR there (0..1).
EvalPoint = collections.namedtuple("EvalPoint", "threshold fmr fnmr")
#: The headline rates of a score set: ``eer`` and ``eer_threshold``, and the
#: points (:class:`EvalPoint`) giving FMR100, FMR1000 and ZeroFMR (their
#: ``fnmr``).
EvalRates = collections.namedtuple("EvalRates", "eer eer_threshold fmr100 fmr1000 zero_fmr")


def _scores(v, what):
    """Scores as a 1-D C-contiguous float64 array (no copy when possible)."""
    if isinstance(v, (str, bytes, bytearray)):
        raise TypeError("%s: expected a sequence or array of numbers" % what)
    a = np.asarray(v, dtype=np.float64).reshape(-1)
    return np.ascontiguousarray(a)


def _eval_flags(accept_above):
    return capi.HS_EVAL_ACCEPT_ABOVE if accept_above else 0


def _point(p):
    return EvalPoint(p.threshold, p.fmr, p.fnmr)


@_cdoc("hs_eval_rates")
def eval_rates(genuine, impostor, accept_above=False):
    """EER, FMR100, FMR1000 and ZeroFMR of genuine and impostor scores
    (higher = more alike), as an :class:`EvalRates`. Thresholds accept
    ``score >= t``, or ``score > t`` with ``accept_above``. Error
    (ERR_INVALID_ARG) for an empty list or a score that is not finite."""
    g, i = _scores(genuine, "genuine"), _scores(impostor, "impostor")
    ctx = _ctx()
    s, r = _c("hs_eval_rates")(ctx, g, i, _eval_flags(accept_above))
    _check(s, ctx)
    return EvalRates(r.eer, r.eer_threshold, _point(r.fmr100), _point(r.fmr1000),
                     _point(r.zero_fmr))


@_cdoc("hs_eval_threshold_for_fmr")
def eval_threshold_for_fmr(genuine, impostor, fmr, accept_above=False):
    """The operating point (:class:`EvalPoint`) with the lowest FNMR whose
    FMR is at most ``fmr``."""
    g, i = _scores(genuine, "genuine"), _scores(impostor, "impostor")
    ctx = _ctx()
    s, p = _c("hs_eval_threshold_for_fmr")(ctx, g, i, float(fmr), _eval_flags(accept_above))
    _check(s, ctx)
    return _point(p)


@_cdoc("hs_eval_det")
def eval_det(genuine, impostor, accept_above=False):
    """Every point of the DET curve, thresholds ascending, as a numpy array
    of :data:`EVAL_POINT_DTYPE` (fields threshold, fmr, fnmr)."""
    g, i = _scores(genuine, "genuine"), _scores(impostor, "impostor")
    ctx, flags = _ctx(), _eval_flags(accept_above)
    s, n = _c("hs_eval_det")(ctx, None, g, i, flags)
    _check(s, ctx)
    out = np.zeros(n, EVAL_POINT_DTYPE)
    s, n = _c("hs_eval_det")(ctx, out, g, i, flags)
    _check(s, ctx)
    return out[:n]


# ---- face embeddings (vectors) ------------------------------------------------------

def _embedding(v, what):
    """A face embedding as a 1-D float32 numpy array, without a copy when
    ``v`` already holds float32 (bytes-like objects are read as raw float32)."""
    if isinstance(v, (bytes, bytearray)) or (isinstance(v, memoryview) and v.format not in ("f", "<f", "=f")):
        mv = memoryview(v).cast("B")
        if len(mv) % 4:
            raise ValueError("%s: %d bytes is not a whole number of float32 values" % (what, len(mv)))
        return np.frombuffer(mv, np.float32)
    if isinstance(v, str):
        raise TypeError("%s: expected a float vector, got str" % what)
    a = np.asarray(v)
    if a.dtype.kind not in "fiu":
        raise TypeError("%s: expected a float vector, got %s" % (what, a.dtype))
    return np.ascontiguousarray(a, dtype=np.float32).reshape(-1)


def _face_embedding_out(dim):
    return np.empty(int(dim), np.float32)


@_cdoc("hs_face_similarity")
def face_similarity(a, b):
    """Cosine similarity in [-1, 1] of two face embeddings of one length."""
    a, b = _embedding(a, "face_similarity"), _embedding(b, "face_similarity")
    ctx = _ctx()
    s, score = capi.hs_py_face_similarity(ctx, a, b)
    _check(s, ctx)
    return score


@_cdoc("hs_face_threshold_for_fmr")
def face_threshold_for_fmr(model_id, fmr):
    """Cosine threshold for a false match rate ``fmr`` (1e-4 .. 0.1) with
    face model ``model_id`` (FACE_MODEL_*); Error(ERR_UNSUPPORTED) for a
    model without calibration."""
    s, t = _c("hs_face_threshold_for_fmr")(int(model_id), float(fmr))
    if s < 0:
        raise Error(s, "face model %d at FMR %g" % (model_id, fmr))
    return t


@_cdoc("hs_face_embedding_encode")
def encode_embedding(v, model_id=0, kind=getattr(capi, "HS_FACE_ENC_F32", 1)):
    """A face embedding as a self-describing "HSFE" record (bytes);
    ``kind`` FACE_ENC_F32 (exact) or FACE_ENC_Q8 (compact int8)."""
    v = _embedding(v, "encode_embedding")
    ctx = _ctx()
    s, n = _c("hs_face_embedding_encode")(ctx, None, v, int(model_id), int(kind))
    _check(s, ctx)
    buf = bytearray(n)
    s, n = _c("hs_face_embedding_encode")(ctx, buf, v, int(model_id), int(kind))
    _check(s, ctx)
    return bytes(buf[:n])


@_cdoc("hs_face_embedding_decode")
def decode_embedding(data):
    """(embedding as float32 array, model id) from an "HSFE" record."""
    mv = _buffer(data, "decode_embedding")
    ctx = _ctx()
    s, dim, _ = _c("hs_face_embedding_decode")(ctx, None, mv)
    if s < 0 and s != capi.HS_ERR_BUFFER_TOO_SMALL:
        _check(s, ctx)
    out = _face_embedding_out(dim)
    s, dim, model = _c("hs_face_embedding_decode")(ctx, out, mv)
    _check(s, ctx)
    return out[:dim], model


#: numpy dtype of one detected face: the C ``hs_face`` record.
FACE_DTYPE = np.dtype([("x", "=f4"), ("y", "=f4"), ("width", "=f4"), ("height", "=f4"),
                       ("landmarks", "=f4", (5, 2)), ("score", "=f4"), ("quality", "=f4"),
                       ("quality_size", "=f4"), ("quality_sharpness", "=f4"),
                       ("quality_pose", "=f4"), ("flags", "=u4"), ("reserved", "=u4", (4,))])


class Face:
    """One detected face, in pixels of the image: ``box`` (x, y, width,
    height), ``landmarks`` (5 x 2: right eye, left eye, nose tip, right and
    left mouth corners as seen in the image), detector ``score`` 0..1,
    ``quality`` 0..100 and its parts, ``landmarks_estimated`` (Haar
    fallback). Pass it back to :meth:`FaceEngine.embed` / :meth:`align`."""

    __slots__ = ("_rec",)

    def __init__(self, rec):
        self._rec = np.array(rec, dtype=FACE_DTYPE).reshape(())

    def __getattr__(self, name):
        if name in FACE_DTYPE.names:
            v = self._rec[name]
            return v.copy() if v.shape else v.item()
        raise AttributeError(name)

    @property
    def box(self):
        r = self._rec
        return (float(r["x"]), float(r["y"]), float(r["width"]), float(r["height"]))

    @property
    def landmarks_estimated(self):
        return bool(int(self._rec["flags"]) & getattr(capi, "HS_FACE_LANDMARKS_ESTIMATED", 1))

    def __repr__(self):
        return "<hotspot.Face box=(%.0f, %.0f, %.0f, %.0f) score=%.2f quality=%.0f>" % (
            self.box + (float(self._rec["score"]), float(self._rec["quality"])))


def _face_model_for(path):
    """FACE_MODEL_* preset from a model file name, as the CLI does."""
    name = os.path.basename(path or "").lower()
    if "sface" in name:
        return capi.HS_FACE_MODEL_SFACE
    if "mobilefacenet" in name or name.endswith(".caffemodel"):
        return capi.HS_FACE_MODEL_MOBILEFACENET
    if "arcface" in name or "fr_feature" in name:
        return capi.HS_FACE_MODEL_ARCFACE
    return capi.HS_FACE_MODEL_CUSTOM


class FaceEngine(_Handle):
    """Face detection, alignment and embedding (needs a build with OpenCV;
    otherwise Error(ERR_NOT_BUILT)).

    ``FaceEngine()`` loads the default models (UltraFace detector, 68-point
    landmarks, fr_feature 512-d embedder; model_id FACE_MODEL_FR_FEATURE)
    from ``models_dir``, else the directory in $HOTSPOT_FACE_MODELS, else
    the installed ones (tools/setup.sh fetches them); Error(ERR_MODEL)
    naming the paths tried when they are not there.

    ``FaceEngine(model="fr_feature.onnx", detector="yunet.onnx")`` names
    the models instead (then nothing is looked up): ``model`` is the
    embedding network (.onnx, or .caffemodel with ``config`` = the
    prototxt; None: detection only), ``model_id`` its FACE_MODEL_* preset
    (default from the file name, as the CLI does: *sface* -> SFACE,
    *mobilefacenet* or .caffemodel -> MOBILEFACENET, *arcface* or
    fr_feature -> ARCFACE, else CUSTOM), ``detector`` a YuNet or UltraFace
    ONNX file (None: OpenCV's Haar cascade, or ``cascade``), ``landmarks``
    a 68-point landmark ONNX file for UltraFace or Haar boxes. Other
    keywords set parameters (score_threshold, max_side, min_face, ...). An
    engine serialises its calls: use one per thread for parallelism."""

    _free = _c("hs_face_engine_free")
    _exclusive = True
    _keys = {k[len("HS_FACE_PARAM_"):].lower(): getattr(capi, k)
             for k in dir(capi) if k.startswith("HS_FACE_PARAM_")}

    @_cdoc("hs_face_engine_new")
    def __init__(self, model=None, detector=None, config=None, cascade=None, model_id=None,
                 model_format=0, landmarks=None, models_dir=None, **params):
        paths = [None if p is None else _path(p)
                 for p in (model, config, detector, cascade, landmarks, models_dir)]
        if model_id is None:
            model_id = _face_model_for(paths[0]) if paths[0] else capi.HS_FACE_MODEL_CUSTOM
        for k in params:
            if k not in self._keys:  # before loading anything
                raise TypeError("FaceEngine: unknown parameter %r" % k)
        ctx = _ctx()
        s, h = _c("hs_py_face_engine_new")(ctx, int(model_id), int(model_format), *paths)
        _check(s, ctx)
        super().__init__(h)
        try:
            for k, v in params.items():
                self.set(k, v)
        except BaseException:
            self.close()
            raise

    def set(self, key, value):
        """Set a parameter (its name or FACE_PARAM_* key)."""
        key = self._keys.get(key, key)
        with self._use as h:
            s = _c("hs_face_engine_set_param")(h, int(key), float(value))
        if s < 0:
            raise Error(s, "face engine parameter %r = %r" % (key, value))

    def get(self, key):
        """Current value of a parameter (its name or FACE_PARAM_* key)."""
        key = self._keys.get(key, key)
        with self._use as h:
            s, v = _c("hs_face_engine_get_param")(h, int(key))
        _check(s, message="unknown face engine parameter %r" % (key,))
        return v

    @property
    def dim(self):
        """Embedding dimension (0 for a detection-only engine)."""
        with self._use as h:
            return _c("hs_face_engine_dim")(h)

    @property
    def model_id(self):
        with self._use as h:
            return _c("hs_face_engine_model_id")(h)

    @_cdoc("hs_face_detect")
    def detect(self, image, max_faces=32):
        """Faces in ``image`` (Image, path or array), largest first; [] when
        there is none."""
        img, temp = _as_image(image, "FaceEngine.detect")
        buf = bytearray(FACE_DTYPE.itemsize * int(max_faces))
        ctx = _ctx()
        try:
            with self._use as h, img._use as ih:
                s, n = _c("hs_face_detect")(ctx, buf, h, ih)
            if s == capi.HS_ERR_NO_FACE:
                return []
            _check(s, ctx)
        finally:
            if temp:
                img.close()
        recs = np.frombuffer(bytes(buf), FACE_DTYPE)[:min(n, int(max_faces))]
        return [Face(r) for r in recs]

    @_cdoc("hs_face_embed")
    def embed(self, image, face=None):
        """L2-normalised embedding (float32 array) of ``face`` in ``image``
        (None: detect and take the largest). Error(ERR_NO_FACE) without one."""
        if face is not None and not isinstance(face, Face):
            raise TypeError("FaceEngine.embed: face must be a Face from detect()")
        img, temp = _as_image(image, "FaceEngine.embed")
        out = np.empty(max(self.dim, 1), np.float32)
        ctx = _ctx()
        try:
            with self._use as h, img._use as ih:
                s, dim = _c("hs_face_embed")(ctx, out, h, ih, None if face is None else face._rec.tobytes())
            _check(s, ctx)
        finally:
            if temp:
                img.close()
        return out[:dim]

    @_cdoc("hs_face_align")
    def align(self, image, face):
        """The aligned face crop as a (size, size, 3) RGB uint8 array."""
        if not isinstance(face, Face):
            raise TypeError("FaceEngine.align: face must be a Face from detect()")
        size = int(self.get("input_size"))
        img, temp = _as_image(image, "FaceEngine.align")
        out = bytearray(size * size * 3)
        ctx = _ctx()
        try:
            with self._use as h, img._use as ih:
                _check(_c("hs_face_align")(ctx, out, h, ih, face._rec.tobytes()), ctx)
        finally:
            if temp:
                img.close()
        return np.frombuffer(bytes(out), np.uint8).reshape(size, size, 3)

    def __repr__(self):
        if self._h is None:
            return "<hotspot.FaceEngine closed>"
        return "<hotspot.FaceEngine model %d, dim %d>" % (self.model_id, self.dim)


#: numpy dtype of one face gallery hit: the C ``hs_face_hit`` record.
FACE_HIT_DTYPE = np.dtype([("label", "=u8"), ("index", "=u4"), ("score", "=f4")])


class FaceGallery(_Handle):
    """Face embeddings of one dimension, each with a 64-bit label, searched
    1:N by cosine similarity over a compact int8 matrix (no OpenCV needed).
    Searches may run from several threads at once; add/remove wait for
    them."""

    _free = _c("hs_face_gallery_free")

    @_cdoc("hs_face_gallery_new")
    def __init__(self, dim):
        ctx = _ctx()
        s, h = _c("hs_face_gallery_new")(ctx, int(dim))
        _check(s, ctx)
        super().__init__(h)

    @_cdoc("hs_face_gallery_add")
    def add(self, label, embedding):
        """Append ``embedding`` under ``label`` (an int; labels may repeat)."""
        v = _embedding(embedding, "FaceGallery.add")
        ctx = _ctx()
        with self._write as h:
            _check(_c("hs_face_gallery_add")(ctx, h, int(label), v), ctx)

    @_cdoc("hs_face_gallery_remove")
    def remove(self, label):
        """Remove every row of ``label``; returns how many."""
        with self._write as h:
            s, n = _c("hs_face_gallery_remove")(h, int(label))
        if s < 0:
            raise Error(s, "no label %d" % label if s == capi.HS_ERR_NOT_FOUND else "")
        return n

    def __len__(self):
        with self._use as h:
            return _c("hs_face_gallery_count")(h)

    @property
    def dim(self):
        with self._use as h:
            return _c("hs_face_gallery_dim")(h)

    @_cdoc("hs_face_gallery_search")
    def search(self, probe, k=10, min_score=-1.0, one_per_label=False, threads=1):
        """The ``k`` best rows for ``probe``, best first, as a FACE_HIT_DTYPE
        array (label, index, score)."""
        v = _embedding(probe, "FaceGallery.search")
        opt = capi.hs_face_search_options()
        opt.threads, opt.min_score, opt.one_per_label = int(threads), float(min_score), int(bool(one_per_label))
        hits = bytearray(FACE_HIT_DTYPE.itemsize * max(int(k), 1))
        ctx = _ctx()
        with self._use as h:
            s, n = _c("hs_face_gallery_search")(ctx, hits, h, v, opt)
            _check(s, ctx)
        return np.frombuffer(bytes(hits), FACE_HIT_DTYPE)[:n].copy()

    def __repr__(self):
        if self._h is None:
            return "<hotspot.FaceGallery closed>"
        return "<hotspot.FaceGallery %d embeddings of dim %d>" % (len(self), self.dim)


# ---- watchlists ----------------------------------------------------------------------

class Candidate:
    """One subject of a :meth:`Watchlist.search` result (best first).

    ``id``, ``hit`` (fused false match probability <= the fmr asked),
    ``score`` (fused, -log10 of the combined impostor p-value),
    ``finger_score``, ``face_score`` (same scale), ``face_similarity``
    (cosine, -2 when not compared), and per probe finger
    ``finger_similarity`` (matcher score 0..1) and ``finger_position``."""

    __slots__ = ("id", "hit", "score", "finger_score", "face_score", "face_similarity",
                 "finger_similarity", "finger_position")

    def __init__(self, d):
        for k in self.__slots__:
            setattr(self, k, d[k])

    def as_dict(self):
        return {k: getattr(self, k) for k in self.__slots__}

    def __repr__(self):
        return "<hotspot.Candidate %r score=%.2f%s>" % (self.id, self.score,
                                                       " HIT" if self.hit else "")


def _candidates(r):
    return [Candidate(_c("hs_py_watchlist_candidate")(r, i))
            for i in range(_c("hs_watchlist_result_count")(r))]


class Watchlist(_Handle):
    """Subjects (id, text fields, fingers, face embeddings) searched 1:N.

    ``Watchlist()`` is empty; :meth:`load` / :meth:`decode` read a saved one.
    Searches may run in parallel from several threads (the GIL is released);
    changes (add, remove, version) wait until running searches finish."""

    _free = _c("hs_watchlist_free")

    @_cdoc("hs_watchlist_new")
    def __init__(self):
        ctx = _ctx()
        s, h = _c("hs_watchlist_new")(ctx)
        _check(s, ctx)
        super().__init__(h)

    @classmethod
    @_cdoc("hs_watchlist_load")
    def load(cls, path):
        """Read a watchlist file written by :meth:`save`."""
        p = _path(path)
        ctx = _ctx()
        s, h = _c("hs_watchlist_load")(ctx, p)
        _check(s, ctx)
        return cls._adopt(h)

    @classmethod
    @_cdoc("hs_watchlist_decode")
    def decode(cls, data):
        """Parse a watchlist from bytes written by :meth:`encode`."""
        mv = _buffer(data, "Watchlist.decode")
        ctx = _ctx()
        s, h = _c("hs_watchlist_decode")(ctx, mv)
        _check(s, ctx)
        return cls._adopt(h)

    @_cdoc("hs_watchlist_save")
    def save(self, path):
        """Save atomically (the previous file survives any failure)."""
        p = _path(path)
        ctx = _ctx()
        with self._use as h:
            _check(_c("hs_watchlist_save")(ctx, p, h), ctx)

    @_cdoc("hs_watchlist_save_encrypted")
    def save_encrypted(self, path, storage_key):
        """Save atomically, encrypted under the device's 32-byte
        ``storage_key`` (see :func:`device_keygen`), so that the installed
        list is never on the device's storage in the clear."""
        p = _path(path)
        ctx = _ctx()
        with self._use as h:
            _check(_c("hs_py_watchlist_save_encrypted")(ctx, p, h, storage_key), ctx)

    @classmethod
    @_cdoc("hs_watchlist_load_encrypted")
    def load_encrypted(cls, path, storage_key):
        """Read a file written by :meth:`save_encrypted`; a wrong key or any
        altered byte raises Error(ERR_DECRYPT)."""
        p = _path(path)
        ctx = _ctx()
        s, h = _c("hs_py_watchlist_load_encrypted")(ctx, p, storage_key)
        _check(s, ctx)
        return cls._adopt(h)

    @classmethod
    @_cdoc("hs_watchlist_decode_encrypted")
    def decode_encrypted(cls, data, storage_key):
        """:meth:`load_encrypted` from bytes."""
        mv = _buffer(data, "Watchlist.decode_encrypted")
        ctx = _ctx()
        s, h = _c("hs_py_watchlist_decode_encrypted")(ctx, mv, storage_key)
        _check(s, ctx)
        return cls._adopt(h)

    @_cdoc("hs_watchlist_encode")
    def encode(self):
        """The list as bytes."""
        ctx = _ctx()
        with self._use as h:
            s, n = _c("hs_watchlist_encode")(ctx, None, h)
            _check(s, ctx)
            buf = bytearray(n)
            s, n = _c("hs_watchlist_encode")(ctx, buf, h)
            _check(s, ctx)
        return bytes(buf[:n])

    def _subject(self, ctx, id, fingers, faces, fields, face_model):
        if not isinstance(id, str):
            raise TypeError("subject id: expected str, got %s" % type(id).__name__)
        if isinstance(fingers, FingerTemplate):
            fingers = [fingers]
        s, sub = _c("hs_watchlist_subject_new")(ctx, _text(id, "subject id"))
        _check(s, ctx)
        try:
            for k, v in (fields or {}).items():
                _check(_c("hs_watchlist_subject_set_field")(
                    ctx, sub, _text(k, "field key"), _text(v, "field %r" % (k,))), ctx)
            for t in fingers or ():
                _handle_of(t, FingerTemplate, "Watchlist.add fingers")
                with t._use as th:
                    for view in range(_c("hs_template_view_count")(th)):
                        _check(_c("hs_watchlist_subject_add_finger")(ctx, sub, th, view), ctx)
            for f in faces or ():
                _check(_c("hs_watchlist_subject_add_face")(ctx, sub, _embedding(f, "face"),
                                                               int(face_model)), ctx)
        except BaseException:
            _c("hs_watchlist_subject_free")(sub)
            raise
        return sub

    @_cdoc("hs_watchlist_add", "hs_watchlist_subject_add_finger")
    def add(self, id, fingers=None, faces=(), fields=None, replace=False, face_model=0):
        """Add subject ``id`` with ``fingers`` (a FingerTemplate, every view
        being one finger, or a list of them), ``faces`` (embeddings made by
        model ``face_model``, a FACE_MODEL_* value, 0 = custom) and
        ``fields`` (dict of text). ``replace=True`` replaces an existing
        subject of that id instead of raising Error(ERR_EXISTS)."""
        ctx = _ctx()
        sub = self._subject(ctx, id, fingers, faces, fields, face_model)
        try:
            with self._write as h:
                fn = "hs_watchlist_replace" if replace else "hs_watchlist_add"
                _check(_c(fn)(ctx, h, sub), ctx)
        finally:
            _c("hs_watchlist_subject_free")(sub)

    @_cdoc("hs_watchlist_pack")
    def pack(self, sign_secret, recipients, base=None):
        """A package for devices (bytes): this list, or the changes since
        ``base`` (a Watchlist with a lower version), encrypted to each
        device public key in ``recipients`` (32 bytes each) and signed with
        the authority's 64-byte ``sign_secret`` (see :func:`keygen_authority`)."""
        if isinstance(recipients, (bytes, bytearray, memoryview)):
            recipients = [recipients]
        keys = b"".join(bytes(memoryview(k)) for k in recipients)
        if base is not None:
            _handle_of(base, Watchlist, "Watchlist.pack base")
        ctx = _ctx()
        with self._use as h:
            bh = base._use.__enter__() if base is not None else None
            try:
                s, n = _c("hs_py_watchlist_pack")(ctx, None, h, bh, sign_secret, keys)
                _check(s, ctx)
                buf = bytearray(n)
                s, n = _c("hs_py_watchlist_pack")(ctx, buf, h, bh, sign_secret, keys)
                _check(s, ctx)
            finally:
                if base is not None:
                    base._use.__exit__(None, None, None)
        return bytes(buf[:n])

    @classmethod
    @_cdoc("hs_watchlist_unpack")
    def unpack(cls, package, authority_public, device_public, device_secret,
               installed=None, installed_version=0):
        """Verify, decrypt and apply a package on a device: a new Watchlist
        (``installed`` is never modified; a delta package needs it).
        Error(ERR_SIGNATURE / ERR_ROLLBACK / ERR_DECRYPT / ...) otherwise."""
        mv = _buffer(package, "Watchlist.unpack")
        ctx = _ctx()
        if installed is not None:
            _handle_of(installed, Watchlist, "Watchlist.unpack installed")
            with installed._use as ih:
                s, h = _c("hs_py_watchlist_unpack")(ctx, ih, int(installed_version), mv,
                                                    authority_public, device_public, device_secret)
        else:
            s, h = _c("hs_py_watchlist_unpack")(ctx, None, int(installed_version), mv,
                                                authority_public, device_public, device_secret)
        _check(s, ctx)
        return cls._adopt(h)

    @_cdoc("hs_watchlist_cache_prepared")
    def cache_prepared(self, threads=1):
        """Keep every stored finger prepared in memory, so that searches skip
        re-preparing candidates (dropped by any later change)."""
        ctx = _ctx()
        with self._write as h:
            _check(_c("hs_watchlist_cache_prepared")(ctx, h, int(threads)), ctx)

    @_cdoc("hs_watchlist_remove")
    def remove(self, id):
        """Remove subject ``id`` (Error ERR_NOT_FOUND if absent)."""
        ctx = _ctx()
        with self._write as h:
            _check(_c("hs_watchlist_remove")(ctx, h, _text(id, "subject id")), ctx)

    def get(self, id):
        """Subject ``id`` as a dict: id, fields, fingers (FingerTemplates of
        the stored minutiae), faces (float32 arrays)."""
        ctx = _ctx()
        with self._use as h:
            s, sub = _c("hs_watchlist_get")(ctx, h, _text(id, "subject id"))
            _check(s, ctx)
        try:
            fingers = []
            for i in range(_c("hs_watchlist_subject_finger_count")(sub)):
                s, t = _c("hs_watchlist_subject_finger")(ctx, sub, i)
                _check(s, ctx)
                fingers.append(FingerTemplate._adopt(t))
            faces = [np.frombuffer(_c("hs_py_watchlist_subject_face")(sub, i), np.float32).copy()
                     for i in range(_c("hs_watchlist_subject_face_count")(sub))]
            return {"id": _c("hs_watchlist_subject_id")(sub),
                    "fields": _c("hs_py_watchlist_subject_fields")(sub),
                    "fingers": fingers, "faces": faces}
        finally:
            _c("hs_watchlist_subject_free")(sub)

    def ids(self):
        """Subject ids (unspecified order)."""
        with self._use as h:
            return [_c("hs_watchlist_id_at")(h, i) for i in range(_c("hs_watchlist_count")(h))]

    def __len__(self):
        with self._use as h:
            return _c("hs_watchlist_count")(h)

    def __contains__(self, id):
        return id in self.ids()

    @property
    def finger_count(self):
        """Stored fingers over all subjects."""
        with self._use as h:
            return _c("hs_watchlist_finger_count")(h)

    @property
    def memory_bytes(self):
        """Memory used by the records and tables."""
        with self._use as h:
            return _c("hs_watchlist_memory_bytes")(h)

    @property
    def version(self):
        """The list's version (set by the issuing authority); settable."""
        with self._use as h:
            return _c("hs_watchlist_version")(h)

    @version.setter
    def version(self, value):
        with self._write as h:
            _check(_c("hs_watchlist_set_version")(h, int(value)))

    @property
    def format_version(self):
        """The file format version the list is written in (since 1.1): 3 when
        a stored finger keeps an orientation field (libhotspot 1.0 refuses
        such lists and their packages), else 2 (or 1)."""
        with self._use as h:
            return _c("hs_watchlist_format_version")(h)

    @_cdoc("hs_watchlist_search")
    def search(self, fingers=None, face=None, max_candidates=10, fmr=1e-4, threads=1,
               exhaustive=False, hits_only=False, rescore=0, face_model=0, thorough=0,
               _keep_result=False):
        """Search the list with probe ``fingers`` (a FingerTemplate: each view
        a finger) and/or a ``face`` embedding (made by model ``face_model``). Returns a list of
        :class:`Candidate`, best first; ``hit`` says whether a candidate
        passes the false match rate ``fmr`` (per subject compared). ``thorough=N``
        (0..1000, since 1.1) re-scores the best N candidates with the matcher's
        thorough mode before ranking (docs/watchlist-search.md)."""
        if fingers is not None:
            _handle_of(fingers, FingerTemplate, "Watchlist.search fingers")
        if face is not None and not isinstance(face, (bytes, bytearray, memoryview, str)) \
                and np.ndim(face) != 1:
            # a (2, 128) array used to be flattened into one 256-value probe
            raise Error(capi.HS_ERR_INVALID_ARG,
                        "face: expected one embedding (1-D), got shape %s" % (np.shape(face),))
        fv = _embedding(face, "face") if face is not None else None
        opt = capi.hs_watchlist_search_options()
        opt.max_candidates, opt.threads, opt.rescore = int(max_candidates), int(threads), int(rescore)
        opt.fmr = float(fmr)
        opt.face_model = int(face_model)
        if thorough:
            if not hasattr(opt, "thorough"):
                raise Error(capi.HS_ERR_UNSUPPORTED, "thorough: needs libhotspot 1.1")
            opt.thorough = int(thorough)
        opt.flags = ((capi.HS_WATCHLIST_EXHAUSTIVE if exhaustive else 0)
                     | (capi.HS_WATCHLIST_HITS_ONLY if hits_only else 0))
        ctx = _ctx()
        with self._use as h:
            if fingers is not None:
                with fingers._use as th:
                    s, r = _c("hs_watchlist_search")(ctx, h, th, fv, opt)
            else:
                s, r = _c("hs_watchlist_search")(ctx, h, None, fv, opt)
            _check(s, ctx)
        if _keep_result:
            return r  # the caller frees it (Transaction.build_result)
        try:
            return _candidates(r)
        finally:
            _c("hs_watchlist_result_free")(r)

    def __repr__(self):
        if self._h is None:
            return "<hotspot.Watchlist closed>"
        with self._use as h:
            return "<hotspot.Watchlist %d subjects, %d fingers, version %d, %d bytes>" % (
                _c("hs_watchlist_count")(h), _c("hs_watchlist_finger_count")(h),
                _c("hs_watchlist_version")(h), _c("hs_watchlist_memory_bytes")(h))


def keygen_authority():
    """(public 32 bytes, secret 64 bytes): the issuing authority's Ed25519
    signing key pair for :meth:`Watchlist.pack`. Keep the secret secret."""
    s, pub, sec = _c("hs_py_watchlist_keygen")(0)
    _check(s)
    return pub, sec


def keygen_device():
    """(public 32 bytes, secret 32 bytes): a device's X25519 key pair;
    packages are encrypted to device public keys."""
    s, pub, sec = _c("hs_py_watchlist_keygen")(1)
    _check(s)
    return pub, sec


@_cdoc("hs_watchlist_package_info_get")
def package_info(package):
    """The unauthenticated header of a package, for display only: dict with
    delta, version, base_version, recipients and (since 1.1) format, the
    package format version (3: holds orientation fields, refused by 1.0)."""
    mv = _buffer(package, "package_info")
    ctx = _ctx()
    s, i = _c("hs_watchlist_package_info_get")(ctx, mv)
    _check(s, ctx)
    return {"delta": bool(i.delta), "version": i.version, "base_version": i.base_version,
            "recipients": i.recipients, "format": i.format}


# ---- synthetic fingerprints -----------------------------------------------------------

class SynthMaster(_Handle):
    """The master pattern of one synthetic finger (see :class:`Synth`)."""

    _free = _c("hs_synth_master_free")

    @property
    def finger_class(self):
        """SYNTH_CLASS_* of the pattern (arch, loop, whorl, ...)."""
        with self._use as h:
            return _c("hs_synth_master_class")(h)

    def __repr__(self):
        if self._h is None:
            return "<hotspot.SynthMaster closed>"
        return "<hotspot.SynthMaster class %d>" % self.finger_class


class Synth(_Handle):
    """Seeded generator of synthetic fingerprints (for tests and demos: no
    real person's data). ``Synth(seed, width=400, noise=100, ...)``; the
    same seed gives the same fingers. Parameters are the SYNTH_* keys in
    lower case without the prefix."""

    _free = _c("hs_synth_free")

    @_cdoc("hs_synth_new")
    def __init__(self, seed=0, **params):
        ctx = _ctx()
        s, h = _c("hs_synth_new")(ctx, int(seed))
        _check(s, ctx)
        super().__init__(h)
        for k, v in params.items():
            key = getattr(capi, "HS_SYNTH_" + k.upper(), None)
            if key is None or k.upper().startswith("CLASS_"):
                self.close()
                raise TypeError("Synth: unknown parameter %r" % k)
            self.set(key, v)

    def set(self, key, value):
        """Set a SYNTH_* parameter (waits for running generations)."""
        with self._write as h:
            _check(_c("hs_synth_set")(h, int(key), int(value)))

    def get(self, key):
        """Current value of a SYNTH_* parameter."""
        with self._use as h:
            s, v = _c("hs_synth_get")(h, int(key))
        _check(s, message="unknown synth parameter %r" % (key,))
        return v

    @_cdoc("hs_synth_master_new")
    def master(self, finger):
        """The master pattern of finger number ``finger``."""
        ctx = _ctx()
        with self._use as h:
            s, m = _c("hs_synth_master_new")(ctx, h, int(finger))
            _check(s, ctx)
        return SynthMaster._adopt(m)

    @_cdoc("hs_synth_impression")
    def impression(self, master, impression):
        """Impression number ``impression`` of a master (or of finger number
        ``master`` when an int): (Image, FingerTemplate of true minutiae)."""
        tmp = None
        if isinstance(master, int):
            master = tmp = self.master(master)
        _handle_of(master, SynthMaster, "Synth.impression")
        ctx = _ctx()
        try:
            with self._use as h, master._use as mh:
                s, img, truth = _c("hs_synth_impression")(ctx, h, mh, int(impression))
                _check(s, ctx)
            return Image._adopt(img), FingerTemplate._adopt(truth)
        finally:
            if tmp is not None:
                tmp.close()

    def __repr__(self):
        if self._h is None:
            return "<hotspot.Synth closed>"
        return "<hotspot.Synth %dx%d at %d ppi>" % (self.get(capi.HS_SYNTH_WIDTH),
                                                   self.get(capi.HS_SYNTH_HEIGHT),
                                                   self.get(capi.HS_SYNTH_PPI))


__all__ += ["Watchlist", "Candidate", "Synth", "SynthMaster", "FaceEngine", "Face",
            "FACE_DTYPE", "face_similarity", "face_threshold_for_fmr", "encode_embedding",
            "decode_embedding", "FaceGallery", "FACE_HIT_DTYPE", "keygen_authority", "keygen_device", "package_info"]


# ---- ANSI/NIST-ITL transactions --------------------------------------------

def _nist_encoding(name):
    e = {"traditional": capi.HS_NIST_ENCODING_TRADITIONAL, "xml": capi.HS_NIST_ENCODING_XML}
    if name not in e:
        raise ValueError("encoding must be 'traditional' or 'xml', not %r" % (name,))
    return e[name]


class Transaction(_Handle):
    """An ANSI/NIST-ITL 1-2011 transaction (traditional or XML encoding),
    see docs/nist.md. ``Transaction.load(path)`` or ``Transaction.decode(data)``
    read one; :meth:`build` makes an INT-I search; :meth:`records`,
    :meth:`field`, :meth:`images`, :meth:`image`, :meth:`minutiae` and
    :meth:`validate` read it; :meth:`encode` / :meth:`save` write it."""

    _free = _c("hs_nist_free")
    #: "traditional" or "xml": the encoding it was read from (None when built).
    source_encoding = None

    @classmethod
    def _from(cls, h, enc=None):
        t = cls._adopt(h)
        t.source_encoding = {capi.HS_NIST_ENCODING_TRADITIONAL: "traditional",
                             capi.HS_NIST_ENCODING_XML: "xml"}.get(enc)
        return t

    @classmethod
    @_cdoc("hs_nist_load")
    def load(cls, path):
        """Read a transaction file (encoding detected by content)."""
        p = _path(path)
        ctx = _ctx()
        s, h, enc = _c("hs_nist_load")(ctx, p, 0)
        _check(s, ctx)
        return cls._from(h, enc)

    @classmethod
    @_cdoc("hs_nist_decode")
    def decode(cls, data):
        """Decode a transaction held in memory (bytes-like); not kept."""
        mv = _buffer(data, "Transaction.decode")
        ctx = _ctx()
        s, h, enc = _c("hs_nist_decode")(ctx, mv, 0)
        _check(s, ctx)
        return cls._from(h, enc)

    @classmethod
    @_cdoc("hs_nist_build_search")
    def build(cls, tot, ori, dai, ori_name=None, dai_name=None, ori_country="",
              dai_country="", tcn_serial=0, when=None, fingers=(), face=None, minutiae=None):
        """An INT-I search (tot "CPS" or "NPS"): ``fingers`` as (Image,
        position[, quality]) tuples (WSQ-coded; needs a build with the WSQ
        encoder), ``face`` the bytes of a JPEG, ``minutiae`` a
        :class:`FingerTemplate` whose views become Type-9 standard-format
        records, ``when`` seconds since 1970 (default now)."""
        import time
        fl = [(_handle_of(f[0], Image, "finger image")._h,) + tuple(int(v) for v in f[1:])
              for f in fingers]
        if minutiae is not None:
            _handle_of(minutiae, FingerTemplate, "build minutiae")
        ctx = _ctx()
        args = (ctx, str(tot), str(ori), str(ori_name or ori), str(dai), str(dai_name or dai),
                int(tcn_serial), int(time.time() if when is None else when), fl or None,
                None if face is None else _buffer(face, "face"), str(ori_country),
                str(dai_country))
        if minutiae is None:
            s, h = _c("hs_py_nist_build_search")(*args, None)
        else:
            with minutiae._use as mh:
                s, h = _c("hs_py_nist_build_search")(*args, mh)
        _check(s, ctx)
        t = cls._from(h)
        t._keep = [f[0] for f in fingers]
        return t

    @classmethod
    @_cdoc("hs_nist_build_result")
    def build_result(cls, search, watchlist, fingers=None, face=None, tcn_serial=0, when=None,
                     hit=None, subject_country="", irn=False, verified=False,
                     contact_phone=None, contact_org=None, contact_person=None,
                     contact_text=None, **options):
        """The INT-I search result (TOT SRE) answering transaction ``search``:
        ``watchlist`` is searched with ``fingers`` and/or ``face`` (the
        ``options`` of :meth:`Watchlist.search`), and the answer swaps DAI and
        ORI and names the search's TCN in 1.010 TCR. ``when``: seconds since
        1970 (default now).

        With ``hit=None`` the answer is the summary (hs_nist_build_result):
        every hit's id in 2.065 and 2.064 RLS ``I`` or ``N``. With ``hit=k``
        it details the k-th hit (0-based, best first; hs_nist_build_result_hit,
        since 1.1; INT-I sends one SRE per candidate): the subject id in 2.010
        CRN with ``subject_country`` (default: the search's destination
        country), or in 2.090 IRN when ``irn``; 2.064 MVI from ``verified``;
        2.063 INF from ``contact_phone`` (digits), ``contact_org``,
        ``contact_person`` and ``contact_text``. Returns the new Transaction;
        its ``candidates`` attribute holds the search's :class:`Candidate`
        list, best first."""
        import time
        _handle_of(search, Transaction, "build_result search")
        _handle_of(watchlist, Watchlist, "build_result watchlist")
        detail = (subject_country or irn or verified or contact_phone or contact_org
                  or contact_person or contact_text)
        if hit is None and detail:
            raise TypeError("build_result: the hit options need hit=")
        r = watchlist.search(fingers=fingers, face=face, _keep_result=True, **options)
        try:
            cands = _candidates(r)
            ctx = _ctx()
            stamp = int(time.time() if when is None else when)
            with search._use as sh:
                if hit is None:
                    s, h = _c("hs_nist_build_result")(ctx, sh, r, int(tcn_serial), stamp)
                else:
                    flags = ((capi.HS_NIST_RESULT_IRN if irn else 0)
                             | (capi.HS_NIST_RESULT_VERIFIED if verified else 0))
                    s, h = _c("hs_py_nist_build_result_hit")(
                        ctx, sh, r, int(hit), int(tcn_serial), stamp, flags,
                        subject_country or "", contact_phone or "", contact_org or "",
                        contact_person or "", contact_text or "")
            _check(s, ctx)
        finally:
            _c("hs_watchlist_result_free")(r)
        t = cls._from(h)
        t.candidates = cands
        return t

    def records(self):
        """Record types in file order, Type-1 first."""
        with self._use as h:
            return [_c("hs_nist_record_type")(h, i)
                    for i in range(_c("hs_nist_record_count")(h))]

    def fields(self, record):
        """Fields of record ``record`` (0-based) as a list of (number, bytes),
        in file order; subfields are separated by b"\\x1e" and items by
        b"\\x1f" as in the traditional encoding."""
        with self._use as h:
            n = _c("hs_nist_field_count")(h, int(record))
            return [(_c("hs_nist_field_number")(h, int(record), i),
                     _c("hs_py_nist_field_at")(h, int(record), i)) for i in range(n)]

    def field(self, record, number):
        """Raw value (bytes) of the first field ``number`` of ``record``, or None."""
        for num, value in self.fields(record):
            if num == int(number):
                return value
        return None

    def set_field(self, record, number, value):
        """Set a field to ``value`` (str or bytes, separators included)."""
        if isinstance(value, str):
            value = value.encode("utf-8")
        ctx = _ctx()
        with self._write as h:
            _check(_c("hs_nist_field_set")(ctx, h, int(record), int(number), bytes(value)), ctx)

    @_cdoc("hs_nist_text_get")
    def text(self, key):
        """A Type-1 value by name: "version", "tot", "date", "dai", "ori",
        "tcn", "tcr", "domain", "gmt", "dai_name", "ori_name"; None if absent."""
        keys = {"version": 1, "tot": 2, "date": 3, "dai": 4, "ori": 5, "tcn": 6, "tcr": 7,
                "domain": 8, "gmt": 9, "dai_name": 10, "ori_name": 11}
        ctx = _ctx()
        with self._use as h:
            s, n = _c("hs_nist_text_get")(ctx, None, h, keys[key])
            if s == capi.HS_ERR_NOT_FOUND:
                return None
            _check(s, ctx)
            buf = bytearray(n)
            s, n = _c("hs_nist_text_get")(ctx, buf, h, keys[key])
            _check(s, ctx)
        return bytes(buf[:n - 1]).decode("utf-8", "replace")

    def images(self):
        """Descriptions of the images (dicts, file order)."""
        out = []
        ctx = _ctx()
        with self._use as h:
            for i in range(_c("hs_nist_image_count")(h)):
                s, info = _c("hs_nist_image_info_get")(ctx, h, i)
                _check(s, ctx)
                out.append({k: getattr(info, k) for k in (
                    "record", "record_type", "kind", "position", "impression", "width",
                    "height", "ppi", "compression", "bits_per_pixel", "quality", "data_size")})
        return out

    def image_data(self, index):
        """Bytes of image ``index`` as stored (compressed stream or raw pixels)."""
        with self._use as h:
            return _c("hs_py_nist_image_data")(h, int(index))

    @_cdoc("hs_nist_image_decode")
    def image(self, index):
        """Image ``index`` decoded to an :class:`Image`."""
        ctx = _ctx()
        with self._use as h:
            s, img = _c("hs_nist_image_decode")(ctx, h, int(index), 0)
        _check(s, ctx)
        return Image._adopt(img)

    @_cdoc("hs_nist_minutiae")
    def minutiae(self, record):
        """Minutiae of Type-9 record ``record`` as a :class:`FingerTemplate`."""
        ctx = _ctx()
        with self._use as h:
            s, t = _c("hs_nist_minutiae")(ctx, h, int(record))
        _check(s, ctx)
        return FingerTemplate._adopt(t)

    @_cdoc("hs_nist_fingers")
    def fingers(self, extractor=None, minutiae=True, images=True, skip_bad=False):
        """The fingers of the transaction as one :class:`FingerTemplate` for a
        :class:`Watchlist` (one view per finger, positions from the records):
        Type-9 minutiae where present (``minutiae``), else minutiae extracted
        from the finger images (``images``) with ``extractor`` (an
        :class:`Extractor`, None for a default one). ``skip_bad`` passes over
        fingers that cannot be decoded instead of raising."""
        flags = ((0 if minutiae else capi.HS_NIST_FINGERS_NO_MINUTIAE)
                 | (0 if images else capi.HS_NIST_FINGERS_NO_IMAGES)
                 | (capi.HS_NIST_FINGERS_SKIP_BAD if skip_bad else 0))
        ctx = _ctx()
        if extractor is None:
            with self._use as h:
                s, t = _c("hs_nist_fingers")(ctx, h, None, flags)
        else:
            ex = _handle_of(extractor, Extractor, "extractor")
            with self._use as h, ex._use as eh:
                s, t = _c("hs_nist_fingers")(ctx, h, eh, flags)
        _check(s, ctx)
        return FingerTemplate._adopt(t)

    @_cdoc("hs_nist_face_embed")
    def face_embedding(self, engine):
        """Embedding (float32 array) of the transaction's first Type-10 face
        with ``engine`` (a :class:`FaceEngine`); Error(ERR_NOT_FOUND) without
        a face record, Error(ERR_NO_FACE) when none is found in it."""
        e = _handle_of(engine, FaceEngine, "engine")
        out = np.empty(max(e.dim, 1), np.float32)
        ctx = _ctx()
        with self._use as h, e._use as eh:
            s, dim = _c("hs_nist_face_embed")(ctx, out, eh, h)
        _check(s, ctx)
        return out[:dim]

    @_cdoc("hs_nist_validate")
    def validate(self, profile="int-i"):
        """Findings as a list of (record or None, field, message); empty when
        the transaction conforms to what the library checks."""
        prof = {"base": capi.HS_NIST_PROFILE_BASE, "int-i": capi.HS_NIST_PROFILE_INT_I}[profile]
        ctx = _ctx()
        with self._use as h:
            s, f = _c("hs_nist_validate")(ctx, h, prof)
        _check(s, ctx)
        try:
            out = []
            for i in range(_c("hs_nist_findings_count")(f)):
                r, fl, msg = _c("hs_py_nist_finding")(f, i)
                out.append((None if r == 0xFFFFFFFF else r, fl, msg))
            return out
        finally:
            _c("hs_nist_findings_free")(f)

    @_cdoc("hs_nist_encode")
    def encode(self, encoding="traditional", allow_loss=False):
        """The transaction as bytes in ``encoding`` ("traditional" or "xml")."""
        enc = _nist_encoding(encoding)
        flags = capi.HS_NIST_ALLOW_LOSS if allow_loss else 0
        ctx = _ctx()
        with self._use as h:
            s, n = _c("hs_nist_encode")(ctx, None, h, enc, flags)
            _check(s, ctx)
            buf = bytearray(n)
            s, n = _c("hs_nist_encode")(ctx, buf, h, enc, flags)
            _check(s, ctx)
        return bytes(buf[:n])

    @_cdoc("hs_nist_save")
    def save(self, path, encoding=None, allow_loss=False):
        """Write to ``path`` (XML when ``encoding`` is "xml", or when it is
        None and the path ends in .xml)."""
        p = _path(path)
        if encoding is None:
            encoding = "xml" if str(path).lower().endswith(".xml") else "traditional"
        enc = _nist_encoding(encoding)
        ctx = _ctx()
        with self._use as h:
            _check(_c("hs_nist_save")(ctx, p, h, enc,
                                      capi.HS_NIST_ALLOW_LOSS if allow_loss else 0), ctx)

    def __repr__(self):
        if self._h is None:
            return "<hotspot.Transaction closed>"
        return "<hotspot.Transaction %s TOT=%s records=%s>" % (
            self.source_encoding or "built", self.text("tot"), self.records())


# ---- the device: keys and audit log ------------------------------------------

@_cdoc("hs_device_keygen")
def device_keygen():
    """(sign_public 32 bytes, sign_secret 64 bytes, storage_key 32 bytes): a
    device's Ed25519 signing pair (audit log, encounters) and the key its
    installed watchlist is stored under. Keep the secrets in the platform
    keystore."""
    s, pub, sec, key = _c("hs_py_device_keygen")()
    _check(s)
    return pub, sec, key


@_cdoc("hs_device_sign_public")
def device_sign_public(sign_secret):
    """The 32-byte public key of a 64-byte signing secret (checked)."""
    ctx = _ctx()
    s, pub = _c("hs_py_device_sign_public")(ctx, sign_secret)
    _check(s, ctx)
    return pub


@_cdoc("hs_device_key_save")
def device_key_save(path, key, secret=False, replace=False):
    """Write a raw key file atomically (mode 0600 when ``secret``); an
    existing file raises Error(ERR_EXISTS) unless ``replace``."""
    flags = (capi.HS_DEVICE_KEY_SECRET if secret else 0) | \
        (capi.HS_DEVICE_KEY_REPLACE if replace else 0)
    ctx = _ctx()
    _check(_c("hs_py_device_key_save")(ctx, _path(path), key, flags), ctx)


@_cdoc("hs_device_key_load")
def device_key_load(path, size, secret=False):
    """Read a raw key file of exactly ``size`` bytes; with ``secret`` a file
    its group or others may access is refused (Error(ERR_IO))."""
    ctx = _ctx()
    s, key = _c("hs_py_device_key_load")(ctx, _path(path), int(size),
                                         capi.HS_DEVICE_KEY_SECRET if secret else 0)
    _check(s, ctx)
    return key


#: The head of an audit log: the anchor the centre keeps (see audit_verify).
AuditHead = collections.namedtuple("AuditHead", "count log_id last_hash time_ms")


class AuditLog(_Handle):
    """The device's audit log in directory ``dir`` (file audit.log), opened
    for appending with the device's 64-byte signing secret. Appends from
    other processes are serialised through the log's file lock."""

    _free = _c("hs_audit_close")
    _exclusive = True

    @_cdoc("hs_audit_open")
    def __init__(self, dir, sign_secret, max_bytes=0, nowait=False):
        ctx = _ctx()
        s, h = _c("hs_py_audit_open")(ctx, _path(dir), sign_secret,
                                      capi.HS_AUDIT_NOWAIT if nowait else 0, int(max_bytes))
        _check(s, ctx)
        super().__init__(h)

    @_cdoc("hs_audit_append")
    def append(self, event, operator_id=None, ref=None, decision=-1, count=0, detail=None,
               time_ms=0):
        """Append one entry (``event`` an AUDIT_* value); durable on return.
        Strings: printable UTF-8, never biometric data."""
        ctx = _ctx()
        args = [None if v is None else _text(v, n) for v, n in
                ((operator_id, "operator_id"), (ref, "ref"), (detail, "detail"))]
        with self._use as h:
            _check(_c("hs_py_audit_append")(ctx, h, int(event), int(time_ms), args[0], args[1],
                                            int(decision), int(count), args[2]), ctx)

    @_cdoc("hs_audit_head_get")
    def head(self):
        """The log's :class:`AuditHead` as this handle last saw it."""
        ctx = _ctx()
        with self._use as h:
            s, head = _c("hs_py_audit_head")(ctx, h)
        _check(s, ctx)
        return AuditHead(*head)

    @_cdoc("hs_audit_export")
    def export(self, start=0, stop=None):
        """Entries ``start`` .. ``stop``-1 (all by default) with a signed
        head, as bytes for the centre (:func:`audit_verify`)."""
        ctx = _ctx()
        with self._use as h:
            if stop is None:
                stop = _c("hs_py_audit_head")(ctx, h)[1][0]
            s, n = _c("hs_audit_export")(ctx, None, h, int(start), int(stop))
            _check(s, ctx)
            buf = bytearray(n)
            s, n = _c("hs_audit_export")(ctx, buf, h, int(start), int(stop))
            _check(s, ctx)
        return bytes(buf[:n])


class AuditError(Error):
    """audit_verify failed; ``info`` is the dict of what was found (with
    ``bad_index`` and ``bad_offset`` saying where the log broke)."""

    def __init__(self, status, message, info):
        super().__init__(status, message)
        self.info = info


@_cdoc("hs_audit_verify")
def audit_verify(data, device_public, anchor=None):
    """Verify a log file's bytes or an export with the device's 32-byte
    public key; ``anchor`` is an :class:`AuditHead` kept from an earlier
    verification (None: truncation of the end cannot be detected). Returns
    a dict (count, first_seq, exported, torn_bytes, head (the next anchor),
    key_public); raises :class:`AuditError` naming the broken entry."""
    mv = _buffer(data, "audit_verify")
    ctx = _ctx()
    if anchor is not None:
        anchor = tuple(anchor)
    s, info = _c("hs_py_audit_verify")(ctx, mv, device_public, anchor)
    info["head"] = AuditHead(*info["head"])
    if s < 0:
        raise AuditError(s, _c("hs_ctx_last_error")(ctx), info)
    return info


class AuditView(_Handle):
    """A parsed, read-only copy of a log file's bytes or an export, for
    display: ``len(view)``, ``view[i]`` (a dict per entry). Not verified:
    use :func:`audit_verify`."""

    _free = _c("hs_audit_view_free")

    @_cdoc("hs_audit_view_new")
    def __init__(self, data):
        mv = _buffer(data, "AuditView")
        ctx = _ctx()
        s, h = _c("hs_audit_view_new")(ctx, mv)
        _check(s, ctx)
        super().__init__(h)

    @classmethod
    def load(cls, path):
        """The log of a directory (its audit.log) or a log or export file."""
        p = _path(path)
        if os.path.isdir(p):
            p = os.path.join(p, capi.HS_AUDIT_FILE_NAME)
        with open(p, "rb") as f:
            return cls(f.read())

    def __len__(self):
        with self._use as h:
            return _c("hs_audit_view_count")(h)

    @property
    def log_id(self):
        with self._use as h:
            return _c("hs_py_audit_view_ident")(h)[0]

    @property
    def first_seq(self):
        with self._use as h:
            return _c("hs_py_audit_view_ident")(h)[1]

    def __getitem__(self, index):
        n = len(self)
        if index < 0:
            index += n
        if not 0 <= index < n:
            raise IndexError("audit entry %d of %d" % (index, n))
        ctx = _ctx()
        with self._use as h:
            s, rec = _c("hs_py_audit_view_entry")(ctx, h, index)
        _check(s, ctx)
        return rec

    def __iter__(self):
        for i in range(len(self)):
            yield self[i]


__all__ += ["device_keygen", "device_sign_public", "device_key_save", "device_key_load",
            "AuditHead", "AuditLog", "AuditError", "AuditView", "audit_verify"]


# ---- the device's outbox (outbox.h) -------------------------------------------

#: Encounter states in an :class:`Outbox` entry, by name.
OUTBOX_STATES = {1: "queued", 2: "exported", 3: "acknowledged", 4: "purged"}

OutboxEntry = collections.namedtuple(
    "OutboxEntry", "id state time_ms appended_ms exported_ms decision candidate_count "
                   "sealed_bytes shown")
OutboxEntry.__doc__ = """One encounter of an outbox: its receipt (no biometric data) and state.
``id`` is 16 bytes, ``state`` a name of OUTBOX_STATES, times UTC ms."""


class Outbox(_Handle):
    """The device's crash-safe store of sealed encounters (outbox.h).

    ``Outbox(dir, device_public=..., authority_sign_public=..., audit=...)``
    opens (or creates, when ``device_public`` is given) the outbox in ``dir``;
    a writable outbox holds the directory's lock until :meth:`close`.
    ``append(sealed)`` returns once the sealed encounter (bytes from the
    encounter module) is on disk; :meth:`export` writes the unacknowledged
    ones as one batch for the centre; :meth:`ack` applies the centre's signed
    acknowledgement (wiping what it names; a replay raises Error with
    ERR_REPLAY); :meth:`purge` removes what was not acknowledged within the
    retention period; :func:`outbox_verify` checks every byte of a directory.
    ``audit`` is an audit log handle object (its C handle in ``._h``) that
    every append, export, ack and purge is logged to; keep it open while the
    outbox is.
    """
    _free = _c("hs_outbox_close")
    _exclusive = True

    @_cdoc("hs_outbox_open")
    def __init__(self, dir, device_public=None, authority_sign_public=None, audit=None,
                 operator=None, max_bytes=0, max_count=0, retention_ms=0, readonly=False,
                 nowait=False):
        flags = (capi.HS_OUTBOX_OPEN_READONLY if readonly else 0) | \
                (capi.HS_OUTBOX_OPEN_NOWAIT if nowait else 0)
        ah = None
        if audit is not None:
            ah = getattr(audit, "_h", audit)
            if ah is None:
                raise ClosedError(type(audit).__name__)
        ctx = _ctx()
        s, h = _c("hs_py_outbox_open")(
            ctx, _path(dir), flags, int(max_bytes), int(max_count), int(retention_ms), ah,
            None if operator is None else _text(operator, "operator"),
            None if device_public is None else bytes(_buffer(device_public, "device_public")),
            None if authority_sign_public is None
            else bytes(_buffer(authority_sign_public, "authority_sign_public")))
        _check(s, ctx)
        _Handle.__init__(self, h, keep=audit)

    def __len__(self):
        with self._use as h:
            return _c("hs_outbox_count")(h)

    @_cdoc("hs_outbox_append")
    def append(self, sealed):
        """Append a sealed encounter; durable on return."""
        ctx = _ctx()
        with self._write as h:
            _check(_c("hs_outbox_append")(ctx, h, _buffer(sealed, "sealed")), ctx)

    def entry(self, index):
        """Encounter ``index`` (0 = oldest) as an :class:`OutboxEntry`."""
        with self._use as h:
            d = _c("hs_py_outbox_entry")(h, int(index))
        if d is None:
            raise IndexError("outbox index %d out of range" % index)
        d["state"] = OUTBOX_STATES.get(d["state"], d["state"])
        return OutboxEntry(**d)

    def entries(self):
        """Every encounter, oldest first."""
        return [self.entry(i) for i in range(len(self))]

    @_cdoc("hs_outbox_sealed")
    def sealed(self, index):
        """The sealed bytes of encounter ``index`` (checked against their checksum)."""
        ctx = _ctx()
        with self._use as h:
            s, n = _c("hs_outbox_sealed")(ctx, None, h, int(index))
            _check(s, ctx)
            buf = bytearray(n)
            s, n = _c("hs_outbox_sealed")(ctx, buf, h, int(index))
            _check(s, ctx)
        return bytes(buf[:n])

    @property
    @_cdoc("hs_outbox_info_get")
    def info(self):
        """Fill level and counters as a dict (count, queued, exported,
        max_count, fill_permille, bytes, max_bytes, oldest_ms, dropped_bytes,
        acks_applied, forgotten)."""
        with self._use as h:
            s, i = _c("hs_outbox_info_get")(h)
        _check(s)
        return {k: getattr(i, k) for k in ("count", "queued", "exported", "max_count",
                                            "fill_permille", "bytes", "max_bytes", "oldest_ms",
                                            "dropped_bytes", "acks_applied", "forgotten")}

    @_cdoc("hs_outbox_export")
    def export(self, path, new_only=False):
        """Write the unacknowledged encounters as one batch to ``path``;
        returns how many (0: nothing written)."""
        ctx = _ctx()
        with self._write as h:
            s, n = _c("hs_outbox_export")(ctx, h, _path(path),
                                          capi.HS_OUTBOX_EXPORT_NEW_ONLY if new_only else 0)
        _check(s, ctx)
        return n

    @_cdoc("hs_outbox_ack")
    def ack(self, data):
        """Apply the authority's acknowledgement (bytes); returns how many
        encounters it removed."""
        ctx = _ctx()
        with self._write as h:
            s, n = _c("hs_outbox_ack")(ctx, h, _buffer(data, "acknowledgement"))
        _check(s, ctx)
        return n

    @_cdoc("hs_outbox_purge")
    def purge(self, now_ms=0):
        """Purge what was not acknowledged within the retention period
        (``now_ms`` 0: the clock); returns how many."""
        ctx = _ctx()
        with self._write as h:
            s, n = _c("hs_outbox_purge")(ctx, h, int(now_ms))
        _check(s, ctx)
        return n

    def __repr__(self):
        if self._h is None:
            return "<hotspot.Outbox closed>"
        return "<hotspot.Outbox %d encounters>" % len(self)


@_cdoc("hs_outbox_verify")
def outbox_verify(dir):
    """Check every byte of the outbox in ``dir``; returns a dict (records,
    encounters, bytes); raises Error naming the offset of the first damage."""
    ctx = _ctx()
    s, i = _c("hs_outbox_verify")(ctx, _path(dir))
    _check(s, ctx)
    return {"records": i.records, "encounters": i.encounters, "bytes": i.bytes}


__all__ += ["Outbox", "OutboxEntry", "OUTBOX_STATES", "outbox_verify"]


# ---- encounters (hotspot/encounter.py) ----------------------------------------------
from . import encounter  # noqa: E402
from .encounter import *  # noqa: E402,F401,F403
__all__ += encounter.__all__
