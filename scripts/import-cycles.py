#!/usr/bin/env python3
"""Finds import cycles between the files of each crate (crates/*/src/**/*.rs).

A file depends on another when it names an item the other defines: through a `use` of a
`crate::`, `super::`, `self::` or child-module path, or through such a path written inline
(`crate::store::now()`). Paths are followed through re-exports (`pub use`), so a file that
names `crate::Options` depends on the file that defines `Options`, not on lib.rs that merely
re-exports it. A `mod child;` declaration only places the child's file in the module tree: it
is containment, not a dependency (otherwise every child naming a helper of its parent would be
a cycle). For the same reason a file's references into its own submodules (lib.rs calling or
re-exporting what its modules define, a mod.rs using its children) are not counted: a parent
composes its children, and they may use what it defines. What is left is the knot a reader
trips over: files that need each other, directly or around a circle of siblings. Test
modules count too: a test that needs a sibling is a dependency all the same.

Prints each cycle (its files and, for each edge, the first line that makes it) and exits 1;
exits 0 when there is none. There is no list of tolerated knots: the last old ones were untied
(issue 16), so any cycle is new and fails.

    python3 scripts/import-cycles.py [ROOT]    # ROOT: the repository (default: this one)

Standard library only.
"""

import re
import sys
from pathlib import Path

KEYWORD_ITEMS = {"fn", "struct", "enum", "trait", "type", "const", "static", "union"}
TOKEN = re.compile(r"[A-Za-z_][A-Za-z0-9_]*|::|[{}();,*!#\[\]<>=]|\S")


def strip(text):
    """The source with comments, strings and char literals blanked (newlines kept)."""
    out = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            i = j
            continue
        if text.startswith("/*", i):
            depth, j = 1, i + 2
            while j < n and depth:
                if text.startswith("/*", j):
                    depth, j = depth + 1, j + 2
                elif text.startswith("*/", j):
                    depth, j = depth - 1, j + 2
                else:
                    j += 1
            out.append(" " + "\n" * text.count("\n", i, j))
            i = j
            continue
        m = re.match(r'b?r(#*)"', text[i:i + 260])
        if m and (i == 0 or not (text[i - 1].isalnum() or text[i - 1] == "_")):
            end = '"' + m.group(1)
            j = text.find(end, i + m.end())
            j = n if j < 0 else j + len(end)
            out.append('""' + "\n" * text.count("\n", i, j))
            i = j
            continue
        if c == '"' or (c == "b" and text.startswith('b"', i)
                        and (i == 0 or not (text[i - 1].isalnum() or text[i - 1] == "_"))):
            j = i + (2 if c == "b" else 1)
            while j < n and text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            j += 1
            out.append('""' + "\n" * text.count("\n", i, j))
            i = j
            continue
        if c == "'":
            # A char literal ('a', '\n', '\u{1F600}') or a lifetime ('a): a lifetime has no
            # closing quote right after its name.
            m = re.match(r"'(\\u\{[0-9a-fA-F]+\}|\\.|[^\\'])'", text[i:i + 12])
            if m:
                out.append("' '")
                i += m.end()
                continue
        out.append(c)
        i += 1
    return "".join(out)


def tokens(text):
    """(token, line) pairs of stripped source."""
    line = 1
    pos = 0
    result = []
    for m in TOKEN.finditer(text):
        line += text.count("\n", pos, m.start())
        pos = m.start()
        result.append((m.group(0), line))
    return result


class Module:
    def __init__(self, path, file):
        self.path = path  # tuple of names from the crate root
        self.file = file
        self.children = {}  # name -> module path
        self.defined = set()
        self.imports = {}  # local name -> absolute path (tuple), internal paths only
        self.globs = []  # absolute paths of glob imports
        self.refs = []  # (absolute path, line)


