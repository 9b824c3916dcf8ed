package pipeline

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"leadscore/features"
)

// TestTableReadsLogged: a debug log tells the files read before the
// events (entities, then deals, with what each counted) ahead of the
// build's own phases, and an info log tells none of them.
func TestTableReadsLogged(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) features.Source {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return features.Source{Path: p}
	}
	events := write("events.csv", "entity_id,ts,type\na,2024-01-05,rfq\nb,2024-02-10,order\nc,2024-03-01,rfq\n")
	entities := write("entities.csv", "entity_id,industry\na,retail\nb,energy\n")
	deals := write("deals.csv", "entity_id,ts,won,closed_at\na,2024-03-01,true,2024-03-20\nb,2024-04-01,,\nc,2024-02-01,false,2024-02-15\n")
	date := func(s string) time.Time {
		d, err := time.Parse(time.DateOnly, s)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	type record struct {
		Msg      string
		Entities int
		Deals    int
	}
	run := func(level slog.Level) []record {
		var buf bytes.Buffer
		job := TableJob{Events: events, Entities: &entities, Outcomes: &deals, Snapshots: "monthly", First: date("2024-02-01"), Last: date("2024-06-01"),
			Target: &features.Target{Kind: features.TargetConversion, HorizonDays: 30}, Logger: slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: level}))}
		if _, err := BuildTable(t.Context(), job); err != nil {
			t.Fatal(err)
		}
		var out []record
		for line := range strings.SplitSeq(strings.TrimSpace(buf.String()), "\n") {
			var r record
			if err := json.Unmarshal([]byte(line), &r); err != nil {
				t.Fatalf("%q: %v", line, err)
			}
			out = append(out, r)
		}
		return out
	}
	got := run(slog.LevelDebug)
	want := []record{{Msg: "entities read", Entities: 2}, {Msg: "deals read", Deals: 3}, {Msg: "events read"}}
	if len(got) < len(want) {
		t.Fatalf("debug log %+v, want it to start with %+v", got, want)
	}
	for i, w := range want {
		if got[i] != w {
			t.Errorf("debug log line %d: %+v, want %+v", i, got[i], w)
		}
	}
	for _, r := range run(slog.LevelInfo) {
		if r.Msg == "entities read" || r.Msg == "deals read" {
			t.Errorf("an info log tells %q", r.Msg)
		}
	}
}
