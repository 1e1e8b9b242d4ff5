"""Encounters sealed to the central authority (include/hotspot/encounter.h).

On the device: :class:`Encounter` holds one capture (finger images and
templates, a face, metadata, the offline result); :meth:`Encounter.seal`
encrypts it to the authority and signs it with the device key;
:func:`sealed_receipt` reads what stays readable; :func:`batch_encode` puts
sealed records in one file; :func:`ack_verify` checks an acknowledgement.

At the centre: :func:`authority_keygen` and the key files, a
:class:`Registry` of device keys, :class:`SeenIds` (replay refusal),
:func:`open_encounter` and :func:`open_batch`, :func:`ack_make`.

Keys and ids are ``bytes``: the authority's box key pair (X25519, 32 + 32),
signing pair (Ed25519, 32 + 64); a device's Ed25519 pair (32 + 64).
"""

import collections

from . import (capi, Error, Image, FingerTemplate, Transaction, _Handle, _buffer, _c, _cdoc,
               _check, _ctx, _handle_of, _path, _text)

__all__ = ["Encounter", "Registry", "SeenIds", "OpenedRecord", "AuthorityKeys",
           "authority_keygen", "authority_save", "authority_load_public",
           "authority_load_secret", "sealed_receipt", "batch_encode", "open_encounter",
           "open_batch", "ack_make", "ack_verify", "DECISIONS"]

#: Decision names and their HS_ENCOUNTER_* values.
DECISIONS = {"no_hit": 0, "hit": 1, "possible_hit": 2, "not_searched": 3}
_DECISION_NAMES = {v: k for k, v in DECISIONS.items()}

_TEXT_KEYS = {"device_id": 1, "operator_id": 2, "location": 3, "reason": 4, "shown": 5,
              "ori": 6, "ori_name": 7, "dai": 8, "dai_name": 9, "ori_country": 10,
              "dai_country": 11}

#: The authority's four keys (bytes).
AuthorityKeys = collections.namedtuple("AuthorityKeys",
                                       "box_public box_secret sign_public sign_secret")


def _receipt(d):
    if d is None:
        return None
    d = dict(d)
    d["decision"] = _DECISION_NAMES.get(d["decision"], d["decision"])
    return d


