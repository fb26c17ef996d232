#!/usr/bin/env python3
"""List the public items of tourbillon whose documentation has no code example.

    python3 scripts/doc_examples.py target-doc-json/doc/tourbillon.json

Reads rustdoc's JSON output (nightly: `rustdoc -Z unstable-options --output-format json`; see
scripts/doc-examples.sh) and walks the API as a user can name it: from the crate root through
public modules, re-exports and the inherent impls of public types. Every function, type, trait,
constant and enum variant on that walk must have a code block in its docs (macro-generated docs
included: rustdoc's JSON holds them expanded). Trait impls are not walked: their docs are the
trait's. Items marked `#[doc(hidden)]` are skipped. Prints one `file:line: kind name` per
missing example and exits 1 if there is any. Pure standard library.
"""

import json
import sys

# Kinds that are containers or plumbing, not items a user reads an example for.
NOT_ITEMS = {"module", "use", "impl", "struct_field"}


def main(path):
    doc = json.load(open(path))
    index = doc["index"]
    seen, todo, missing = set(), [doc["root"]], set()

    def visit(item_id):
        if item_id is not None and item_id not in seen and str(item_id) in index:
            seen.add(item_id)
            todo.append(item_id)

    while todo:
        item = index[str(todo.pop())]
        if item["crate_id"] != 0:
            continue  # a re-export of another crate's item
        if any("doc(hidden)" in str(attr) for attr in item.get("attrs", [])):
            continue
        kind, inner = next(iter(item["inner"].items()))
        if kind not in NOT_ITEMS and "```" not in (item.get("docs") or ""):
            span = item.get("span") or {}
            line = (span.get("begin") or [0])[0]
            missing.add(f"{span.get('filename')}:{line}: {kind} {item.get('name')}")
        if kind == "module":
            for child in inner["items"]:
                visit(child)
        elif kind == "use":
            visit(inner.get("id"))
        elif kind in ("struct", "enum", "union", "trait"):
            for child in inner.get("impls", []) + inner.get("variants", []):
                visit(child)
        elif kind == "impl" and inner.get("trait") is None:
            for child in inner["items"]:
                # Only the public methods of an inherent impl are API.
                if index.get(str(child), {}).get("visibility") == "public":
                    visit(child)

    for line in sorted(missing):
        print(line)
    print(f"{len(missing)} public items without an example")
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
