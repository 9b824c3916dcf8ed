package main

import (
	"runtime/debug"
)

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
