#!/usr/bin/env python3
"""test_doc_refs.py - every file the project's docs and comments name exists.

The repository's documentation stands alone: a reader must be able to open
every file a README, a doc page, a script or a source comment points to.
This scans every tracked text file for names of project files and fails,
listing file:line: name, when one does not exist.  What counts as a name:

  - any `*.md` (documents are ours, so an unknown one is a dangling link);
  - a path that starts with one of the repository's top-level folders
    (core/, sim/, loadgen/, serve/, cli/, plots/, scenarios/, tests/,
    bench/, docs/, scripts/, deploy/), relative to the root or to the
    naming file's folder;
  - a bare C source or header name whose stem has three or more characters
    (shorter ones are examples in tests, such as `o.c`), unless it is one
    of the other projects' files listed in EXTERNAL.

It also fails on any mention of the planning documents the project was
specified with (they are not part of the repository, so the docs must
say what they need in their own words).

Names with placeholders (<module>, *, {a,b}, $VAR) are templates, not files,
and are skipped.  Usage: test_doc_refs.py REPO_ROOT
"""
import os
import re
import subprocess
import sys

TOP = ('core', 'sim', 'loadgen', 'serve', 'cli', 'plots', 'scenarios', 'tests',
       'bench', 'docs', 'scripts', 'deploy')
# Files of other projects that our comments name on purpose, with the project.
EXTERNAL = {
    'ngx_http_limit_req_module.c',  # nginx
    'microhttpd.h',                 # libmicrohttpd
    'curl.h', 'multi.h',            # libcurl
    'yaml.h',                       # libyaml
    'cmocka.h',                     # cmocka
}
EXT = r'(?:md|c|h|sh|gp|yaml|py|txt|json|csv)'
BRIEF = re.compile(r'\b(?:DESIGN|SCENARIOS|ORACLES|PERFORMANCE|STYLE|BRIEF)'
                   r'(?:\.md|\'s)|\bBRIEF\b|\.\./shared/|shared/reference')
SELF = 'tests/lint/test_doc_refs.py'
TOKEN = re.compile(r'(?<![\w./<>*{$-])((?:[\w.-]+/)*[\w-][\w.-]*\.' + EXT +
                   r')(?![\w/<>*{$])')


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else '.'
    os.chdir(root)
    files = subprocess.check_output(['git', 'ls-files', '-co', '--exclude-standard'],
                                    text=True).split('\n')
    files = [f for f in files if f and os.path.isfile(f)]
    tracked = set(files)
    bases = {os.path.basename(f) for f in files}
    bad = []
    for f in files:
        if f.startswith('tests/fuzz/') and ('/corpus/' in f or '/regress/' in f):
            continue
        try:
            with open(f, encoding='utf-8') as fh:
                lines = fh.read().splitlines()
        except (UnicodeDecodeError, OSError):
            continue  # binary (images)
        for n, line in enumerate(lines, 1):
            for m in TOKEN.finditer(line):
                name = m.group(1)
                if not wanted(name):
                    continue
                if not exists(name, f, tracked, bases):
                    bad.append('%s:%d: %s' % (f, n, name))
            if BRIEF.search(line) and f != SELF:
                bad.append('%s:%d: names a document outside the repository'
                           % (f, n))
    for b in bad:
        print('dangling file name: ' + b)
    if bad:
        print('FAIL test_doc_refs: %d names of files that do not exist' % len(bad))
        return 1
    print('PASS test_doc_refs: every named project file exists')
    return 0


def wanted(name):
    if name.endswith('.md'):
        return True
    if '/' in name:
        return name.split('/')[0] in TOP
    stem, ext = os.path.splitext(name)
    return ext in ('.c', '.h') and len(stem) >= 3 and name not in EXTERNAL


def exists(name, naming_file, tracked, bases):
    if '/' not in name:
        return name in bases
    for cand in (os.path.normpath(name),
                 os.path.normpath(os.path.join(os.path.dirname(naming_file), name))):
        if cand in tracked or os.path.isdir(cand):
            return True
    return False


if __name__ == '__main__':
    sys.exit(main())
