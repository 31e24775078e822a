/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * FUSE over io_uring (Linux 6.14; the fuse module's enable_uring parameter
 * must be set). Requests reach the daemon through per-CPU queues instead of
 * read(2) on /dev/fuse: the kernel puts a request of a task on CPU n into a
 * buffer ("entry") that queue n's thread registered, and completes that
 * thread's io_uring command; the answer goes back, and the entry is handed
 * out again, in one command (COMMIT_AND_FETCH). Each queue's thread is
 * pinned to its CPU, and polls for 50 us after the view's last request, so
 * an app's request and its answer stay on the CPU the app waits on: on a VM
 * whose idle vCPUs halt, the wake-up of a worker on the other vCPU was most
 * of a metadata round trip (docs/PERFORMANCE.md, session 6).
 *
 * The rest of the view does not know: a ring request is rebuilt in memory as
 * /dev/fuse would have delivered it (the entry's headers are copied in front
 * of its payload) and given to libfuse's fuse_session_process_buf(); the
 * answer libfuse writes comes back through device-io.c's writev, which hands
 * it here by its unique id. FORGET, INTERRUPT and the view's notifications
 * still use /dev/fuse, served by the worker pool (workers.c).
 *
 * An answer given while the request is served (the common case) is
 * committed there and then, by the serving thread, inside libfuse's reply
 * call: a revocation (view.c) that waits for the requests holding the old
 * grant table knows their answers are with the kernel when they are done,
 * as with /dev/fuse. An answer given later by another thread (a lock that
 * had to wait, locks.c) is queued for the entry's thread, which is woken to
 * commit it: only the thread that owns an io_uring submits to it. While such
 * an answer is pending its thread registers one entry more, so that every
 * thread always has an entry the kernel can hand a request to: a lock
 * waiting in one entry never keeps its own unlock out.
 *
 * Everything is made before INIT (threads, io_urings, buffers): once the
 * INIT reply has accepted the ring the kernel holds every new request until
 * all queues have registered, so after that only the registration itself
 * may fail, and a failed registration turns the ring off for the
 * connection (the kernel goes back to /dev/fuse).
 */
#include "ring.h"

#include <errno.h>
#include <linux/fuse.h>
#include <liburing.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

#include "log.h"
#include "pb-util.h"
#include "view-int.h"
#include "workers.h"

/* The kernel's ABI for it (include/uapi/linux/fuse.h, 7.42): Debian
 * bookworm's headers predate it. */
enum { RING_CMD_REGISTER = 1, RING_CMD_COMMIT_AND_FETCH = 2 };
#define RING_OP_HEADER_MAX 128
struct ring_ent_in_out {
        uint64_t flags;
        uint64_t commit_id;
        uint32_t payload_sz;
        uint32_t padding;
        uint64_t reserved;
};
struct ring_req_header {
        char in_out[128]; /* fuse_in_header in, fuse_out_header out */
        char op_in[RING_OP_HEADER_MAX];
        struct ring_ent_in_out ent;
};
struct ring_cmd_req {
        uint64_t flags;
        uint64_t commit_id;
        uint16_t qid;
        uint8_t padding[6];
};

/* Payload room per entry: the largest request or answer libfuse makes
 * (max_write, at most FUSE_MAX_MAX_PAGES of 4 KiB) fits; the kernel refuses
 * a registration with less than it may send. Mapped, so untouched pages
 * cost nothing. */
#define PAYLOAD_MAX (1u << 20)
#define QUEUE_DEPTH 64
/* How long a queue polls for the next request after the view's last one
 * (poll_cqe). */
#define SPIN_NS 50000u

enum ent_state {
        ENT_KERNEL, /* registered or committed: the kernel may fill it */
        ENT_BUSY,   /* a request is being served, not answered yet */
        ENT_PARKED, /* its thread went on; the answer will come from elsewhere */
        ENT_CLAIMED /* an answer is being written into it */
};

