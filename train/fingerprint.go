package train

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"

	"leadscore/features"
	"leadscore/predict"
)

// fingerprintTable hashes a table's column names, kinds and values (floats
// by their bits, times as Unix nanoseconds).
func fingerprintTable(t *features.Table) string {
	// Each column is hashed on its own (on every core), then the column
	// hashes in order.
	sums := make([][sha256.Size]byte, len(t.Columns))
	parallelFor(len(t.Columns), 2, func(i int) {
		c := &t.Columns[i]
		h := sha256.New()
		fmt.Fprintf(h, "%s\x00%s\x00", c.Name, c.Kind)
		var buf []byte
		for r := range c.Len() {
			switch c.Kind {
			case features.KindFloat:
				buf = binary.LittleEndian.AppendUint64(buf, math.Float64bits(c.Float[r]))
			case features.KindString:
				buf = append(append(buf, c.Str[r]...), 0)
			case features.KindBool:
				buf = append(buf, b2byte(c.Bool[r]))
			case features.KindTime:
				buf = binary.LittleEndian.AppendUint64(buf, uint64(c.Time[r].UnixNano()))
			}
			if len(buf) > 1<<16 {
				h.Write(buf)
				buf = buf[:0]
			}
		}
		h.Write(buf)
		h.Sum(sums[i][:0])
	})
	h := sha256.New()
	for _, s := range sums {
		h.Write(s[:])
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}

func b2byte(b bool) byte {
	if b {
		return 1
	}
	return 0
}

// gbdtForHash is the GBDT configuration that shapes a gbdt model (none for
// the other models), without the worker count.
func gbdtForHash(c *Config) GBDTConfig {
	if c.model() != predict.TypeGBDT {
		return GBDTConfig{}
	}
	g := c.GBDT.withDefaults()
	g.Workers = 0
	return g
}

// hash is a short hash of everything in the configuration that shapes the
// model (not the logger or the writers).
func (c *Config) hash() string {
	b, _ := json.Marshal(struct {
		Label, Positive, Negative, ID, TimeColumn string
		Model                                     predict.ModelType
		Drop, Categorical                         []string
		ValidFraction, C                          float64
		CGrid                                     []float64
		Folds, MinClass, ValidRows                int
		Seed                                      uint64
		GBDT                                      GBDTConfig
		Group                                     string `json:",omitempty"`
	}{c.Label, c.Positive, c.Negative, c.ID, c.TimeColumn, c.model(), c.Drop, c.Categorical, c.ValidFraction, c.C, c.CGrid,
		c.folds(), c.MinClass, len(c.ValidRows), c.Seed, gbdtForHash(c), c.Group})
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:8])
}
