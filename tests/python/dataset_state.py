"""What a reader sees in an ado-posture dataset, read with DuckDB: for every table and snapshot
date, the rows and the runs whose files hold them (a file is named <run_id>-<part>.parquet).
Fails if any table cannot be read.
Usage: dataset_state.py DATASET_DIR
Prints {"tables": {table: {date: {"rows": n, "runs": [run_id, ...]}}}, "manifests": [name, ...]}."""

import json
import sys
from pathlib import Path

import duckdb


def main() -> None:
    root = Path(sys.argv[1])
    con = duckdb.connect()
    tables = {}
    for table_dir in sorted(p for p in root.iterdir() if p.is_dir() and p.name[0] not in "_."):
        dates = {}
        for partition in sorted(table_dir.iterdir()):
            date = partition.name.removeprefix("snapshot_date=")
            runs = sorted({f.name.rsplit("-", 1)[0] for f in partition.glob("*.parquet")})
            dates[date] = {"rows": 0, "runs": runs}
        if any(table_dir.glob("*/*.parquet")):
            rows = con.execute(
                "SELECT CAST(snapshot_date AS VARCHAR), count(*) FROM "
                f"read_parquet('{table_dir}/*/*.parquet', hive_partitioning = true, "
                "union_by_name = true) GROUP BY 1").fetchall()
            for date, count in rows:
                dates[date]["rows"] = count
        tables[table_dir.name] = dates
    manifests = sorted(p.name for p in (root / "_runs").glob("*.json")) if (root / "_runs").is_dir() else []
    print(json.dumps({"tables": tables, "manifests": manifests}))


if __name__ == "__main__":
    main()
