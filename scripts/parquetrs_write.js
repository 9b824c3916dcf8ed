// Reads a Parquet file and writes it back with parquet-rs, the Rust
// Parquet implementation of arrow-rs (through its WebAssembly build,
// parquet-wasm), with the writer's defaults. Usage: node
// scripts/parquetrs_write.js IN.parquet OUT.parquet (NODE_PATH pointing at
// a node_modules holding parquet-wasm).
const fs = require("fs");
const pw = require("parquet-wasm");

const [src, out] = process.argv.slice(2);
const table = pw.readParquet(new Uint8Array(fs.readFileSync(src)));
const bytes = pw.writeParquet(table, new pw.WriterPropertiesBuilder().build());
fs.writeFileSync(out, bytes);
console.log(`parquet-rs wrote ${bytes.length} bytes`);
