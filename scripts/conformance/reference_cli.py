#!/usr/bin/env python3
"""A stand-in for `lancelet info|scan|take` built on pylance, printing per CLI-JSON.md.

Used to check the conformance harness itself:
  LANCELET_BIN=scripts/conformance/reference_cli.sh LANCELET_CONFORMANCE_DIR=DIR swift test --filter ConformanceTests
Every conformance test must pass against it. Only the JSON output formats are implemented.
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_datasets as md  # noqa: E402  (asserts pylance 14.0.2)
import lance  # noqa: E402


def open_ds(args):
    if args.tag is not None:
        return lance.dataset(args.uri, version=args.tag)
    if args.version is not None:
        return lance.dataset(args.uri, version=args.version)
    return lance.dataset(args.uri)


def meta(args):
    return tuple(m for m, on in (("_rowaddr", args.with_row_address), ("_rowid", args.with_row_id)) if on)


def main():
    ap = argparse.ArgumentParser(prog="lancelet")
    sub = ap.add_subparsers(dest="cmd", required=True)
    for name in ("info", "scan", "take"):
        p = sub.add_parser(name)
        p.add_argument("uri")
        p.add_argument("--version", type=int)
        p.add_argument("--tag")
        p.add_argument("--format", default="jsonl")
        p.add_argument("--json", action="store_true")
        p.add_argument("--columns")
        p.add_argument("--limit", type=int)
        p.add_argument("--offset", type=int)
        p.add_argument("--offsets")
        p.add_argument("--with-row-address", action="store_true")
        p.add_argument("--with-row-id", action="store_true")
    args = ap.parse_args()
    ds = open_ds(args)
    out = sys.stdout
    if args.cmd == "info":
        out.write(md.dumps(md.info_json(ds)) + "\n")
        return
    cols = args.columns.split(",") if args.columns else None
    if args.cmd == "scan":
        tbl = ds.to_table(columns=cols, offset=args.offset, limit=args.limit,
                          with_row_address=args.with_row_address, with_row_id=args.with_row_id)
        rows = md.render_table(tbl, meta(args))
    else:
        offsets = [int(x) for x in args.offsets.split(",") if x]
        full = md.render_table(ds.to_table(columns=cols, with_row_address=args.with_row_address,
                                           with_row_id=args.with_row_id), meta(args))
        rows = [full[o] for o in offsets]
    for r in rows:
        out.write(md.dumps(r) + "\n")


if __name__ == "__main__":
    main()
