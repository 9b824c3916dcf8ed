package datasets

import (
	"context"
	"fmt"
	"io"
	"testing"
)

// BenchmarkGenerateCSV measures generation into discarded CSV files.
func BenchmarkGenerateCSV(b *testing.B) {
	for _, n := range []int{1000, 20000} {
		b.Run(fmt.Sprintf("entities=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			var events int64
			for b.Loop() {
				s := NewCSVSink(Files{io.Discard, io.Discard, io.Discard, io.Discard, io.Discard})
				sum, err := Generate(context.Background(), Config{Entities: n, Seed: 1}, s)
				if err != nil {
					b.Fatal(err)
				}
				s.Close()
				events += sum.Events
			}
			b.ReportMetric(float64(events)/b.Elapsed().Seconds(), "events/s")
		})
	}
}
