package predict

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/parquet-go/parquet-go"

	"leadscore/features"
)

// rankedHeader names the columns of ranked.parquet, in order.
var rankedHeader = []string{"rank", "entity_id", "deal_id", "deal_opened", "score", "grade", "queue", "owner", "probability", "rule_points",
	"rule_points_by_group", "data_quality", "reasons", "rule_awards", "churn_risk", "p_alive", "rfm_segment", "clv", "churn_reason", "model_id", "as_of",
	"previous_score", "score_change", "previous_grade", "change"}

// WriteParquet writes ranked leads as Parquet (zstd) with parquet-go's
// typed GenericWriter. meta goes into the key/value metadata. keep names
// the kept columns (Ranked.Kept), written after the others as optional
// text.
func WriteParquet(w io.Writer, rows []Ranked, meta map[string]string, keep []string) error {
	if len(keep) > 0 {
		return writeParquetKept(w, rows, meta, keep)
	}
	pw := parquet.NewGenericWriter[Ranked](w, parquet.Compression(&parquet.Zstd), parquet.CreatedBy("leadscore", "", ""))
	for _, k := range sortedMetaKeys(meta) {
		pw.SetKeyValueMetadata(k, meta[k])
	}
	for lo := 0; lo < len(rows); lo += 1 << 16 {
		if _, err := pw.Write(rows[lo:min(lo+1<<16, len(rows))]); err != nil {
			pw.Close()
			return err
		}
	}
	return pw.Close()
}

