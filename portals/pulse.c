/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * PulseAudio portal: connection handling and the filtering state machine.
 *
 * Memory a client can make us hold is bounded: one frame being assembled
 * (client frames are capped at PA_CLIENT_FRAME_MAX, below the protocol's
 * 16 MiB: libpulse splits audio into frames of at most 64 KiB and its
 * packets are small), a 64 KiB read buffer per side, and the queues towards
 * each side, which stop the other side's reading once they pass QUEUE_HIGH.
 * Connections per proxy are capped. Everything is per proxy, so a hostile
 * sandbox only ever spends its own budget.
 */
#include "pulse.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "grants.h"
#include "log.h"
#include "pulse-proto.h"
#include "sock.h"

#define PA_CLIENT_FRAME_MAX (1024u * 1024)
#define RBUF_SIZE           (64u * 1024)
#define QUEUE_HIGH          (256u * 1024)
#define MAX_STREAMS         64
#define MAX_PENDING         32
#define DEFAULT_MAX_CONNS   16

enum stream_kind { K_NONE, K_PLAYBACK, K_RECORD, K_UPLOAD, K_AUTH };

struct stream {
        uint32_t channel;
        uint32_t index; /* sink input / source output index; -1 for uploads */
        enum stream_kind kind;
};

struct pending {
        uint32_t tag;
        enum stream_kind kind;
};

/* A complete frame waiting to be written. */
struct chunk {
        struct chunk *next;
        size_t len, off;
        uint32_t channel;
        bool creds; /* send SCM_CREDENTIALS with the first byte (AUTH) */
        uint8_t data[];
};

struct pa_conn;

struct side {
        struct pb_loop_watch w;
        struct pa_conn *conn;
        bool is_client;
        /* read side */
        uint8_t *rbuf;
        size_t rlen, roff;
        uint8_t hdr[PB_PA_HDR_LEN];
        size_t hdr_got;
        struct pb_pa_hdr h;
        struct chunk *frame; /* being assembled: header + payload */
        size_t frame_got;
        /* frames queued towards this side's fd */
        struct chunk *head, *tail;
        size_t queued;
};

struct pa_conn {
        struct pa_conn *next, *prev;
        struct pb_pulse *proxy;
        struct side client, server;
        bool authed;
        bool closed;
        struct stream streams[MAX_STREAMS];
        unsigned nstreams;
        struct pending pending[MAX_PENDING];
        unsigned npending;
        uint32_t next_proxy_tag;
};

struct pb_pulse {
        struct pb_loop *loop;
        struct pb_loop_watch listen;
        char *name, *listen_path, *upstream_path;
        struct pb_grants *grants;
        struct pa_conn *conns;
        unsigned nconns, max_conns;
        unsigned refused_logged;
        uid_t up_uid;
        gid_t up_gid;
};

static bool granted(struct pb_pulse *p, enum pb_service s)
{
        return p->grants && pb_grants_service(p->grants, s);
}

/* ---- queues ---- */

static struct chunk *chunk_new(size_t len, uint32_t channel)
{
        struct chunk *c = malloc(sizeof(*c) + len);
        if (!c)
                return NULL;
        c->next = NULL;
        c->len = len;
        c->off = 0;
        c->channel = channel;
        c->creds = false;
        return c;
}

static void enqueue(struct side *s, struct chunk *c)
{
        if (s->tail)
                s->tail->next = c;
        else
                s->head = c;
        s->tail = c;
        s->queued += c->len;
}

static void free_queue(struct side *s)
{
        while (s->head) {
                struct chunk *c = s->head;
                s->head = c->next;
                free(c);
        }
        s->tail = NULL;
        s->queued = 0;
}

/* Drops frames of a record channel that have not started going out. */
static void drop_channel(struct side *s, uint32_t channel)
{
        struct chunk **pp = &s->head, *prev = NULL;
        while (*pp) {
                struct chunk *c = *pp;
                if (c->channel == channel && c->off == 0) {
                        *pp = c->next;
                        s->queued -= c->len;
                        free(c);
                        continue;
                }
                prev = c;
                pp = &c->next;
        }
        s->tail = prev;
}

