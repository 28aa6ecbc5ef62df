//go:build !unix

package lab

func signalStop(int, bool) error { return errUnsupported }
