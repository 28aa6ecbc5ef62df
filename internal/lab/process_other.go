//go:build !unix

package lab

import (
	"errors"
	"syscall"
)

var errUnsupported = errors.New("lab: needs a unix system (process groups)")

func sysProcAttr() *syscall.SysProcAttr { return nil }

func signalGroup(int, bool) error { return errUnsupported }

func groupAlive(int) bool { return false }
