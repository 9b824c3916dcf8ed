package pipeline

import (
	"errors"
	"testing"

	"leadscore/features"
)

// FuzzParseConfig: pipeline.yaml never panics the parser, and every error
// is a configuration error with the file's name.
func FuzzParseConfig(f *testing.F) {
	f.Add([]byte("out: runs\nevents: {path: e.csv, columns: {entity_id: id}, sep: ';'}\nmodel: m\nrules: default\nmax_bad_rows: 3\n"))
	f.Add([]byte("out: runs\nevents: {path: e.csv}\nmodel: m\norders: {path: o.csv, encoding: cp1252, time_format: 1/2/06}\n"))
	f.Add([]byte("colour: red\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		_, err := ParseConfig(data, "pipeline.yaml")
		var ce *features.ConfigError
		if err != nil && !errors.As(err, &ce) {
			t.Fatalf("error %v is not a *features.ConfigError", err)
		}
	})
}
