"""Runs SQL files over an ado-posture dataset with DuckDB, the tables registered as the
`ado-posture query` command registers them: every table over all snapshots (Hive partition
`snapshot_date`), and latest_<table> for its newest snapshot.
Usage: duckdb_query.py DATASET_DIR TABLE,TABLE,... FILE.sql...
Prints {file: [{column: cell as text or null}, ...]}."""

import datetime
import json
import sys
from pathlib import Path

import duckdb


def text(value):
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    return str(value)


def main() -> None:
    root, tables, files = Path(sys.argv[1]), sys.argv[2].split(","), sys.argv[3:]
    con = duckdb.connect()
    for table in tables:
        if not any((root / table).glob("*/*.parquet")):
            continue
        con.execute(
            f"CREATE VIEW {table} AS SELECT * FROM "
            f"read_parquet('{root / table}/*/*.parquet', hive_partitioning = true)")
        con.execute(
            f"CREATE VIEW latest_{table} AS SELECT * FROM {table} "
            f"WHERE snapshot_date = (SELECT max(snapshot_date) FROM {table})")
    results = {}
    for file in files:
        cursor = con.execute(Path(file).read_text())
        columns = [d[0] for d in cursor.description]
        results[Path(file).name] = [dict(zip(columns, map(text, row))) for row in cursor.fetchall()]
    print(json.dumps(results))


if __name__ == "__main__":
    main()
