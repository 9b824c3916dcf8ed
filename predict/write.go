package predict

import (
	"encoding/csv"
	"io"
	"maps"
	"slices"
	"strconv"

	"github.com/parquet-go/parquet-go"
)

// rankedHeader is the CSV header, in the Parquet column order.
var rankedHeader = []string{"rank", "entity_id", "score", "grade", "queue", "probability", "rule_points",
	"data_quality", "reasons", "rule_awards", "churn_risk", "p_alive", "rfm_segment", "clv", "churn_reason", "model_id", "as_of"}

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
	cw := csv.NewWriter(w)
	cw.UseCRLF = true
	if err := cw.Write(rankedHeader); err != nil {
		return err
	}
	rec := make([]string, len(rankedHeader))
	for _, r := range rows {
		rec[0] = strconv.Itoa(int(r.Rank))
		rec[1] = r.EntityID
		rec[2] = strconv.Itoa(int(r.Score))
		rec[3] = r.Grade
		rec[4] = r.Queue
		rec[5] = strconv.FormatFloat(r.Probability, 'g', -1, 64)
		rec[6] = strconv.FormatFloat(r.RulePoints, 'g', -1, 64)
		rec[7] = ""
		if r.DataQuality != nil {
			rec[7] = strconv.FormatFloat(*r.DataQuality, 'g', -1, 64)
		}
		rec[8] = r.Reasons
		rec[9] = r.RuleAwards
		rec[10], rec[11], rec[12], rec[13], rec[14] = "", "", "", "", ""
		if r.ChurnRisk != nil {
			rec[10] = strconv.FormatBool(*r.ChurnRisk)
		}
		if r.PAlive != nil {
			rec[11] = strconv.FormatFloat(*r.PAlive, 'g', -1, 64)
		}
		if r.RFMSegment != nil {
			rec[12] = *r.RFMSegment
		}
		if r.CLV != nil {
			rec[13] = strconv.FormatFloat(*r.CLV, 'g', -1, 64)
		}
		if r.ChurnReason != nil {
			rec[14] = *r.ChurnReason
		}
		rec[15] = r.ModelID
		rec[16] = r.AsOf
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