static int inject(struct side *s, uint32_t cmd, uint32_t tag, bool has_arg, uint32_t arg)
{
        struct chunk *c = chunk_new(PB_PA_HDR_LEN + 15, PB_PA_CHANNEL_PACKET);
        if (!c)
                return -ENOMEM;
        c->len = pb_pa_make_packet(c->data, cmd, tag, has_arg, arg);
        enqueue(s, c);
        return 0;
}

/* ---- connection lifetime ---- */

static void conn_free(void *data)
{
        struct pa_conn *c = data;
        free_queue(&c->client);
        free_queue(&c->server);
        free(c->client.frame);
        free(c->server.frame);
        free(c->client.rbuf);
        free(c->server.rbuf);
        free(c);
}

static void conn_close(struct pa_conn *c, const char *why)
{
        if (c->closed)
                return;
        struct pb_pulse *p = c->proxy;
        if (why)
                pb_debug("pulse[%s]: closing a connection: %s", p->name, why);
        c->closed = true;
        pb_loop_close(p->loop, &c->client.w);
        pb_loop_close(p->loop, &c->server.w);
        if (c->prev)
                c->prev->next = c->next;
        else
                p->conns = c->next;
        if (c->next)
                c->next->prev = c->prev;
        p->nconns--;
        if (pb_loop_defer(p->loop, conn_free, c) < 0)
                return; /* leak rather than use after free */
}

static struct side *peer(struct side *s)
{
        return s->is_client ? &s->conn->server : &s->conn->client;
}

/* Read interest only while the peer's queue has room: backpressure. */
static void update_events(struct pa_conn *c)
{
        if (c->closed)
                return;
        struct side *sides[2] = {&c->client, &c->server};
        for (int i = 0; i < 2; i++) {
                struct side *s = sides[i];
                uint32_t ev = 0;
                if (peer(s)->queued < QUEUE_HIGH)
                        ev |= EPOLLIN;
                if (s->head)
                        ev |= EPOLLOUT;
                if (pb_loop_mod(c->proxy->loop, &s->w, ev) < 0)
                        conn_close(c, "epoll_ctl failed");
        }
}

