"""Reads a dataset ado-posture published to an object store the way an analyst would: the newest
commit of `dataset/_log/` names the files of the current version; pyarrow (its own Azure / S3
file systems) and Polars (its object_store URLs) each read every table of the snapshot from the
store, and the `deltalake` package reads each table's folder as the Delta table it is. Checks both against the run manifest's row counts and, row for row, against a local
dataset of the same estate (an unsharded run).

usage: read_object_store.py az|s3 ENDPOINT BUCKET PREFIX LOCAL_DATASET
       read_object_store.py create az|s3 ENDPOINT BUCKET   (creates the container or bucket)
       read_object_store.py create-with-token TOKEN_URL CLIENT_ID SECRET CA_FILE CONTAINER_URL
         (creates a container of Azurite with --oauth basic over HTTPS, with an Entra token
         for Azure Storage from the token endpoint: a client-credentials grant)
  ENDPOINT is host:port of Azurite's blob service or of moto's S3 server.
Prints one JSON object: {"version", "snapshot_date", "tables": {table: {manifest, pyarrow,
polars, delta}}, "problems": [...]}; exits 1 when there is a problem.
"""

import json
import os
import sys
from pathlib import Path

import polars as pl
import pyarrow.compute as pc
from deltalake import DeltaTable
import pyarrow.fs as pafs
import pyarrow.parquet as pq

# Azurite's well-known development account (public, documented by Microsoft).
AZURITE_ACCOUNT = "devstoreaccount1"
AZURITE_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
# Columns that differ between two runs of one estate by construction (as tests/shards.rs).
PER_RUN_COLUMNS = {"run_id", "crawled_at", "date_created", "last_accessed_at"}


def stores(kind, endpoint):
    """pyarrow's file system, Polars' URL scheme and storage options for the store."""
    if kind == "az":
        fs = pafs.AzureFileSystem(
            account_name=AZURITE_ACCOUNT,
            account_key=AZURITE_KEY,
            blob_storage_authority=endpoint,
            blob_storage_scheme="http",
            dfs_storage_authority=endpoint,
            dfs_storage_scheme="http",
        )
        options = {
            "account_name": AZURITE_ACCOUNT,
            "account_key": AZURITE_KEY,
            "use_emulator": "true",
        }
        # object_store (Polars' reader) takes the emulator's address from the environment only.
        os.environ["AZURITE_BLOB_STORAGE_URL"] = f"http://{endpoint}"
        return fs, "az", options
    fs = pafs.S3FileSystem(
        access_key="test",
        secret_key="test",
        region="us-east-1",
        endpoint_override=f"http://{endpoint}",
        scheme="http",
    )
    options = {
        "aws_access_key_id": "test",
        "aws_secret_access_key": "test",
        "aws_region": "us-east-1",
        "aws_endpoint_url": f"http://{endpoint}",
        "aws_allow_http": "true",
    }
    return fs, "s3", options


def canonical(table):
    """The rows of a pyarrow table without the per-run columns, as sorted JSON texts."""
    keep = [c for c in table.column_names if c not in PER_RUN_COLUMNS]
    rows = table.select(keep).to_pylist()
    return sorted(json.dumps(r, sort_keys=True, default=str) for r in rows)


def create_with_token(token_url, client_id, secret, ca_file, container_url):
    import ssl
    import urllib.parse
    import urllib.request

    form = urllib.parse.urlencode(
        {
            "grant_type": "client_credentials",
            "client_id": client_id,
            "client_secret": secret,
            "scope": "https://storage.azure.com/.default",
        }
    ).encode()
    with urllib.request.urlopen(urllib.request.Request(token_url, data=form)) as answer:
        token = json.loads(answer.read())["access_token"]
    request = urllib.request.Request(
        f"{container_url}?restype=container",
        method="PUT",
        data=b"",
        headers={"Authorization": f"Bearer {token}", "x-ms-version": "2021-08-06"},
    )
    context = ssl.create_default_context(cafile=ca_file)
    with urllib.request.urlopen(request, context=context) as answer:
        return 0 if answer.status == 201 else 1