class Encounter(_Handle):
    """One capture at the frontline. ``Encounter()`` has a fresh random id,
    the current UTC time and decision "not_searched"."""

    _free = _c("hs_encounter_free")

    @_cdoc("hs_encounter_new")
    def __init__(self):
        ctx = _ctx()
        s, h = _c("hs_encounter_new")(ctx)
        _check(s, ctx)
        super().__init__(h)

    @property
    def id(self):
        """The 16-byte id (bytes); settable."""
        with self._use as h:
            return _c("hs_py_encounter_id")(h)

    @id.setter
    def id(self, value):
        ctx = _ctx()
        with self._write as h:
            _check(_c("hs_py_encounter_set_id")(ctx, h, bytes(value)), ctx,
                   "an id is 16 bytes, not all zero")

    @property
    def time_ms(self):
        """Capture time, UTC milliseconds since 1970; settable."""
        with self._use as h:
            return _c("hs_encounter_time")(h)

    @time_ms.setter
    def time_ms(self, value):
        ctx = _ctx()
        with self._write as h:
            _check(_c("hs_encounter_set_time")(ctx, h, int(value)), ctx)

    def set_text(self, key, value):
        """Set a metadata text: key "device_id", "operator_id", "location",
        "reason", "shown", "ori", "ori_name", "dai", "dai_name", "ori_country"
        or "dai_country"; None or "" clears it."""
        if key not in _TEXT_KEYS:
            raise Error(capi.HS_ERR_INVALID_ARG, "unknown text key %r" % (key,))
        ctx = _ctx()
        with self._write as h:
            _check(_c("hs_encounter_set_text")(ctx, h, _TEXT_KEYS[key],
                                               None if value is None else _text(value, key)), ctx)

    def text(self, key):
        """A metadata text ("" when not set)."""
        if key not in _TEXT_KEYS:
            raise Error(capi.HS_ERR_INVALID_ARG, "unknown text key %r" % (key,))
        with self._use as h:
            return _c("hs_py_encounter_text")(h, _TEXT_KEYS[key])

    def set_field(self, key, value):
        """Set a free field (key [a-z0-9_.-]{1,32}); value None removes it."""
        ctx = _ctx()
        with self._write as h:
            _check(_c("hs_encounter_set_field")(ctx, h, _text(key, "key"),
                                                None if value is None else _text(value, key)),
                   ctx)

    def fields(self):
        """The free fields as a dict, in the order set."""
        with self._use as h:
            return dict(_c("hs_py_encounter_fields")(h))

    def add_finger_image(self, image, position, quality=255):
        """Add a copy of a grey finger image at position 1-10 (NQM quality
        0-100, 255 none)."""
        img = _handle_of(image, Image, "finger image")
        ctx = _ctx()
        with self._write as h, img._use as ih:
            _check(_c("hs_encounter_add_finger_image")(ctx, h, ih, int(position), int(quality)),
                   ctx)

    def add_finger_template(self, template, view=0):
        """Add a copy of one view of a template (its position 1-10)."""
        t = _handle_of(template, FingerTemplate, "template")
        ctx = _ctx()
        with self._write as h, t._use as th:
            _check(_c("hs_encounter_add_finger_template")(ctx, h, th, int(view)), ctx)

    @property
    def finger_count(self):
        """Number of finger images."""
        with self._use as h:
            return _c("hs_encounter_finger_count")(h)

    def set_face(self, image):
        """Set the face from an Image (stored as a grey JPEG)."""
        img = _handle_of(image, Image, "face image")
        ctx = _ctx()
        with self._write as h, img._use as ih:
            _check(_c("hs_encounter_set_face")(ctx, h, ih), ctx)

    def set_face_jpeg(self, jpeg):
        """Set the face from JPEG bytes (kept as they are)."""
        ctx = _ctx()
        with self._write as h:
            _check(_c("hs_encounter_set_face_jpeg")(ctx, h, _buffer(jpeg, "face JPEG")), ctx)

    def face_jpeg(self):
        """The face JPEG (bytes) or None."""
        with self._use as h:
            return _c("hs_py_encounter_face_jpeg")(h)

    @property
    def decision(self):
        """The offline decision: "no_hit", "hit", "possible_hit" or
        "not_searched"; settable."""
        with self._use as h:
            return _DECISION_NAMES[_c("hs_encounter_decision")(h)]

    @decision.setter
    def decision(self, value):
        if value not in DECISIONS:
            raise Error(capi.HS_ERR_INVALID_ARG, "decision must be one of %s" % list(DECISIONS))
        ctx = _ctx()
        with self._write as h:
            _check(_c("hs_encounter_set_decision")(ctx, h, DECISIONS[value]), ctx)

    @property
    def watchlist_version(self):
        """Version of the list searched offline; settable."""
        with self._use as h:
            return _c("hs_encounter_watchlist_version")(h)

    @watchlist_version.setter
    def watchlist_version(self, value):
        ctx = _ctx()
        with self._write as h:
            _check(_c("hs_encounter_set_watchlist_version")(ctx, h, int(value)), ctx)

    def add_candidate(self, subject, score, hit=False):
        """Append a candidate of the offline search."""
        ctx = _ctx()
        with self._write as h:
            _check(_c("hs_encounter_add_candidate")(ctx, h, _text(subject, "subject"),
                                                    float(score), 1 if hit else 0), ctx)

    def candidates(self):
        """The candidates as a list of (subject, score, hit)."""
        with self._use as h:
            return _c("hs_py_encounter_candidates")(h)

    @_cdoc("hs_encounter_result_json")
    def result_json(self):
        """The offline result and metadata as JSON text (no biometric data)."""
        ctx = _ctx()
        with self._use as h:
            s, j = _c("hs_py_encounter_result_json")(ctx, h)
        _check(s, ctx)
        return j

    @_cdoc("hs_encounter_transaction")
    def transaction(self, tot="CPS"):
        """The INT-I search transaction (a :class:`Transaction`)."""
        ctx = _ctx()
        with self._use as h:
            s, n = _c("hs_encounter_transaction")(ctx, h, str(tot))
        _check(s, ctx)
        return Transaction._from(n)

    @_cdoc("hs_encounter_seal")
    def seal(self, authority_box_public, device_sign_secret, tot="CPS"):
        """The sealed record (bytes): encrypted to the authority's box key,
        signed with the device's Ed25519 secret key (64 bytes)."""
        ctx = _ctx()
        with self._use as h:
            s, data = _c("hs_py_encounter_seal")(ctx, h, bytes(authority_box_public),
                                                 bytes(device_sign_secret), str(tot))
        _check(s, ctx)
        return data

    def __repr__(self):
        if self._h is None:
            return "<hotspot.Encounter closed>"
        return "<hotspot.Encounter %s %s>" % (self.id.hex(), self.decision)


