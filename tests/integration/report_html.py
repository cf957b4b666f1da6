#!/usr/bin/env python3
"""report_html.py - helpers of test_report_html.sh (standard library only).

  report_html.py browse CHROMIUM URL PNG WIDTH SCALE [CHROMIUM_ARG...]
      Loads URL in headless chromium driven over the DevTools protocol
      (--remote-debugging-pipe) and prints what the page did, one line
      each: "request URL" for every network request of the page but its
      own document, "console LEVEL TEXT", "exception TEXT", "log LEVEL
      TEXT" (the browser's own messages: a refused resource, a CSP or
      parse problem), then "svg N" and "svg-height MIN" (the charts in the
      layout) and "height H".  Writes a screenshot of the whole page WIDTH
      CSS pixels wide at device scale SCALE to PNG.

  report_html.py proxy PORTFILE LOGFILE
      An HTTP proxy on 127.0.0.1 that refuses everything (403) and logs
      each request line, CONNECT included, to LOGFILE: a headless browser
      pointed at it shows every network request a page makes, and none
      leaves the machine.  Writes its port to PORTFILE; runs until killed.

  report_html.py colour PNG
      Prints the share of strongly coloured pixels in an 8-bit RGB(A)
      PNG (max - min channel > 80): the page's own CSS is grey, blue-grey
      and a yellow warning box, the charts' lines and areas are colour, so
      a screenshot whose charts rendered has a measurable share.
"""
import base64
import http.server
import json
import os
import select
import socketserver
import struct
import subprocess
import sys
import time
import zlib


class Refuse(http.server.BaseHTTPRequestHandler):
    def _refuse(self):
        with open(self.server.log, 'a') as f:
            f.write(self.requestline + '\n')
        self.send_response(403)
        self.send_header('Content-Length', '0')
        self.send_header('Connection', 'close')
        self.end_headers()

    do_GET = do_POST = do_HEAD = do_CONNECT = do_PUT = do_OPTIONS = _refuse

    def log_message(self, *args):
        pass


def proxy(portfile, log):
    socketserver.TCPServer.allow_reuse_address = True
    with socketserver.ThreadingTCPServer(('127.0.0.1', 0), Refuse) as srv:
        srv.log = log
        open(log, 'a').close()
        with open(portfile, 'w') as f:
            f.write('%d\n' % srv.server_address[1])
        srv.serve_forever()


