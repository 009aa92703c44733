//go:build !linux

package testinfra

import "syscall"

func sysProcAttr() *syscall.SysProcAttr { return nil }

func xattrsSupported(string) bool { return false }
