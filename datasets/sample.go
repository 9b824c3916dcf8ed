package datasets

import (
	"embed"
	"io/fs"
	"time"
)

//go:embed sample
var sample embed.FS

// SampleConfig is the Config that generated the embedded sample: 3,000
// contacts over 2023–2024, seed 7, written as Parquet. Regenerate it with
//
//	leadscore datasets generate --out datasets/sample --entities 3000 --seed 7 --format parquet
var SampleConfig = Config{Entities: 3000, Seed: 7}

// SampleEnd is the end of the sample's simulated period: the natural as-of
// date for scoring it.
var SampleEnd = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)

// Sample returns the embedded sample as a file system with events,
// entities, deals, orders and truth (.parquet) and truth.json at its root.
func Sample() fs.FS {
	sub, err := fs.Sub(sample, "sample")
	if err != nil {
		panic("datasets: embedded sample missing: " + err.Error()) // a build defect
	}
	return sub
}