def authority_keygen():
    """A new :class:`AuthorityKeys`. Keep the secrets secret."""
    s, bp, bs, sp, ss = _c("hs_py_encounter_keygen_authority")()
    _check(s)
    return AuthorityKeys(bp, bs, sp, ss)


@_cdoc("hs_encounter_authority_save")
def authority_save(public_path, secret_path, keys):
    """Write the authority's key files (the secret one mode 0600); refuses
    to overwrite."""
    ctx = _ctx()
    _check(_c("hs_py_encounter_authority_save")(ctx, _path(public_path), _path(secret_path),
                                                bytes(keys.box_public), bytes(keys.box_secret),
                                                bytes(keys.sign_public), bytes(keys.sign_secret)),
           ctx)


def authority_load_public(path):
    """(box_public, sign_public) from an authority public key file."""
    ctx = _ctx()
    s, box, sig = _c("hs_py_encounter_authority_load")(ctx, _path(path), 0)
    _check(s, ctx)
    return box, sig


def authority_load_secret(path):
    """(box_secret, sign_secret) from an authority secret key file."""
    ctx = _ctx()
    s, box, sig = _c("hs_py_encounter_authority_load")(ctx, _path(path), 1)
    _check(s, ctx)
    return box, sig


@_cdoc("hs_encounter_sealed_receipt")
def sealed_receipt(sealed):
    """The receipt of a sealed record as a dict (id, time_ms, device_public,
    decision, candidate_count, shown), after checking its device signature."""
    ctx = _ctx()
    s, r = _c("hs_py_encounter_sealed_receipt")(ctx, _buffer(sealed, "sealed encounter"))
    _check(s, ctx)
    return _receipt(r)


@_cdoc("hs_encounter_batch_encode")
def batch_encode(records):
    """One batch file (bytes) holding the sealed records given."""
    ctx = _ctx()
    s, data = _c("hs_py_encounter_batch_encode")(ctx, [bytes(r) for r in records])
    _check(s, ctx)
    return data


@_cdoc("hs_encounter_ack_make")
def ack_make(device_public, ids, authority_sign_secret):
    """An acknowledgement (bytes) for a device naming the ids (16 bytes each)."""
    ctx = _ctx()
    s, data = _c("hs_py_encounter_ack_make")(ctx, bytes(device_public),
                                             b"".join(bytes(i) for i in ids),
                                             bytes(authority_sign_secret))
    _check(s, ctx)
    return data


@_cdoc("hs_encounter_ack_verify")
def ack_verify(data, authority_sign_public, device_public):
    """Verify an acknowledgement; a dict (ids, nonce, time_ms, device_public).
    Raises Error(ERR_SIGNATURE) for another authority, another device or
    altered bytes."""
    ctx = _ctx()
    s, d = _c("hs_py_encounter_ack_verify")(ctx, _buffer(data, "acknowledgement"),
                                            bytes(authority_sign_public), bytes(device_public))
    _check(s, ctx)
    return d


class Registry(_Handle):
    """Device public keys known to the centre (``Registry()`` empty,
    :meth:`load` from a directory of NAME.pub files and a revoked list)."""

    _free = _c("hs_encounter_registry_free")

    def __init__(self):
        ctx = _ctx()
        s, h = _c("hs_encounter_registry_new")(ctx)
        _check(s, ctx)
        super().__init__(h)

    @classmethod
    @_cdoc("hs_encounter_registry_load")
    def load(cls, directory):
        ctx = _ctx()
        s, h = _c("hs_encounter_registry_load")(ctx, _path(directory))
        _check(s, ctx)
        return cls._adopt(h)

    def add(self, device_public, name):
        """Add a device key under a name ([A-Za-z0-9_.-]{1,64})."""
        ctx = _ctx()
        with self._write as h:
            _check(_c("hs_py_encounter_registry_key")(ctx, h, bytes(device_public),
                                                      _text(name, "name"), 0), ctx)

    def revoke(self, device_public):
        """Mark a device key revoked."""
        ctx = _ctx()
        with self._write as h:
            _check(_c("hs_py_encounter_registry_key")(ctx, h, bytes(device_public), "", 1), ctx)

    def lookup(self, device_public):
        """(state, name): state 1 valid, 0 unknown, -1 revoked."""
        with self._use as h:
            return tuple(_c("hs_py_encounter_registry_lookup")(h, bytes(device_public)))


