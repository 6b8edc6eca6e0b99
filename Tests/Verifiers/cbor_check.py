#!/usr/bin/env python3
"""Checks CBOR that tsmfs's encoder wrote, with the cbor2 package: each file must decode as one
item, re-encode to the same bytes (shortest heads, definite lengths) and have every map's keys in
the bytewise order of their encodings (RFC 8949 core deterministic encoding).

Usage: cbor_check.py FILE...
Prints a JSON array, one entry per file: {"deterministic": bool, "value": description}, where a
description is {"i": "decimal"} | {"b": hex} | {"t": text} | {"a": [...]} | {"m": [[k, v], ...]}
| {"tag": "n", "v": ...} | {"bool": bool} | {"null": true}.
"""
import json
import sys

import cbor2


def describe(value, problems):
    if isinstance(value, bool):
        return {"bool": value}
    if value is None:
        return {"null": True}
    if isinstance(value, int):
        return {"i": str(value)}
    if isinstance(value, bytes):
        return {"b": value.hex()}
    if isinstance(value, str):
        return {"t": value}
    if isinstance(value, list):
        return {"a": [describe(item, problems) for item in value]}
    if isinstance(value, dict):
        keys = [cbor2.dumps(key) for key in value]
        if keys != sorted(keys):
            problems.append("map keys out of order")
        return {"m": [[describe(key, problems), describe(item, problems)] for key, item in value.items()]}
    if isinstance(value, cbor2.CBORTag):
        return {"tag": str(value.tag), "v": describe(value.value, problems)}
    problems.append(f"unexpected {type(value).__name__}")
    return {"?": repr(value)}


results = []
for path in sys.argv[1:]:
    data = open(path, "rb").read()
    value = cbor2.loads(data)
    problems = []
    description = describe(value, problems)
    if cbor2.dumps(value) != data:
        problems.append("re-encoding differs")
    results.append({"deterministic": not problems, "problems": problems, "value": description})
print(json.dumps(results))
