package stripetest

import (
	"os/exec"
	"syscall"
)

// dieWithParent has the kernel kill stripe-mock if the test process dies
// before its cleanup runs.
func dieWithParent(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
