"""`treeherd export --format parquet`, read by pyarrow (what a warehouse loader uses), against
the same export as NDJSON: the same rows in the same order, every column the same value.

    parquet_check.py TREEHERD_BIN DATABASE_URL WORKDIR
"""

import datetime
import json
import subprocess
import sys

import pyarrow
import pyarrow.parquet as pq

treeherd, database, work = sys.argv[1:4]


def export(data, fmt, path):
    subprocess.run(
        [treeherd, "export", "--database", database, "--since", "2000-01-01",
         "--data", data, "--format", fmt, "--output", path],
        check=True,
    )


def rfc3339(value):
    if value is None:
        return None
    return value.astimezone(datetime.timezone.utc).isoformat().replace("+00:00", "Z")


def same_time(parquet_value, ndjson_value):
    if ndjson_value is None:
        return parquet_value is None
    ndjson = datetime.datetime.fromisoformat(ndjson_value.replace("Z", "+00:00"))
    return parquet_value == ndjson


checked = 0
for data in ["jobs", "test-results"]:
    export(data, "ndjson", f"{work}/{data}.ndjson")
    export(data, "parquet", f"{work}/{data}.parquet")
    with open(f"{work}/{data}.ndjson") as f:
        lines = [json.loads(line) for line in f]
    table = pq.read_table(f"{work}/{data}.parquet")
    rows = table.to_pylist()
    assert len(rows) == len(lines) > 0, (data, len(rows), len(lines))
    for row, line in zip(rows, lines):
        if data == "jobs":
            push = line["push"] or {}
            expected = {
                "guid": line["guid"], "repository": line["repository"],
                "push_id": push.get("pushId"), "revision": push.get("revision"),
                "kind": line["kind"], "name": line["name"], "symbol": line["symbol"],
                "group_symbol": line["groupSymbol"], "group_name": line["groupName"],
                "platform": line["platform"], "build_system": line["buildSystem"],
                "state": line["state"], "result": line["result"], "tier": line["tier"],
                "machine": line["machine"],
                "classification": (line["classification"] or {}).get("classification"),
                "classification_automatic": (line["classification"] or {}).get("automatic"),
                "classification_bugs": (line["classification"] or {}).get("bugs"),
            }
            for column, value in expected.items():
                assert row[column] == value, (line["guid"], column, row[column], value)
            assert json.loads(row["attributes"]) == line["attributes"], line["guid"]
            assert json.loads(row["dependencies"]) == line["dependencies"], line["guid"]
            for column, field in [("pushed_at", push.get("pushedAt")),
                                  ("submitted_at", line["submittedAt"]),
                                  ("started_at", line["startedAt"]),
                                  ("finished_at", line["finishedAt"])]:
                assert same_time(row[column], field), (line["guid"], column, row[column], field)
        else:
            for column, key in [("job", "job"), ("repository", "repository"), ("test", "test"),
                                ("subtest", "subtest"), ("status", "status"),
                                ("expected", "expected"), ("failed", "failed"),
                                ("duration_ms", "durationMs"), ("message", "message"),
                                ("group", "group")]:
                assert row[column] == line[key], (line["job"], column, row[column], line[key])
        checked += 1
    print(f"parquet: {data}: {len(rows)} rows, read by pyarrow {pyarrow.__version__}, equal to the NDJSON export")
print(f"parquet: {checked} rows checked column by column")
