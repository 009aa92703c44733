//go:build linux

package backup_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"github.com/creack/pty"
)

// step is one exchange with a program on a terminal: wait for expect in its
// output, then type send. For a secret, wait until the terminal no longer
// echoes first: the prompt is written just before echo is turned off.
type step struct {
	expect, send string
	secret       bool
}

// echoOff reports whether the terminal of the pty master f has echo off.
func echoOff(f *os.File) bool {
	var tios syscall.Termios
	_, _, errno := syscall.Syscall(syscall.SYS_IOCTL, f.Fd(), syscall.TCGETS, uintptr(unsafe.Pointer(&tios)))
	return errno == 0 && tios.Lflag&syscall.ECHO == 0
}

// onTTY runs the real binary on a pseudo-terminal through steps, and returns
// everything it showed and its exit error.
func onTTY(t *testing.T, home string, steps []step, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Env = append(os.Environ(), "CTL_HOME="+home, "TERM=dumb")
	tty, err := pty.Start(cmd)
	if err != nil {
		t.Fatal(err)
	}
	defer tty.Close()
	var mu sync.Mutex
	var out strings.Builder
	output := func() string { mu.Lock(); defer mu.Unlock(); return out.String() }
	go func() {
		buf := make([]byte, 1024)
		for {
			n, err := tty.Read(buf)
			mu.Lock()
			out.Write(buf[:n])
			mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	seen := 0
	for _, s := range steps {
		deadline := time.Now().Add(30 * time.Second)
		for {
			o := output()
			if i := strings.Index(o[seen:], s.expect); i >= 0 && (!s.secret || echoOff(tty)) {
				seen += i + len(s.expect)
				break
			}
			if time.Now().After(deadline) {
				_ = cmd.Process.Kill()
				t.Fatalf("no %q on the terminal; output so far: %q", s.expect, o)
			}
			time.Sleep(10 * time.Millisecond)
		}
		if _, err := tty.Write([]byte(s.send + "\r")); err != nil {
			t.Fatal(err)
		}
	}
	err = cmd.Wait()
	time.Sleep(50 * time.Millisecond) // let the reader drain
	return output(), err
}

// TestPassphraseAndConfirmOnTTY: on a terminal the passphrase is asked
// twice without echo, restore asks it once, then asks for confirmation.
func TestPassphraseAndConfirmOnTTY(t *testing.T) {
	t.Parallel() // scrypt takes a second or two per passphrase
	e := newEnv(t)
	e.seed()
	archive := filepath.Join(t.TempDir(), "enc.tar.gz")
	const pass = "tty-passphrase-9"

	out, err := onTTY(t, e.home, []step{{"Backup passphrase: ", pass, true}, {"Repeat the passphrase: ", "something else", true}},
		"backup", "create", "--encrypt", "--output", archive)
	if err == nil || !strings.Contains(out, "the two passphrases differ") {
		t.Fatalf("differing passphrases: err %v\n%s", err, out)
	}
	if _, statErr := os.Stat(archive); statErr == nil {
		t.Fatal("a backup was written although the passphrases differ")
	}

	out, err = onTTY(t, e.home, []step{{"Backup passphrase: ", pass, true}, {"Repeat the passphrase: ", pass, true}},
		"backup", "create", "--encrypt", "--output", archive)
	if err != nil {
		t.Fatalf("create --encrypt on a TTY: %v\n%s", err, out)
	}
	if strings.Contains(out, pass) {
		t.Errorf("the passphrase was echoed:\n%s", out)
	}

	e.ok("config", "canary", "edit", "--stages-enabled", "false")
	before := e.read("config")
	out, err = onTTY(t, e.home, []step{{"Backup passphrase: ", pass, true}, {"Continue? (y/N) ", "n", false}},
		"backup", "restore", "--backup-path", archive)
	if err == nil || !strings.Contains(out, "restore cancelled; nothing was changed") {
		t.Fatalf("declined restore: err %v\n%s", err, out)
	}
	if string(e.read("config")) != string(before) {
		t.Fatal("a declined restore changed the config")
	}
	out, err = onTTY(t, e.home, []step{{"Backup passphrase: ", pass, true}, {"Continue? (y/N) ", "y", false}},
		"backup", "restore", "--backup-path", archive)
	if err != nil || !strings.Contains(out, "+ Restored") {
		t.Fatalf("confirmed restore: err %v\n%s", err, out)
	}
	if strings.Contains(out, pass) {
		t.Errorf("the passphrase was echoed:\n%s", out)
	}
	if cfg := loadConfig(t, e.home); !cfg.Deployment("default").Canary.StagesEnabled {
		t.Error("the confirmed restore did not restore the config")
	}
}
