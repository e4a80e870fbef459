"""Reads tables of an ado-posture dataset with pyarrow and with DuckDB, Hive partitions included,
and prints what each reader saw as JSON: {reader: {table: {rows, snapshot_dates}}}.
Usage: read_dataset.py DATASET_DIR TABLE..."""

import json
import sys
from pathlib import Path

import duckdb
import pyarrow.dataset as ds



def with_pyarrow(root: Path, tables: list) -> dict:
    seen = {}
    for table in tables:
        data = ds.dataset(root / table, format="parquet", partitioning="hive").to_table()
        dates = sorted({str(d) for d in data.column("snapshot_date").to_pylist()})
        seen[table] = {"rows": data.num_rows, "snapshot_dates": dates}
    return seen


def with_duckdb(root: Path, tables: list) -> dict:
    con = duckdb.connect()
    seen = {}
    for table in tables:
        source = f"read_parquet('{root / table}/*/*.parquet', hive_partitioning = true)"
        rows = con.execute(f"SELECT count(*) FROM {source}").fetchone()[0]
        dates = [str(r[0]) for r in con.execute(
            f"SELECT DISTINCT CAST(snapshot_date AS VARCHAR) FROM {source} ORDER BY 1").fetchall()]
        seen[table] = {"rows": rows, "snapshot_dates": dates}
        if table == "findings":
            seen[table]["severities"] = [r[0] for r in con.execute(
                f"SELECT DISTINCT severity FROM {source} ORDER BY 1").fetchall()]
    return seen


def types(root: Path) -> dict:
    """The types readers get when reading as docs/dataset.md says: snapshot_date a date, nullable
    integers integers (pyarrow with explicit date partitioning; pandas with the pyarrow dtypes)."""
    import pandas as pd
    import pyarrow as pa

    partitioning = ds.partitioning(pa.schema([("snapshot_date", pa.date32())]), flavor="hive")
    table = ds.dataset(root / "repositories", format="parquet", partitioning=partitioning).to_table()
    frame = pd.read_parquet(root / "repositories", dtype_backend="pyarrow", partitioning=partitioning)
    return {
        "pyarrow": {"snapshot_date": str(table.schema.field("snapshot_date").type),
                    "size_bytes": str(table.schema.field("size_bytes").type)},
        "pandas": {"snapshot_date": str(frame["snapshot_date"].dtype),
                   "size_bytes": str(frame["size_bytes"].dtype),
                   "max_snapshot_date": str(frame["snapshot_date"].max())},
    }


def main() -> None:
    root, tables = Path(sys.argv[1]), sys.argv[2:]
    print(json.dumps({"pyarrow": with_pyarrow(root, tables), "duckdb": with_duckdb(root, tables),
                      "types": types(root)}))


if __name__ == "__main__":
    main()
