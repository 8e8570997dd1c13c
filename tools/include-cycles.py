#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
# Fails when the modules of a source tree include each other in a circle (module = foo.c + foo.h).
#
# usage: tools/include-cycles.py [DIR...]   (default: src)
# A module depends on another when its .c or .h includes the other's header. Each strongly
# connected set of modules is printed with the edges that close it; exit 1 if there is one.
import os
import re
import sys


def edges(src):
    deps = {}
    names = {f[:-2] for f in os.listdir(src) if f.endswith(('.c', '.h'))}
    for f in sorted(os.listdir(src)):
        if not f.endswith(('.c', '.h')):
            continue
        mod = f[:-2]
        with open(os.path.join(src, f), encoding='utf-8', errors='replace') as fh:
            text = fh.read()
        for inc in re.findall(r'^\s*#\s*include\s+"([^"]+)"', text, re.M):
            base = os.path.basename(inc)
            if '/' in inc or not base.endswith('.h') or base[:-2] not in names or base[:-2] == mod:
                continue
            deps.setdefault(mod, set()).add(base[:-2])
    return deps


def circles(deps):
    # Tarjan's strongly connected components, iterative so a deep tree cannot hit the recursion limit.
    index, low, stack, on, out, n = {}, {}, [], set(), [], 0
    for root in sorted(deps):
        if root in index:
            continue
        work = [(root, iter(sorted(deps.get(root, ()))))]
        index[root] = low[root] = n; n += 1
        stack.append(root); on.add(root)
        while work:
            v, it = work[-1]
            w = next(it, None)
            if w is not None:
                if w not in index:
                    index[w] = low[w] = n; n += 1
                    stack.append(w); on.add(w)
                    work.append((w, iter(sorted(deps.get(w, ())))))
                elif w in on:
                    low[v] = min(low[v], index[w])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[v])
            if low[v] == index[v]:
                comp = []
                while True:
                    w = stack.pop(); on.discard(w); comp.append(w)
                    if w == v:
                        break
                if len(comp) > 1:
                    out.append(sorted(comp))
    return out


def main(argv):
    dirs = argv[1:] or ['src']
    bad = 0
    for d in dirs:
        deps = edges(d)
        for comp in circles(deps):
            bad += 1
            print(f"{d}: include cycle: {' '.join(comp)}")
            for a in comp:
                for b in sorted(deps.get(a, ())):
                    if b in comp:
                        print(f"  {a} -> {b}.h")
    if bad:
        print(f"{bad} include cycle(s): move the shared type or constant down to the lower module")
        return 1
    print(f"no include cycles in {' '.join(dirs)}")
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
