#!/usr/bin/env python3
"""Flame graph from `perf script` output, without network or third-party tools (issue 21).

usage: perf script -i perf.data | python3 bench/flame.py OUT.folded OUT.svg [TITLE]
Folds each sample's call stack (root first, frames joined by ';') and counts equal stacks
(Brendan Gregg's "folded" format: `a;b;c N`), then draws the stacks as an SVG: one box per
frame, width proportional to its samples, callers below callees; hover shows the samples.
Frames are `function` (unknown symbols as `[dso]`); the process name is the root."""
import html, re, sys, zlib
from collections import Counter

def fold(lines):
    stacks, frames, head = Counter(), [], None
    for line in lines:
        line = line.rstrip("\n")
        if not line.strip():
            if head is not None and frames:
                stacks[";".join([head] + frames[::-1])] += 1
            head, frames = None, []
        elif not line[0].isspace():
            head = line.split()[0]                      # comm of the sample
        else:                                           # "   addr sym+off (dso)"
            m = re.match(r"\s*[0-9a-f]+\s+(.*?)\s+\((.*)\)$", line)
            if not m:
                continue
            sym, dso = m.group(1), m.group(2)
            sym = re.sub(r"\+0x[0-9a-f]+$", "", sym)
            if sym == "[unknown]":
                sym = "[" + dso.rsplit("/", 1)[-1] + "]"
            frames.append(sym)
    if head is not None and frames:
        stacks[";".join([head] + frames[::-1])] += 1
    return stacks

def svg(stacks, title, width=1200, row=16):
    tree = {}                                           # name -> [count, children]
    total = sum(stacks.values())
    for st, n in stacks.items():
        node = tree
        for f in st.split(";"):
            e = node.setdefault(f, [0, {}])
            e[0] += n
            node = e[1]
    boxes, depth = [], [0]
    def walk(node, x, d):
        depth[0] = max(depth[0], d + 1)
        for name, (n, kids) in sorted(node.items()):
            boxes.append((name, x, d, n))
            walk(kids, x, d + 1)
            x += n
    walk(tree, 0, 0)
    h = (depth[0] + 3) * row
    out = ['<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" font-family="monospace" font-size="11">' % (width, h),
           '<rect width="100%%" height="100%%" fill="#f8f8f8"/><text x="%d" y="14" text-anchor="middle" font-size="13">%s (%d samples)</text>'
           % (width // 2, html.escape(title), total)]
    scale = (width - 20) / max(total, 1)
    for name, x, d, n in boxes:
        w = n * scale
        if w < 0.3:
            continue
        y = h - (d + 1) * row - 4
        hue = zlib.crc32(name.encode()) % 60
        label = html.escape(name)
        chars = int(w / 7)
        text = label if len(name) <= chars else (html.escape(name[:chars - 2]) + ".." if chars > 3 else "")
        out.append('<g><title>%s: %d samples (%.2f%%)</title><rect x="%.1f" y="%d" width="%.1f" height="%d" fill="hsl(%d,80%%,60%%)" stroke="#fff" stroke-width="0.3"/>'
                   '<text x="%.1f" y="%d">%s</text></g>' % (label, n, 100.0 * n / total, 10 + x * scale, y, w, row - 1, hue, 12 + x * scale, y + row - 4, text))
    out.append("</svg>")
    return "\n".join(out)

if __name__ == "__main__":
    if len(sys.argv) < 3:
        raise SystemExit(__doc__)
    st = fold(sys.stdin)
    with open(sys.argv[1], "w") as f:
        for k, n in sorted(st.items()):
            f.write("%s %d\n" % (k, n))
    with open(sys.argv[2], "w") as f:
        f.write(svg(st, sys.argv[3] if len(sys.argv) > 3 else "perf"))
    print("%d samples, %d distinct stacks" % (sum(st.values()), len(st)), file=sys.stderr)
