//go:build !unix

package pipeline

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// lockFolder takes the out folder's lock by creating OUT/.lock exclusively
// (where flock is not available): a killed run leaves it behind, and the
// next run then reports it as held until it is removed by hand.
func lockFolder(ctx context.Context, out string, wait bool) (unlock func(), err error) {
	path := filepath.Join(out, lockName)
	for {
		f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o644)
		if err == nil {
			fmt.Fprintf(f, "%d %s\n", os.Getpid(), time.Now().UTC().Format(time.RFC3339))
			f.Close()
			return func() { os.Remove(path) }, nil
		}
		if !errors.Is(err, os.ErrExist) {
			return nil, err
		}
		if !wait {
			pid, since := readHolder(path)
			return nil, &LockedError{Path: out, PID: pid, Since: since}
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}