/* Writes as much of the queue as the socket takes. <0 on a fatal error. */
static int flush(struct side *s)
{
        while (s->head) {
                struct iovec iov[32];
                int n = 0;
                for (struct chunk *k = s->head; k && n < 32; k = k->next, n++) {
                        iov[n].iov_base = k->data + k->off;
                        iov[n].iov_len = k->len - k->off;
                }
                struct msghdr mh = {.msg_iov = iov, .msg_iovlen = n};
                union {
                        struct cmsghdr h;
                        char buf[CMSG_SPACE(sizeof(struct ucred))];
                } cm;
                struct pb_pulse *p = s->conn->proxy;
                if (s->head->creds && s->head->off == 0 && p->up_uid != (uid_t)-1) {
                        /* Only the AUTH frame carries the credentials. */
                        mh.msg_iovlen = 1;
                        memset(&cm, 0, sizeof(cm));
                        mh.msg_control = cm.buf;
                        mh.msg_controllen = sizeof(cm.buf);
                        struct cmsghdr *ch = CMSG_FIRSTHDR(&mh);
                        ch->cmsg_level = SOL_SOCKET;
                        ch->cmsg_type = SCM_CREDENTIALS;
                        ch->cmsg_len = CMSG_LEN(sizeof(struct ucred));
                        struct ucred uc = {getpid(), p->up_uid, p->up_gid};
                        memcpy(CMSG_DATA(ch), &uc, sizeof(uc));
                }
                ssize_t w = sendmsg(s->w.fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
                if (w < 0) {
                        if (errno == EAGAIN || errno == EINTR)
                                return 0;
                        return -errno;
                }
                size_t left = (size_t)w;
                while (left && s->head) {
                        struct chunk *k = s->head;
                        size_t rem = k->len - k->off;
                        if (left < rem) {
                                k->off += left;
                                s->queued -= left;
                                left = 0;
                                break;
                        }
                        left -= rem;
                        s->queued -= rem;
                        s->head = k->next;
                        free(k);
                }
                if (!s->head)
                        s->tail = NULL;
        }
        return 0;
}

/* ---- stream bookkeeping ---- */

static struct stream *find_stream(struct pa_conn *c, uint32_t channel, enum stream_kind kind)
{
        for (unsigned i = 0; i < c->nstreams; i++)
                if (c->streams[i].channel == channel && c->streams[i].kind == kind)
                        return &c->streams[i];
        return NULL;
}

static bool own_index(struct pa_conn *c, uint32_t index, enum stream_kind kind)
{
        for (unsigned i = 0; i < c->nstreams; i++)
                if (c->streams[i].index == index && c->streams[i].kind == kind)
                        return true;
        return false;
}

static void remove_stream(struct pa_conn *c, uint32_t channel, enum stream_kind kind)
{
        struct stream *s = find_stream(c, channel, kind);
        if (s)
                *s = c->streams[--c->nstreams];
}

static enum stream_kind take_pending(struct pa_conn *c, uint32_t tag)
{
        for (unsigned i = 0; i < c->npending; i++)
                if (c->pending[i].tag == tag) {
                        enum stream_kind k = c->pending[i].kind;
                        c->pending[i] = c->pending[--c->npending];
                        return k;
                }
        return K_NONE;
}

static enum stream_kind create_kind(uint32_t cmd)
{
        switch (cmd) {
        case PB_PA_CREATE_PLAYBACK_STREAM:
                return K_PLAYBACK;
        case PB_PA_CREATE_RECORD_STREAM:
                return K_RECORD;
        case PB_PA_CREATE_UPLOAD_STREAM:
                return K_UPLOAD;
        default:
                return K_NONE;
        }
}

/* Kills one record stream: delete upstream (reply swallowed), tell the
 * client, drop what is queued for it. */
static int kill_record(struct pa_conn *c, uint32_t channel)
{
        drop_channel(&c->client, channel);
        remove_stream(c, channel, K_RECORD);
        uint32_t tag = PB_PA_TAG_PROXY_BASE + (c->next_proxy_tag++ & 0xFFFEu);
        int r = inject(&c->server, PB_PA_DELETE_RECORD_STREAM, tag, true, channel);
        if (r == 0)
                r = inject(&c->client, PB_PA_RECORD_STREAM_KILLED, PB_PA_TAG_NONE, true, channel);
        return r;
}

/* ---- client -> server ---- */

static int deny(struct pa_conn *c, uint32_t cmd, uint32_t tag)
{
        pb_debug("pulse[%s]: denied %s", c->proxy->name, pb_pa_cmd_name(cmd));
        return inject(&c->client, PB_PA_ERROR, tag, true, PB_PA_ERR_ACCESS);
}

/* Returns true to forward, false when handled here; *err for fatal. */
static bool client_packet(struct pa_conn *c, struct chunk *f, int *err)
{
        uint8_t *p = f->data + PB_PA_HDR_LEN;
        size_t len = f->len - PB_PA_HDR_LEN;
        uint32_t cmd, tag, arg = 0;
        if (!pb_pa_packet_u32(p, len, 0, &cmd) || !pb_pa_packet_u32(p, len, 1, &tag) ||
            tag >= PB_PA_TAG_PROXY_BASE) {
                *err = -EPROTO;
                return false;
        }
        bool has_arg = pb_pa_packet_u32(p, len, 2, &arg);
        if (!c->authed) {
                /* AUTH first; strip SHM|MEMFD so audio stays inline and no fd
                 * ever has to cross the proxy. */
                if (cmd != PB_PA_AUTH || !has_arg ||
                    !pb_pa_packet_set_u32(p, len, 2, arg & ~PB_PA_FLAG_SHM_MASK)) {
                        *err = -EPROTO;
                        return false;
                }
                c->authed = true;
                c->pending[c->npending++] = (struct pending){tag, K_AUTH};
                f->creds = true;
                return true;
        }
        enum pb_pa_policy pol = pb_pa_client_policy(cmd);
        bool ok;
        switch (pol) {
        case PB_PA_ALLOW:
                ok = cmd != PB_PA_AUTH;
                break;
        case PB_PA_RECORD:
                ok = granted(c->proxy, PB_SERVICE_AUDIO_RECORD);
                break;
        case PB_PA_OWN_SINK_INPUT:
                ok = has_arg && own_index(c, arg, K_PLAYBACK);
                break;
        case PB_PA_OWN_SOURCE_OUTPUT:
                ok = has_arg && own_index(c, arg, K_RECORD);
                break;
        default:
                ok = false;
        }
        enum stream_kind k = create_kind(cmd);
        if (ok && k != K_NONE) {
                if (c->npending >= MAX_PENDING || c->nstreams + c->npending >= MAX_STREAMS)
                        ok = false;
                else
                        c->pending[c->npending++] = (struct pending){tag, k};
        }
        if (!ok) {
                *err = deny(c, cmd, tag);
                return false;
        }
        if (has_arg) {
                if (cmd == PB_PA_DELETE_PLAYBACK_STREAM)
                        remove_stream(c, arg, K_PLAYBACK);
                else if (cmd == PB_PA_DELETE_RECORD_STREAM)
                        remove_stream(c, arg, K_RECORD);
                else if (cmd == PB_PA_DELETE_UPLOAD_STREAM || cmd == PB_PA_FINISH_UPLOAD_STREAM)
                        remove_stream(c, arg, K_UPLOAD);
        }
        return true;
}

/* ---- server -> client ---- */

static bool event_visible(struct pa_conn *c, uint32_t type, uint32_t index)
{
        switch (type & PB_PA_FACILITY_MASK) {
        case PB_PA_FAC_SINK:
        case PB_PA_FAC_SOURCE:
        case PB_PA_FAC_SAMPLE_CACHE:
        case PB_PA_FAC_SERVER:
                return true;
        case PB_PA_FAC_SINK_INPUT:
                return own_index(c, index, K_PLAYBACK);
        case PB_PA_FAC_SOURCE_OUTPUT:
                return own_index(c, index, K_RECORD);
        default: /* other clients, modules, cards */
                return false;
        }
}

static bool server_packet(struct pa_conn *c, struct chunk *f, int *err)
{
        uint8_t *p = f->data + PB_PA_HDR_LEN;
        size_t len = f->len - PB_PA_HDR_LEN;
        uint32_t cmd, tag, a2 = 0, a3 = 0;
        if (!pb_pa_packet_u32(p, len, 0, &cmd) || !pb_pa_packet_u32(p, len, 1, &tag)) {
                *err = -EPROTO;
                return false;
        }
        bool has2 = pb_pa_packet_u32(p, len, 2, &a2);
        bool has3 = pb_pa_packet_u32(p, len, 3, &a3);
        switch (cmd) {
        case PB_PA_REPLY:
        case PB_PA_ERROR: {
                if (tag >= PB_PA_TAG_PROXY_BASE)
                        return false; /* reply to a request we injected */
                enum stream_kind k = take_pending(c, tag);
                if (cmd == PB_PA_ERROR || k == K_NONE)
                        return true;
                if (k == K_AUTH) {
                        if (has2)
                                pb_pa_packet_set_u32(p, len, 2, a2 & ~PB_PA_FLAG_SHM_MASK);
                        return true;
                }
                if (!has2 || (k != K_UPLOAD && !has3)) {
                        *err = -EPROTO;
                        return false;
                }
                if (k == K_RECORD && !granted(c->proxy, PB_SERVICE_AUDIO_RECORD)) {
                        /* Revoked while the stream was being created. */
                        uint32_t ptag = PB_PA_TAG_PROXY_BASE + (c->next_proxy_tag++ & 0xFFFEu);
                        *err = inject(&c->server, PB_PA_DELETE_RECORD_STREAM, ptag, true, a2);
                        if (*err == 0)
                                *err = deny(c, PB_PA_CREATE_RECORD_STREAM, tag);
                        return false;
                }
                if (c->nstreams >= MAX_STREAMS) {
                        *err = -EPROTO;
                        return false;
                }
                c->streams[c->nstreams++] =
                    (struct stream){a2, k == K_UPLOAD ? 0xFFFFFFFFu : a3, k};
                return true;
        }
        case PB_PA_PLAYBACK_STREAM_KILLED:
                if (has2)
                        remove_stream(c, a2, K_PLAYBACK);
                return true;
        case PB_PA_RECORD_STREAM_KILLED:
                if (has2)
                        remove_stream(c, a2, K_RECORD);
                return true;
        case PB_PA_SUBSCRIBE_EVENT:
                return has2 && has3 && event_visible(c, a2, a3);
        case 101: /* ENABLE_SRBCHANNEL */
        case 103: /* REGISTER_MEMFD_SHMID: never negotiated, the fds are dropped */
                return false;
        default:
                return true;
        }
}

/* A complete frame from side s. Queues it to the peer or handles it. */
static int handle_frame(struct side *s, struct chunk *f)
{
        struct pa_conn *c = s->conn;
        int err = 0;
        bool fwd;
        if (s->h.channel == PB_PA_CHANNEL_PACKET) {
                fwd = s->is_client ? client_packet(c, f, &err) : server_packet(c, f, &err);
        } else if (!c->authed) {
                err = -EPROTO;
                fwd = false;
        } else if (s->is_client) {
                fwd = find_stream(c, s->h.channel, K_PLAYBACK) ||
                      find_stream(c, s->h.channel, K_UPLOAD);
        } else {
                fwd = find_stream(c, s->h.channel, K_RECORD) != NULL;
        }
        if (fwd) {
                f->channel = s->h.channel;
                enqueue(peer(s), f);
        } else {
                free(f);
        }
        return err;
}

/* Consumes bytes from the read buffer; <0 on protocol error. */
static int parse(struct side *s)
{
        uint32_t max = s->is_client ? PA_CLIENT_FRAME_MAX : PB_PA_FRAME_MAX;
        while (s->roff < s->rlen && !s->conn->closed) {
                if (s->hdr_got < PB_PA_HDR_LEN) {
                        size_t n = PB_PA_HDR_LEN - s->hdr_got;
                        if (n > s->rlen - s->roff)
                                n = s->rlen - s->roff;
                        memcpy(s->hdr + s->hdr_got, s->rbuf + s->roff, n);
                        s->hdr_got += n;
                        s->roff += n;
                        if (s->hdr_got < PB_PA_HDR_LEN)
                                break;
                        const char *why;
                        pb_pa_hdr_parse(s->hdr, &s->h);
                        if (pb_pa_hdr_check(&s->h, max, &why) < 0) {
                                pb_info("pulse[%s]: %s sent a bad frame (%s, %u bytes), closing",
                                        s->conn->proxy->name, s->is_client ? "client" : "server",
                                        why, s->h.length);
                                return -EPROTO;
                        }
                        s->frame = chunk_new(PB_PA_HDR_LEN + (size_t)s->h.length, 0);
                        if (!s->frame)
                                return -ENOMEM;
                        memcpy(s->frame->data, s->hdr, PB_PA_HDR_LEN);
                        s->frame_got = 0;
                }
                size_t n = s->h.length - s->frame_got;
                if (n > s->rlen - s->roff)
                        n = s->rlen - s->roff;
                memcpy(s->frame->data + PB_PA_HDR_LEN + s->frame_got, s->rbuf + s->roff, n);
                s->frame_got += n;
                s->roff += n;
                if (s->frame_got == s->h.length) {
                        struct chunk *f = steal_pointer(&s->frame);
                        s->hdr_got = 0;
                        int r = handle_frame(s, f);
                        if (r < 0)
                                return r;
                }
        }
        if (s->roff == s->rlen)
                s->roff = s->rlen = 0;
        return 0;
}

static void side_event(struct pb_loop_watch *w, uint32_t events)
{
        struct side *s = (struct side *)w;
        struct pa_conn *c = s->conn;
        if (events & EPOLLOUT) {
                int r = flush(s);
                if (r < 0) {
                        conn_close(c, "write failed");
                        return;
                }
        }
        if (events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
                /* Read until the peer's queue is full or the socket is dry. */
                while (!c->closed && peer(s)->queued < QUEUE_HIGH) {
                        if (!s->rbuf && !(s->rbuf = malloc(RBUF_SIZE))) {
                                conn_close(c, "out of memory");
                                return;
                        }
                        ssize_t n =
                            recv(s->w.fd, s->rbuf + s->rlen, RBUF_SIZE - s->rlen, MSG_DONTWAIT);
                        if (n < 0 && (errno == EAGAIN || errno == EINTR))
                                break;
                        if (n <= 0) {
                                /* Hand over what is queued for the other side, then go. */
                                (void)flush(peer(s));
                                conn_close(c, n == 0 ? "end of stream" : "read failed");
                                return;
                        }
                        size_t space = RBUF_SIZE - s->rlen;
                        s->rlen += (size_t)n;
                        if (parse(s) < 0) {
                                conn_close(c, "protocol error");
                                return;
                        }
                        if ((size_t)n < space)
                                break; /* drained; epoll is level-triggered */
                }
                if (!c->closed && (flush(&c->client) < 0 || flush(&c->server) < 0)) {
                        conn_close(c, "write failed");
                        return;
                }
        }
        update_events(c);
}

/* ---- accepting ---- */

static void refuse(struct pb_pulse *p, int fd, const char *why)
{
        if (p->refused_logged++ < 16)
                pb_info("pulse[%s]: refused a connection: %s", p->name, why);
        close(fd);
}

static void listen_event(struct pb_loop_watch *w, uint32_t events)
{
        struct pb_pulse *p = (struct pb_pulse *)((char *)w - offsetof(struct pb_pulse, listen));
        for (int i = 0; i < 64; i++) {
                int fd = accept4(w->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
                if (fd < 0)
                        return;
                if (!granted(p, PB_SERVICE_AUDIO_PLAYBACK)) {
                        refuse(p, fd, "audio-playback is not connected");
                        continue;
                }
                if (p->nconns >= p->max_conns) {
                        refuse(p, fd, "too many connections");
                        continue;
                }
                int up = pb_sock_connect_as(p->upstream_path, p->up_uid, p->up_gid);
                if (up < 0) {
                        /* Logged like refusals: a client looping on a dead
                         * server must not flood the journal. */
                        errno = -up;
                        if (p->refused_logged++ < 16)
                                pb_warn("pulse[%s]: connecting to %s: %m", p->name,
                                        p->upstream_path);
                        close(fd);
                        continue;
                }
                struct pa_conn *c = calloc(1, sizeof(*c));
                if (!c) {
                        close(fd);
                        close(up);
                        continue;
                }
                c->proxy = p;
                c->client.conn = c->server.conn = c;
                c->client.is_client = true;
                if (pb_loop_add(p->loop, &c->client.w, fd, EPOLLIN, side_event) < 0) {
                        close(fd);
                        close(up);
                        free(c);
                        continue;
                }
                if (pb_loop_add(p->loop, &c->server.w, up, EPOLLIN, side_event) < 0) {
                        pb_loop_close(p->loop, &c->client.w);
                        close(up);
                        free(c);
                        continue;
                }
                c->next = p->conns;
                if (p->conns)
                        p->conns->prev = c;
                p->conns = c;
                p->nconns++;
                p->refused_logged = 0;
        }
}

/* ---- public API ---- */

struct new_args {
        struct pb_pulse *p;
        int fd;
        int r;
};

static void add_listener(void *data)
{
        struct new_args *a = data;
        a->r = pb_loop_add(a->p->loop, &a->p->listen, a->fd, EPOLLIN, listen_event);
}

int pb_pulse_new(struct pb_loop *loop, const struct pb_pulse_config *cfg, struct pb_grants *grants,
                 struct pb_pulse **out, struct pb_error *err)
{
        if (!cfg->listen_path || !cfg->upstream_path)
                return pb_error_set(err, EINVAL, "pulse portal: missing socket path");
        struct pb_pulse *p = calloc(1, sizeof(*p));
        if (!p)
                return pb_error_set(err, ENOMEM, "out of memory");
        p->loop = loop;
        p->listen.fd = -1;
        p->name = strdup(cfg->name ? cfg->name : "?");
        p->listen_path = strdup(cfg->listen_path);
        p->upstream_path = strdup(cfg->upstream_path);
        p->up_uid = cfg->upstream_uid;
        p->up_gid = cfg->upstream_gid;
        if (geteuid() != 0 && p->up_uid != geteuid())
                p->up_uid = (uid_t)-1; /* only root may vouch for another uid */
        p->max_conns = cfg->max_conns ? cfg->max_conns : DEFAULT_MAX_CONNS;
        p->grants = grants ? pb_grants_ref(grants) : NULL;
        if (!p->name || !p->listen_path || !p->upstream_path) {
                pb_pulse_free(p);
                return pb_error_set(err, ENOMEM, "out of memory");
        }
        int fd = pb_sock_listen(cfg->listen_path, cfg->owner_uid, cfg->owner_gid, err);
        if (fd < 0) {
                pb_pulse_free(p);
                return fd;
        }
        struct new_args a = {p, fd, 0};
        pb_loop_call(loop, add_listener, &a);
        if (a.r < 0) {
                close(fd);
                pb_pulse_free(p);
                return pb_error_set(err, -a.r, "epoll_ctl failed");
        }
        *out = p;
        return 0;
}

static void close_all(void *data)
{
        struct pb_pulse *p = data;
        pb_loop_close(p->loop, &p->listen);
        while (p->conns)
                conn_close(p->conns, NULL);
}

void pb_pulse_free(struct pb_pulse *p)
{
        if (!p)
                return;
        pb_loop_call(p->loop, close_all, p);
        if (p->listen_path)
                unlink(p->listen_path);
        if (p->grants)
                pb_grants_unref(p->grants);
        free(p->name);
        free(p->listen_path);
        free(p->upstream_path);
        free(p);
}

struct publish_args {
        struct pb_pulse *p;
        struct pb_grants *g;
};

static void do_publish(void *data)
{
        struct publish_args *a = data;
        struct pb_pulse *p = a->p;
        struct pb_grants *old = p->grants;
        p->grants = a->g ? pb_grants_ref(a->g) : NULL;
        bool play = granted(p, PB_SERVICE_AUDIO_PLAYBACK);
        bool rec = granted(p, PB_SERVICE_AUDIO_RECORD);
        for (struct pa_conn *c = p->conns, *next; c; c = next) {
                next = c->next;
                if (!play) {
                        conn_close(c, "audio-playback disconnected");
                        continue;
                }
                if (rec)
                        continue;
                int r = 0;
                for (unsigned i = c->nstreams; i-- > 0 && r == 0;)
                        if (c->streams[i].kind == K_RECORD)
                                r = kill_record(c, c->streams[i].channel);
                if (r == 0)
                        r = flush(&c->server);
                if (r == 0)
                        r = flush(&c->client);
                if (r < 0)
                        conn_close(c, "could not kill a record stream");
                else
                        update_events(c);
        }
        if (old)
                pb_grants_unref(old);
}

int pb_pulse_publish(struct pb_pulse *p, struct pb_grants *grants)
{
        struct publish_args a = {p, grants};
        return pb_loop_call(p->loop, do_publish, &a);
}

struct count_args {
        struct pb_pulse *p;
        unsigned n;
};

static void do_count(void *data)
{
        struct count_args *a = data;
        a->n = a->p->nconns;
}

unsigned pb_pulse_conn_count(struct pb_pulse *p)
{
        struct count_args a = {p, 0};
        pb_loop_call(p->loop, do_count, &a);
        return a.n;
}
