/*
 * worker.h - one load-generator thread and the read-only state the
 * workers share.  Internal to loadgen/: cli code uses loadgen.h.
 *
 * Ownership: struct lg_shared is built by lg_new() before any thread
 * starts and is read-only afterwards (only `stop` is written, atomically).
 * Everything in struct lg_worker belongs to its thread while it runs,
 * except `snap`, which is guarded by `mu` (see the field comments).
 */
#ifndef TOLLGATE_WORKER_H
#define TOLLGATE_WORKER_H

#include <curl/curl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/stats/hist.h"
#include "core/model/keys.h"
#include "core/base/reason.h"
#include "core/stats/record.h"
#include "core/base/rng.h"
#include "core/model/world.h"
#include "core/scenario/scenario.h"
#include "core/model/traffic.h"
#include "loadgen/classify.h"
#include "loadgen/loadgen.h"
#include "loadgen/template.h"

#define LG_MAX_HEADERS (SCN_MAX_HEADERS + 1) /* + the region header */

/* Read-only after lg_new(), shared by every worker. */
struct lg_shared {
    struct lg_config cfg; /* copy; cfg.sc borrowed */
    const struct scenario *sc;
    char *base_url;  /* target without a trailing '/' */
    struct tpl path; /* live.request.path */
    struct tpl body; /* live.request.body ("" for none) */
    bool has_body;   /* a body is sent */
    int method;      /* 0 GET, 1 POST, 2 custom */
    const char *method_name;
    struct tpl headers[LG_MAX_HEADERS]; /* "Name: value" templates */
    size_t n_headers;
    bool headers_const; /* no header uses a variable: rendered once */
    bool uses_key;      /* some template uses ${key} */
    char *url_const;    /* full URL when the path is constant, else NULL */
    char *body_const;   /* rendered body when constant, else NULL */
    size_t body_const_len;
    struct cls_config cls;
    int64_t *pop_timeout_ns; /* per population: min(client, live) */
    int64_t drain_ns;
    int64_t progress_ns;
    bool is_https;
    atomic_bool stop; /* set by lg_stop(); read by workers */
    /* --max-requests: an open-loop cut (the last request sent, by
     * intended time then id), or a budget shared by leases. */
    bool has_cut;
    int64_t cut_t_ns;
    uint64_t cut_id;
    atomic_llong *budget; /* NULL: no shared budget; owned by struct lg */
    int64_t start_ns;     /* CLOCK_MONOTONIC at t = 0 (set before start) */
};

/* One logical request: its attributes and its retry state. */
struct lg_req {
    struct traffic_req tr;
    int64_t intended_ns; /* intended send time of the next attempt */
    int64_t first_ns;    /* intended send time of the first attempt */
    int64_t last_ns;     /* when the last attempt's answer came */
    int64_t user;        /* closed-loop user, -1 for open loop */
    int attempts;        /* attempts made so far */
    bool fresh_user;     /* closed loop: attributes not drawn yet */
    enum reason last;    /* outcome of the last attempt */
};

/* One easy handle and the buffers of the request it carries. */
struct lg_slot {
    CURL *easy;
    CURLU *url_h; /* the parsed URL (CURLOPT_CURLU), owned */
    struct lg_worker *w;
    struct lg_req req;
    int64_t sent_ns;
    bool busy; /* added to the multi handle */
    int64_t timeout_set_ns;
    struct tpl_buf url, body, hdr;
    char key_hdr[sizeof(WORLD_KEY_HEADER) + 2 + WORLD_KEY_TEXT_MAX];
    struct curl_slist nodes[LG_MAX_HEADERS + 2];
    size_t hdr_off[LG_MAX_HEADERS + 2];
    char key[KEYS_MAX_LEN + 1];
    struct cls_resp resp;
    char *rbody; /* first response bytes (grows up to the cap) */
    size_t rbody_len, rbody_cap;
    char tail[4096]; /* last response bytes once rbody is full */
    size_t tail_len;
    bool overflow;
};

/* Per-fd registration state of the epoll set. */
struct lg_fd {
    uint32_t events; /* what epoll watches for it */
    int want;        /* what libcurl last asked for; 0: nothing */
    bool in_epoll;
};

/* Counters of the current progress period. */
struct lg_snap {
    int64_t offered, attempts;
    int64_t outcome[REASON_COUNT];
    struct hist *lat; /* latency of attempts */
    int64_t in_flight;
    bool fresh; /* shared copy: not yet collected by lg_poll */
    bool done;  /* shared copy: the worker has finished */
};

struct lg_heap {
    struct lg_req *v; /* min-heap by intended_ns */
    size_t n, cap;
};

struct lg_worker {
    const struct lg_shared *sh;
    int id;
    pthread_t thread;
    bool started;
    CURLM *multi;
    int epfd;
    struct lg_slot *slots;
    int n_slots;
    int *free_ix; /* stack of idle slot indices */
    int n_free;
    struct lg_fd *fds;
    size_t n_fds;
    int64_t curl_deadline_ns; /* INT64_MAX: libcurl wants no timeout */
    int64_t loop_ns;          /* time read at the top of the loop; libcurl's
                                 timer (ms resolution) is based on it */
    struct traffic *traffic;
    struct lg_req next; /* next open-loop request, if has_next */
    bool has_next;
    int64_t lease; /* leased budget not yet used (closed loop) */
    bool limited;  /* --max-requests reached for this worker */
    struct lg_heap heap;
    struct rec *rec;
    struct hist lag; /* schedule lag of every attempt sent */
    struct lg_snap local;
    pthread_mutex_t mu;  /* guards snap */
    struct lg_snap snap; /* handed to lg_poll */
    int64_t next_snap_ns;
    /* statistics, read after join */
    int64_t sent, dropped, aborted, retries_unsent, in_flight;
    int64_t dropped_drain; /* of dropped: still unsent when the drain ended */
    int64_t conns_open, conns_peak;
    int64_t starved_ns;          /* since when due requests find no free handle;
                                    -1: not now */
    int64_t conn_waits;          /* attempts sent late for want of a handle */
    int64_t cpu_ns, cpu_wait_ns; /* thread CPU time and run-queue wait
                                    over the run; -1: unknown */
    int64_t http2;               /* responses that came over HTTP/2 */
    int64_t end_ns;
    bool stopped;
    int err; /* enum err of a fatal worker error */
};

/* Builds worker id's handles and buffers (main thread, before start).
 * ERR_CURL when libcurl refuses; err gets a message. */
int lg_worker_init(struct lg_worker *w, const struct lg_shared *sh, int id,
                   char *err, size_t err_len) WARN_UNUSED;

/* The thread body: runs the schedule until the window and drain end or
 * stop is set.  arg is the struct lg_worker. */
void *lg_worker_main(void *arg);

/* Releases everything lg_worker_init built; accepts a zeroed worker. */
void lg_worker_fini(struct lg_worker *w);

#endif
