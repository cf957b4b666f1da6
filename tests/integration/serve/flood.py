#!/usr/bin/env python3
"""flood.py - idle and slowloris connections against a loopback serve.

Usage: flood.py PORT IDLE SLOW INTERVAL_S DURATION_S REPORT_FILE

Opens IDLE connections from 127.0.0.2 that never send a byte and SLOW
connections from 127.0.0.3 that send a request line and then one header
line every INTERVAL_S seconds (slowloris), holds them for DURATION_S
seconds, and writes one JSON object to REPORT_FILE:
  idle_open, slow_open   connections that were accepted (connect worked)
  idle_closed, slow_closed  of those, closed by the server before the end
  idle_close_s, slow_close_s  median seconds from connect to that close
An idle connection the server closes is replaced by a new one (an
attacker reconnects), so IDLE connections are held all along; slowloris
connections are not replaced.
The sources are other loopback addresses than the test's own requests
(127.0.0.1), so that a per-address cap of the server applies to the flood
only.  Traffic goes to 127.0.0.1 only; everything is bounded by
DURATION_S.
"""
import json
import resource
import selectors
import socket
import sys
import time


def raise_fd_limit(need):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < need:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(need, hard), hard))


def open_conn(port, src):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind((src, 0))
    s.setblocking(False)
    try:
        s.connect(("127.0.0.1", port))
    except BlockingIOError:
        pass
    return s


def main():
    port, n_idle, n_slow = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
    interval, duration, report = float(sys.argv[4]), float(sys.argv[5]), sys.argv[6]
    raise_fd_limit(n_idle + n_slow + 64)
    sel = selectors.DefaultSelector()
    t0 = time.monotonic()
    conns = {}  # socket -> [kind, opened_at, closed_after_s, next_send, up]
    for kind, n, src in (("idle", n_idle, "127.0.0.2"), ("slow", n_slow, "127.0.0.3")):
        for _ in range(n):
            try:
                s = open_conn(port, src)
            except OSError:
                continue
            conns[s] = [kind, time.monotonic(), None, 0.0, False]
            sel.register(s, selectors.EVENT_READ | selectors.EVENT_WRITE)
    closed = {}
    while time.monotonic() - t0 < duration:
        now = time.monotonic()
        reopen = []
        for key, ev in sel.select(timeout=0.05):
            s = key.fileobj
            c = conns[s]
            if ev & selectors.EVENT_WRITE and not c[4]:
                err = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                c[4] = err == 0  # connected
                if err != 0:
                    c[2] = -1.0  # refused: never open
                    sel.unregister(s)
                    s.close()
                    continue
                sel.modify(s, selectors.EVENT_READ)
                if c[0] == "slow":
                    s.send(b"POST /v1/chat/completions HTTP/1.1\r\n")
                    c[3] = now + interval
                continue
            if ev & selectors.EVENT_READ:
                try:
                    data = s.recv(4096)
                except OSError:
                    data = b""
                if not data:
                    c[2] = now - c[1]
                    sel.unregister(s)
                    s.close()
                    if c[0] == "idle":
                        reopen.append(s)
        for old in reopen:
            closed[old] = conns.pop(old)
            try:
                s = open_conn(port, "127.0.0.2")
            except OSError:
                continue
            conns[s] = ["idle", now, None, 0.0, False]
            sel.register(s, selectors.EVENT_READ | selectors.EVENT_WRITE)
        for s, c in conns.items():
            if c[0] == "slow" and c[4] and c[2] is None and now >= c[3]:
                try:
                    s.send(b"X-Slow: %d\r\n" % int(now - t0))
                except OSError:
                    pass
                c[3] = now + interval
    out = {}
    everything = list(conns.values()) + list(closed.values())
    for kind in ("idle", "slow"):
        mine = [c for c in everything if c[0] == kind and c[4]]
        shut = sorted(c[2] for c in mine if c[2] is not None and c[2] >= 0)
        out[kind + "_open"] = len(mine)
        out[kind + "_closed"] = len(shut)
        out[kind + "_close_s"] = shut[len(shut) // 2] if shut else None
    for s in conns:
        try:
            s.close()
        except OSError:
            pass
    with open(report, "w") as f:
        json.dump(out, f)


if __name__ == "__main__":
    main()
