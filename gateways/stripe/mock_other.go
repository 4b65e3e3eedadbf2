//go:build !linux

package stripe

import "os/exec"

func dieWithParent(*exec.Cmd) {}

// lockFile does not lock here: installers racing each other each install
// into their own temporary directory and rename the result into place, so
// the only cost is the duplicated work.
func lockFile(string) (unlock func(), err error) { return func() {}, nil }
