#!/usr/bin/env python3
"""test_man_pages.py - the man pages are well-formed and complete.

  - `mandoc -T lint -W warning` reports nothing for man/tollgate.1 and
    man/tollgate-scenario.5 (mandoc is the strictest mdoc checker; CI
    installs it through scripts/setup.sh --test; without it this step is
    skipped with a notice and the others still run);
  - man-db renders both with groff (`man --warnings -l`) without a
    warning, and the output has the NAME and SEE ALSO sections;
  - the scenario under EXAMPLES in tollgate-scenario.5 passes
    `tollgate validate`;
  - every key and value name the scenario parser accepts (the string
    tables of core/scenario/scenario*.c and SCN_EVENT_KIND_NAMES) appears
    in tollgate-scenario.5, so a new key cannot go undocumented there, and
    every event kind is an item of its EVENTS section.

Usage: test_man_pages.py TOLLGATE_BINARY SOURCE_DIR
"""
import glob
import os
import re
import shutil
import subprocess
import sys
import tempfile

PAGES = ('man/tollgate.1', 'man/tollgate-scenario.5')


def mandoc_lint(bad):
    if shutil.which('mandoc') is None:
        print('SKIP mandoc lint: mandoc is not installed (apt-get install '
              'mandoc)')
        return
    out = subprocess.run(['mandoc', '-T', 'lint', '-W', 'warning', *PAGES],
                         capture_output=True, text=True)
    if out.returncode != 0 or out.stdout.strip() or out.stderr.strip():
        bad.append('mandoc -T lint -W warning:\n' + out.stdout + out.stderr)


def groff_render(bad):
    env = dict(os.environ, MANWIDTH='80', LC_ALL='C.UTF-8', MANPAGER='cat',
               PAGER='cat')
    for page in PAGES:
        out = subprocess.run(['man', '--warnings', '-E', 'UTF-8', '-l', page],
                             capture_output=True, text=True, env=env)
        if out.returncode != 0 or out.stderr.strip():
            bad.append('man --warnings -l %s: exit %d\n%s'
                       % (page, out.returncode, out.stderr))
        for sec in ('NAME', 'SEE ALSO'):
            if sec not in out.stdout:
                bad.append('man -l %s: no %s section rendered' % (page, sec))


def example_validates(binary, bad):
    text = open('man/tollgate-scenario.5', encoding='utf-8').read()
    m = re.search(r'^\.Sh EXAMPLES\n(?:.*\n)*?\.Bd -literal[^\n]*\n((?:.*\n)*?)'
                  r'\.Ed$', text, re.M)
    if m is None:
        bad.append('tollgate-scenario.5: no literal scenario under EXAMPLES')
        return
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, 'example.yaml')
        with open(path, 'w', encoding='utf-8') as fh:
            fh.write(m.group(1).replace('\\e', '\\'))
        out = subprocess.run([binary, 'validate', '-q', path],
                             capture_output=True, text=True, timeout=30)
        if out.returncode != 0:
            bad.append('tollgate-scenario.5 EXAMPLES does not validate:\n'
                       + out.stderr)


def event_kinds():
    hdr = open('core/scenario/scenario_int.h', encoding='utf-8').read()
    m = re.search(r'#define SCN_EVENT_KIND_NAMES((?:.*\\\n)*.*)', hdr)
    return set(re.findall(r'"([^"]+)"', m.group(1))) if m else set()


def kinds_documented(bad):
    """Each event kind is an item (.It Ic KIND) of the EVENTS section: a
    word found anywhere would miss a new kind named like some key."""
    kinds = event_kinds()
    if len(kinds) < 10:
        bad.append('found only %d event kinds: has SCN_EVENT_KIND_NAMES '
                   'moved?' % len(kinds))
    page = open('man/tollgate-scenario.5', encoding='utf-8').read()
    m = re.search(r'^\.Sh EVENTS\n(.*?)^\.Sh ', page, re.S | re.M)
    items = set()
    for line in (m.group(1) if m else '').splitlines():
        if line.startswith('.It Ic '):
            items |= set(re.findall(r'[a-z_]+', line[len('.It Ic '):]))
    for k in sorted(kinds - items):
        bad.append('tollgate-scenario.5: event kind %r is not an item '
                   '(.It Ic %s) under EVENTS' % (k, k))


def parser_names():
    names = set()
    for f in glob.glob('core/scenario/scenario*.c'):
        stem = os.path.basename(f)[:-2]
        if stem in ('scenario_conv', 'scenario_write'):  # booleans; writer
            continue
        src = open(f, encoding='utf-8').read()
        for m in re.finditer(r'const char \*const \w+\[\]\s*=\s*\{(.*?)\};',
                             src, re.S):
            names |= set(re.findall(r'"([^"]+)"', m.group(1)))
    return names | event_kinds()


def names_documented(bad):
    names = parser_names()
    if len(names) < 50:
        bad.append('found only %d parser names: has the parser moved?'
                   % len(names))
    page = open('man/tollgate-scenario.5', encoding='utf-8').read()
    for n in sorted(names):
        if not re.search(r'(?<![\w-])' + re.escape(n) + r'(?![\w-])', page):
            bad.append('tollgate-scenario.5 does not mention %r, which the '
                       'scenario parser accepts' % n)


def main():
    binary = os.path.abspath(sys.argv[1])
    os.chdir(sys.argv[2])
    bad = []
    mandoc_lint(bad)
    groff_render(bad)
    example_validates(binary, bad)
    names_documented(bad)
    kinds_documented(bad)
    for b in bad:
        print('FAIL: ' + b)
    if bad:
        print('FAIL test_man_pages: %d problems' % len(bad))
        return 1
    print('PASS test_man_pages: %s lint clean, render, example valid, '
          'every parser name documented' % ', '.join(PAGES))
    return 0


if __name__ == '__main__':
    sys.exit(main())
