// Reads the time-ordered events CSV (scripts/duckdb -time-ordered F.csv)
// with polars and writes it back with polars' own defaults: Parquet, and
// CSV. Usage: node scripts/polars_write.js IN.csv OUT.parquet OUT.csv
// (NODE_PATH pointing at a node_modules holding nodejs-polars).
const pl = require("nodejs-polars");

const [src, parquetOut, csvOut] = process.argv.slice(2);
// Every column is read as text, then the timestamps ("2024-01-01
// 09:30:00+00") parsed with their offset and the values as numbers, as a
// data team would load the file; empty cells are nulls.
const df = pl
  .readCSV(src, { inferSchemaLength: 0 })
  .withColumns(
    pl.col("ts").str.strptime(pl.Datetime, "%Y-%m-%d %H:%M:%S%#z"),
    pl.col("value").cast(pl.Float64),
  );
df.writeParquet(parquetOut);
df.writeCSV(csvOut);
console.log(`polars wrote ${df.height} rows`);
