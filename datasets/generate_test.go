package datasets

import (
	"bytes"
	"context"
	"io/fs"
	"math"
	"testing"
)

type memFiles struct{ ev, en, de, or, tr bytes.Buffer }

func (m *memFiles) files() Files {
	return Files{Events: &m.ev, Entities: &m.en, Deals: &m.de, Orders: &m.or, Truth: &m.tr}
}

func genCSV(t *testing.T, cfg Config) (*memFiles, Summary) {
	t.Helper()
	var m memFiles
	s := NewCSVSink(m.files())
	sum, err := Generate(context.Background(), cfg, s)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	return &m, sum
}

func TestGenerateDeterministic(t *testing.T) {
	a, sa := genCSV(t, Config{Entities: 1500, Seed: 42, Workers: 1})
	b, sb := genCSV(t, Config{Entities: 1500, Seed: 42, Workers: 4})
	for i, pair := range [][2]*bytes.Buffer{{&a.ev, &b.ev}, {&a.en, &b.en}, {&a.de, &b.de}, {&a.or, &b.or}, {&a.tr, &b.tr}} {
		if !bytes.Equal(pair[0].Bytes(), pair[1].Bytes()) {
			t.Errorf("file %d differs between runs with the same seed", i)
		}
	}
	if sa != sb {
		t.Errorf("summaries differ: %+v vs %+v", sa, sb)
	}
	c, _ := genCSV(t, Config{Entities: 1500, Seed: 43})
	if bytes.Equal(a.ev.Bytes(), c.ev.Bytes()) {
		t.Error("a different seed gave the same events")
	}
}

// TestGenerateRealistic checks the shape of the simulated company against
// the model's design, so that a change to the simulation that breaks it is
// seen.
func TestGenerateRealistic(t *testing.T) {
	_, s := genCSV(t, Config{Entities: 4000, Seed: 1})
	perEntity := float64(s.Events) / float64(s.Entities)
	winRate := float64(s.DealsWon) / float64(s.Deals)
	if perEntity < 30 || perEntity > 80 {
		t.Errorf("events per entity = %.1f, want 30–80", perEntity)
	}
	if winRate < 0.25 || winRate > 0.5 {
		t.Errorf("win rate = %.3f, want 0.25–0.5", winRate)
	}
	if s.DealAUCTrue < 0.72 || s.DealAUCTrue > 0.88 {
		t.Errorf("true-probability AUC = %.3f, want 0.72–0.88", s.DealAUCTrue)
	}
	if s.Customers == 0 || s.AliveAtEnd == 0 || s.AliveAtEnd == s.Customers {
		t.Errorf("customers %d, alive at end %d: want some churned and some alive", s.Customers, s.AliveAtEnd)
	}
}

func TestGenerateDirty(t *testing.T) {
	m, s := genCSV(t, Config{Entities: 500, Seed: 3, Dirty: 0.02})
	if s.DirtyRows == 0 {
		t.Fatal("no dirty rows injected")
	}
	clean, _ := genCSV(t, Config{Entities: 500, Seed: 3})
	if m.ev.Len() == clean.ev.Len() {
		t.Error("dirty events file equals the clean one in size")
	}
	share := float64(s.DirtyRows) / float64(s.Events+s.Orders)
	if math.Abs(share-0.02) > 0.005 {
		t.Errorf("dirty share = %.4f, want about 0.02", share)
	}
}

// TestSampleUpToDate regenerates the embedded sample and compares it byte for
// byte: the sample is what SampleConfig produces.
func TestSampleUpToDate(t *testing.T) {
	var m memFiles
	s := NewParquetSink(m.files())
	if _, err := Generate(context.Background(), SampleConfig, s); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	for name, buf := range map[string]*bytes.Buffer{"events.parquet": &m.ev, "entities.parquet": &m.en, "deals.parquet": &m.de, "orders.parquet": &m.or, "truth.parquet": &m.tr} {
		want, err := fs.ReadFile(Sample(), name)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(buf.Bytes(), want) {
			t.Errorf("embedded %s differs from a fresh generation; regenerate the sample (see SampleConfig)", name)
		}
	}
}
