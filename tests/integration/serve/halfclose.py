#!/usr/bin/env python3
"""halfclose.py - complete requests whose client half-closes (shutdown
SHUT_WR) right after sending, many at once, while other clients keep
serve busy.

Usage: halfclose.py PORT API_KEY MODEL N
Sends N such requests in parallel (each on its own connection, after the
whole request), plus N ordinary keep-alive requests alongside, and prints
one JSON object: {"status": {"200": n, ...}, "no_answer": n}; a request
counts as answered when a status line arrives before the server closes.
127.0.0.1 only; every socket has a 10 s timeout.
"""
import json
import socket
import sys
import threading

port, key, model, n = int(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4])
body = ('{"model":"%s","max_tokens":5,"messages":[{"role":"user","content":"hi"}]}'
        % model).encode()
request = (b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\n"
           b"Authorization: Bearer " + key.encode() +
           b"\r\nContent-Type: application/json\r\nContent-Length: "
           + str(len(body)).encode() + b"\r\n\r\n" + body)


def half_closed():
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    try:
        s.sendall(request)
        s.shutdown(socket.SHUT_WR)
        data = b""
        while True:
            d = s.recv(65536)
            if not d:
                break
            data += d
    except OSError:
        pass
    finally:
        s.close()
    line = data.split(b"\r\n", 1)[0].split()
    return line[1].decode() if len(line) > 1 else None


def ordinary():
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    try:
        for _ in range(3):
            s.sendall(request)
            s.recv(65536)
    except OSError:
        pass
    finally:
        s.close()


results = [None] * n
threads = []
for i in range(n):
    def run(i=i):
        results[i] = half_closed()
    threads.append(threading.Thread(target=run))
    threads.append(threading.Thread(target=ordinary))
for t in threads:
    t.start()
for t in threads:
    t.join()
status = {}
for r in results:
    if r is not None:
        status[r] = status.get(r, 0) + 1
print(json.dumps({"status": status, "no_answer": results.count(None)}))
