#!/usr/bin/env python3
"""Rebuild crates/data/src/api_removals.rs from the per-release Kubernetes API schemas.

The schemas come from the PyPI package kubernetes-validate: 1.37.0 ships 1.25 to 1.37 and
1.24.1 ships 1.11 to 1.24. A GVK whose type is compiled into release N but not N+1 was removed
in N+1. Curated facts the schemas cannot give (deprecation release, the guide's replacement,
notes) come from crates/data/facts/api-facts.tsv, each row with its own source.

    scripts/gen-api-removals.py --schemas DIR [--schemas DIR ...]          # rewrite the table
    scripts/gen-api-removals.py --schemas DIR [--schemas DIR ...] --check  # fail if it is stale

Each DIR is a `kubernetes-json-schema` directory holding `v1.N.0-local/_definitions.json`.
Without --schemas the script looks for kubernetes_validate in the given --site paths.
"""
import argparse
import csv
import json
import os
import sys

FIRST, LAST = 16, 37  # the removal window this table covers
# Kinds that are no objects a user stores: request/response types and list wrappers.
META_KINDS = {"DeleteOptions", "WatchEvent", "Status", "APIGroup", "APIGroupList",
              "APIResourceList", "APIVersions",
              # The body of the pods/ephemeralcontainers subresource in 1.21 only; from 1.22 it
              # takes a Pod. No stored object ever had this kind.
              "EphemeralContainers"}
# In 1.16 these group-versions stopped being served, although their types stay compiled in
# until 1.17 (kubernetes/website deprecation-guide.md, "v1.16"; CHANGELOG-1.16.md).
SERVED_UNTIL_1_16 = {("apps", "v1beta1"), ("apps", "v1beta2"), ("extensions", "v1beta1")}
GUIDE_1_16 = ("kubernetes/website content/en/docs/reference/using-api/deprecation-guide.md "
              "(v1.16: no longer served)")
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FACTS = os.path.join(ROOT, "crates/data/facts/api-facts.tsv")
PLANNED = os.path.join(ROOT, "crates/data/facts/api-planned.tsv")
OUT = os.path.join(ROOT, "crates/data/src/api_removals.rs")


def load_schemas(dirs):
    present = {}
    for d in dirs:
        for minor in range(11, LAST + 1):
            p = os.path.join(d, f"v1.{minor}.0-local", "_definitions.json")
            if minor in present or not os.path.isfile(p):
                continue
            with open(p, encoding="utf-8") as f:
                doc = json.load(f)
            defs = doc.get("$defs") or doc.get("definitions") or {}
            gvks = set()
            for schema in defs.values():
                for g in schema.get("x-kubernetes-group-version-kind") or []:
                    if not g["kind"].endswith("List") and g["kind"] not in META_KINDS:
                        gvks.add((g.get("group", ""), g["version"], g["kind"]))
            present[minor] = gvks
    missing = [m for m in range(11, LAST + 1) if m not in present]
    if missing:
        sys.exit(f"error: no schemas for 1.{missing[0]} (and {len(missing) - 1} more); "
                 "install kubernetes-validate 1.37.0 and 1.24.1 and pass both --schemas dirs")
    return present


def stage_rank(version):
    # v1 > v1beta2 > v1beta1 > v1alpha1: GA first, then beta, then alpha, higher numbers first.
    import re
    m = re.fullmatch(r"v(\d+)(?:(alpha|beta)(\d+))?", version)
    if not m:
        return (0, 0, 0)
    level = {"alpha": 1, "beta": 2, None: 3}[m.group(2)]
    return (level, int(m.group(1)), int(m.group(3) or 0))


def best_replacement(served, group, version, kind, minor):
    """The most stable other version of the kind served in `minor`, same group preferred."""
    # Never point at something less stable than what is being replaced (beta -> alpha).
    candidates = [(g, v) for (g, v, k) in served if k == kind and (g, v) != (group, version)
                  and (stage_rank(v) > stage_rank(version)
                       or (g != group and stage_rank(v) >= stage_rank(version)))
                  and not (minor <= 17 and (g, v) in SERVED_UNTIL_1_16)]
    if not candidates:
        return ""
    g, v = max(candidates, key=lambda c: (c[0] == group, stage_rank(c[1])))
    return api_version(g, v)