def parse_use_tree(toks, i):
    """Parses a use tree from toks[i]; returns ([(segments, alias, glob)], next index)."""
    leaves = []

    def tree(i, prefix):
        segs = list(prefix)
        while i < len(toks):
            t = toks[i][0]
            if t == "::":
                i += 1
            elif t == "{":
                i += 1
                while i < len(toks) and toks[i][0] != "}":
                    i = tree(i, segs)
                    if i < len(toks) and toks[i][0] == ",":
                        i += 1
                return i + 1
            elif t == "*":
                leaves.append((segs, None, True))
                return i + 1
            elif re.match(r"[A-Za-z_]", t):
                segs.append(t)
                i += 1
                if i < len(toks) and toks[i][0] == "as":
                    leaves.append((segs, toks[i + 1][0], False))
                    return i + 2
                if i >= len(toks) or toks[i][0] != "::":
                    name = segs[-1]
                    if name == "self":
                        segs = segs[:-1]
                        name = segs[-1] if segs else "self"
                    leaves.append((segs, name, False))
                    return i
            else:
                return i
        return i

    i = tree(i, [])
    return leaves, i


def module_path_of(src, file):
    rel = file.relative_to(src).with_suffix("")
    parts = list(rel.parts)
    if parts in (["lib"], ["main"]):
        return ()
    if parts[-1] == "mod":
        parts = parts[:-1]
    return tuple(parts)


def scan_crate(src):
    """Module table of one crate: module path -> Module."""
    modules = {}
    for file in sorted(src.rglob("*.rs")):
        base = module_path_of(src, file)
        if base in modules:
            continue  # lib.rs and main.rs both present: the library wins
        text = strip(file.read_text(encoding="utf-8", errors="replace"))
        toks = tokens(text)
        root = Module(base, file)
        modules[base] = root
        stack = [(root, 0)]  # (module, brace depth of its body)
        depth = 0
        pending_mod = None
        i = 0
        while i < len(toks):
            t, line = toks[i]
            current, body = stack[-1]
            if t == "{":
                depth += 1
                if pending_mod is not None:
                    stack.append((pending_mod, depth))
                    pending_mod = None
                i += 1
                continue
            if t == "}":
                if len(stack) > 1 and depth == stack[-1][1]:
                    stack.pop()
                depth -= 1
                i += 1
                continue
            pending_mod = None
            at_item_level = depth == body
            if t == "mod" and at_item_level and i + 1 < len(toks):
                name = toks[i + 1][0]
                path = current.path + (name,)
                current.children[name] = path
                current.defined.add(name)
                if i + 2 < len(toks) and toks[i + 2][0] == "{":
                    inline = Module(path, file)
                    modules[path] = inline
                    pending_mod = inline
                i += 2
                continue
            if t in KEYWORD_ITEMS and at_item_level and i + 1 < len(toks):
                name = toks[i + 1][0]
                if re.match(r"[A-Za-z_]", name):
                    current.defined.add(name)
                i += 2
                continue
            if t == "macro_rules" and i + 2 < len(toks) and toks[i + 1][0] == "!":
                current.defined.add(toks[i + 2][0])
                i += 3
                continue
            if t == "use" and (i == 0 or toks[i - 1][0] != "::"):
                leaves, j = parse_use_tree(toks, i + 1)
                for segs, alias, glob in leaves:
                    current.refs.append(("use", tuple(segs), line, alias, glob))
                i = j
                continue
            if re.match(r"[a-z_][A-Za-z0-9_]*$", t) and i + 1 < len(toks) and toks[i + 1][0] == "::" \
                    and (i == 0 or toks[i - 1][0] != "::"):
                segs = [t]
                j = i + 1
                while j + 1 < len(toks) and toks[j][0] == "::" and re.match(r"[A-Za-z_]", toks[j + 1][0]):
                    segs.append(toks[j + 1][0])
                    j += 2
                current.refs.append(("path", tuple(segs), line, None, False))
                i = j
                continue
            i += 1
    # Child modules declared with `mod x;` whose file was not found stay declared: harmless.
    return modules


def absolute(modules, module, segs, is_use):
    """The absolute module path a path written in `module` starts from, or None (external)."""
    if not segs:
        return None
    head = segs[0]
    if head == "crate":
        return tuple(segs[1:])
    if head in ("self", "super"):
        base = list(module.path)
        k = 0
        while k < len(segs) and segs[k] in ("self", "super"):
            if segs[k] == "super":
                if not base:
                    return None
                base.pop()
            k += 1
        return tuple(base) + tuple(segs[k:])
    if head in module.children:
        return module.path + tuple(segs)
    if not is_use and head in module.imports:
        return module.imports[head] + tuple(segs[1:])
    return None