// WriteCSV writes ranked leads as RFC 4180 CSV (UTF-8, CRLF line ends, as
// spreadsheet software expects), for people: probabilities with 4
// decimals and money with 2, never in scientific notation; as_of as a
// date; the points per rule group as "purchase 50, engagement 30". Only
// the columns that apply are written (sum says which: the deal columns in
// a list of open deals, rule points and
// awards with rules, data_quality with profiles, the churn columns with
// customers, as_of with a date), then the kept columns. Parquet keeps
// every column at full precision.
func WriteCSV(w io.Writer, rows []Ranked, sum Summary) error {
	cols := csvColumns(sum)
	header := make([]string, 0, len(cols)+len(sum.Kept))
	for _, c := range cols {
		header = append(header, c.name)
	}
	cw := features.NewCSVWriter(w)
	cw.UseCRLF = true
	if err := cw.Write(append(header, sum.Kept...)); err != nil {
		return err
	}
	rec := make([]string, 0, len(header))
	for i := range rows {
		rec = rec[:0]
		for _, c := range cols {
			rec = append(rec, c.text(&rows[i]))
		}
		rec = append(rec, rows[i].Kept...)
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// csvColumn is a column of ranked.csv and how a lead is written in it.
type csvColumn struct {
	name string
	text func(*Ranked) string
}

// IsRankedCSVHeader reports whether header is one ranked.csv may have,
// whatever applied to its run (deals, rules, customers, a previous list,
// kept columns): it starts with the first two columns every call list has
// (rank, entity_id) and holds the others (score, grade, ..., model_id) in
// their order. A rerun with other options replaces such a file; no CRM
// export starts so.
func IsRankedCSVHeader(header []string) bool {
	always := csvColumns(Summary{})
	if len(header) < 2 || header[0] != always[0].name || header[1] != always[1].name {
		return false
	}
	at := 2
	for _, c := range always[2:] {
		k := slices.Index(header[at:], c.name)
		if k < 0 {
			return false
		}
		at += k + 1
	}
	return true
}

// csvColumns are the columns of ranked.csv that apply to a scoring run,
// in the Parquet file's order.
func csvColumns(sum Summary) []csvColumn {
	fixed := func(x float64, prec int) string { return strconv.FormatFloat(x, 'f', prec, 64) }
	opt := func(p *float64, prec int) string {
		if p == nil {
			return ""
		}
		return fixed(*p, prec)
	}
	cols := []csvColumn{
		{"rank", func(r *Ranked) string { return strconv.Itoa(int(r.Rank)) }},
		{"entity_id", func(r *Ranked) string { return r.EntityID }},
	}
	if sum.DealIDs {
		cols = append(cols, csvColumn{"deal_id", func(r *Ranked) string { return strPtr(r.DealID) }})
	}
	if sum.Deals {
		cols = append(cols, csvColumn{"deal_opened", func(r *Ranked) string { return dateOnly(strPtr(r.DealOpened)) }})
	}
	cols = append(cols, []csvColumn{
		{"score", func(r *Ranked) string { return strconv.Itoa(int(r.Score)) }},
		{"grade", func(r *Ranked) string { return r.Grade }},
		{"queue", func(r *Ranked) string { return r.Queue }},
		{"owner", func(r *Ranked) string { return r.Owner }},
		{"probability", func(r *Ranked) string { return fixed(r.Probability, 4) }},
	}...)
	if sum.Rules {
		cols = append(cols,
			csvColumn{"rule_points", func(r *Ranked) string { return fixed(r.RulePoints, -1) }},
			csvColumn{"rule_points_by_group", func(r *Ranked) string { return groupsText(r.RulePointsByGroup) }})
	}
	if sum.DataQuality {
		cols = append(cols, csvColumn{"data_quality", func(r *Ranked) string { return opt(r.DataQuality, 2) }})
	}
	cols = append(cols, csvColumn{"reasons", func(r *Ranked) string { return r.Reasons }})
	if sum.Rules {
		cols = append(cols, csvColumn{"rule_awards", func(r *Ranked) string { return r.RuleAwards }})
	}
	if sum.Customers {
		cols = append(cols,
			csvColumn{"churn_risk", func(r *Ranked) string { return fmtBool(r.ChurnRisk) }},
			csvColumn{"p_alive", func(r *Ranked) string { return opt(r.PAlive, 4) }},
			csvColumn{"rfm_segment", func(r *Ranked) string { return strPtr(r.RFMSegment) }},
			csvColumn{"clv", func(r *Ranked) string { return opt(r.CLV, 2) }},
			csvColumn{"churn_reason", func(r *Ranked) string { return strPtr(r.ChurnReason) }})
	}
	cols = append(cols, csvColumn{"model_id", func(r *Ranked) string { return r.ModelID }})
	if sum.AsOf != "" {
		cols = append(cols, csvColumn{"as_of", func(r *Ranked) string { return dateOnly(r.AsOf) }})
	}
	if sum.Changes {
		i32 := func(p *int32) string {
			if p == nil {
				return ""
			}
			return strconv.Itoa(int(*p))
		}
		cols = append(cols,
			csvColumn{"previous_score", func(r *Ranked) string { return i32(r.PreviousScore) }},
			csvColumn{"score_change", func(r *Ranked) string { return i32(r.ScoreChange) }},
			csvColumn{"previous_grade", func(r *Ranked) string { return strPtr(r.PreviousGrade) }},
			csvColumn{"change", func(r *Ranked) string { return r.Change }})
	}
	if sum.Verdict != "" {
		cols = append(cols, csvColumn{"model_verdict", func(*Ranked) string { return sum.Verdict }})
	}
	return cols
}

// groupsText turns {"purchase":50,"engagement":30} into "purchase 50,
// engagement 30".
func groupsText(js string) string {
	if js == "" {
		return ""
	}
	dec := json.NewDecoder(strings.NewReader(js))
	dec.UseNumber()
	var parts []string
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return js
	}
	for dec.More() {
		k, err1 := dec.Token()
		v, err2 := dec.Token()
		if err1 != nil || err2 != nil {
			return js
		}
		parts = append(parts, fmt.Sprintf("%v %v", k, v))
	}
	return strings.Join(parts, ", ")
}

// dateOnly shortens an RFC 3339 time at midnight UTC to its date.
func dateOnly(s string) string {
	if t, err := time.Parse(time.RFC3339, s); err == nil && t.Equal(t.Truncate(24*time.Hour)) {
		return t.Format(time.DateOnly)
	}
	return s
}

// ReadRankedFile reads a ranked.parquet file.
func ReadRankedFile(path string) ([]Ranked, error) {
	return features.ReadFileAt(path, func(r io.ReaderAt, size int64) ([]Ranked, error) {
		return features.ReadParquetStructs[Ranked](r, size, path)
	})
}

// ReadRankedParquet reads a ranked.parquet file back.
func ReadRankedParquet(r io.ReaderAt, size int64) ([]Ranked, error) {
	return features.ReadParquetStructs[Ranked](r, size, "ranked.parquet")
}

// writeParquetKept writes ranked leads with their kept columns: the
// columns of Ranked, then one optional text column per kept name, through
// a struct type made for these names (parquet-go writes structs).
func writeParquetKept(w io.Writer, rows []Ranked, meta map[string]string, keep []string) error {
	rt := reflect.TypeFor[Ranked]()
	var fields []reflect.StructField
	var from []int // Ranked field of each struct field, -1 for a kept one
	for i := range rt.NumField() {
		f := rt.Field(i)
		if !f.IsExported() || f.Tag.Get("parquet") == "-" {
			continue
		}
		fields, from = append(fields, f), append(from, i)
	}
	for k, name := range keep {
		if slices.Contains(rankedHeader, name) {
			return fmt.Errorf("predict: kept column %q has the name of a call-list column", name)
		}
		fields = append(fields, reflect.StructField{Name: fmt.Sprintf("Kept%d", k), Type: reflect.TypeFor[*string](),
			Tag: reflect.StructTag(fmt.Sprintf(`parquet:%q`, name+",optional"))})
		from = append(from, -1)
	}
	st := reflect.StructOf(fields)
	pw := parquet.NewWriter(w, parquet.SchemaOf(reflect.New(st).Interface()), parquet.Compression(&parquet.Zstd), parquet.CreatedBy("leadscore", "", ""))
	for _, k := range sortedMetaKeys(meta) {
		pw.SetKeyValueMetadata(k, meta[k])
	}
	row := reflect.New(st).Elem()
	for _, r := range rows {
		rv := reflect.ValueOf(r)
		kept := 0
		for j, i := range from {
			if i >= 0 {
				row.Field(j).Set(rv.Field(i))
				continue
			}
			var v *string
			if kept < len(r.Kept) && r.Kept[kept] != "" {
				s := r.Kept[kept]
				v = &s
			}
			row.Field(j).Set(reflect.ValueOf(v))
			kept++
		}
		if err := pw.Write(row.Interface()); err != nil {
			pw.Close()
			return err
		}
	}
	return pw.Close()
}

func sortedMetaKeys(m map[string]string) []string { return slices.Sorted(maps.Keys(m)) }

func fmtBool(p *bool) string {
	if p == nil {
		return ""
	}
	return strconv.FormatBool(*p)
}

func strPtr(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}
