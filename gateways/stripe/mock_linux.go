package stripe

import (
	"os/exec"
	"syscall"
)

// dieWithParent stops stripe-mock when the test binary dies (a timeout's
// panic skips TestMain's cleanup).
func dieWithParent(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
