// Command duckdb-compare computes leadscore's default as-of features with
// DuckDB from the same Parquet events file, times it with 2 threads, and
// checks that every value equals leadscore's output.
//
// It is a separate module so that leadscore itself does not depend on
// DuckDB (cgo, a large build):
//
//	cd scripts/duckdb && go run . -events EVENTS.parquet -as-of 2025-01-01 -ours FEATURES.parquet
//
// -ours is the output of
//
//	leadscore features --events EVENTS.parquet --as-of 2025-01-01 --out FEATURES.parquet
//
// It runs DuckDB 1.1.3 (go-duckdb v1.8.5) by default and DuckDB 1.5.6
// (duckdb-go v2) when built with -tags duckdb15; scripts/duckdb_compare.sh
// times both.
package main

import (
	"database/sql"
	"flag"
	"fmt"
	"log"
	"os"
	"strings"
	"time"
)

func main() {
	events := flag.String("events", "", "events file: Parquet, or CSV (.csv)")
	asOf := flag.String("as-of", "2025-01-01", "as-of date (UTC)")
	ours := flag.String("ours", "", "leadscore's feature table to compare with")
	out := flag.String("out", "/tmp/duckdb-features.parquet", "where DuckDB writes its feature table")
	timeOrdered := flag.String("time-ordered", "", "instead, write the events sorted by time to this file (.parquet: ZSTD, 1M-row groups; .csv) and exit")
	pyarrowLike := flag.Bool("pyarrow-like", false, "with -time-ordered .parquet: rewritten by Arrow's Parquet writer as pyarrow writes a pandas frame (see writeLikePyarrow)")
	int96 := flag.Bool("int96", false, "with -pyarrow-like: timestamps written as INT96, as Spark writes them by default")
	dumpFile := flag.String("dump", "", "instead, print the rows of this Parquet file as DuckDB reads them, as CSV (see dump)")
	sparkLike := flag.Bool("spark-like", false, "with -time-ordered .parquet: Snappy, 122,880-row groups, timestamps without time zone (INT64 µs, not adjusted to UTC), as Spark and pyarrow write them")
	tile := flag.Int("tile", 1, "with -time-ordered: the events this many times, copy k's entity ids suffixed -k and its times moved back (k × 7,919 mod 40,320) minutes, up to 28 days")
	flag.Parse()
	if *int96 && (!*pyarrowLike || !strings.HasSuffix(*timeOrdered, ".parquet")) {
		log.Fatal("-int96 needs -pyarrow-like and -time-ordered F.parquet")
	}
	db, err := sql.Open("duckdb", "")
	if err != nil {
		log.Fatal(err)
	}
	if _, err := db.Exec("SET threads TO 2"); err != nil {
		log.Fatal(err)
	}
	if *dumpFile != "" {
		if err := dump(db, *dumpFile, os.Stdout); err != nil {
			log.Fatal(err)
		}
		return
	}
	src := fmt.Sprintf("read_parquet('%s')", *events)
	if strings.HasSuffix(*events, ".csv") {
		src = fmt.Sprintf("read_csv('%s', header = true, types = {'value': 'DOUBLE'})", *events)
	}
	if *timeOrdered != "" {
		if *tile > 1 {
			// A larger log of the same behaviour: each copy's times are
			// moved, so copies interleave rather than repeat row by row.
			src = fmt.Sprintf("(SELECT entity_id || '-' || k AS entity_id, CAST(ts AS TIMESTAMP) - to_minutes(CAST(k * 7919 %% 40320 AS BIGINT)) AS ts, type, value FROM %s, range(%d) copies(k))", src, *tile)
		}
		// An event log as it is appended: in time order, written by DuckDB.
		format, cols := "(FORMAT PARQUET, COMPRESSION ZSTD, ROW_GROUP_SIZE 1000000)", "*"
		switch {
		case strings.HasSuffix(*timeOrdered, ".csv"):
			format = "(FORMAT CSV, HEADER)"
		case *sparkLike:
			format, cols = "(FORMAT PARQUET, COMPRESSION SNAPPY, ROW_GROUP_SIZE 122880)", "* REPLACE (CAST(ts AS TIMESTAMP) AS ts)"
		}
		dst := *timeOrdered
		if *pyarrowLike {
			dst += ".duckdb.parquet"
		}
		if _, err := db.Exec(fmt.Sprintf("COPY (SELECT %s FROM %s ORDER BY ts) TO '%s' %s", cols, src, dst, format)); err != nil {
			log.Fatal(err)
		}
		if *pyarrowLike {
			err := writeLikePyarrow(dst, *timeOrdered, *int96)
			os.Remove(dst)
			if err != nil {
				log.Fatal(err)
			}
		}
		return
	}
	var types []string
	var valued []bool
	rows, err := db.Query(fmt.Sprintf("SELECT type, bool_or(value IS NOT NULL) FROM %s WHERE CAST(ts AS TIMESTAMP) < TIMESTAMP '%s' GROUP BY type ORDER BY type", src, *asOf))
	if err != nil {
		log.Fatal(err)
	}
	for rows.Next() {
		var t string
		var v bool
		if err := rows.Scan(&t, &v); err != nil {
			log.Fatal(err)
		}
		types, valued = append(types, t), append(valued, v)
	}
	d := fmt.Sprintf("TIMESTAMP '%s'", *asOf)
	since := func(w int) string { return fmt.Sprintf("ts >= %s - INTERVAL %d DAY", d, w) }
	windows := []int{7, 30, 90, 365}
	cols := []string{"entity_id", "count(*) AS events_total"}
	for _, w := range windows {
		cols = append(cols, fmt.Sprintf("count(*) FILTER (WHERE %s) AS events_count_%dd", since(w), w))
	}
	cols = append(cols, fmt.Sprintf("epoch(%s - min(ts)) / 86400.0 AS tenure_days", d))
	for _, w := range []int{30, 90} {
		cols = append(cols, fmt.Sprintf("count(DISTINCT CAST(ts AS DATE)) FILTER (WHERE %s) AS active_days_%dd", since(w), w))
	}
	for i, t := range types {
		is := fmt.Sprintf("type = '%s'", t)
		for _, w := range windows {
			cols = append(cols, fmt.Sprintf("count(*) FILTER (WHERE %s AND %s) AS %s_count_%dd", is, since(w), t, w))
		}
		if valued[i] {
			for _, w := range windows {
				cols = append(cols, fmt.Sprintf("coalesce(sum(value) FILTER (WHERE %s AND %s), 0) AS %s_value_sum_%dd", is, since(w), t, w))
			}
		}
		cols = append(cols, fmt.Sprintf("epoch(%s - max(ts) FILTER (WHERE %s)) / 86400.0 AS %s_days_since_last", d, is, t))
		prev := fmt.Sprintf("count(*) FILTER (WHERE %s AND %s AND ts < %s - INTERVAL 30 DAY)", is, since(60), d)
		cols = append(cols, fmt.Sprintf("(count(*) FILTER (WHERE %s AND %s) - %s) / (%s + 1.0) AS %s_trend", is, since(30), prev, prev, t))
	}
	q := fmt.Sprintf("COPY (SELECT %s FROM (SELECT entity_id, CAST(ts AS TIMESTAMP) AS ts, type, value FROM %s) WHERE ts < %s GROUP BY entity_id ORDER BY entity_id) TO '%s' (FORMAT PARQUET)",
		strings.Join(cols, ", "), src, d, *out)
	t0 := time.Now()
	if _, err := db.Exec(q); err != nil {
		log.Fatal(err)
	}
	fmt.Printf("duckdb: %d features in %.2f s (%s, 2 threads)\n", len(cols)-1, time.Since(t0).Seconds(), duckdbVersion)
	// The floor under any aggregation: reading the four columns of every
	// event and doing next to nothing with them.
	scan := fmt.Sprintf("SELECT count(*), max(length(entity_id)), max(length(type)), max(ts), sum(value) FROM (SELECT entity_id, CAST(ts AS TIMESTAMP) AS ts, type, value FROM %s)", src)
	t0 = time.Now()
	if _, err := db.Exec(scan); err != nil {
		log.Fatal(err)
	}
	fmt.Printf("duckdb scan: %.2f s\n", time.Since(t0).Seconds())
	if *ours == "" {
		return
	}
	var checks []string
	for _, c := range cols[1:] {
		name := c[strings.LastIndex(c, " AS ")+4:]
		checks = append(checks, fmt.Sprintf("sum(CASE WHEN (a.%[1]s IS NULL) <> (b.%[1]s IS NULL) OR abs(a.%[1]s - b.%[1]s) > 1e-9 * (1 + abs(b.%[1]s)) THEN 1 ELSE 0 END)", name))
	}
	var n, na, nb, bad int64
	err = db.QueryRow(fmt.Sprintf("SELECT count(*), count(a.entity_id), count(b.entity_id), %s FROM read_parquet('%s') a FULL JOIN read_parquet('%s') b USING (entity_id)",
		strings.Join(checks, " + "), *ours, *out)).Scan(&n, &na, &nb, &bad)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("compared %d entities (leadscore %d, duckdb %d), %d features each: %d values differ\n", n, na, nb, len(cols)-1, bad)
}
