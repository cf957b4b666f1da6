/*
 * request.c - turns a logical request into the options of an easy handle.
 *
 * Everything that does not change between requests is set once per
 * handle (lg_slot_setup): callbacks, method, TLS, the header list (whose
 * nodes are the slot's own, so only their data pointers change), and the
 * URL and body when their templates are constant.  Per request
 * (lg_slot_prepare) only the variable parts are rendered into the slot's
 * reused buffers and set: URL, body, header data pointers, timeout.
 * No allocation happens per request once the buffers are warm.
 * libcurl 7.88's own per-request costs that options avoid (callgrind,
 * instructions per request, bench/run/README.md): the URL is handed over
 * parsed (CURLOPT_CURLU: libcurl copies the parsed handle instead of
 * parsing the string again for every transfer, -11k), no proxy
 * environment lookups (-6k), and no User-Agent header by default (every
 * header line libcurl formats itself costs ~4-5k through its printf; a
 * scenario that wants one lists it in live.request.headers).
 */
#include "loadgen/request.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "core/model/keys.h"
#include "core/model/world.h"

/* libcurl write callback: keep the first bytes up to the cap, then a
 * rolling tail, and discard the rest (returning the full size). */
static size_t on_body(char *p, size_t size, size_t n, void *ud)
{
    struct lg_slot *s = ud;
    size_t len = size * n, take = 0;
    if (s->rbody_len < LG_BODY_CAP_BYTES) {
        take = LG_BODY_CAP_BYTES - s->rbody_len;
        take = take < len ? take : len;
        if (s->rbody_len + take > s->rbody_cap) {
            size_t cap = s->rbody_cap ? s->rbody_cap : 4096;
            while (cap < s->rbody_len + take)
                cap *= 2;
            s->rbody = xrealloc(s->rbody, cap);
            s->rbody_cap = cap;
        }
        memcpy(s->rbody + s->rbody_len, p, take);
        s->rbody_len += take;
    }
    if (take < len) {
        size_t rest = len - take, keep = sizeof(s->tail);
        const char *src = p + take;
        s->overflow = true;
        if (rest >= keep) {
            memcpy(s->tail, src + rest - keep, keep);
            s->tail_len = keep;
        } else {
            size_t old = s->tail_len + rest > keep ? keep - rest : s->tail_len;
            memmove(s->tail, s->tail + s->tail_len - old, old);
            memcpy(s->tail + old, src, rest);
            s->tail_len = old + rest;
        }
    }
    return len;
}

static size_t on_header(char *p, size_t size, size_t n, void *ud)
{
    struct lg_slot *s = ud;
    cls_header(&s->resp, p, size * n);
    return size * n;
}

#define SETOPT(e, opt, val)                                                    \
    do {                                                                       \
        if (curl_easy_setopt((e), (opt), (val)) != CURLE_OK)                   \
            goto fail;                                                         \
    } while (0)

/* Plain HTTP uses no certificates: without the (distribution default)
 * CA file and path, libcurl does not copy them into every new
 * connection's TLS settings, twice (the proxy's too), per transfer. */
static int no_tls_config(CURL *e)
{
    SETOPT(e, CURLOPT_CAINFO, NULL);
    SETOPT(e, CURLOPT_CAPATH, NULL);
    SETOPT(e, CURLOPT_PROXY_CAINFO, NULL);
    SETOPT(e, CURLOPT_PROXY_CAPATH, NULL);
    return ERR_OK;
fail:
    return ERR_CURL;
}

/* True when url's host is an IPv4 or IPv6 address, not a name. */
static bool host_is_address(const char *url)
{
    CURLU *u = curl_url();
    char *host = NULL;
    bool ip = false;
    if (u && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK) {
        unsigned char addr[16];
        size_t n = strlen(host);
        if (n > 2 && host[0] == '[' && host[n - 1] == ']') {
            host[n - 1] = '\0';
            ip = inet_pton(AF_INET6, host + 1, addr) == 1;
        } else {
            ip = inet_pton(AF_INET, host, addr) == 1;
        }
    }
    curl_free(host);
    curl_url_cleanup(u);
    return ip;
}