struct ring_ent {
        struct ring_thread *t;
        struct ring_ent *next_all;     /* r->ents, under r->lock */
        struct ring_ent *next_pending; /* t->pending, under t->lock */
        struct ring_req_header hdr;
        struct iovec iov[2];
        char *map;     /* one page for the request's headers, then the payload */
        char *payload; /* map + page */
        _Atomic uint64_t unique;
        atomic_int state;
};

/* One thread per queue (CPU), so that a queue's requests are served in
 * the order the kernel queued them, as an app that closes a file and then
 * locks it expects (the RELEASE that drops its OFD lock goes in the
 * background, before the next request). Two threads per queue served them
 * out of order, and were no faster. */
struct ring_thread {
        struct pb_ring *r;
        struct io_uring uring;
        bool uring_ok;
        pthread_t thread;
        bool started;
        uint16_t qid;
        int efd; /* wakes the thread: answers pending, or stop */
        uint64_t efd_buf;
        pthread_mutex_t lock; /* pending */
        struct ring_ent *pending;
        unsigned live; /* entries the kernel has not returned */
};

struct pb_ring {
        struct pb_view *v;
        int dev_fd;
        size_t page;
        unsigned nthreads;
        struct ring_thread *threads;
        pthread_mutex_t lock; /* ents, go and the counts */
        pthread_cond_t cond;
        struct ring_ent *ents;
        int go;                                /* 0: wait; 1: register; -1: leave */
        unsigned prepared, registered, failed; /* threads that got so far */
        atomic_bool stopping;
        atomic_uint_fast64_t served;
        _Atomic uint64_t last_ns; /* when the last request came */
};

static __thread struct ring_ent *serving_ent;

/* Number of queues the kernel makes: one per possible CPU. */
static unsigned possible_cpus(void)
{
        FILE *f = fopen("/sys/devices/system/cpu/possible", "re");
        char s[256] = "";
        if (f) {
                if (!fgets(s, sizeof(s), f))
                        s[0] = 0;
                fclose(f);
        }
        /* "0-3" or "0,2-5": the last number is the highest CPU. */
        char *end = s + strcspn(s, "\n"), *p = end;
        while (p > s && p[-1] >= '0' && p[-1] <= '9')
                p--;
        return p < end ? (unsigned)atoi(p) + 1 : 0;
}

/* Offered by the fuse module, and not turned off for this daemon with
 * PB_FS_URING=0 (valgrind 3.19, for one, keeps its big lock through a
 * blocking io_uring_enter, so one waiting queue thread stops the rest). */
static bool uring_offered(void)
{
        const char *env = getenv("PB_FS_URING");
        if (env && strcmp(env, "0") == 0)
                return false;
        FILE *f = fopen("/sys/module/fuse/parameters/enable_uring", "re");
        int c = f ? fgetc(f) : EOF;
        if (f)
                fclose(f);
        return c == 'Y';
}

