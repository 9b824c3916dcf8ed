//go:build !duckdb15

package main

// DuckDB 1.1.3, through go-duckdb v1.8.5: the engine BENCHMARKS.md has
// compared with since the first round.
import _ "github.com/marcboeker/go-duckdb"

const duckdbVersion = "DuckDB 1.1.3 (go-duckdb v1.8.5)"