class SeenIds(_Handle):
    """The encounter ids the centre has opened (replay refusal)."""

    _free = _c("hs_encounter_seen_free")

    def __init__(self):
        ctx = _ctx()
        s, h = _c("hs_encounter_seen_new")(ctx)
        _check(s, ctx)
        super().__init__(h)

    @classmethod
    @_cdoc("hs_encounter_seen_load")
    def load(cls, path, create=False):
        """Read a seen-ids file; ``create``: an absent file gives an empty set."""
        ctx = _ctx()
        s, h = _c("hs_encounter_seen_load")(ctx, _path(path),
                                            capi.HS_ENCOUNTER_SEEN_CREATE if create else 0)
        _check(s, ctx)
        return cls._adopt(h)

    @_cdoc("hs_encounter_seen_save")
    def save(self, path):
        ctx = _ctx()
        with self._use as h:
            _check(_c("hs_encounter_seen_save")(ctx, _path(path), h), ctx)

    def add(self, encounter_id):
        ctx = _ctx()
        with self._write as h:
            _check(_c("hs_py_encounter_seen_id")(ctx, h, bytes(encounter_id), 1), ctx)

    def __contains__(self, encounter_id):
        with self._use as h:
            return bool(_c("hs_py_encounter_seen_id")(None, h, bytes(encounter_id), 0))

    def __len__(self):
        with self._use as h:
            return _c("hs_encounter_seen_count")(h)


def _opened(h):
    e = Encounter.__new__(Encounter)
    _Handle.__init__(e, h)
    return e


@_cdoc("hs_encounter_open")
def open_encounter(sealed, authority_box_secret, registry, seen=None):
    """Open one sealed record at the centre: (Encounter without images,
    Transaction). Refusals raise Error with ERR_REVOKED (unknown or revoked
    device), ERR_SIGNATURE, ERR_DECRYPT or ERR_REPLAY."""
    reg = _handle_of(registry, Registry, "registry")
    ctx = _ctx()
    with reg._use as rh:
        if seen is None:
            s, e, n = _c("hs_py_encounter_open")(ctx, _buffer(sealed, "sealed"),
                                                 bytes(authority_box_secret), rh, None)
        else:
            with _handle_of(seen, SeenIds, "seen")._write as sh:
                s, e, n = _c("hs_py_encounter_open")(ctx, _buffer(sealed, "sealed"),
                                                     bytes(authority_box_secret), rh, sh)
    _check(s, ctx)
    return _opened(e), Transaction._from(n)


#: One record of an opened batch: status (0 = opened), reason, receipt
#: (dict or None), result (JSON text or None), transaction (Transaction or None).
OpenedRecord = collections.namedtuple("OpenedRecord",
                                      "status reason receipt result transaction")


@_cdoc("hs_encounter_batch_open")
def open_batch(data, authority_box_secret, registry, seen=None):
    """Open every record of a batch: a list of :class:`OpenedRecord`.
    Framing errors (truncation, damaged header) raise Error."""
    reg = _handle_of(registry, Registry, "registry")
    ctx = _ctx()
    with reg._use as rh:
        if seen is None:
            s, b = _c("hs_py_encounter_batch_open")(ctx, _buffer(data, "batch"),
                                                    bytes(authority_box_secret), rh, None)
        else:
            with _handle_of(seen, SeenIds, "seen")._write as sh:
                s, b = _c("hs_py_encounter_batch_open")(ctx, _buffer(data, "batch"),
                                                        bytes(authority_box_secret), rh, sh)
    _check(s, ctx)
    try:
        out = []
        for i in range(_c("hs_encounter_batch_count")(b)):
            st, why, rec, js, tx = _c("hs_py_encounter_batch_item")(ctx, b, i)
            out.append(OpenedRecord(st, why, _receipt(rec), js,
                                    None if tx is None else Transaction.decode(tx)))
        return out
    finally:
        _c("hs_encounter_batch_free")(b)