static struct ring_ent *ent_new(struct ring_thread *t)
{
        struct pb_ring *r = t->r;
        struct ring_ent *e = calloc(1, sizeof(*e));
        if (!e)
                return NULL;
        e->map = mmap(NULL, r->page + PAYLOAD_MAX, PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        if (e->map == MAP_FAILED) {
                free(e);
                return NULL;
        }
        e->t = t;
        e->payload = e->map + r->page;
        e->iov[0] = (struct iovec){&e->hdr, sizeof(e->hdr)};
        e->iov[1] = (struct iovec){e->payload, PAYLOAD_MAX};
        pthread_mutex_lock(&r->lock);
        e->next_all = r->ents;
        r->ents = e;
        pthread_mutex_unlock(&r->lock);
        return e;
}

static struct io_uring_sqe *ring_sqe(struct ring_thread *t)
{
        struct io_uring_sqe *sqe = io_uring_get_sqe(&t->uring);
        if (!sqe) {
                io_uring_submit(&t->uring);
                sqe = io_uring_get_sqe(&t->uring);
        }
        return sqe;
}

/* Queues a fuse command for entry e (submitted by the caller). */
static bool queue_cmd(struct ring_thread *t, struct ring_ent *e, uint32_t op, uint64_t commit_id)
{
        struct io_uring_sqe *sqe = ring_sqe(t);
        if (!sqe)
                return false;
        memset(sqe, 0, 2 * sizeof(*sqe)); /* SQE128: the command area too */
        sqe->opcode = IORING_OP_URING_CMD;
        sqe->fd = t->r->dev_fd;
        sqe->cmd_op = op;
        if (op == RING_CMD_REGISTER) {
                sqe->addr = (uint64_t)(uintptr_t)e->iov;
                sqe->len = 2;
        }
        struct ring_cmd_req *c = (struct ring_cmd_req *)sqe->cmd;
        c->commit_id = commit_id;
        c->qid = t->qid;
        io_uring_sqe_set_data(sqe, e);
        return true;
}

static bool arm_wakeup(struct ring_thread *t)
{
        struct io_uring_sqe *sqe = ring_sqe(t);
        if (!sqe)
                return false;
        io_uring_prep_read(sqe, t->efd, &t->efd_buf, sizeof(t->efd_buf), 0);
        io_uring_sqe_set_data(sqe, t);
        return true;
}

/* Gives the kernel one more entry of this thread's. */
static bool add_entry(struct ring_thread *t)
{
        struct ring_ent *e = ent_new(t);
        if (!e || !queue_cmd(t, e, RING_CMD_REGISTER, 0))
                return false;
        t->live++;
        return true;
}

static void commit(struct ring_thread *t, struct ring_ent *e)
{
        uint64_t unique = atomic_load(&e->unique);
        atomic_store(&e->state, ENT_KERNEL);
        if (queue_cmd(t, e, RING_CMD_COMMIT_AND_FETCH, unique))
                io_uring_submit(&t->uring);
        else
                pb_warn("fs: cannot commit a FUSE answer through io_uring");
}

/* Copies an answer into entry e: the header where the request's was, the
 * rest into the payload (unless it is there already: pb_ring_buffer). */
static ssize_t fill(struct ring_ent *e, const struct iovec *iov, int count)
{
        struct fuse_out_header oh;
        memcpy(&oh, iov[0].iov_base, sizeof(oh));
        size_t used = 0, total = 0;
        for (int i = 0; i < count; i++) {
                const char *src = iov[i].iov_base;
                size_t len = iov[i].iov_len;
                total += len;
                if (i == 0) {
                        src += sizeof(oh);
                        len -= sizeof(oh);
                }
                if (len > PAYLOAD_MAX - used) {
                        oh.error = -EIO;
                        used = 0;
                        break;
                }
                if (src != e->payload + used)
                        memmove(e->payload + used, src, len);
                used += len;
        }
        oh.len = (uint32_t)(sizeof(oh) + used);
        memcpy(e->hdr.in_out, &oh, sizeof(oh));
        e->hdr.ent.payload_sz = (uint32_t)used;
        return (ssize_t)total;
}

/* Takes entry e, waiting for the answer to request unique, for the one
 * answer it gets: false if it waits for no answer (or another). */
static bool claim(struct ring_ent *e, uint64_t unique)
{
        if (atomic_load(&e->unique) != unique)
                return false;
        int was = ENT_BUSY;
        return atomic_compare_exchange_strong(&e->state, &was, ENT_CLAIMED) ||
               (was == ENT_PARKED && atomic_compare_exchange_strong(&e->state, &was, ENT_CLAIMED));
}

/* An answer from another thread: for the entry's own thread to commit. */
static ssize_t reply_elsewhere(struct pb_ring *r, uint64_t unique, const struct iovec *iov,
                               int count)
{
        struct ring_ent *found = NULL;
        pthread_mutex_lock(&r->lock);
        for (struct ring_ent *e = r->ents; e && !found; e = e->next_all)
                if (claim(e, unique))
                        found = e;
        pthread_mutex_unlock(&r->lock);
        if (!found)
                return -ENOENT;
        ssize_t n = fill(found, iov, count);
        struct ring_thread *t = found->t;
        pthread_mutex_lock(&t->lock);
        found->next_pending = t->pending;
        t->pending = found;
        pthread_mutex_unlock(&t->lock);
        uint64_t one = 1;
        (void)!write(t->efd, &one, sizeof(one));
        return n;
}

ssize_t pb_ring_reply(struct pb_ring *r, const struct iovec *iov, int count)
{
        if (count < 1 || iov[0].iov_len < sizeof(struct fuse_out_header))
                return -ENOENT;
        uint64_t unique = ((const struct fuse_out_header *)iov[0].iov_base)->unique;
        if (unique == 0) /* a notification */
                return -ENOENT;
        struct ring_ent *e = serving_ent;
        if (!e || atomic_load(&e->unique) != unique)
                return reply_elsewhere(r, unique, iov, count);
        if (!claim(e, unique))
                return -ENOENT;
        ssize_t n = fill(e, iov, count);
        commit(e->t, e);
        return n;
}

void *pb_ring_buffer(size_t size)
{
        struct ring_ent *e = serving_ent;
        return e && size <= PAYLOAD_MAX && atomic_load(&e->state) == ENT_BUSY ? e->payload : NULL;
}

uint64_t pb_ring_served(const struct pb_ring *r)
{
        return r ? atomic_load(&r->served) : 0;
}

/* A request malformed beyond serving: refused, so the app is not left
 * waiting. */
static void refuse(struct ring_thread *t, struct ring_ent *e, uint64_t unique)
{
        struct fuse_out_header oh = {.len = sizeof(oh), .error = -EIO, .unique = unique};
        memcpy(e->hdr.in_out, &oh, sizeof(oh));
        e->hdr.ent.payload_sz = 0;
        atomic_store(&e->unique, unique);
        commit(t, e);
}

/* One request: rebuilt as /dev/fuse delivers it, then served by libfuse. */
static void serve(struct ring_thread *t, struct ring_ent *e)
{
        struct fuse_in_header in;
        memcpy(&in, e->hdr.in_out, sizeof(in));
        uint32_t psz = e->hdr.ent.payload_sz;
        if (psz > PAYLOAD_MAX || in.len < sizeof(in) + psz ||
            in.len - sizeof(in) - psz > RING_OP_HEADER_MAX) {
                pb_warn("fs: malformed io_uring request (opcode %u, length %u, payload %u)",
                        in.opcode, in.len, psz);
                refuse(t, e, in.unique);
                return;
        }
        size_t op = in.len - sizeof(in) - psz;
        char *start = e->payload - sizeof(in) - op;
        memcpy(start, &in, sizeof(in));
        memcpy(start + sizeof(in), e->hdr.op_in, op);
        struct fuse_buf buf = {.mem = start, .size = in.len};
        atomic_store(&e->unique, in.unique);
        atomic_store(&e->state, ENT_BUSY);
        atomic_fetch_add(&t->r->served, 1);
        atomic_store(&t->r->last_ns, pb_mono_ns());
        serving_ent = e;
        pb_fuse_process(t->r->v->se, &buf);
        serving_ent = NULL;
        /* Not answered yet: the answer comes from another thread, and this
         * one needs an entry for the requests in between. */
        int was = ENT_BUSY;
        if (atomic_compare_exchange_strong(&e->state, &was, ENT_PARKED) && add_entry(t))
                io_uring_submit(&t->uring);
}

static void commit_pending(struct ring_thread *t)
{
        pthread_mutex_lock(&t->lock);
        struct ring_ent *list = t->pending;
        t->pending = NULL;
        pthread_mutex_unlock(&t->lock);
        for (struct ring_ent *e = list, *next; e; e = next) {
                next = e->next_pending;
                commit(t, e);
        }
}

/* While the view is busy (a request within SPIN_NS, on any queue), the
 * queue's thread polls for the next request instead of sleeping, giving its
 * CPU to anyone runnable between polls. */
static bool poll_cqe(struct ring_thread *t, struct io_uring_cqe **cqe)
{
        struct pb_ring *r = t->r;
        bool got = false;
        while (!got && !atomic_load(&r->stopping) &&
               pb_mono_ns() - atomic_load(&r->last_ns) < SPIN_NS) {
                io_uring_get_events(&t->uring);
                got = io_uring_peek_cqe(&t->uring, cqe) == 0;
                if (!got)
                        sched_yield();
        }
        return got;
}

static void run(struct ring_thread *t)
{
        struct pb_ring *r = t->r;
        while (!atomic_load(&r->stopping) && t->live > 0) {
                struct io_uring_cqe *cqe;
                int err = poll_cqe(t, &cqe) ? 0 : io_uring_wait_cqe(&t->uring, &cqe);
                if (err == -EINTR)
                        continue;
                if (err < 0) {
                        pb_warn("fs: io_uring wait failed: %s", strerror(-err));
                        return;
                }
                void *tag = io_uring_cqe_get_data(cqe);
                int res = cqe->res;
                io_uring_cqe_seen(&t->uring, cqe);
                if (tag == t) {
                        commit_pending(t);
                        if (!arm_wakeup(t))
                                return;
                        io_uring_submit(&t->uring);
                        continue;
                }
                struct ring_ent *e = tag;
                if (res < 0) { /* the connection is going: the entry is back */
                        t->live--;
                        continue;
                }
                serve(t, e);
        }
}

/* Registers this thread's first entry: false if the kernel refused it. */
static bool start_serving(struct ring_thread *t)
{
        if (!add_entry(t) || !arm_wakeup(t) || io_uring_submit(&t->uring) < 0)
                return false;
        /* A refused registration completes at once, during the submit. */
        struct io_uring_cqe *cqe;
        if (io_uring_peek_cqe(&t->uring, &cqe) == 0 && cqe->res < 0 &&
            io_uring_cqe_get_data(cqe) != t) {
                pb_warn("fs: io_uring registration refused: %s", strerror(-cqe->res));
                io_uring_cqe_seen(&t->uring, cqe);
                return false;
        }
        return true;
}

/* The thread makes its own io_uring: only the task that made it may submit
 * to it (SINGLE_ISSUER), and task work then runs when that task waits
 * (DEFER_TASKRUN) instead of interrupting it. */
static bool make_uring(struct ring_thread *t)
{
        struct io_uring_params p = {.flags = IORING_SETUP_SQE128 | IORING_SETUP_SINGLE_ISSUER |
                                             IORING_SETUP_DEFER_TASKRUN};
        if (io_uring_queue_init_params(QUEUE_DEPTH, &t->uring, &p) != 0) {
                memset(&p, 0, sizeof(p));
                p.flags = IORING_SETUP_SQE128;
                if (io_uring_queue_init_params(QUEUE_DEPTH, &t->uring, &p) != 0)
                        return false;
        }
        t->uring_ok = true;
        return true;
}

/* Counts this thread in (ok or not), then waits for INIT: true if it is
 * to register and serve. */
static bool report_and_wait(struct ring_thread *t, bool ok, unsigned *count)
{
        struct pb_ring *r = t->r;
        pthread_mutex_lock(&r->lock);
        (*count)++;
        r->failed += !ok;
        pthread_cond_broadcast(&r->cond);
        while (ok && r->go == 0)
                pthread_cond_wait(&r->cond, &r->lock);
        bool go = ok && r->go > 0;
        pthread_mutex_unlock(&r->lock);
        return go;
}

static void *thread_main(void *arg)
{
        struct ring_thread *t = arg;
        struct pb_ring *r = t->r;
        cpu_set_t cpus;
        CPU_ZERO(&cpus);
        CPU_SET(t->qid, &cpus);
        /* A CPU that is possible but offline: the queue serves unpinned. */
        (void)pthread_setaffinity_np(pthread_self(), sizeof(cpus), &cpus);
        if (!report_and_wait(t, make_uring(t), &r->prepared))
                return NULL;
        bool ok = start_serving(t);
        pthread_mutex_lock(&r->lock);
        r->registered++;
        r->failed += !ok;
        pthread_cond_broadcast(&r->cond);
        pthread_mutex_unlock(&r->lock);
        if (ok)
                run(t);
        return NULL;
}

static void ring_free(struct pb_ring *r)
{
        for (unsigned i = 0; i < r->nthreads; i++) {
                struct ring_thread *t = &r->threads[i];
                if (t->uring_ok)
                        io_uring_queue_exit(&t->uring);
                if (t->efd >= 0)
                        close(t->efd);
                pthread_mutex_destroy(&t->lock);
        }
        for (struct ring_ent *e = r->ents, *next; e; e = next) {
                next = e->next_all;
                munmap(e->map, r->page + PAYLOAD_MAX);
                free(e);
        }
        free(r->threads);
        pthread_cond_destroy(&r->cond);
        pthread_mutex_destroy(&r->lock);
        free(r);
}

static bool thread_init(struct pb_ring *r, struct ring_thread *t, uint16_t qid)
{
        t->r = r;
        t->qid = qid;
        pthread_mutex_init(&t->lock, NULL);
        t->efd = eventfd(0, EFD_CLOEXEC);
        if (t->efd < 0 || pthread_create(&t->thread, NULL, thread_main, t) != 0)
                return false;
        t->started = true;
        return true;
}

/* Waits until n threads are counted in *count: true if none failed. */
static bool wait_threads(struct pb_ring *r, const unsigned *count, unsigned n)
{
        pthread_mutex_lock(&r->lock);
        while (*count < n)
                pthread_cond_wait(&r->cond, &r->lock);
        bool ok = r->failed == 0;
        pthread_mutex_unlock(&r->lock);
        return ok;
}

/* Tells the threads waiting for INIT what to do, and joins them if they
 * are to leave. */
static void release_threads(struct pb_ring *r, int go)
{
        pthread_mutex_lock(&r->lock);
        r->go = go;
        pthread_cond_broadcast(&r->cond);
        pthread_mutex_unlock(&r->lock);
}

static void join_threads(struct pb_ring *r)
{
        atomic_store(&r->stopping, true);
        uint64_t one = 1;
        for (unsigned i = 0; i < r->nthreads; i++)
                if (r->threads[i].efd >= 0)
                        (void)!write(r->threads[i].efd, &one, sizeof(one));
        for (unsigned i = 0; i < r->nthreads; i++)
                if (r->threads[i].started)
                        pthread_join(r->threads[i].thread, NULL);
}

struct pb_ring *pb_ring_prepare(struct pb_view *v)
{
        unsigned queues = possible_cpus();
        if (!uring_offered() || queues == 0 || queues > CPU_SETSIZE)
                return NULL;
        struct pb_ring *r = calloc(1, sizeof(*r));
        if (!r)
                return NULL;
        r->v = v;
        r->dev_fd = fuse_session_fd(v->se);
        r->page = (size_t)sysconf(_SC_PAGESIZE);
        pthread_mutex_init(&r->lock, NULL);
        pthread_cond_init(&r->cond, NULL);
        r->threads = calloc(queues, sizeof(*r->threads));
        bool ok = r->threads != NULL;
        unsigned started = 0;
        for (unsigned i = 0; ok && i < queues; i++) {
                r->threads[i].efd = -1;
                r->nthreads = i + 1;
                ok = thread_init(r, &r->threads[i], (uint16_t)i);
                started += ok;
        }
        if (!wait_threads(r, &r->prepared, started) || !ok) {
                pb_warn("fs: FUSE over io_uring not used: cannot set up its queues");
                pb_ring_stop(r);
                return NULL;
        }
        return r;
}

int pb_ring_go(struct pb_ring *r)
{
        release_threads(r, 1);
        return wait_threads(r, &r->registered, r->nthreads) ? 0 : -EIO;
}

void pb_ring_stop(struct pb_ring *r)
{
        if (!r)
                return;
        release_threads(r, -1);
        join_threads(r);
        ring_free(r);
}
