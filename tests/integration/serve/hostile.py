#!/usr/bin/env python3
"""hostile.py - requests with invalid UTF-8 (and other hostile bytes) in
the places serve quotes back; every answer must be valid UTF-8 JSON.

Usage: hostile.py PORT API_KEY ADMIN_TOKEN [single]
Prints one line per request ("ok NAME" or "BAD NAME: why") and exits 1
when an answer is not valid UTF-8 or not JSON.  With "single" (a
scenario with one model, which accepts and echoes any model name) it
sends the SINGLE cases instead, which must succeed and echo the model
with U+FFFD in place of each ill-formed sequence.  127.0.0.1 only.
"""
import http.client
import json
import sys

port, key, token = int(sys.argv[1]), sys.argv[2], sys.argv[3]


def chat_model(model_bytes):
    return (b'{"model":"' + model_bytes +
            b'","max_tokens":5,"messages":[{"role":"user","content":"hi"}]}')


CASES = [
    # (name, path, body, admin)
    ("model 0xff 0xfe", "/v1/chat/completions", chat_model(b"\xff\xfe"), False),
    ("model encoded surrogate", "/v1/chat/completions",
     chat_model(b"x\xed\xa0\x80y"), False),
    ("model overlong slash", "/v1/chat/completions", chat_model(b"\xc0\xaf"), False),
    ("model lone surrogate escape", "/v1/chat/completions",
     chat_model(b"a\\ud800b"), False),
    ("model truncated mid-sequence", "/v1/chat/completions",
     chat_model("é".encode() * 100), False),
    ("model cut 4-byte sequence", "/v1/chat/completions",
     chat_model(b"\xf0\x9f\x98"), False),
    ("model beyond U+10FFFF", "/v1/chat/completions",
     chat_model(b"\xf4\x90\x80\x80"), False),
    ("messages route model", "/v1/messages",
     b'{"model":"\xfe\xff","max_tokens":5,"messages":[{"role":"user","content":"hi"}]}',
     False),
    ("event kind 0xff", "/tollgate/events", b'{"\xffoutage":{"for":"1s"}}', True),
    ("event value 0xff", "/tollgate/events", b'{"outage":{"for":"\xff1s"}}', True),
    ("event yaml 0xc3", "/tollgate/events", b"outage: {for: \xc3}", True),
    ("event tier 0xe2 0x82", "/tollgate/events",
     b'{"set_limit":{"tier":"\xe2\x82","limit":"rpm","requests":1}}', True),
]


SINGLE = [
    # (name, model bytes, the model the answer must echo)
    ("echo 0xff", b"a\xffb", "a\ufffdb"),
    ("echo valid e-acute", "caf\u00e9".encode(), "caf\u00e9"),
    ("echo cut 3-byte", b"x\xe2\x82", "x\ufffd"),
    ("echo surrogate", b"\xed\xa0\x80", "\ufffd\ufffd\ufffd"),
    ("echo emoji", b"\xf0\x9f\x98\x80", "\U0001f600"),
]


def single():
    bad = 0
    for name, model, want in SINGLE:
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        c.request("POST", "/v1/chat/completions", body=chat_model(model),
                  headers={"Authorization": "Bearer " + key})
        r = c.getresponse()
        data = r.read()
        c.close()
        try:
            got = json.loads(data.decode("utf-8", errors="strict"))["model"]
            if r.status != 200 or got != want:
                raise ValueError("status %d model %r, want %r" % (r.status, got, want))
            print("ok %s: %r" % (name, got))
        except (UnicodeDecodeError, ValueError, KeyError) as e:
            bad += 1
            print("BAD %s: %d %r: %s" % (name, r.status, data[:200], e))
    sys.exit(1 if bad else 0)


def main():
    if len(sys.argv) > 4 and sys.argv[4] == "single":
        single()
    bad = 0
    for name, path, body, admin in CASES:
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        auth = token if admin else key
        c.request("POST", path, body=body,
                  headers={"Authorization": "Bearer " + auth,
                           "Content-Type": "application/json"})
        r = c.getresponse()
        data = r.read()
        c.close()
        try:
            json.loads(data.decode("utf-8", errors="strict"))
            print("ok %s: %d %s" % (name, r.status, data.decode()[:160]))
        except (UnicodeDecodeError, ValueError) as e:
            bad += 1
            print("BAD %s: %d %r: %s" % (name, r.status, data[:200], e))
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
