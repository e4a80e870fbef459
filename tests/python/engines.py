"""Runs the project's SQL on DuckDB and on Spark SQL (local mode) over an ado-posture dataset and
compares every result with the one `ado-posture query` gave.

Two ways of registering the tables, as `ado-posture query` does:
  all     every table over all snapshots (with snapshot_date), latest_<table> the newest one
          (sql/analyst/ queries);
  latest  the plain names read the newest snapshot only, and the built-in views of sql/views/
          are registered over them (sql/rules/ queries, as the rule engine runs them).

Usage: engines.py DATASET_DIR EXPECTED.json VIEWS_DIR
EXPECTED.json: {"queries": [{"file": path, "mode": "all"|"latest",
                             "columns": [...], "rows": [[...], ...]}]}
Prints {"compared": n, "engines": [...], "mismatches": [...]} and exits 1 on any mismatch.
"""

import datetime
import decimal
import json
import math
import os
import re
import sys
from pathlib import Path

TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:?\d{2})?$")


def normalize(value):
    """One text form per value, whatever engine or client library produced it."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int,)):
        return str(value)
    if isinstance(value, (float, decimal.Decimal)):
        value = float(value)
        if math.isnan(value):
            return None
        if value == int(value) and abs(value) < 2**53:
            return str(int(value))
        return repr(round(value, 9))
    if isinstance(value, datetime.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(datetime.timezone.utc).replace(tzinfo=None)
        return value.isoformat(sep=" ", timespec="microseconds")
    if isinstance(value, datetime.date):
        return value.isoformat()
    text = str(value)
    if TIMESTAMP.match(text):
        parsed = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
        return normalize(parsed)
    return text


def rows_of(columns, rows):
    """Rows as tuples in column-name order (JSON objects carry no column order), sorted."""
    order = sorted(range(len(columns)), key=lambda i: columns[i].lower())
    return sorted(
        (tuple(normalize(row[i]) for i in order) for row in rows),
        key=lambda r: tuple("" if v is None else v for v in r),
    )


def table_dirs(root):
    return sorted(p for p in root.iterdir() if p.is_dir() and p.name[0] not in "_." and any(p.glob("*/*.parquet")))


def views(views_dir):
    """(name, sql) of the built-in views, in file order (a view may read the ones before it)."""
    out = []
    for path in sorted(Path(views_dir).glob("*.sql")):
        text = path.read_text()
        name = re.search(r"^--\s*view:\s*(\S+)", text, re.M).group(1)
        out.append((name, text))
    return out


class DuckDB:
    name = "duckdb"

    def __init__(self, root, view_list):
        import duckdb
        self.duckdb = duckdb
        self.root = root
        self.views = view_list
        self.con = {}

    def connection(self, mode):
        if mode in self.con:
            return self.con[mode]
        con = self.duckdb.connect()
        con.execute("SET TimeZone = 'UTC'")
        for table in table_dirs(self.root):
            source = (f"read_parquet('{table}/*/*.parquet', hive_partitioning = true, "
                      "union_by_name = true, hive_types = {'snapshot_date': DATE})")
            con.execute(f"CREATE VIEW all_{table.name} AS SELECT * FROM {source}")
            con.execute(f"CREATE VIEW latest_{table.name} AS SELECT * FROM all_{table.name} "
                        f"WHERE snapshot_date = (SELECT max(snapshot_date) FROM all_{table.name})")
            plain = f"all_{table.name}" if mode == "all" else f"latest_{table.name}"
            con.execute(f"CREATE VIEW {table.name} AS SELECT * FROM {plain}")
        if mode == "latest":
            for name, sql in self.views:
                con.execute(f"CREATE VIEW {name} AS {sql}")
        self.con[mode] = con
        return con

    def run(self, sql, mode):
        cursor = self.connection(mode).execute(sql)
        return [d[0] for d in cursor.description], cursor.fetchall()


class Spark:
    name = "spark"

    def __init__(self, root, view_list):
        from pyspark.sql import SparkSession
        self.spark = (SparkSession.builder.master("local[2]")
                      .appName("ado-posture-engines")
                      .config("spark.sql.session.timeZone", "UTC")
                      .config("spark.ui.enabled", "false")
                      .config("spark.sql.shuffle.partitions", "2")
                      .config("spark.driver.memory", "1g")
                      .getOrCreate())
        self.spark.sparkContext.setLogLevel("ERROR")
        self.root = root
        self.views = view_list
        self.mode = None
        self.frames = {}
        for table in table_dirs(root):
            # basePath: snapshot_date comes from the folder names, typed as a date.
            frame = (self.spark.read.option("basePath", str(table))
                     .option("mergeSchema", "true").parquet(str(table)))
            self.frames[table.name] = frame

    def register(self, mode):
        if self.mode == mode:
            return
        from pyspark.sql import functions as F
        for name, frame in self.frames.items():
            frame.createOrReplaceTempView(f"all_{name}")
            newest = frame.agg(F.max("snapshot_date")).first()[0]
            latest = frame.where(F.col("snapshot_date") == F.lit(newest))
            latest.createOrReplaceTempView(f"latest_{name}")
            (frame if mode == "all" else latest).createOrReplaceTempView(name)
        if mode == "latest":
            for name, sql in self.views:
                self.spark.sql(sql).createOrReplaceTempView(name)
        self.mode = mode

    def run(self, sql, mode):
        self.register(mode)
        frame = self.spark.sql(sql)
        return frame.columns, [tuple(row) for row in frame.collect()]


def main():
    root, expected_path, views_dir = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
    expected = json.loads(expected_path.read_text())["queries"]
    view_list = views(views_dir)
    engines = [DuckDB(root, view_list)]
    if os.environ.get("ADO_POSTURE_SKIP_SPARK") != "1":
        engines.append(Spark(root, view_list))
    mismatches, compared = [], 0
    # Spark registers per mode: run every query of one mode before the other.
    for query in sorted(expected, key=lambda q: q["mode"]):
        sql = Path(query["file"]).read_text()
        ours = rows_of(query["columns"], query["rows"])
        for engine in engines:
            try:
                columns, rows = engine.run(sql, query["mode"])
            except Exception as e:  # the engine refused the SQL: that is a mismatch too
                mismatches.append({"file": query["file"], "engine": engine.name,
                                   "error": str(e).splitlines()[0][:500]})
                continue
            theirs = rows_of(columns, rows)
            compared += 1
            same_columns = sorted(c.lower() for c in columns) == sorted(c.lower() for c in query["columns"])
            # An empty result from ado-posture carries no column names to compare.
            if (query["rows"] and not same_columns) or theirs != ours:
                only_ours = [r for r in ours if r not in theirs][:3]
                only_theirs = [r for r in theirs if r not in ours][:3]
                mismatches.append({"file": query["file"], "engine": engine.name,
                                   "columns": [columns, query["columns"]],
                                   "rows": [len(theirs), len(ours)],
                                   "only_ado_posture": only_ours, "only_engine": only_theirs})
    print(json.dumps({"compared": compared, "engines": [e.name for e in engines],
                      "mismatches": mismatches}, default=str))
    sys.exit(1 if mismatches else 0)


if __name__ == "__main__":
    main()
