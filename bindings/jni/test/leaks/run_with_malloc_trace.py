#!/usr/bin/env python3
"""Runs a command (the JVM host test) under glibc's malloc trace and fails when memory the
Parley libraries allocated directly is still held when it exits.

    run_with_malloc_trace.py MALLOC_DEBUG_SO START_SO TRACE_FILE -- COMMAND...

Every buffer the C ABI hands out (strings, JSON, invite bytes) is malloc'ed by libparley.so
itself, so an allocation whose caller is libparley.so (or libparley_jni.so) and that has no
matching free at exit is one the binding did not give back with parley_free(). The command
must pass too. The trace is removed when the check passes.
"""
import os
import re
import subprocess
import sys

OURS = re.compile(r"/libparley(_jni)?\.so")


def main(argv):
    if len(argv) < 6 or argv[4] != "--":
        print(__doc__, file=sys.stderr)
        return 2
    malloc_debug, start, trace, command = argv[1], argv[2], argv[3], argv[5:]
    if os.path.exists(trace):
        os.remove(trace)
    env = dict(os.environ, LD_PRELOAD=malloc_debug + " " + start, MALLOC_TRACE=trace)
    rc = subprocess.call(command, env=env)
    if rc != 0:
        print(f"leak check: the command failed (exit {rc})", file=sys.stderr)
        return 1
    live = {}
    ours_allocated = 0
    with open(trace, "rb") as f:
        for raw in f:
            fields = raw.decode("utf-8", "replace").split()
            if len(fields) < 4 or fields[0] != "@":
                continue
            caller, op, address = fields[1], fields[2], fields[3]
            if op in ("+", ">"):
                live[address] = caller
                if OURS.search(caller):
                    ours_allocated += 1
            elif op in ("-", "<"):
                live.pop(address, None)
    if ours_allocated == 0:
        print("leak check: the trace holds no allocation by libparley: was it traced?", file=sys.stderr)
        return 1
    leaked = {}
    for caller in live.values():
        if OURS.search(caller):
            leaked[caller] = leaked.get(caller, 0) + 1
    if leaked:
        print("leak check: memory allocated by libparley was never freed:", file=sys.stderr)
        for caller, n in sorted(leaked.items(), key=lambda kv: -kv[1]):
            print(f"  {n} block(s) from {caller}", file=sys.stderr)
        print(f"  (trace kept in {trace})", file=sys.stderr)
        return 1
    os.remove(trace)
    print(f"leak check: {ours_allocated} blocks allocated by libparley, every one freed")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