def api_version(group, version):
    return f"{group}/{version}" if group else version


def load_facts(path=FACTS):
    facts = {}
    with open(path, encoding="utf-8") as f:
        for row in csv.DictReader(f, delimiter="\t"):
            facts[(row["apiVersion"], row["kind"])] = row
    return facts


def compute(present, facts):
    rows = []
    all_gvks = set().union(*present.values())
    for gvk in sorted(all_gvks):
        group, version, kind = gvk
        minors = sorted(m for m in present if gvk in present[m])
        first, last = minors[0], minors[-1]
        removed = last + 1
        source = (f"kubernetes-validate schemas: in 1.{first}{' or earlier' if first == 11 else ''}"
                  f" to 1.{last}, gone in 1.{removed}")
        if (group, version) in SERVED_UNTIL_1_16 and kind != "Ingress" and removed > 16:
            removed = 16
            source += "; " + GUIDE_1_16
        if not FIRST <= removed <= LAST:
            continue
        av = api_version(group, version)
        fact = facts.get((av, kind), {})
        replacement = fact.get("replacement") or ""
        if not replacement:
            replacement = best_replacement(present[removed], group, version, kind, removed)
        if replacement == "-":
            replacement = ""
        if fact.get("source"):
            source += "; " + fact["source"]
        rows.append({
            "group": group, "version": version, "kind": kind,
            "introduced_in": first, "deprecated_in": fact.get("deprecated_in") or "",
            "removed_in": removed, "replacement": replacement,
            "note": fact.get("note") or "", "source": source,
        })
    for (av, kind), fact in facts.items():
        group, _, version = av.rpartition("/")
        if not any(r["group"] == group and r["version"] == version and r["kind"] == kind for r in rows):
            # A guide row the schemas never had (apps/v1beta1 ReplicaSet): keep it, from the guide.
            if fact.get("removed_in"):
                rows.append({
                    "group": group, "version": version, "kind": kind, "introduced_in": 0,
                    "deprecated_in": fact.get("deprecated_in") or "",
                    "removed_in": int(fact["removed_in"].split(".")[1]),
                    "replacement": "" if fact["replacement"] == "-" else fact["replacement"],
                    "note": fact.get("note") or "", "source": fact["source"],
                })
    rows.sort(key=lambda r: (r["removed_in"], r["group"], r["version"], r["kind"]))
    return rows


def compute_planned(present, planned):
    rows = []
    for (av, kind), fact in planned.items():
        group, _, version = av.rpartition("/")
        if (group, version, kind) not in present[LAST]:
            sys.exit(f"error: {av} {kind} is listed as a planned removal but 1.{LAST} no longer has it; "
                     "move it to api-facts.tsv")
        replacement = fact.get("replacement") or best_replacement(present[LAST], group, version, kind, LAST)
        rows.append({
            "group": group, "version": version, "kind": kind,
            "deprecated_in": int(fact["deprecated_in"].split(".")[1]),
            "removed_in": int(fact["planned_removal"].split(".")[1]),
            "replacement": replacement, "note": fact.get("note") or "",
            "source": f"kubernetes-validate schemas: still in 1.{LAST}; " + fact["source"],
        })
    rows.sort(key=lambda r: (r["removed_in"], r["group"], r["version"], r["kind"]))
    return rows


def rust_str(s):
    return json.dumps(s, ensure_ascii=False)


def minor(n):
    return f"Minor::new(1, {n})"


def compute_ranges(present):
    """First and last minor (1.11..1.37) in which each built-in GVK is served."""
    rows = []
    for gvk in sorted(set().union(*present.values())):
        group, version, kind = gvk
        minors = sorted(m for m in present if gvk in present[m])
        last = minors[-1]
        source = f"kubernetes-validate schemas: in 1.{minors[0]}{' or earlier' if minors[0] == 11 else ''} to 1.{minors[-1]}"
        if (group, version) in SERVED_UNTIL_1_16 and kind != "Ingress" and last >= 16:
            last = 15
            source += "; " + GUIDE_1_16
        rows.append((group, version, kind, minors[0], last, source))
    return rows


