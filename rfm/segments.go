package rfm

import (
	"cmp"
	"fmt"
	"io"
	"slices"
	"strings"

	"leadscore/features"
)

// Segment is a row of the segment table: customers whose R, F and M scores
// fall within the inclusive ranges get the name. The table is read in order
// and the first match wins.
type Segment struct {
	Name string   `yaml:"name"`
	R    [2]int32 `yaml:"r"`
	F    [2]int32 `yaml:"f"`
	M    [2]int32 `yaml:"m"`
}

func (s Segment) validate() error {
	if s.Name == "" {
		return fmt.Errorf("segment with no name")
	}
	for _, r := range [][2]int32{s.R, s.F, s.M} {
		if r[0] < 1 || r[1] > 5 || r[0] > r[1] {
			return fmt.Errorf("segment %q: score ranges must be within 1–5, low to high", s.Name)
		}
	}
	return nil
}

func (s Segment) match(c *Customer) bool {
	in := func(v int32, r [2]int32) bool { return v >= r[0] && v <= r[1] }
	return in(c.RScore, s.R) && in(c.FScore, s.F) && in(c.MScore, s.M)
}

// OtherSegment names customers no row matches.
const OtherSegment = "Others"

// DefaultSegments is a first-match table over the recency and frequency
// scores that names every cell of the 5×5 grid with one of the usual RFM
// segments (monetary value is left to the value tiers):
//
//	R\F  1               2–3                  4                 5
//	5    New Customers   Potential Loyalists  Champions         Champions
//	4    Promising       Potential Loyalists  Loyal Customers   Champions
//	3    About to Sleep  Need Attention       Loyal Customers   Loyal Customers
//	2    Hibernating     Hib. (F2), At Risk   At Risk           Can't Lose Them
//	1    Lost            Lost (F2), At Risk   Can't Lose Them   Can't Lose Them
func DefaultSegments() []Segment {
	all := [2]int32{1, 5}
	row := func(name string, r0, r1, f0, f1 int32) Segment {
		return Segment{Name: name, R: [2]int32{r0, r1}, F: [2]int32{f0, f1}, M: all}
	}
	return []Segment{
		row("Champions", 5, 5, 4, 5),
		row("Champions", 4, 4, 5, 5),
		row("Loyal Customers", 3, 4, 4, 5),
		row("Potential Loyalists", 4, 5, 2, 3),
		row("New Customers", 5, 5, 1, 1),
		row("Promising", 4, 4, 1, 1),
		row("Need Attention", 3, 3, 2, 3),
		row("About to Sleep", 3, 3, 1, 1),
		row("Can't Lose Them", 1, 2, 5, 5),
		row("Can't Lose Them", 1, 1, 4, 4),
		row("At Risk", 1, 2, 3, 4),
		row("Hibernating", 2, 2, 1, 2),
		row("Lost", 1, 1, 1, 2),
	}
}

// ParseSegments reads a segment table from YAML:
//
//	segments:
//	  - {name: Champions, r: [4, 5], f: [4, 5], m: [4, 5]}
//	  - ...
//
// Unknown keys and bad ranges are errors.
func ParseSegments(r io.Reader, name string) ([]Segment, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	var f struct {
		Segments []Segment `yaml:"segments"`
	}
	validate := func() error {
		if len(f.Segments) == 0 {
			return features.FieldErrorf("segments", "no segments")
		}
		for i, s := range f.Segments {
			if err := s.validate(); err != nil {
				return &features.FieldError{Field: fmt.Sprintf("segments[%d]", i), Err: err}
			}
		}
		return nil
	}
	if err := features.DecodeConfig(data, name, &f, validate); err != nil {
		return nil, err
	}
	return f.Segments, nil
}

// quintiles scores values 1–5 by rank: sorted ascending, the i-th of n
// gets 1 + ⌊5i/n⌋, and equal values share the score of the first of them,
// so a tie never splits across scores (most customers of a shop buy once;
// they all score F = 1). The first of a value's ties is ranked after every
// smaller value: its rank is their count, found in the sorted values.
func quintiles(cs []Customer, value func(*Customer) float64, set func(*Customer, int32)) {
	n := len(cs)
	sorted := make([]float64, n)
	for i := range cs {
		sorted[i] = value(&cs[i])
	}
	slices.Sort(sorted)
	for i := range cs {
		rank, _ := slices.BinarySearch(sorted, value(&cs[i]))
		set(&cs[i], int32(1+5*rank/n))
	}
}

// scoreRFM sets the quintile scores: a recent purchase, many purchase days
// and a high mean spend score 5. Recency is reversed: the smallest time
// since the last purchase ranks highest.
func scoreRFM(cs []Customer) {
	quintiles(cs, func(c *Customer) float64 { return -c.Recency }, func(c *Customer, s int32) { c.RScore = s })
	quintiles(cs, func(c *Customer) float64 { return float64(c.Frequency) }, func(c *Customer, s int32) { c.FScore = s })
	quintiles(cs, func(c *Customer) float64 { return c.Monetary }, func(c *Customer, s int32) { c.MScore = s })
}

func assignSegments(cs []Customer, segs []Segment) {
	for i := range cs {
		cs[i].Segment = OtherSegment
		for _, s := range segs {
			if s.match(&cs[i]) {
				cs[i].Segment = s.Name
				break
			}
		}
	}
}

// Value tiers, by historical spend (frequency × monetary): the top 10% of
// customers are VIP, the next 40% mid, the rest occasional.
const (
	TierVIP        = "VIP"
	TierMid        = "mid"
	TierOccasional = "occasional"
)

func valueTiers(cs []Customer) {
	type spent struct {
		spend float64
		i     int
	}
	order := make([]spent, len(cs))
	for i := range cs {
		order[i] = spent{float64(cs[i].Frequency) * cs[i].Monetary, i}
	}
	slices.SortFunc(order, func(a, b spent) int {
		if a.spend != b.spend {
			return cmp.Compare(b.spend, a.spend)
		}
		return strings.Compare(cs[a.i].EntityID, cs[b.i].EntityID)
	})
	n := len(cs)
	for rank, o := range order {
		i := o.i
		switch {
		case rank < (n+9)/10:
			cs[i].ValueTier = TierVIP
		case rank < n/2:
			cs[i].ValueTier = TierMid
		default:
			cs[i].ValueTier = TierOccasional
		}
	}
}
