//go:build duckdb15

package main

// DuckDB 1.5.6, through duckdb-go/v2 (go build -tags duckdb15): the
// current release, faster on this aggregation.
import _ "github.com/duckdb/duckdb-go/v2"

const duckdbVersion = "DuckDB 1.5.6 (duckdb-go v2.10506.0)"