int lg_slot_setup(struct lg_slot *s, const struct lg_shared *sh,
                  curl_opensocket_callback open_cb,
                  curl_closesocket_callback close_cb, void *sock_data)
{
    CURL *e = s->easy;
    s->resp.keep_headers = sh->cls.rules_use_headers;
    SETOPT(e, CURLOPT_PRIVATE, s);
    SETOPT(e, CURLOPT_NOSIGNAL, 1L);
    SETOPT(e, CURLOPT_WRITEFUNCTION, on_body);
    SETOPT(e, CURLOPT_WRITEDATA, s);
    SETOPT(e, CURLOPT_HEADERFUNCTION, on_header);
    SETOPT(e, CURLOPT_HEADERDATA, s);
    SETOPT(e, CURLOPT_OPENSOCKETFUNCTION, open_cb);
    SETOPT(e, CURLOPT_OPENSOCKETDATA, sock_data);
    SETOPT(e, CURLOPT_CLOSESOCKETFUNCTION, close_cb);
    SETOPT(e, CURLOPT_CLOSESOCKETDATA, sock_data);
    /* No proxy: libcurl would otherwise read the proxy environment
     * variables for every request. */
    SETOPT(e, CURLOPT_PROXY, "");
    SETOPT(e, CURLOPT_NOPROXY, "*");
    SETOPT(e, CURLOPT_SSL_VERIFYPEER, sh->cfg.insecure ? 0L : 1L);
    SETOPT(e, CURLOPT_SSL_VERIFYHOST, sh->cfg.insecure ? 0L : 2L);
    if (sh->is_https)
        SETOPT(e, CURLOPT_PIPEWAIT, 1L); /* prefer HTTP/2 multiplexing */
    if (!sh->is_https && no_tls_config(e) != ERR_OK)
        goto fail;
    /* An IP address needs no resolving: without this, every transfer
     * walks the DNS cache for expired entries. */
    if (host_is_address(sh->base_url))
        SETOPT(e, CURLOPT_DNS_CACHE_TIMEOUT, -1L);
    s->url_h = curl_url();
    if (!s->url_h || (sh->url_const &&
                      curl_url_set(s->url_h, CURLUPART_URL, sh->url_const, 0)))
        goto fail;
    SETOPT(e, CURLOPT_CURLU, s->url_h);
    if (sh->method == 0)
        SETOPT(e, CURLOPT_HTTPGET, 1L);
    else if (sh->method == 2)
        SETOPT(e, CURLOPT_CUSTOMREQUEST, sh->method_name);
    if (sh->has_body && sh->body_const) {
        SETOPT(e, CURLOPT_POSTFIELDSIZE, (long)sh->body_const_len);
        SETOPT(e, CURLOPT_POSTFIELDS, sh->body_const);
    }
    /* The header list: one node per template, the attempt's key when the
     * target is our embedded serve, and "Expect:" (no 100-continue round
     * trip); node data is filled per request. */
    size_t n = sh->n_headers, last = n + sh->cfg.send_attempt_key;
    for (size_t i = 0; i <= last; i++)
        s->nodes[i].next = i < last ? &s->nodes[i + 1] : NULL;
    if (sh->cfg.send_attempt_key)
        s->nodes[n].data = s->key_hdr; /* filled per request */
    s->nodes[last].data = (char *)"Expect:";
    struct tpl_vars none = { 0 };
    tpl_buf_reset(&s->hdr);
    for (size_t i = 0; i < n; i++) {
        s->hdr_off[i] = s->hdr.len;
        if (sh->headers_const)
            tpl_render(&sh->headers[i], &none, &s->hdr);
        tpl_buf_append(&s->hdr, "", 1);
    }
    for (size_t i = 0; i < n; i++)
        s->nodes[i].data = s->hdr.p + s->hdr_off[i];
    SETOPT(e, CURLOPT_HTTPHEADER, s->nodes);
    return ERR_OK;
fail:
    return ERR_CURL;
}

