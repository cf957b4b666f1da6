/*
 * faultsrv.c - a deliberately misbehaving HTTP server for loadgen tests.
 *
 *   faultsrv MODE PORT_FILE [LIFETIME_S]
 *
 * Listens on 127.0.0.1 (a free port, written to PORT_FILE), serves each
 * connection in its own thread and exits by itself after LIFETIME_S
 * seconds (default 60), so a test that dies cannot leave it running.
 * Every request (headers plus Content-Length body) is answered per MODE:
 *   ok        200, small JSON, keep-alive
 *   reset     close with RST (SO_LINGER 0) instead of answering
 *   hang      accept and read, never answer
 *   drip      200 with a 20-byte body sent one byte every 50 ms
 *   garbage   bytes that are not HTTP, then close
 *   oversized 200 with a 16 MiB body
 *   midclose  200 announcing 1000 body bytes, sends 10, closes
 *   sse_error 200 text/event-stream whose stream ends in an error event
 * Loopback only; bounded; no external traffic.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum mode { OK, RESET, HANG, DRIP, GARBAGE, OVERSIZED, MIDCLOSE, SSE_ERROR };

static const char *const mode_names[] = { "ok",       "reset",    "hang",
                                          "drip",     "garbage",  "oversized",
                                          "midclose", "sse_error" };

static enum mode mode;

static bool send_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w <= 0)
            return false;
        p += w;
        n -= (size_t)w;
    }
    return true;
}

static void nap_ms(long ms)
{
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
    nanosleep(&ts, NULL);
}

/* Reads one request; false when the peer closed or sent too much. */
static bool read_request(int fd, char *buf, size_t cap, size_t *have)
{
    for (;;) {
        char *end = strstr(buf, "\r\n\r\n");
        if (end) {
            size_t head = (size_t)(end + 4 - buf), body = 0;
            const char *cl = strstr(buf, "\r\nContent-Length:");
            if (!cl)
                cl = strstr(buf, "\r\ncontent-length:");
            if (cl && cl < end)
                body = strtoul(cl + 17, NULL, 10);
            if (*have >= head + body) {
                memmove(buf, buf + head + body, *have - head - body + 1);
                *have -= head + body;
                return true;
            }
        }
        if (*have + 1 >= cap)
            return false;
        ssize_t got = recv(fd, buf + *have, cap - 1 - *have, 0);
        if (got <= 0)
            return false;
        *have += (size_t)got;
        buf[*have] = '\0';
    }
}

static bool answer_ok(int fd, const char *body, const char *type)
{
    char head[256];
    int n = snprintf(head, sizeof(head),
                     "HTTP/1.1 200 OK\r\nContent-Type: %s\r\n"
                     "Content-Length: %zu\r\n\r\n",
                     type, strlen(body));
    return send_all(fd, head, (size_t)n) && send_all(fd, body, strlen(body));
}

static char chunk[65536]; /* filled once in main, read-only after */

static bool answer_oversized(int fd)
{
    size_t total = 16u << 20;
    char head[128];
    int n = snprintf(head, sizeof(head),
                     "HTTP/1.1 200 OK\r\nContent-Length: %zu\r\n\r\n", total);
    if (!send_all(fd, head, (size_t)n))
        return false;
    for (size_t sent = 0; sent < total; sent += sizeof(chunk))
        if (!send_all(fd, chunk, sizeof(chunk)))
            return false;
    return true;
}

static bool answer_drip(int fd)
{
    const char *head = "HTTP/1.1 200 OK\r\nContent-Length: 20\r\n\r\n";
    if (!send_all(fd, head, strlen(head)))
        return false;
    for (int i = 0; i < 20; i++) {
        nap_ms(50);
        if (!send_all(fd, "d", 1))
            return false;
    }
    return true;
}

/* Answers one request; false to close the connection. */
static bool answer(int fd)
{
    static const char sse[] =
        "event: message_start\ndata: {\"type\":\"message_start\"}\n\n"
        "event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":"
        "\"overloaded_error\",\"message\":\"Overloaded\"}}\n\n";
    switch (mode) {
    case OK: return answer_ok(fd, "{\"ok\":true}", "application/json");
    case RESET: {
        struct linger lg = { 1, 0 };
        setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
        return false;
    }
    case HANG:
        for (;;)
            pause();
    case DRIP: return answer_drip(fd);
    case GARBAGE:
        send_all(fd, "SSH-2.0-garbage\r\n\r\n\x01\x02\x03", 22);
        return false;
    case OVERSIZED: return answer_oversized(fd);
    case MIDCLOSE: {
        const char *m = "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n"
                        "0123456789";
        send_all(fd, m, strlen(m));
        return false;
    }
    case SSE_ERROR: return answer_ok(fd, sse, "text/event-stream");
    }
    return false;
}

static void *conn_main(void *arg)
{
    int fd = (int)(intptr_t)arg;
    char buf[16384] = "";
    size_t have = 0;
    while (read_request(fd, buf, sizeof(buf), &have) && answer(fd))
        ;
    close(fd);
    return NULL;
}

static int listen_loopback(int *port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    struct sockaddr_in a = { .sin_family = AF_INET };
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0 ||
        listen(fd, 512) != 0)
        return -1;
    socklen_t len = sizeof(a);
    getsockname(fd, (struct sockaddr *)&a, &len);
    *port = ntohs(a.sin_port);
    return fd;
}

static void on_alarm(int sig)
{
    (void)sig;
    _exit(0);
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: faultsrv MODE PORT_FILE [LIFETIME_S]\n");
        return 2;
    }
    size_t n_modes = sizeof(mode_names) / sizeof(mode_names[0]);
    size_t m = 0;
    while (m < n_modes && strcmp(argv[1], mode_names[m]) != 0)
        m++;
    if (m == n_modes) {
        fprintf(stderr, "faultsrv: unknown mode '%s'\n", argv[1]);
        return 2;
    }
    mode = (enum mode)m;
    memset(chunk, 'x', sizeof(chunk));
    signal(SIGPIPE, SIG_IGN);
    signal(SIGALRM, on_alarm);
    alarm(argc > 3 ? (unsigned)atoi(argv[3]) : 60);
    int port, lfd = listen_loopback(&port);
    if (lfd < 0) {
        perror("faultsrv: listen");
        return 1;
    }
    char tmp[4096];
    snprintf(tmp, sizeof(tmp), "%s.tmp", argv[2]);
    FILE *f = fopen(tmp, "w");
    if (!f || fprintf(f, "%d\n", port) < 0 || fclose(f) != 0 ||
        rename(tmp, argv[2]) != 0) {
        perror("faultsrv: port file");
        return 1;
    }
    for (;;) {
        int fd = accept(lfd, NULL, NULL), one = 1;
        pthread_t th;
        if (fd >= 0) /* no Nagle/delayed-ACK stalls between writes */
            setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        if (fd >= 0 &&
            pthread_create(&th, NULL, conn_main, (void *)(intptr_t)fd) == 0)
            pthread_detach(th);
        else if (fd >= 0)
            close(fd);
    }
}
