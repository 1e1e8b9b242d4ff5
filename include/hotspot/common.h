/*
 * libhotspot - frontline biometric screening
 *
 * common.h: version, status codes, the context object (allocator, input
 * limits, last error message). Every other module header includes this one.
 *
 * Conventions used by every module:
 *  - Functions that can fail return hs_status: HS_OK (0) or a negative code.
 *    Codes are appended, never renumbered.
 *  - Constructors are `hs_status hs_x_new(hs_ctx *ctx, hs_x **out, ...)`; on
 *    failure *out is set to NULL. `hs_x_free(NULL)` is a no-op.
 *  - A context (hs_ctx) may be NULL wherever one is accepted: the library then
 *    uses malloc/free, the default limits, and discards detailed messages.
 *  - Objects keep a copy of the allocator of the context that made them, so
 *    they can be freed without it and outlive it.
 *
 * Thread-safety (the phrases of docs/conventions.md, section 8): a ctx
 * records the last error, so calls taking one (the file functions) are "One
 * thread per object", the object being the ctx (with ctx NULL nothing is
 * recorded). Changing or freeing a ctx, freeing a file buffer and releasing
 * a lock are "Exclusive"; reading a ctx is "Concurrent readers". Creating a
 * ctx, the version and status texts and the limit bounds touch no shared
 * state: "Thread-safe".
 */
