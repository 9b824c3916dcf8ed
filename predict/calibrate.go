package predict

import (
	"fmt"
	"sort"
)

// Calibration maps a model's raw log-odds to a calibrated probability.
// Method "platt" is σ(A·logit + B); "isotonic" is a non-decreasing
// piecewise-linear map from the raw probability σ(logit) through the points
// (X[i], Y[i]), flat beyond the ends; "none" (or a nil *Calibration) is
// σ(logit).
type Calibration struct {
	Method string    `json:"method"`
	A      float64   `json:"a,omitempty"`
	B      float64   `json:"b,omitempty"`
	X      []float64 `json:"x,omitempty"`
	Y      []float64 `json:"y,omitempty"`
}

// Probability returns the calibrated probability for a raw logit.
func (c *Calibration) Probability(logit float64) float64 {
	if c == nil {
		return Sigmoid(logit)
	}
	switch c.Method {
	case "platt":
		return Sigmoid(c.A*logit + c.B)
	case "isotonic":
		p := Sigmoid(logit)
		i := sort.SearchFloat64s(c.X, p)
		switch {
		case i == 0:
			return c.Y[0]
		case i == len(c.X):
			return c.Y[len(c.Y)-1]
		}
		x0, x1, y0, y1 := c.X[i-1], c.X[i], c.Y[i-1], c.Y[i]
		if x1 == x0 {
			return y1
		}
		return y0 + (y1-y0)*(p-x0)/(x1-x0)
	}
	return Sigmoid(logit)
}

func (c *Calibration) validate() error {
	if c == nil {
		return nil
	}
	switch c.Method {
	case "none":
	case "platt":
		if !within(c.A, maxCoef) || !within(c.B, maxCoef) {
			return fmt.Errorf("calibration: Platt parameters are not numbers within ±%g", float64(maxCoef))
		}
	case "isotonic":
		if len(c.X) == 0 || len(c.X) != len(c.Y) {
			return fmt.Errorf("calibration: isotonic map needs as many y as x values, at least one")
		}
		for i := range c.X {
			if !(c.X[i] >= 0 && c.X[i] <= 1) || !(c.Y[i] >= 0 && c.Y[i] <= 1) || i > 0 && (c.X[i] < c.X[i-1] || c.Y[i] < c.Y[i-1]) {
				return fmt.Errorf("calibration: isotonic map must be non-decreasing with x and y in [0, 1]")
			}
		}
	default:
		return fmt.Errorf("calibration: unknown method %q", c.Method)
	}
	return nil
}
