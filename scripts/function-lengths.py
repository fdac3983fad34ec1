#!/usr/bin/env python3
"""Lists C++ function bodies longer than N lines (default 100).

Usage: scripts/function-lengths.py [N] [DIR_OR_FILE ...]   (default: src)

A heuristic, not a parser: a function starts at a line ending in '{' whose
text looks like a signature (a parenthesis, not a control statement or a
type definition, no '=' before the parameter list) at namespace or class
level (indent <= 2), and ends where its braces balance. Comments and
string and character literals are blanked before braces are counted, so
'{' in a literal or a comment does not skew the count. Lambdas and local
classes count towards the function that contains them.

It only lists (exit status 0 whatever it finds); the output is
"<lines> <file>:<line> <signature>", longest first.
"""
import os
import re
import sys

CONTROL = re.compile(
    r'^\s*(if|for|while|switch|else|do|try|catch|namespace|struct|class|'
    r'enum|union|extern)\b')


def strip_code(text):
    """Blanks comments, string and char literals (keeping newlines)."""
    out = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        nxt = text[i + 1] if i + 1 < n else ''
        if c == '/' and nxt == '/':
            j = text.find('\n', i)
            j = n if j < 0 else j
            out.append(' ' * (j - i))
            i = j
        elif c == '/' and nxt == '*':
            j = text.find('*/', i + 2)
            j = n if j < 0 else j + 2
            out.append(re.sub(r'[^\n]', ' ', text[i:j]))
            i = j
        elif c == 'R' and nxt == '"':
            m = re.match(r'R"([^(\s]*)\(', text[i:])
            if m:
                end = ')' + m.group(1) + '"'
                j = text.find(end, i + m.end())
                j = n if j < 0 else j + len(end)
                out.append('R"' + re.sub(r'[^\n]', ' ', text[i + 2:j - 1]) +
                           '"')
                i = j
            else:
                out.append(c)
                i += 1
        elif c in '"\'':
            # A digit separator (1'000) is not a character literal.
            if c == "'" and i > 0 and text[i - 1].isalnum() and \
                    text[i - 1] not in 'uUL8' and nxt.isalnum():
                out.append(c)
                i += 1
                continue
            j = i + 1
            while j < n and text[j] != c and text[j] != '\n':
                j += 2 if text[j] == '\\' else 1
            j = min(j + 1, n)
            out.append(c + ' ' * max(0, j - i - 2) + (c if j - i >= 2 else ''))
            i = j
        else:
            out.append(c)
            i += 1
    return ''.join(out)


def functions(path, limit):
    raw = open(path, errors='replace').read()
    lines = strip_code(raw).split('\n')
    shown = raw.split('\n')
    found = []
    i = 0
    while i < len(lines):
        s = lines[i].rstrip()
        if (s.endswith('{') and not CONTROL.match(s) and
                '=' not in s.split('(')[0] and ('(' in s or ')' in s)):
            j = i
            while j > 0 and '(' not in lines[j]:
                j -= 1
            indent = len(s) - len(s.lstrip())
            depth = 0
            k = i
            for k in range(i, len(lines)):
                depth += lines[k].count('{') - lines[k].count('}')
                if depth <= 0:
                    break
            length = k - i + 1
            if indent <= 2:
                if length > limit:
                    found.append((length, path, j + 1, shown[j].strip()[:90]))
                i = k
        i += 1
    return found


def main(argv):
    limit = 100
    if argv and argv[0].isdigit():
        limit = int(argv[0])
        argv = argv[1:]
    roots = argv or ['src']
    files = []
    for r in roots:
        if os.path.isfile(r):
            files.append(r)
            continue
        for dp, _, fs in os.walk(r):
            files += [os.path.join(dp, f) for f in fs
                      if f.endswith(('.cc', '.h', '.cpp', '.hpp'))]
    found = []
    for path in sorted(files):
        found += functions(path, limit)
    for length, path, line, sig in sorted(found, key=lambda f: -f[0]):
        print(f"{length:4d} {path}:{line} {sig}")
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