#ifndef HOTSPOT_COMMON_H
#define HOTSPOT_COMMON_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** @defgroup common Common: version, status, context
 *  @{ */

/* ---- Export macro ------------------------------------------------------ */
#if defined(HOTSPOT_STATIC)
#  define HS_API
#elif defined(_WIN32)
#  if defined(HOTSPOT_BUILDING)
#    define HS_API __declspec(dllexport)
#  else
#    define HS_API __declspec(dllimport)
#  endif
#elif defined(__GNUC__) && __GNUC__ >= 4
#  define HS_API __attribute__((visibility("default")))
#else
#  define HS_API
#endif

/* ---- Version ----------------------------------------------------------- */
#define HS_VERSION_MAJOR 1
#define HS_VERSION_MINOR 1
#define HS_VERSION_PATCH 0
/** Version as one number, MAJOR*10000 + MINOR*100 + PATCH (0.1.0 = 100). */
#define HS_VERSION_NUMBER \
    (HS_VERSION_MAJOR * 10000 + HS_VERSION_MINOR * 100 + HS_VERSION_PATCH)
#define HS_VERSION_STRING "1.1.0"

/** Runtime library version number; compare with HS_VERSION_NUMBER to detect a
 *  header/library mismatch. Cannot fail. Thread-safe. @since 1.0 */
HS_API unsigned hs_version_number(void);

/** Runtime library version as text, e.g. "1.0.0". The text is static:
 *  never free it. Cannot fail. Thread-safe. @since 1.0 */
HS_API const char *hs_version_string(void);

/* ---- Status codes (append only, never renumber) ------------------------ */
typedef int hs_status;

#define HS_OK                      0
#define HS_ERR_INVALID_ARG        -1  /**< NULL pointer, value out of range */
#define HS_ERR_NOMEM              -2  /**< allocation failed */
#define HS_ERR_IO                 -3  /**< file could not be opened, read or written */
#define HS_ERR_FORMAT             -4  /**< unknown format or wrong magic */
#define HS_ERR_TRUNCATED          -5  /**< input ends before the record does */
#define HS_ERR_CORRUPT            -6  /**< inconsistent lengths, counts or values */
#define HS_ERR_UNSUPPORTED        -7  /**< valid input using an unsupported feature */
#define HS_ERR_LIMIT              -8  /**< input exceeds a context limit */
#define HS_ERR_BUFFER_TOO_SMALL   -9  /**< caller's output buffer is too small */
#define HS_ERR_NO_FINGERPRINT    -10  /**< no usable fingerprint found in the image */
#define HS_ERR_NO_FACE           -11  /**< no face found in the image */
#define HS_ERR_CHECKSUM          -12  /**< integrity check (CRC) failed */
#define HS_ERR_SIGNATURE         -13  /**< signature does not verify */
#define HS_ERR_DECRYPT           -14  /**< wrong key, or ciphertext altered */
#define HS_ERR_ROLLBACK          -15  /**< package older than the one installed */
#define HS_ERR_NOT_FOUND         -16  /**< no such item (subject id, view, ...) */
#define HS_ERR_EXISTS            -17  /**< item already present (duplicate id) */
#define HS_ERR_MODEL             -18  /**< model file missing, corrupt or wrong shape */
#define HS_ERR_NOT_BUILT         -19  /**< feature compiled out of this build */
#define HS_ERR_INTERNAL          -20  /**< internal error (a bug: please report) */
#define HS_ERR_STATE             -21  /**< object in the wrong state for this call */
#define HS_ERR_VERSION           -22  /**< format version newer than this library reads */
#define HS_ERR_THREAD            -23  /**< a thread could not be started */
#define HS_ERR_UNAVAILABLE       -24  /**< a server, or part of a distributed service, did not answer in time */
#define HS_ERR_LOCKED            -25  /**< another writer holds the file's lock */
#define HS_ERR_FULL              -26  /**< a store reached its size or count limit (@since 1.1) */
#define HS_ERR_REPLAY            -27  /**< message already seen: replayed acknowledgement or encounter (@since 1.1) */
#define HS_ERR_REVOKED           -28  /**< key unknown to the registry or revoked (@since 1.1) */

/** English text for a status code; never NULL (unknown codes get "unknown
 *  status"). The text is static: never free it. Cannot fail. Thread-safe.
 *  @since 1.0 */
HS_API const char *hs_status_str(hs_status status);

/** Cheap error test, in the manner of ZSTD_isError(). */
#define HS_FAILED(s) ((s) < 0)

/* ---- Allocator --------------------------------------------------------- */

/** Custom allocator. All three functions are required when one is given.
 *  realloc_fn follows C realloc semantics. The struct layout is frozen.
 *  @since 1.0 */
typedef struct hs_allocator {
    void *(*malloc_fn)(void *opaque, size_t size);
    void *(*realloc_fn)(void *opaque, void *ptr, size_t size);
    void (*free_fn)(void *opaque, void *ptr);
    void *opaque;
} hs_allocator;

/* ---- Context ----------------------------------------------------------- */

/** Opaque context: allocator, input limits and the last detailed error. */
typedef struct hs_ctx hs_ctx;

/** Keys for hs_ctx_set_limit() / hs_ctx_get_limit() / hs_limit_bounds();
 *  values are uint64_t. Append only, never renumbered. @since 1.0 */
typedef enum hs_limit {
    HS_LIMIT_MAX_PIXELS         = 1, /**< width*height of a decoded image (default 64 Mpx) */
    HS_LIMIT_MAX_DIMENSION      = 2, /**< width or height of an image (default 32768) */
    HS_LIMIT_MAX_MINUTIAE       = 3, /**< minutiae per finger view (default 255) */
    HS_LIMIT_MAX_TEMPLATE_BYTES = 4, /**< encoded template size (default 1 MiB) */
    HS_LIMIT_MAX_FILE_BYTES     = 5, /**< any file read whole by the library (default 1 GiB) */
    HS_LIMIT_MAX_VIEWS          = 6  /**< finger views per template (default 32) */
} hs_limit;

/** Create a context with the default limits. @p alloc may be NULL for
 *  malloc/free; it is copied, so it need not outlive the call. *out belongs
 *  to the caller (hs_ctx_free()); on failure it is NULL. Errors:
 *  HS_ERR_INVALID_ARG (out NULL, or alloc with a NULL function),
 *  HS_ERR_NOMEM; no other. Thread-safe. @since 1.0 */
HS_API hs_status hs_ctx_new(hs_ctx **out, const hs_allocator *alloc);

/** Free a context; NULL is accepted. Nothing is wiped: it holds limits and
 *  the last message, never biometric data. Objects created with it stay
 *  valid (they keep their own copy of the allocator). Exclusive.
 *  @since 1.0 */
HS_API void hs_ctx_free(hs_ctx *ctx);

/** Set input limit @p key to @p value for later calls with @p ctx. No
 *  output. Errors: HS_ERR_INVALID_ARG only (ctx NULL, unknown key, or a
 *  value outside hs_limit_bounds(); the message gives the range); the ctx
 *  is unchanged on failure. Exclusive. @since 1.0 */
HS_API hs_status hs_ctx_set_limit(hs_ctx *ctx, hs_limit key, uint64_t value);

/** Current value of limit @p key into *value (written only on success);
 *  with ctx NULL, the default. Errors: HS_ERR_INVALID_ARG only (value NULL
 *  or unknown key). Concurrent readers. @since 1.0 */
HS_API hs_status hs_ctx_get_limit(const hs_ctx *ctx, uint64_t *value, hs_limit key);

/** Allowed range of limit @p key into *min_value and *max_value (either may
 *  be NULL; written only on success). Errors: HS_ERR_INVALID_ARG only
 *  (unknown key or both outputs NULL). Thread-safe. @since 1.0 */
HS_API hs_status hs_limit_bounds(uint64_t *min_value, uint64_t *max_value, hs_limit key);

/** Detailed message of the last failed call made with @p ctx ("" if none,
 *  or for NULL). The text is borrowed from the ctx: valid until the next
 *  call with ctx or its free; never free it. Cannot fail. Concurrent
 *  readers. @since 1.0 */
HS_API const char *hs_ctx_last_error(const hs_ctx *ctx);

/** Status of the last failed call made with @p ctx (HS_OK if none, or for
 *  NULL). Cannot fail. Concurrent readers. @since 1.0 */
HS_API hs_status hs_ctx_last_status(const hs_ctx *ctx);

/** Record @p status and @p message (copied, cut to 255 bytes; NULL gives
 *  "") as the last error of @p ctx and return @p status, for libraries built
 *  on this one (libhotspot-cluster) so that their failures read like ours
 *  (libgit2's git_error_set_str). The message must not contain biometric
 *  data. NULL ctx: nothing recorded. One thread per object. @since 1.0 */
HS_API hs_status hs_ctx_set_error(hs_ctx *ctx, hs_status status, const char *message);

/** Forget the last error: status HS_OK, message "". NULL is accepted.
 *  Cannot fail. Exclusive. @since 1.0 */
HS_API void hs_ctx_clear_error(hs_ctx *ctx);

/* ---- Files ------------------------------------------------------------- */

/** Flag of hs_file_save(): create the file readable and writable by its
 *  owner only (mode 0600), for biometric data and keys. @since 1.0 */
#define HS_FILE_PRIVATE 0x1u

/** Read a whole regular file into memory. The file is opened without
 *  blocking and its type checked before anything is read: a directory,
 *  FIFO, device or socket is refused, as is a file larger than the
 *  context's HS_LIMIT_MAX_FILE_BYTES (before any allocation).
 *  Ownership: *data is allocated with the context's allocator and belongs
 *  to the caller, who releases it with hs_file_free() passing a context
 *  with the same allocator (the same ctx, or NULL when ctx was NULL). On
 *  failure *data is NULL and *size 0.
 *  Errors: HS_ERR_IO (cannot open or read, not a regular file, shrank while
 *  read), HS_ERR_LIMIT (too large). One thread per object. @since 1.0 */
HS_API hs_status hs_file_read(hs_ctx *ctx, void **data, size_t *size, const char *path);

/** Free @p data (a buffer from hs_file_read()) with the allocator of
 *  @p ctx; NULL is accepted (as data). Its @p size bytes are wiped first
 *  (files often hold biometric data). The ctx is only read. Cannot fail.
 *  Exclusive. @since 1.0 */
HS_API void hs_file_free(hs_ctx *ctx, void *data, size_t size);

/** Write @p size bytes to @p path atomically: readers see the old file or
 *  the whole new one, never a part, even after a crash. The bytes go to a
 *  new temporary file with a random name in the same directory (created
 *  exclusively, never through a symlink), which is flushed to disk, renamed
 *  over @p path, and the directory flushed. Without HS_FILE_PRIVATE the new
 *  file has mode 0666 less the umask. On failure the temporary file is
 *  removed and @p path is unchanged (unless only the final directory flush
 *  failed: the new file is then in place). No output; @p data is only read.
 *  Errors: HS_ERR_INVALID_ARG (NULL or empty path, NULL data with a
 *  non-zero size, unknown flag), HS_ERR_IO, HS_ERR_NOMEM. One thread per object. Two saves to one
 *  path at once are safe (distinct temporaries); the last rename wins.
 *  @since 1.0 */
HS_API hs_status hs_file_save(hs_ctx *ctx, const char *path, const void *data, size_t size,
                              uint32_t flags);

/** An exclusive advisory lock serialising the writers of one file. */
typedef struct hs_file_lock hs_file_lock;

/** Flag of hs_file_lock_acquire(): fail at once with HS_ERR_LOCKED when
 *  another writer holds the lock, instead of waiting for it. @since 1.0 */
#define HS_FILE_LOCK_NOWAIT 0x1u

/** Take the exclusive lock of @p path, for a read-modify-write of the file
 *  (load, change, hs_file_save or hs_watchlist_save) that must not lose a
 *  concurrent writer's update. The lock is a flock(2) on the companion file
 *  "<path>.lock" (created mode 0600, never through a symlink), so that it
 *  survives the atomic rename of @p path itself; it is released by
 *  hs_file_lock_release() or when the process ends, also when it is killed.
 *  Every process and thread that writes the file must take it; readers need
 *  not (saves are atomic). Waits for the holder unless HS_FILE_LOCK_NOWAIT.
 *  Once locked, temporaries of @p path left by a killed writer are removed.
 *  Ownership: *out belongs to the caller, released with
 *  hs_file_lock_release(); NULL on failure. Errors: HS_ERR_LOCKED (NOWAIT
 *  and held), HS_ERR_IO (the lock file cannot be created or locked, or is
 *  not a regular file), HS_ERR_NOMEM. One thread per object. @since 1.0 */
HS_API hs_status hs_file_lock_acquire(hs_ctx *ctx, hs_file_lock **out, const char *path,
                                      uint32_t flags);

/** Release a lock from hs_file_lock_acquire() and free it; NULL is
 *  accepted. Nothing is wiped: it holds only a descriptor. The lock file
 *  stays (removing it would let two writers lock different files). Cannot
 *  fail. Exclusive. @since 1.0 */
HS_API void hs_file_lock_release(hs_file_lock *lock);

/** @} */

#ifdef __cplusplus
}
#endif
#endif /* HOTSPOT_COMMON_H */
