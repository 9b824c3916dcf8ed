package predict

import (
	"io"
	"maps"
	"slices"
	"strconv"

	"github.com/parquet-go/parquet-go"

	"leadscore/features"
)

// rankedHeader is the CSV header, in the Parquet column order.
var rankedHeader = []string{"rank", "entity_id", "score", "grade", "queue", "owner", "probability", "rule_points",
	"rule_points_by_group", "data_quality", "reasons", "rule_awards", "churn_risk", "p_alive", "rfm_segment", "clv", "churn_reason", "model_id", "as_of"}

// WriteParquet writes ranked leads as Parquet (zstd) with parquet-go's
// typed GenericWriter. meta goes into the key/value metadata.
func WriteParquet(w io.Writer, rows []Ranked, meta map[string]string) error {
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
// spreadsheet software expects). Floats use the shortest exact form; an
// unknown data quality is an empty field.
func WriteCSV(w io.Writer, rows []Ranked) error {
	cw := features.NewCSVWriter(w)
	cw.UseCRLF = true
	if err := cw.Write(rankedHeader); err != nil {
		return err
	}
	rec := make([]string, len(rankedHeader))
	for _, r := range rows {
		opt := func(set bool, v string) string {
			if set {
				return v
			}
			return ""
		}
		rec = append(rec[:0], strconv.Itoa(int(r.Rank)), r.EntityID, strconv.Itoa(int(r.Score)), r.Grade, r.Queue, r.Owner,
			strconv.FormatFloat(r.Probability, 'g', -1, 64), strconv.FormatFloat(r.RulePoints, 'g', -1, 64), r.RulePointsByGroup,
			opt(r.DataQuality != nil, fmtPtr(r.DataQuality)), r.Reasons, r.RuleAwards,
			opt(r.ChurnRisk != nil, fmtBool(r.ChurnRisk)), opt(r.PAlive != nil, fmtPtr(r.PAlive)), opt(r.RFMSegment != nil, strPtr(r.RFMSegment)),
			opt(r.CLV != nil, fmtPtr(r.CLV)), opt(r.ChurnReason != nil, strPtr(r.ChurnReason)), r.ModelID, r.AsOf)
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// ReadRankedParquet reads a ranked.parquet file back.
func ReadRankedParquet(r io.ReaderAt, size int64) ([]Ranked, error) {
	f, err := parquet.OpenFile(r, size)
	if err != nil {
		return nil, err
	}
	pr := parquet.NewGenericReader[Ranked](f)
	defer pr.Close()
	out := make([]Ranked, f.NumRows())
	n, err := pr.Read(out)
	if err != nil && err != io.EOF {
		return nil, err
	}
	return out[:n], nil
}

func sortedMetaKeys(m map[string]string) []string { return slices.Sorted(maps.Keys(m)) }

func fmtPtr(p *float64) string {
	if p == nil {
		return ""
	}
	return strconv.FormatFloat(*p, 'g', -1, 64)
}

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
