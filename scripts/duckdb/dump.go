package main

import (
	"database/sql"
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// dump writes the rows of a Parquet file as DuckDB reads them, as CSV in
// a form that leaves nothing to formatting: numbers (booleans as 0 and 1,
// decimals and integers too) as the shortest text of the nearest double,
// times as microseconds since 1970, text as it is, and NULL as \N. The
// features package compares its own reader with these files.
func dump(db *sql.DB, path string, w io.Writer) error {
	src := fmt.Sprintf("read_parquet('%s')", strings.ReplaceAll(path, "'", "''"))
	rows, err := db.Query("DESCRIBE SELECT * FROM " + src)
	if err != nil {
		return err
	}
	var names, exprs []string
	for rows.Next() {
		var name, typ string
		var null, key, def, extra sql.NullString
		if err := rows.Scan(&name, &typ, &null, &key, &def, &extra); err != nil {
			return err
		}
		col := `"` + strings.ReplaceAll(name, `"`, `""`) + `"`
		switch {
		case typ == "BOOLEAN" || strings.HasSuffix(typ, "INT") || strings.HasSuffix(typ, "INTEGER") || typ == "FLOAT" ||
			typ == "DOUBLE" || strings.HasPrefix(typ, "DECIMAL"):
			col = "CAST(" + col + " AS DOUBLE)"
		case typ == "DATE" || strings.HasPrefix(typ, "TIMESTAMP"):
			col = "epoch_us(CAST(" + col + " AS TIMESTAMP))"
		default:
			col = "CAST(" + col + " AS VARCHAR)"
		}
		names, exprs = append(names, name), append(exprs, col)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	rows, err = db.Query("SELECT " + strings.Join(exprs, ", ") + " FROM " + src)
	if err != nil {
		return err
	}
	out := csv.NewWriter(w)
	out.Write(names)
	vals := make([]any, len(names))
	ptrs := make([]any, len(names))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	rec := make([]string, len(names))
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return err
		}
		for i, v := range vals {
			switch v := v.(type) {
			case nil:
				rec[i] = `\N`
			case float64:
				rec[i] = strconv.FormatFloat(v, 'g', -1, 64)
			case int64:
				rec[i] = strconv.FormatInt(v, 10)
			case string:
				rec[i] = v
			default:
				return fmt.Errorf("column %q: a %T from DuckDB", names[i], v)
			}
		}
		out.Write(rec)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	out.Flush()
	return out.Error()
}
