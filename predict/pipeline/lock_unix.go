//go:build unix

package pipeline

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"time"
)

// lockFolder takes the out folder's lock (an flock on OUT/.lock, released
// by the kernel if the process dies) and records the holder's pid and
// start in it. When another process holds it, it returns a *LockedError,
// or with wait polls until the lock is free or ctx ends.
func lockFolder(ctx context.Context, out string, wait bool) (unlock func(), err error) {
	path := filepath.Join(out, lockName)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, err
	}
	for {
		err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			break
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) {
			f.Close()
			return nil, fmt.Errorf("lock %s: %w", path, err)
		}
		if !wait {
			pid, since := readHolder(path)
			f.Close()
			return nil, &LockedError{Path: out, PID: pid, Since: since}
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
	// The holder's record is information for the next run's message; the
	// lock itself is the flock.
	f.Truncate(0)
	fmt.Fprintf(f, "%d %s\n", os.Getpid(), time.Now().UTC().Format(time.RFC3339))
	return func() {
		syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	}, nil
}
