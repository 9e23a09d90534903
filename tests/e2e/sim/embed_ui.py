#!/usr/bin/env python3
"""Embed plugins/sim/web/index.html into plugins/sim/ui.lua (plugins have no file access).
With --check, exit 1 when ui.lua is out of date."""
import os, sys
root = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
html = open(os.path.join(root, "plugins/sim/web/index.html")).read()
assert "]==]" not in html
out = ("-- The simulator web UI (plugins cannot read files, so the page from web/index.html is\n"
       "-- embedded here; regenerate with tests/e2e/sim/embed_ui.py after editing it).\nlocal M = {}\n\n"
       "local PAGE = [==[\n" + html + "]==]\n\nfunction M.html() return PAGE end\n\nreturn M\n")
path = os.path.join(root, "plugins/sim/ui.lua")
if "--check" in sys.argv:
    sys.exit(0 if open(path).read() == out else 1)
open(path, "w").write(out)