class Cdp:
    """A DevTools-protocol client over chromium's pipe (fds 3 and 4 of the
    child; messages are JSON, each ended by a NUL byte)."""

    def __init__(self, chromium, extra):
        to_r, self.to_w = os.pipe()
        self.from_r, from_w = os.pipe()

        def fds():  # via fresh numbers: dup2(3, 3) would keep CLOEXEC
            r, w = os.dup(to_r), os.dup(from_w)
            os.dup2(r, 3)
            os.dup2(w, 4)
        self.proc = subprocess.Popen(
            [chromium, '--headless', '--remote-debugging-pipe'] + extra +
            ['about:blank'], preexec_fn=fds, close_fds=False,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.close(to_r)
        os.close(from_w)
        self.buf, self.next_id, self.events = b'', 0, []

    def _read(self, deadline):
        while b'\0' not in self.buf:
            left = deadline - time.time()
            if left <= 0 or not select.select([self.from_r], [], [], left)[0]:
                return None
            chunk = os.read(self.from_r, 1 << 20)
            if not chunk:
                sys.exit('chromium closed the DevTools pipe')
            self.buf += chunk
        msg, self.buf = self.buf.split(b'\0', 1)
        return json.loads(msg)

    def call(self, method, session=None, **params):
        self.next_id += 1
        msg = {'id': self.next_id, 'method': method, 'params': params}
        if session:
            msg['sessionId'] = session
        os.write(self.to_w, json.dumps(msg).encode() + b'\0')
        deadline = time.time() + 60
        while True:
            m = self._read(deadline)
            if m is None:
                sys.exit('no answer to %s' % method)
            if m.get('id') == self.next_id:
                if 'error' in m:
                    sys.exit('%s: %s' % (method, m['error']))
                return m.get('result', {})
            self.events.append(m)

    def wait(self, method, seconds):
        """Collects events for up to seconds, returning early once method
        arrived (None: wait the whole time)."""
        deadline = time.time() + seconds
        while True:
            if method and any(e.get('method') == method for e in self.events):
                return True
            m = self._read(deadline)
            if m is None:
                return False
            self.events.append(m)

    def close(self):
        try:
            self.call('Browser.close')
        except SystemExit:
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def report_events(events, url):
    for e in events:
        m, p = e.get('method'), e.get('params', {})
        if m == 'Network.requestWillBeSent':
            if p['request']['url'] != url:
                print('request', p['request']['url'])
        elif m == 'Runtime.consoleAPICalled':
            text = ' '.join(str(a.get('value', a.get('description', '')))
                            for a in p.get('args', []))
            print('console', p.get('type'), text)
        elif m == 'Runtime.exceptionThrown':
            d = p.get('exceptionDetails', {})
            print('exception', d.get('text'),
                  d.get('exception', {}).get('description', ''))
        elif m == 'Log.entryAdded':
            entry = p.get('entry', {})
            print('log', entry.get('level'), entry.get('text'),
                  entry.get('url', ''))


def browse(chromium, url, png, width, scale, extra):
    b = Cdp(chromium, extra)
    try:
        page = next(t for t in b.call('Target.getTargets')['targetInfos']
                    if t['type'] == 'page')
        s = b.call('Target.attachToTarget', targetId=page['targetId'],
                   flatten=True)['sessionId']
        for domain in ('Page', 'Network', 'Runtime', 'Log'):
            b.call(domain + '.enable', session=s)
        b.call('Emulation.setDeviceMetricsOverride', session=s, width=width,
               height=800, deviceScaleFactor=scale, mobile=False)
        b.events.clear()
        b.call('Page.navigate', session=s, url=url)
        if not b.wait('Page.loadEventFired', 60):
            sys.exit('%s did not load' % url)
        b.wait(None, 1.0)  # late requests and messages
        js = ('[document.querySelectorAll("svg").length, Math.min(...Array'
              '.from(document.querySelectorAll("figure svg"), e => e.'
              'getBoundingClientRect().height)), document.documentElement.'
              'scrollHeight]')
        n, low, height = b.call('Runtime.evaluate', session=s,
                                expression=js,
                                returnByValue=True)['result']['value']
        b.call('Emulation.setDeviceMetricsOverride', session=s, width=width,
               height=int(height), deviceScaleFactor=scale, mobile=False)
        b.wait(None, 0.5)
        shot = b.call('Page.captureScreenshot', session=s, format='png')
        with open(png, 'wb') as f:
            f.write(base64.b64decode(shot['data']))
        report_events(b.events, url)
        print('svg', n)
        print('svg-height', int(low) if n else 0)
        print('height', int(height))
    finally:
        b.close()


def paeth(a, b, c):
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    if pa <= pb and pa <= pc:
        return a
    return b if pb <= pc else c


def rows(path):
    """Yields the rows of an 8-bit RGB or RGBA, non-interlaced PNG as
    bytearrays of (r, g, b[, a]) samples."""
    data = open(path, 'rb').read()
    if data[:8] != b'\x89PNG\r\n\x1a\n':
        sys.exit('%s: not a PNG' % path)
    pos, idat = 8, b''
    while pos < len(data):
        n, kind = struct.unpack('>I4s', data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if kind == b'IHDR':
            w, h, depth, ctype, _, _, inter = struct.unpack('>IIBBBBB', body)
            if depth != 8 or ctype not in (2, 6) or inter:
                sys.exit('%s: not 8-bit RGB(A), non-interlaced' % path)
            bpp = 3 if ctype == 2 else 4
        elif kind == b'IDAT':
            idat += body
        pos += 12 + n
    raw = zlib.decompress(idat)
    stride = w * bpp
    prev = bytearray(stride)
    for y in range(h):
        ftype = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b = prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            if ftype == 1:
                line[i] = (line[i] + a) & 255
            elif ftype == 2:
                line[i] = (line[i] + b) & 255
            elif ftype == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif ftype == 4:
                line[i] = (line[i] + paeth(a, b, c)) & 255
        yield line, bpp
        prev = line


def colour(path):
    total = coloured = 0
    for line, bpp in rows(path):
        for i in range(0, len(line), bpp):
            r, g, b = line[i], line[i + 1], line[i + 2]
            total += 1
            coloured += max(r, g, b) - min(r, g, b) > 80
    print('%.4f' % (coloured / total if total else 0))


if __name__ == '__main__':
    if len(sys.argv) == 4 and sys.argv[1] == 'proxy':
        proxy(sys.argv[2], sys.argv[3])
    elif len(sys.argv) >= 7 and sys.argv[1] == 'browse':
        browse(sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]),
               float(sys.argv[6]), sys.argv[7:])
    elif len(sys.argv) == 3 and sys.argv[1] == 'colour':
        colour(sys.argv[2])
    else:
        sys.exit(__doc__)
