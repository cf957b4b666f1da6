#!/usr/bin/env python3
"""test_man_help.py - tollgate(1) and the commands' --help agree.

The man page (man/tollgate.1) is written by hand and each command's --help
is a string in cli/cmd_*.c, so they drift unless something compares them.
This runs the binary and reads the mdoc source, and fails, naming the
command and the option, when:

  - a command listed by `tollgate --help` has no `.Ss NAME` subsection
    under COMMANDS in the man page, or a subsection names no command;
  - an option that `tollgate CMD --help` mentions is not an item
    (`.It Fl ...`) of that command's subsection.  Long options count
    wherever the help names them (usage line, option list, prose,
    examples); short ones only on the usage and option-list lines, since
    examples run other programs (`gnuplot -e`, `curl -s`);
  - an item of the subsection, or an option of the command's SYNOPSIS
    line, is not in its --help.

-h/--help is every command's and is documented once, in DESCRIPTION.
Usage: test_man_help.py TOLLGATE_BINARY SOURCE_DIR
"""
import os
import re
import subprocess
import sys

COMMON = {'-h', '--help'}
LONG = re.compile(r'(?<![\w-])--[a-z][a-z0-9-]*')
SHORT = re.compile(r'(?<![\w-])-[a-zA-Z](?![\w-])')
FL = re.compile(r'\bFl\s+((?:\\-|\w)(?:\\-|[\w-])*)')


def run_help(binary, *args):
    out = subprocess.run([binary, *args], capture_output=True, text=True,
                         timeout=30)
    if out.returncode != 0:
        sys.exit('FAIL test_man_help: %s %s exited %d'
                 % (binary, ' '.join(args), out.returncode))
    return out.stdout


def commands(binary):
    """The commands of `tollgate --help`: the lines under "Commands:"."""
    names, inside = [], False
    for line in run_help(binary, '--help').splitlines():
        if line.startswith('Commands:'):
            inside = True
        elif inside and not line.strip():
            break
        elif inside:
            names.append(line.split()[0])
    return names


def help_options(cmd, text, cmds):
    """{command: options} that `tollgate CMD --help` names (see the module
    comment).  A line that runs another tollgate command (an example such
    as `tollgate run s.yaml --shard 0/2` in merge's help), and the lines
    that continue it with a trailing backslash, name that command's
    options, so they are checked against its subsection instead."""
    found = {cmd: set()}
    usage = True  # the usage block runs to the first blank line
    owner, cont = cmd, False
    for line in text.splitlines():
        if not line.strip():
            usage = False
        if not cont:
            m = re.search(r'\btollgate (\w+)', line)
            owner = m.group(1) if m and m.group(1) in cmds else cmd
        cont = line.rstrip().endswith('\\')
        opts = found.setdefault(owner, set())
        opts.update(LONG.findall(line))
        if usage:
            opts.update(SHORT.findall(line))
        elif re.match(r'\s+-[a-zA-Z], --', line):
            opts.update(SHORT.findall(line.split(',')[0]))
    return {c: o - COMMON for c, o in found.items()}


def fl_options(line):
    """The options an mdoc line marks up with Fl ("Fl \\-seed" = --seed)."""
    return {'-' + a.replace('\\-', '-') for a in FL.findall(line)}


def man_sections(path):
    """{command: (item options, synopsis options)} from the mdoc source."""
    items, synopsis = {}, {}
    sh = ss = syn_cmd = None
    with open(path, encoding='utf-8') as fh:
        for line in fh:
            line = line.rstrip('\n')
            if line.startswith('.Sh '):
                sh, ss = line[4:].strip(), None
            elif line.startswith('.Ss ') and sh == 'COMMANDS':
                ss = line[4:].strip()
                items.setdefault(ss, set())
            elif sh == 'SYNOPSIS':
                if line.startswith('.Nm'):
                    syn_cmd = None
                elif line.startswith('.Cm ') and syn_cmd is None:
                    syn_cmd = line.split()[1]
                    synopsis.setdefault(syn_cmd, set())
                elif syn_cmd:
                    synopsis[syn_cmd] |= fl_options(line)
            elif ss and line.startswith('.It '):
                items[ss] |= fl_options(line)
    return items, synopsis


def main():
    binary, src = sys.argv[1], sys.argv[2]
    page = os.path.join(src, 'man', 'tollgate.1')
    items, synopsis = man_sections(page)
    cmds = commands(binary)
    bad = []
    for c in cmds:
        if c not in items:
            bad.append('%s: no ".Ss %s" subsection under COMMANDS' % (c, c))
    for c in items:
        if c not in cmds:
            bad.append('%s: has a subsection but is not a command of '
                       '`tollgate --help`' % c)
    for c in cmds:
        if c not in items:
            continue
        named = help_options(c, run_help(binary, c, '--help'), cmds)
        helped = named[c]
        for other, opts in named.items():
            for o in sorted(opts - items.get(other, set())):
                bad.append('%s: %s is in `tollgate %s --help` but not an '
                           'item (.It Fl %s) under ".Ss %s"'
                           % (other, o, c, o[1:].replace('-', '\\-'), other))
        for o in sorted(items[c] - COMMON - helped):
            bad.append('%s: %s is an item under ".Ss %s" but not in '
                       '`tollgate %s --help`' % (c, o, c, c))
        for o in sorted(synopsis.get(c, set()) - COMMON - helped):
            bad.append('%s: %s is in the SYNOPSIS but not in `tollgate %s '
                       '--help`' % (c, o, c))
        if c not in synopsis:
            bad.append('%s: no SYNOPSIS line (.Nm / .Cm %s)' % (c, c))
    for b in bad:
        print('man/tollgate.1 and --help disagree: ' + b)
    if bad:
        print('FAIL test_man_help: %d disagreements (man/README.md says how '
              'to keep them in step)' % len(bad))
        return 1
    print('PASS test_man_help: %d commands, their options agree with '
          'man/tollgate.1' % len(cmds))
    return 0


if __name__ == '__main__':
    sys.exit(main())