def main():
    if sys.argv[1] == "create-with-token":
        return create_with_token(*sys.argv[2:7])
    if sys.argv[1] == "create":
        kind, endpoint, bucket = sys.argv[2:5]
        if kind == "s3":
            pafs.S3FileSystem(
                access_key="test",
                secret_key="test",
                region="us-east-1",
                endpoint_override=f"http://{endpoint}",
                scheme="http",
                allow_bucket_creation=True,
            ).create_dir(bucket)
        else:
            stores(kind, endpoint)[0].create_dir(bucket)
        return 0
    kind, endpoint, bucket, prefix, local = sys.argv[1:6]
    fs, scheme, options = stores(kind, endpoint)
    root = f"{bucket}/{prefix}/dataset"
    log = sorted(
        info.path
        for info in fs.get_file_info(pafs.FileSelector(f"{root}/_log"))
        if info.path.endswith(".json")
    )
    if not log:
        print(json.dumps({"problems": [f"no commit under {root}/_log"]}))
        return 1
    with fs.open_input_stream(log[-1]) as f:
        entry = json.loads(f.read())
    date = entry["snapshot_date"]
    with fs.open_input_stream(f"{root}/_runs/{entry['run_id']}.json") as f:
        manifest = json.loads(f.read())
    problems = []
    tables = {}
    for table, counts in sorted(manifest["tables"].items()):
        files = [
            f["path"]
            for f in entry["files"]
            if f["table"] == table and f["snapshot_date"] == date
        ]
        logged = sum(f["rows"] for f in entry["files"] if f["path"] in files)
        if files:
            arrow = pq.read_table([f"{root}/{p}" for p in files], filesystem=fs)
            polars_rows = (
                pl.scan_parquet(
                    [f"{scheme}://{root}/{p}" for p in files], storage_options=options
                )
                .select(pl.len())
                .collect()
                .item()
            )
        else:
            arrow, polars_rows = None, 0
        arrow_rows = arrow.num_rows if arrow is not None else 0
        # The table as Delta: its current version holds every snapshot of the dataset's.
        delta = DeltaTable(f"{scheme}://{root}/{table}", storage_options=options)
        delta_rows = delta.to_pyarrow_dataset().count_rows(
            filter=pc.field("snapshot_date") == pc.scalar(date).cast("date32")
        )
        delta_files = len(delta.file_uris())
        tables[table] = {
            "manifest": counts["rows"],
            "log": logged,
            "pyarrow": arrow_rows,
            "polars": polars_rows,
            "delta": delta_rows,
        }
        committed_files = sum(1 for f in entry["files"] if f["table"] == table)
        if delta_files != committed_files:
            problems.append(
                f"{table}: the Delta table has {delta_files} files, the commit {committed_files}"
            )
        if not counts["rows"] == logged == arrow_rows == polars_rows == delta_rows:
            problems.append(f"{table}: counts differ {tables[table]}")
        if table == "runs":
            continue  # one row per run: the sharded snapshot's runs are its shards'
        local_dir = Path(local) / table / f"snapshot_date={date}"
        local_files = sorted(str(p) for p in local_dir.glob("*.parquet"))
        expected = canonical(pq.read_table(local_files)) if local_files else []
        got = canonical(arrow) if arrow is not None else []
        if expected != got:
            missing = sorted(set(expected) - set(got))[:1]
            extra = sorted(set(got) - set(expected))[:1]
            problems.append(
                f"{table}: {len(got)} rows in the store, {len(expected)} in the local run; "
                f"first missing {missing}, first extra {extra}"
            )
    print(
        json.dumps(
            {
                "version": entry["version"],
                "snapshot_date": date,
                "tables": tables,
                "problems": problems,
            }
        )
    )
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
