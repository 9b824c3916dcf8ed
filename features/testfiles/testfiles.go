// Package testfiles holds what the tests of several packages do with the
// files they write or keep in testdata.
package testfiles

import (
	"encoding/csv"
	"errors"
	"os"
	"testing"
)

// ReadCSV returns every record of the CSV file at path, the header
// first, failing the test when the file cannot be read.
func ReadCSV(t testing.TB, path string) [][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return recs
}

// WriteCSV writes recs, the header first, as the CSV file at path,
// failing the test when it cannot.
func WriteCSV(t testing.TB, path string, recs [][]string) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := csv.NewWriter(f)
	w.WriteAll(recs)
	if err := errors.Join(w.Error(), f.Close()); err != nil {
		t.Fatal(err)
	}
}
