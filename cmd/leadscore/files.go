package main

import (
	"runtime/debug"
	"strings"
	"time"

	"leadscore/features"
)

// parseColumns turns repeated --col name=column flags into a mapping.
func parseColumns(flags []string) (map[string]string, error) {
	m := map[string]string{}
	for _, f := range flags {
		name, col, ok := strings.Cut(f, "=")
		name, col = strings.TrimSpace(name), strings.TrimSpace(col)
		if !ok || name == "" || col == "" {
			return nil, usageErrorf("--col %q: want name=column, as in --col entity_id=\"Lead Number\"", f)
		}
		m[name] = col
	}
	return m, nil
}

// parseSep reads --sep: a single character, or "tab".
func parseSep(s string) (rune, error) {
	r, err := features.ParseSep(s)
	if err != nil {
		return 0, usageErrorf("--sep: %v", err)
	}
	return r, nil
}

// parseDate reads a date flag in any of the data contract's timestamp
// forms, within the supported range.
func parseDate(flag, s string) (time.Time, error) {
	t, err := features.ParseTime(s)
	if err == nil {
		err = features.CheckTime(t)
	}
	if err != nil {
		return time.Time{}, usageErrorf("--%s: %v", flag, err)
	}
	return t, nil
}

// version is leadscore's release version.
const version = "0.1.0-dev"

// toolVersion is the release version and, when the build recorded it, the
// VCS revision.
func toolVersion() string {
	v := "leadscore " + version
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return v
	}
	for _, s := range bi.Settings {
		if s.Key == "vcs.revision" && len(s.Value) >= 12 {
			v += " " + s.Value[:12]
		}
		if s.Key == "vcs.modified" && s.Value == "true" {
			v += "+dirty"
		}
	}
	return v
}
