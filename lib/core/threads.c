/* The thread runner (internal/threads.h). */
#include "internal/threads.h"

#include <pthread.h>
#include <stdio.h>

hs_status hs__task_fail(hs__task_error *err, hs_status status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
    err->status = status;
    return status;
}

typedef struct task {
    hs__task_fn fn;
    void *arg;
    uint32_t index;
    hs__task_error err;
} task;

static void *task_main(void *p)
{
    task *t = p;
    hs_status st = t->fn(t->arg, t->index, &t->err);
    if (st && !t->err.status) /* a task that returned a status without a message */
        hs__task_fail(&t->err, st, "worker %u failed", t->index);
    return NULL;
}

hs_status hs__run_tasks(hs_ctx *ctx, uint32_t n, hs__task_fn fn, void *arg)
{
    if (n < 1 || n > HS__THREADS_MAX)
        return hs__error(ctx, HS_ERR_INTERNAL, "thread runner: %u tasks (1..%u)", n,
                         HS__THREADS_MAX);
    pthread_t th[HS__THREADS_MAX];
    task tasks[HS__THREADS_MAX];
    for (uint32_t t = 0; t < n; t++) {
        tasks[t].fn = fn;
        tasks[t].arg = arg;
        tasks[t].index = t;
        tasks[t].err.status = HS_OK;
        tasks[t].err.msg[0] = 0;
    }
    uint32_t started = 1;
    while (started < n && pthread_create(&th[started], NULL, task_main, &tasks[started]) == 0)
        started++;
    if (started == n)
        task_main(&tasks[0]);
    for (uint32_t t = 1; t < started; t++)
        pthread_join(th[t], NULL);
    if (started < n)
        return hs__error(ctx, HS_ERR_THREAD, "could not start worker thread %u of %u", started,
                         n);
    for (uint32_t t = 0; t < n; t++)
        if (tasks[t].err.status)
            return hs__error(ctx, tasks[t].err.status, "%s", tasks[t].err.msg);
    return HS_OK;
}
