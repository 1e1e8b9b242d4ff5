/* The library's one thread runner: the watchlist search, its prepared
 * cache and the face gallery search all start their workers through it, so
 * that a thread that cannot start, and a worker that fails, are reported
 * the same way everywhere. Never installed. */
#ifndef HOTSPOT_INTERNAL_THREADS_H
#define HOTSPOT_INTERNAL_THREADS_H

#include "internal/core.h"

/* Most tasks of one run (the thread option of every public call). */
#define HS__THREADS_MAX 64u

/* A task's failure. Workers never touch the caller's context (a context is
 * used by one thread at a time): they record here, and hs__run_tasks copies
 * the first failure into the context once every worker has finished. */
typedef struct hs__task_error {
    hs_status status;
    char msg[HS__ERRMSG_MAX];
} hs__task_error;

/* Record a failure of the task that owns err; returns status, so that a task
 * can write `return hs__task_fail(err, HS_ERR_NOMEM, "...");`. */
hs_status hs__task_fail(hs__task_error *err, hs_status status, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* Task `task` of a run; arg is the run's shared argument. It reports a
 * failure with hs__task_fail and returns its status. */
typedef hs_status (*hs__task_fn)(void *arg, uint32_t task, hs__task_error *err);

/* Task t's share [*begin, *end) of n items split into nthreads contiguous
 * shares (of sizes differing by at most one). */
static inline void hs__task_share(uint32_t n, uint32_t t, uint32_t nthreads, uint32_t *begin,
                                  uint32_t *end)
{
    *begin = (uint32_t)((uint64_t)n * t / nthreads);
    *end = (uint32_t)((uint64_t)n * (t + 1) / nthreads);
}

/* Run tasks 0..n-1 (1 <= n <= HS__THREADS_MAX) on n threads: task 0 on the
 * calling thread, task t on a thread of its own. When a thread cannot be
 * started, no further one is, task 0 is not run, the started ones are
 * joined, and HS_ERR_THREAD is recorded in ctx and returned: no task ever
 * runs on another task's thread. Otherwise the status and message of the
 * failed task of lowest number are recorded in ctx and returned (HS_OK when
 * none failed). The caller owns and frees whatever arg points to, on every
 * outcome. */
hs_status hs__run_tasks(hs_ctx *ctx, uint32_t n, hs__task_fn fn, void *arg);

#endif
