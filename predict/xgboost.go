package predict

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strconv"
	"strings"
)

// XGBoostVersion is the XGBoost release whose JSON model format
// WriteXGBoostJSON writes (read by 1.7 and later).
var XGBoostVersion = [3]int{1, 7, 4}

// xgbFloats are float32 values that XGBoost's JSON reader takes for
// numbers: each written with a decimal point or exponent (a bare 0 would
// read as an integer and be refused).
type xgbFloats []float32

// MarshalJSON writes the values in shortest float32 form.
func (v xgbFloats) MarshalJSON() ([]byte, error) {
	b := []byte{'['}
	for i, x := range v {
		if i > 0 {
			b = append(b, ',')
		}
		n := len(b)
		b = strconv.AppendFloat(b, float64(x), 'g', -1, 32)
		if !bytes.ContainsAny(b[n:], ".eE") {
			b = append(b, ".0"...)
		}
	}
	return append(b, ']'), nil
}

// xgbTree is one tree of XGBoost's JSON model format.
type xgbTree struct {
	BaseWeights        xgbFloats         `json:"base_weights"`
	Categories         []int32           `json:"categories"`
	CategoriesNodes    []int32           `json:"categories_nodes"`
	CategoriesSegments []int64           `json:"categories_segments"`
	CategoriesSizes    []int64           `json:"categories_sizes"`
	DefaultLeft        []int             `json:"default_left"`
	ID                 int               `json:"id"`
	LeftChildren       []int32           `json:"left_children"`
	LossChanges        xgbFloats         `json:"loss_changes"`
	Parents            []int32           `json:"parents"`
	RightChildren      []int32           `json:"right_children"`
	SplitConditions    xgbFloats         `json:"split_conditions"`
	SplitIndices       []int32           `json:"split_indices"`
	SplitType          []int             `json:"split_type"`
	SumHessian         xgbFloats         `json:"sum_hessian"`
	TreeParam          map[string]string `json:"tree_param"`
}

// XGBoostFeature says how a model input is given to XGBoost: a numeric
// value ("q"), or a categorical level code ("c") from Codes, with
// OtherCode for every level not listed and NaN for missing values.
type XGBoostFeature struct {
	Index     int            `json:"index"`
	Name      string         `json:"name"`     // the model's input column
	XGBName   string         `json:"xgb_name"` // the name in the XGBoost model
	Type      string         `json:"type"`     // "q" or "c"
	Codes     map[string]int `json:"codes,omitempty"`
	OtherCode *int           `json:"other_code,omitempty"`
}

// XGBoostFeatures lists the inputs of an exported model in order, with the
// category-code mapping of the categorical ones: the file written beside
// the XGBoost model.
func (m *Model) XGBoostFeatures() []XGBoostFeature {
	out := make([]XGBoostFeature, len(m.Features))
	for k, f := range m.Features {
		out[k] = XGBoostFeature{Index: k, Name: f.Name, XGBName: xgbName(f.Name), Type: "q"}
		if f.Kind == Categorical {
			out[k].Type = "c"
			out[k].Codes = make(map[string]int, len(f.Levels))
			for c, l := range f.Levels {
				out[k].Codes[l] = c
			}
			other := len(f.Levels)
			out[k].OtherCode = &other
		}
	}
	return out
}

// xgbName replaces the characters XGBoost refuses in feature names.
func xgbName(s string) string {
	return strings.NewReplacer("[", "(", "]", ")", "<", "lt", ",", ";").Replace(s)
}

// WriteXGBoostJSON writes a gbdt model in XGBoost's JSON model format
// (binary:logistic). XGBoost then predicts the model's raw probability
// (before calibration) for rows encoded as XGBoostFeatures says. Splits,
// default directions, categorical sets, leaf values and covers carry over
// exactly: the trees follow XGBoost's decision rules.
func (m *Model) WriteXGBoostJSON(w io.Writer) error {
	ts := m.Trees
	if ts == nil {
		return errors.New("export: only gbdt models export to XGBoost (this is a " + string(m.Type) + " model)")
	}
	nf := strconv.Itoa(len(m.Features))
	trees := make([]xgbTree, len(ts.Trees))
	info := make([]int, len(ts.Trees))
	for k := range ts.Trees {
		trees[k] = xgbTreeOf(&ts.Trees[k], k, nf)
	}
	names, types := make([]string, len(m.Features)), make([]string, len(m.Features))
	for k, f := range m.XGBoostFeatures() {
		names[k], types[k] = f.XGBName, f.Type
	}
	base := float32(Sigmoid(ts.Base))
	doc := map[string]any{
		"version": XGBoostVersion,
		"learner": map[string]any{
			"attributes":    map[string]string{},
			"feature_names": names,
			"feature_types": types,
			"gradient_booster": map[string]any{
				"name": "gbtree",
				"model": map[string]any{
					"gbtree_model_param": map[string]string{"num_parallel_tree": "1", "num_trees": strconv.Itoa(len(trees)), "size_leaf_vector": "0"},
					"tree_info":          info,
					"trees":              trees,
				},
			},
			"learner_model_param": map[string]string{
				"base_score": strconv.FormatFloat(float64(base), 'E', -1, 32), "boost_from_average": "1",
				"num_class": "0", "num_feature": nf, "num_target": "1",
			},
			"objective": map[string]any{"name": "binary:logistic", "reg_loss_param": map[string]string{"scale_pos_weight": "1"}},
		},
	}
	enc := json.NewEncoder(w)
	return enc.Encode(doc)
}

func xgbTreeOf(t *Tree, id int, nf string) xgbTree {
	n := len(t.Left)
	x := xgbTree{ID: id, Categories: []int32{}, CategoriesNodes: []int32{}, CategoriesSegments: []int64{}, CategoriesSizes: []int64{},
		BaseWeights: make(xgbFloats, n), DefaultLeft: make([]int, n), LeftChildren: t.Left, RightChildren: t.Right,
		LossChanges: make(xgbFloats, n), Parents: make([]int32, n), SplitConditions: make(xgbFloats, n),
		SplitIndices: make([]int32, n), SplitType: make([]int, n), SumHessian: make(xgbFloats, n),
		TreeParam: map[string]string{"num_deleted": "0", "num_feature": nf, "num_nodes": strconv.Itoa(n), "size_leaf_vector": "0"}}
	x.Parents[0] = 2147483647 // XGBoost's "no parent"
	for i := range n {
		x.BaseWeights[i] = float32(t.Value[i])
		x.LossChanges[i] = float32(t.Gain[i])
		x.SumHessian[i] = float32(t.Cover[i])
		if t.DefaultLeft[i] {
			x.DefaultLeft[i] = 1
		}
		if t.Left[i] < 0 {
			x.SplitConditions[i] = float32(t.Value[i])
			continue
		}
		x.Parents[t.Left[i]], x.Parents[t.Right[i]] = int32(i), int32(i)
		x.SplitIndices[i] = t.Feature[i]
		x.SplitConditions[i] = t.Threshold[i]
	}
	for k, node := range t.CatNodes {
		x.SplitType[node] = 1
		x.CategoriesNodes = append(x.CategoriesNodes, node)
		x.CategoriesSegments = append(x.CategoriesSegments, int64(len(x.Categories)))
		x.CategoriesSizes = append(x.CategoriesSizes, int64(len(t.CatRight[k])))
		x.Categories = append(x.Categories, t.CatRight[k]...)
	}
	return x
}