def resolve(modules, path, seen=None):
    """The file that defines what `path` (absolute) names, or None when it is not found."""
    seen = seen or set()
    if path in seen:
        return None
    seen.add(path)
    module = modules.get(())
    k = 0
    while k < len(path):
        name = path[k]
        if name in module.children and module.children[name] in modules:
            module = modules[module.children[name]]
            k += 1
            continue
        if name in module.defined:
            return module.file
        if name in module.imports:
            found = resolve(modules, module.imports[name] + path[k + 1:], seen)
            if found:
                return found
        for g in module.globs:
            found = resolve(modules, g + path[k:], seen)
            if found:
                return found
        # Not found here (an enum variant, a macro-made item): the module's file is the best
        # guess, and it is where the reader would look.
        return module.file
    return module.file


def edges_of(modules):
    # First pass: imports, so that paths through a `use`d module name resolve.
    for m in modules.values():
        for kind, segs, line, alias, glob in m.refs:
            if kind != "use":
                continue
            target = absolute(modules, m, segs, True)
            if target is None:
                continue
            if glob:
                m.globs.append(target)
            elif alias and alias != "_":
                m.imports[alias] = target
    # The module path of each file (its outermost module: inline modules share their file).
    path_of = {}
    for m in modules.values():
        if m.file not in path_of or len(m.path) < len(path_of[m.file]):
            path_of[m.file] = m.path
    edges = {}
    for m in modules.values():
        for kind, segs, line, alias, glob in m.refs:
            target = absolute(modules, m, segs, kind == "use")
            if target is None:
                continue
            file = resolve(modules, target)
            if file is None or file == m.file:
                continue
            parent = path_of[m.file]
            if path_of[file][:len(parent)] == parent:
                continue  # a parent using its own submodule: containment
            targets = edges.setdefault(m.file, {})
            targets[file] = min(line, targets.get(file, line))
    return edges


def cycles(edges):
    """Strongly connected components with more than one file (Tarjan, iterative)."""
    index, low, on, stack, out = {}, {}, set(), [], []
    counter = [0]
    nodes = set(edges) | {b for targets in edges.values() for b in targets}
    for start in sorted(nodes):
        if start in index:
            continue
        work = [(start, iter(sorted(edges.get(start, {}))))]
        index[start] = low[start] = counter[0]
        counter[0] += 1
        stack.append(start)
        on.add(start)
        while work:
            v, it = work[-1]
            advanced = False
            for w in it:
                if w not in index:
                    index[w] = low[w] = counter[0]
                    counter[0] += 1
                    stack.append(w)
                    on.add(w)
                    work.append((w, iter(sorted(edges.get(w, {})))))
                    advanced = True
                    break
                if w in on:
                    low[v] = min(low[v], index[w])
            if advanced:
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[v])
            if low[v] == index[v]:
                comp = []
                while True:
                    w = stack.pop()
                    on.discard(w)
                    comp.append(w)
                    if w == v:
                        break
                if len(comp) > 1:
                    out.append(sorted(comp))
    return out


def main(argv):
    args = argv[1:]
    if any(a.startswith("-") for a in args) or len(args) > 1:
        print("usage: import-cycles.py [ROOT]", file=sys.stderr)
        return 2
    root = (Path(args[0]) if args else Path(__file__).resolve().parent.parent).resolve()
    srcs = sorted(p for p in (root / "crates").glob("*/src") if p.is_dir())
    if not srcs:
        print(f"no crates/*/src under {root}: give the repository's root", file=sys.stderr)
        return 2
    rel = lambda p: p.relative_to(root).as_posix()  # noqa: E731
    found = 0
    for src in srcs:
        edges = edges_of(scan_crate(src))
        for comp in cycles(edges):
            members = set(comp)
            found += 1
            print(f"import cycle in {rel(src.parent)}: {len(comp)} files")
            for a in comp:
                for b, line in sorted(edges.get(a, {}).items()):
                    if b in members:
                        print(f"  {rel(a)}:{line} -> {rel(b)}")
    if found:
        print(f"{found} import cycle(s): move what the files share into a module of its own, "
              "which they import and which imports none of them")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