/* Fills v from the request; the key goes into the slot's buffer. */
static void fill_vars(struct lg_slot *s, const struct lg_shared *sh,
                      const struct lg_req *r, struct tpl_vars *v)
{
    const struct scenario *sc = sh->sc;
    const struct traffic_req *t = &r->tr;
    size_t klen = 0;
    if (!sh->uses_key)
        s->key[0] = '\0';
    else if (t->invalid_key)
        klen = keys_invalid(t->id, s->key, sizeof(s->key));
    else if (sh->cfg.keys && (size_t)t->account < sh->cfg.keys->n)
        klen = strlen(
            strncpy(s->key, sh->cfg.keys->key[t->account], sizeof(s->key) - 1));
    else
        klen = keys_for_account(t->account, s->key, sizeof(s->key));
    int model = t->model;
    if (model < 0 && sc->policy.n_models == 1)
        model = 0;
    v->key = s->key;
    v->key_len = klen;
    v->model = model >= 0 && (size_t)model < sc->policy.n_models
                   ? sc->policy.models[model].name
                   : "";
    v->region = t->region >= 0 && (size_t)t->region < sc->n_regions
                    ? sc->regions[t->region]
                    : "ZZ";
    v->account = t->account;
    v->prompt_tokens = t->prompt_tokens;
    v->completion_tokens = t->completion_tokens;
    v->request_id = t->id;
    v->violation = t->violation;
    v->bad_request = t->bad_request;
}

/* The attempt's key header, rendered into the slot's own buffer (its
 * node points there from lg_slot_setup on). */
static void render_key(struct lg_slot *s, const struct lg_req *r)
{
    static const char name[] = WORLD_KEY_HEADER ": ";
    struct world_key k = { r->tr.id, (uint32_t)r->attempts };
    memcpy(s->key_hdr, name, sizeof(name) - 1);
    world_key_fmt(s->key_hdr + sizeof(name) - 1,
                  sizeof(s->key_hdr) - (sizeof(name) - 1), k);
}

int lg_slot_prepare(struct lg_slot *s, const struct lg_shared *sh,
                    const struct lg_req *r, int64_t timeout_ns)
{
    CURL *e = s->easy;
    struct tpl_vars v;
    fill_vars(s, sh, r, &v);
    if (!sh->url_const) {
        tpl_buf_reset(&s->url);
        tpl_buf_append(&s->url, sh->base_url, strlen(sh->base_url));
        tpl_render(&sh->path, &v, &s->url);
        if (curl_url_set(s->url_h, CURLUPART_URL, s->url.p, 0) != CURLUE_OK)
            goto fail;
    }
    if (sh->cfg.send_attempt_key)
        render_key(s, r);
    if (sh->has_body && !sh->body_const) {
        tpl_buf_reset(&s->body);
        tpl_render(&sh->body, &v, &s->body);
        SETOPT(e, CURLOPT_POSTFIELDSIZE, (long)s->body.len);
        SETOPT(e, CURLOPT_POSTFIELDS, s->body.p);
    }
    if (sh->headers_const)
        goto rendered; /* set once by lg_slot_setup */
    /* Render every header, then point the nodes at the (possibly moved)
     * buffer; each rendering is NUL-terminated by keeping the NUL. */
    tpl_buf_reset(&s->hdr);
    for (size_t i = 0; i < sh->n_headers; i++) {
        s->hdr_off[i] = s->hdr.len;
        tpl_render(&sh->headers[i], &v, &s->hdr);
        tpl_buf_append(&s->hdr, "", 1);
    }
    for (size_t i = 0; i < sh->n_headers; i++)
        s->nodes[i].data = s->hdr.p + s->hdr_off[i];
rendered:
    if (timeout_ns != s->timeout_set_ns) {
        long ms = (long)((timeout_ns + 999999) / 1000000);
        SETOPT(e, CURLOPT_TIMEOUT_MS, ms);
        SETOPT(e, CURLOPT_CONNECTTIMEOUT_MS, ms < 10000 ? ms : 10000L);
        s->timeout_set_ns = timeout_ns;
    }
    cls_resp_reset(&s->resp);
    s->rbody_len = 0;
    s->tail_len = 0;
    s->overflow = false;
    return ERR_OK;
fail:
    return ERR_CURL;
}

void lg_slot_response(struct lg_slot *s)
{
    s->resp.body = s->rbody;
    s->resp.body_len = s->rbody_len;
    s->resp.tail = s->overflow ? s->tail : NULL;
    s->resp.tail_len = s->overflow ? s->tail_len : 0;
}

void lg_slot_fini(struct lg_slot *s)
{
    if (!s)
        return;
    if (s->easy)
        curl_easy_cleanup(s->easy);
    curl_url_cleanup(s->url_h);
    tpl_buf_fini(&s->url);
    tpl_buf_fini(&s->body);
    tpl_buf_fini(&s->hdr);
    free(s->rbody);
    memset(s, 0, sizeof(*s));
}
