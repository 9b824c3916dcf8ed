package pipeline

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"leadscore/features"
)

// Manifest records a run for the scheduler and for audits: manifest.json
// in the run's folder, and OUT/<date>.failed.json for a run that failed.
type Manifest struct {
	AsOf       string `json:"as_of"`
	Status     string `json:"status"`
	ExitCode   int    `json:"exit_code"`
	Error      string `json:"error,omitempty"`
	ConfigHash string `json:"config_hash"`
	ModelID    string `json:"model_id"`
	// ModelTrainedAsOf is the as-of date of the run that trained the
	// model, for a run with a train: section; TrainConfigHash identifies
	// that section (with the spec), so that a later run reuses the model
	// only under the same settings.
	ModelTrainedAsOf string `json:"model_trained_as_of,omitempty"`
	TrainConfigHash  string `json:"train_config_hash,omitempty"`
	// PreviousRun is the earlier run whose call list this one continues
	// (owners kept, changes shown).
	PreviousRun string             `json:"previous_run,omitempty"`
	Inputs      map[string]string  `json:"inputs"`
	Rows        map[string]int     `json:"rows"`
	BadRows     int                `json:"bad_rows"`
	Warnings    []string           `json:"warnings"`
	Seconds     map[string]float64 `json:"seconds"`
	Tool        string             `json:"tool_version"`
}

// warningLog returns a logger that logs to log and also adds each warning
// to the manifest's, as "stage: message (key=value, ...)" ("message ..."
// without a stage), once; a warning whose message is among skip is only
// logged. The run gives it to the stages whose warnings it does not word
// itself (the training stage's, the scoring table's: entities missing,
// rules that award nothing; rfm's), so that a scheduler reading
// manifest.json sees them.
func warningLog(log *slog.Logger, man *Manifest, stage string, skip ...string) *slog.Logger {
	return slog.New(&manifestHandler{Handler: log.Handler(), w: &manifestWarnings{man: man, stage: stage, skip: skip}})
}

type manifestWarnings struct {
	mu    sync.Mutex
	man   *Manifest
	stage string
	skip  []string
}

// manifestHandler passes records on to Handler and adds the warnings, with
// the attributes given to the logger (attrs) and to the record, to the
// manifest.
type manifestHandler struct {
	slog.Handler
	w     *manifestWarnings
	attrs []slog.Attr
}

// Enabled takes every warning, whatever level the log shows: the
// manifest lists them for a run logged quietly too.
func (h *manifestHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= slog.LevelWarn || h.Handler.Enabled(ctx, l)
}

func (h *manifestHandler) Handle(ctx context.Context, r slog.Record) error {
	if r.Level >= slog.LevelWarn && !slices.Contains(h.w.skip, r.Message) {
		var kv []string
		add := func(a slog.Attr) bool {
			kv = append(kv, a.Key+"="+a.Value.String())
			return true
		}
		for _, a := range h.attrs {
			add(a)
		}
		r.Attrs(add)
		msg := r.Message
		if h.w.stage != "" {
			msg = h.w.stage + ": " + msg
		}
		if len(kv) > 0 {
			msg += " (" + strings.Join(kv, ", ") + ")"
		}
		h.w.mu.Lock()
		if !slices.Contains(h.w.man.Warnings, msg) {
			h.w.man.Warnings = append(h.w.man.Warnings, msg)
		}
		h.w.mu.Unlock()
	}
	if !h.Handler.Enabled(ctx, r.Level) {
		return nil
	}
	return h.Handler.Handle(ctx, r)
}

func (h *manifestHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return &manifestHandler{Handler: h.Handler.WithAttrs(attrs), w: h.w, attrs: slices.Concat(h.attrs, attrs)}
}

func (h *manifestHandler) WithGroup(name string) slog.Handler {
	return &manifestHandler{Handler: h.Handler.WithGroup(name), w: h.w, attrs: h.attrs}
}

// write encodes the manifest as indented JSON.
func (m *Manifest) write(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(m)
}

// Fingerprints returns "name size=N sha256=HEX" for each input file by role
// (empty paths are skipped). Each file is read once more, to hash it.
func Fingerprints(inputs map[string]string) (map[string]string, error) {
	out := map[string]string{}
	for role, path := range inputs {
		if path == "" {
			continue
		}
		fp, err := Fingerprint(path)
		if err != nil {
			return nil, err
		}
		out[role] = fp
	}
	return out, nil
}

// inputHashes fingerprints input files on a goroutine of its own, so that
// hashing a file overlaps with reading it for its data.
type inputHashes struct {
	done chan struct{}
	fps  map[string]string
	err  error
}

// hashInputs starts fingerprinting inputs (role → path, as Fingerprints).
func hashInputs(inputs map[string]string) *inputHashes {
	h := &inputHashes{done: make(chan struct{})}
	go func() {
		defer close(h.done)
		h.fps, h.err = Fingerprints(inputs)
	}()
	return h
}

// wait returns the fingerprints once they are read.
func (h *inputHashes) wait() (map[string]string, error) {
	<-h.done
	return h.fps, h.err
}

// Stamp records input fingerprints (leadscore.input.<role>) and the tool
// version in a table's metadata. Names, not paths, are stored, so a rerun
// elsewhere on the same data gives the same bytes.
func Stamp(meta map[string]string, fps map[string]string, tool string) {
	for role, fp := range fps {
		meta[features.MetaInputPrefix+role] = fp
	}
	meta[features.MetaToolVersion] = tool
}

// Fingerprint returns "name size=N sha256=HEX" for a file, and for a
// pattern of sharded files "pattern files=N sha256=HEX" over theirs.
func Fingerprint(path string) (string, error) {
	if paths, err := features.ShardFiles(path); err != nil {
		return "", err
	} else if len(paths) > 1 || paths[0] != path {
		// A pattern of sharded files: the hash of its files' fingerprints.
		h := sha256.New()
		for _, p := range paths {
			fp, err := Fingerprint(p)
			if err != nil {
				return "", err
			}
			fmt.Fprintln(h, fp)
		}
		return fmt.Sprintf("%s files=%d sha256=%x", filepath.Base(path), len(paths), h.Sum(nil)), nil
	}
	f, err := features.OpenInput(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return "", fmt.Errorf("fingerprint %s: %w", path, err)
	}
	return fileFingerprint(path, n, h.Sum(nil)), nil
}

func fileFingerprint(path string, size int64, sum []byte) string {
	return fmt.Sprintf("%s size=%d sha256=%x", filepath.Base(path), size, sum)
}

// digestFingerprint is Fingerprint(path) from the digest taken while the
// file was read, or from the file when the reading did not see it whole.
func digestFingerprint(path string, d *features.Digest) (string, error) {
	if n, sum, ok := d.Sum(); ok {
		return fileFingerprint(path, n, sum), nil
	}
	return Fingerprint(path)
}