def render(rows, planned, ranges):
    out = ["// @generated by scripts/gen-api-removals.py from the kubernetes-validate schemas and",
           "// crates/data/facts/api-facts.tsv. Do not edit by hand: edit the facts and rerun.",
           "",
           "use mcp_diag_model::Minor;",
           "",
           "use crate::{ApiRemoval, PlannedRemoval, ServedRange};",
           "",
           "/// Every built-in API group/version/kind removed from 1.16 through 1.37, by removal release.",
           "#[rustfmt::skip]",
           "pub const API_REMOVALS: &[ApiRemoval] = &["]
    for r in rows:
        dep = r["deprecated_in"]
        dep = f"Some({minor(dep.split('.')[1])})" if dep else "None"
        intro = f"Some({minor(r['introduced_in'])})" if r["introduced_in"] else "None"
        rep = f"Some({rust_str(r['replacement'])})" if r["replacement"] else "None"
        out.append(
            f"    ApiRemoval {{ group: {rust_str(r['group'])}, version: {rust_str(r['version'])}, "
            f"kind: {rust_str(r['kind'])}, introduced_in: {intro}, deprecated_in: {dep}, "
            f"removed_in: {minor(r['removed_in'])}, replacement: {rep}, "
            f"note: {rust_str(r['note'])}, source: {rust_str(r['source'])} }},")
    out.append("];")
    out += ["",
            "/// Deprecated built-in APIs still served by 1.37, with the release their removal is planned for.",
            "#[rustfmt::skip]",
            "pub const API_PLANNED_REMOVALS: &[PlannedRemoval] = &["]
    for r in planned:
        rep = f"Some({rust_str(r['replacement'])})" if r["replacement"] else "None"
        out.append(
            f"    PlannedRemoval {{ group: {rust_str(r['group'])}, version: {rust_str(r['version'])}, "
            f"kind: {rust_str(r['kind'])}, deprecated_in: {minor(r['deprecated_in'])}, "
            f"planned_removal: {minor(r['removed_in'])}, replacement: {rep}, "
            f"note: {rust_str(r['note'])}, source: {rust_str(r['source'])} }},")
    out.append("];")
    out += ["",
            "/// Every built-in group/version/kind with the first and last minor (1.11 to 1.37) whose",
            "/// schemas have it: `first` 11 means 1.11 or earlier, `last` 37 means still served.",
            "#[rustfmt::skip]",
            "pub const API_SERVED: &[ServedRange] = &["]
    for g, v, k, first, last, source in ranges:
        out.append(f"    ServedRange {{ group: {rust_str(g)}, version: {rust_str(v)}, kind: {rust_str(k)}, "
                   f"first: {minor(first)}, last: {minor(last)}, source: {rust_str(source)} }},")
    out.append("];")
    return "\n".join(out) + "\n"


def find_schema_dirs(sites):
    dirs = []
    for site in sites:
        for root, subdirs, _ in os.walk(site):
            if os.path.basename(root) == "kubernetes-json-schema":
                dirs.append(root)
                subdirs.clear()
    return dirs


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--schemas", action="append", default=[], help="a kubernetes-json-schema dir")
    ap.add_argument("--site", action="append", default=[], help="search this dir for schema dirs")
    ap.add_argument("--check", action="store_true", help="fail when the embedded table is stale")
    args = ap.parse_args()
    dirs = args.schemas + find_schema_dirs(args.site)
    if not dirs:
        sys.exit("error: no schema directories; pass --schemas or --site (see the docstring)")
    present = load_schemas(dirs)
    text = render(compute(present, load_facts()), compute_planned(present, load_facts(PLANNED)),
                  compute_ranges(present))
    if args.check:
        with open(OUT, encoding="utf-8") as f:
            current = f.read()
        if current != text:
            import difflib
            sys.stdout.writelines(difflib.unified_diff(
                current.splitlines(True), text.splitlines(True), "embedded", "from schemas"))
            sys.exit("error: crates/data/src/api_removals.rs disagrees with the schemas; "
                     "run scripts/gen-api-removals.py without --check and commit the result")
        print(f"ok: {OUT} matches the schemas")
        return
    with open(OUT, "w", encoding="utf-8") as f:
        f.write(text)
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
