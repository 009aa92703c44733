package backup_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/ctlproject/ctl/backup"
	"github.com/ctlproject/ctl/halconfig"
)

const passphrase = "correct horse battery staple"

func loadConfig(t *testing.T, home string) *halconfig.Halconfig {
	t.Helper()
	loaded, err := halconfig.NewStore(home, "").Load()
	if err != nil {
		t.Fatal(err)
	}
	return loaded.Config
}

// entryNames lists an archive's entries in order.
func entryNames(t *testing.T, path string) []string {
	t.Helper()
	var names []string
	for _, e := range readTarGz(t, path) {
		names = append(names, e.hdr.Name)
	}
	return names
}

func assertMode(t *testing.T, path string, want os.FileMode) {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := fi.Mode().Perm(); got != want {
		t.Errorf("%s has mode %v, want %v", path, got, want)
	}
}

// TestCreateLayout: what a default backup holds, what it never holds, and
// that it holds no secret.
func TestCreateLayout(t *testing.T) {
	e := newEnv(t)
	s := e.seed()
	path := e.createBackup()
	if dir := filepath.Dir(path); dir != e.path("backups") {
		t.Errorf("backup written to %s, want %s", dir, e.path("backups"))
	}
	if base := filepath.Base(path); !strings.HasPrefix(base, "ctl-backup-") || len(base) != len("ctl-backup-20060102T150405Z.tar.gz") {
		t.Errorf("backup name %s, want ctl-backup-YYYYMMDDTHHMMSSZ.tar.gz", base)
	}
	assertMode(t, path, 0o600)
	assertMode(t, e.path("backups"), 0o700)
	want := []string{"manifest.json", "config", "default/profiles/kayenta-local.yml", "default/service-settings/kayenta.yml", "staging/profiles/sub/deep.yml"}
	if got := entryNames(t, path); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("entries %v, want %v", got, want)
	}
	for _, en := range readTarGz(t, path) {
		if en.hdr.Mode != 0o600 {
			t.Errorf("entry %s has mode %o, want 0600", en.hdr.Name, en.hdr.Mode)
		}
	}
	plain := plainBytes(t, path)
	for _, secret := range e.secrets {
		if bytes.Contains(plain, []byte(secret)) {
			t.Errorf("the default backup holds the secret %q", secret)
		}
	}
	m := getManifest(t, readTarGz(t, path))
	if m.FormatVersion != backup.FormatVersion || m.ConfigSchema != halconfig.APIVersion || m.CtlVersion != "v0.0.0-test" || m.Created.IsZero() || m.Created.Location().String() != "UTC" {
		t.Errorf("manifest header %+v", m)
	}
	var left []string
	for _, r := range m.LeftOut {
		left = append(left, fmt.Sprintf("%s/%s/%s/%s/%s/%s", r.Deployment, r.Provider, r.Account, r.Field, r.Kind, r.Path))
	}
	wantLeft := []string{
		"default///deploymentEnvironment.kubeconfigFile/file/" + s.kubeconfig,
		"default/prometheus/my-prom/password/secret/",
		"default/prometheus/my-prom/usernamePasswordFile/file/" + s.promFile,
		"default/aws/my-s3/secretAccessKey/secret/",
	}
	if strings.Join(left, "\n") != strings.Join(wantLeft, "\n") {
		t.Errorf("leftOut:\n%s\nwant:\n%s", strings.Join(left, "\n"), strings.Join(wantLeft, "\n"))
	}
	// A second backup in the same second gets its own name; the first one is
	// never in the second (backups/ is not archived).
	again := e.createBackup()
	if again == path {
		t.Fatalf("second backup overwrote the first: %s", again)
	}
	for _, n := range entryNames(t, again) {
		if strings.HasPrefix(n, "backups/") {
			t.Errorf("backup holds an earlier backup: %s", n)
		}
	}
}

// TestRoundTripKeepsCurrentSecrets: create (no secrets), change the config
// and profiles, restore: the config is byte-identical to the original,
// secrets included (kept from the current config), and history/ is untouched.
func TestRoundTripKeepsCurrentSecrets(t *testing.T) {
	e := newEnv(t)
	e.seed()
	original := e.read("config")
	origTree := treeHash(t, e.home)
	path := e.createBackup()

	e.ok("config", "canary", "edit", "--stages-enabled", "false")
	e.ok("config", "canary", "prometheus", "account", "add", "other", "--base-url", "http://other:9090")
	e.ok("config", "--set-current-deployment", "extra")
	e.write("extra: profile\n", "extra", "profiles", "kayenta.yml")
	e.ok("config", "--set-current-deployment", "default")
	e.write("changed\n", "default", "profiles", "kayenta-local.yml")
	e.write("new\n", "default", "profiles", "added.yml")
	if err := os.Remove(e.path("default", "service-settings", "kayenta.yml")); err != nil {
		t.Fatal(err)
	}
	e.write("applied: v2\n", "default", "history", "kayenta.yml")

	r := e.ok("backup", "restore", "--backup-path", path, "--yes")
	if got := e.read("config"); !bytes.Equal(got, original) {
		t.Errorf("restored config differs from the original\n--- original\n%s\n--- restored\n%s", original, got)
	}
	for _, w := range []string{"Kept the current value of 4 secret(s)", "aws account my-s3 secretAccessKey (deployment default)"} {
		if !strings.Contains(r.err, w) {
			t.Errorf("restore stderr lacks %q:\n%s", w, r.err)
		}
	}
	if strings.Contains(r.err, "not in the backup and have no current value") {
		t.Errorf("restore reports missing secrets although all are kept:\n%s", r.err)
	}
	for _, w := range []string{"+ Restored " + path, "Saved the state before the restore to ", "-pre-restore.tar.gz", "ctl backup restore --backup-path", "Removed the profiles/ and service-settings/ of deployment(s) extra"} {
		if !strings.Contains(r.out, w) {
			t.Errorf("restore stdout lacks %q:\n%s", w, r.out)
		}
	}
	// profiles and service-settings are the backup's; the logs, caches and
	// temp files that the backup never holds went with the old folders.
	now := treeHash(t, e.home)
	for _, rel := range []string{"default/profiles/kayenta-local.yml", "default/service-settings/kayenta.yml", "staging/profiles/sub/deep.yml"} {
		if now[rel] != origTree[rel] {
			t.Errorf("%s: %q, want %q", rel, now[rel], origTree[rel])
		}
	}
	for _, rel := range []string{"default/profiles/added.yml", "extra/profiles/kayenta.yml", "default/profiles/kayenta.log"} {
		if _, ok := now[rel]; ok {
			t.Errorf("%s survived the restore", rel)
		}
	}
	if got := string(e.read("default", "history", "kayenta.yml")); got != "applied: v2\n" {
		t.Errorf("history/ was touched: %q", got)
	}
	for rel := range now {
		if strings.HasPrefix(rel, ".restore") {
			t.Errorf("restore left %s behind", rel)
		}
	}

	// The pre-restore backup undoes the restore: it holds the changed
	// config, secrets included, mode 0600.
	pre := preRestorePath(r.out)
	assertMode(t, pre, 0o600)
	m := getManifest(t, readTarGz(t, pre))
	if m.Reason != backup.ReasonPreRestore || m.Secrets != backup.SecretsIncluded || len(m.Included) != 4 {
		t.Errorf("pre-restore manifest: reason %q secrets %q included %d", m.Reason, m.Secrets, len(m.Included))
	}
	e.ok("backup", "restore", "--backup-path", pre, "--yes")
	cfg := loadConfig(t, e.home)
	if d := cfg.Deployment("default"); d.Canary.StagesEnabled || d.Canary.Integration("prometheus").Account("other") == nil {
		t.Error("restoring the pre-restore backup did not bring the changed config back")
	}
	if cfg.Deployment("extra") == nil || string(e.read("extra", "profiles", "kayenta.yml")) != "extra: profile\n" {
		t.Error("restoring the pre-restore backup did not bring deployment extra back")
	}
	if v, _ := cfg.GetField(halconfig.FieldRef{Deployment: "default", Provider: "aws", Account: "my-s3", Field: "secretAccessKey"}); v != awsSecret {
		t.Error("restoring the pre-restore backup lost the aws secret")
	}
}

// sameConfig compares two configs: secrets must be equal, local files must
// have the same content (the restored ones live in required-files/).
func sameConfig(t *testing.T, home string, want, got *halconfig.Halconfig) {
	t.Helper()
	want, got = want.Clone(), got.Clone()
	wantFields, gotFields := want.SensitiveFields(), got.SensitiveFields()
	if len(wantFields) != len(gotFields) {
		t.Fatalf("%d secret fields restored, want %d", len(gotFields), len(wantFields))
	}
	for i, wf := range wantFields {
		gf := gotFields[i]
		if gf.FieldRef != wf.FieldRef {
			t.Fatalf("field %d is %s, want %s", i, gf.FieldRef, wf.FieldRef)
		}
		if !wf.Desc.LocalFile {
			if gf.Value != wf.Value {
				t.Errorf("%s was not restored", wf.FieldRef)
			}
			continue
		}
		if !strings.HasPrefix(gf.Value, filepath.Join(home, "required-files")+"/") {
			t.Errorf("%s points at %s, want a file in $CTL_HOME/required-files", gf.FieldRef, gf.Value)
		}
		assertMode(t, gf.Value, 0o600)
		if a, b := mustRead(t, wf.Value), mustRead(t, gf.Value); !bytes.Equal(a, b) {
			t.Errorf("%s: restored file differs from the original", wf.FieldRef)
		}
		want.SetField(wf.FieldRef, "")
		got.SetField(gf.FieldRef, "")
	}
	a, _ := halconfig.Marshal(want)
	b, _ := halconfig.Marshal(got)
	if !bytes.Equal(a, b) {
		t.Errorf("restored config differs\n--- want\n%s\n--- got\n%s", a, b)
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestRoundTripEncrypted: --encrypt keeps every secret and credential file
// in secrets.age; a restore brings them back although the current config
// lost them and the files are gone.
func TestRoundTripEncrypted(t *testing.T) {
	t.Parallel() // scrypt takes a second or two per passphrase
	e := newEnv(t)
	s := e.seed()
	e.vars[cmdPassphraseEnv] = passphrase
	original := loadConfig(t, e.home)
	path := e.createBackup("--encrypt")
	if got := entryNames(t, path); got[len(got)-1] != "secrets.age" {
		t.Errorf("entries %v, want secrets.age last", got)
	}
	plain := plainBytes(t, path)
	for _, secret := range e.secrets {
		if bytes.Contains(plain, []byte(secret)) {
			t.Errorf("the encrypted backup holds the secret %q in clear", secret)
		}
	}
	// Keep copies of the files to compare with, then lose them.
	keep := t.TempDir()
	for _, p := range []string{s.promFile, s.kubeconfig} {
		if err := os.WriteFile(filepath.Join(keep, filepath.Base(p)), mustRead(t, p), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	e.ok("config", "canary", "edit", "--default-storage-account", "", "--no-validate")
	e.ok("config", "canary", "aws", "account", "delete", "my-s3", "--no-validate")
	e.ok("config", "canary", "prometheus", "account", "edit", "my-prom", "--password", "changed-password")
	if err := os.Remove(s.promFile); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(s.kubeconfig); err != nil {
		t.Fatal(err)
	}

	e.ok("backup", "restore", "--backup-path", path, "--yes")
	// Point the original at the kept copies for the comparison.
	for _, sf := range original.SensitiveFields() {
		if sf.Desc.LocalFile {
			original.SetField(sf.FieldRef, filepath.Join(keep, filepath.Base(sf.Value)))
		}
	}
	sameConfig(t, e.home, original, loadConfig(t, e.home))

	// verify decrypts with the passphrase from the environment.
	r := e.ok("backup", "verify", path)
	for _, w := range []string{"Secrets:", "encrypted (4)", "Result:", "OK"} {
		if !strings.Contains(r.out, w) {
			t.Errorf("verify output lacks %q:\n%s", w, r.out)
		}
	}
}

// TestRoundTripIncludeSecrets: plain-text secrets come with a loud warning,
// and restore into an empty home brings every secret and file back.
func TestRoundTripIncludeSecrets(t *testing.T) {
	e := newEnv(t)
	e.seed()
	original := loadConfig(t, e.home)
	r := e.ok("backup", "create", "--include-secrets", "--output", filepath.Join(t.TempDir(), "plain.tar.gz"))
	path := strings.TrimSpace(r.out)
	for _, w := range []string{"WARNING:", "PLAIN TEXT", "4 secret(s)", "--encrypt"} {
		if !strings.Contains(r.err, w) {
			t.Errorf("--include-secrets stderr lacks %q:\n%s", w, r.err)
		}
	}
	assertMode(t, path, 0o600)
	var files []string
	for _, n := range entryNames(t, path) {
		if strings.HasPrefix(n, "required-files/") {
			files = append(files, n)
		}
	}
	named := regexp.MustCompile(`^required-files/[0-9a-f]{16}-(kubeconfig|prom-creds\.txt)$`)
	if len(files) != 2 || !named.MatchString(files[0]) || !named.MatchString(files[1]) || files[0][32:] == files[1][32:] {
		t.Errorf("required files %v, want required-files/<sha256 prefix>-kubeconfig and -prom-creds.txt", files)
	}
	// The archived config points at the copies, relative to the archive.
	var cfg []byte
	for _, en := range readTarGz(t, path) {
		if en.hdr.Name == "config" {
			cfg = en.data
		}
	}
	if !bytes.Contains(cfg, []byte("usernamePasswordFile: required-files/")) || !bytes.Contains(cfg, []byte("kubeconfigFile: required-files/")) {
		t.Errorf("archived config does not point into required-files/:\n%s", cfg)
	}

	fresh := newEnv(t)
	fresh.secrets = e.secrets
	fresh.ok("backup", "restore", "--backup-path", path, "--yes")
	sameConfig(t, fresh.home, original, loadConfig(t, fresh.home))
	assertMode(t, fresh.path("required-files"), 0o700)
}

// TestMissingSecretsReported: restoring a backup without secrets into an
// empty home lists each missing secret with the exact command that sets it.
func TestMissingSecretsReported(t *testing.T) {
	e := newEnv(t)
	s := e.seed()
	path := e.createBackup()
	fresh := newEnv(t)
	fresh.secrets = e.secrets
	r := fresh.ok("backup", "restore", "--backup-path", path, "--yes")
	want := []string{
		"! 4 secret(s) are not in the backup and have no current value; set each with:",
		"    ctl config deploy edit --kubeconfig " + s.kubeconfig + " --deployment default",
		"    ctl config canary prometheus account edit my-prom --password --deployment default",
		"    ctl config canary prometheus account edit my-prom --username-password-file '" + s.promFile + "' --deployment default",
		"    ctl config canary aws account edit my-s3 --secret-access-key --deployment default",
	}
	for _, w := range want {
		if !strings.Contains(r.err, w+"\n") {
			t.Errorf("restore stderr lacks %q:\n%s", w, r.err)
		}
	}
	if strings.Contains(r.out, "Saved the state before the restore") {
		t.Errorf("an empty home has no state to save, but restore says it saved one:\n%s", r.out)
	}
	// The command given works: stdin gives the prompted secret.
	if r := fresh.run(awsSecret+"\n", "config", "canary", "aws", "account", "edit", "my-s3", "--secret-access-key", "--deployment", "default"); r.code != 0 {
		t.Fatalf("the reported command failed: %s", r.err)
	}
	cfg := loadConfig(t, fresh.home)
	if v, _ := cfg.GetField(halconfig.FieldRef{Deployment: "default", Provider: "aws", Account: "my-s3", Field: "secretAccessKey"}); v != awsSecret {
		t.Errorf("secretAccessKey after the reported command = %q", v)
	}
}

// TestWrongPassphrase: a wrong passphrase is a clear error and changes nothing.
func TestWrongPassphrase(t *testing.T) {
	t.Parallel() // scrypt takes a second or two per passphrase
	e := newEnv(t)
	e.seed()
	e.vars[cmdPassphraseEnv] = passphrase
	path := e.createBackup("--encrypt")
	e.ok("config", "canary", "edit", "--stages-enabled", "false")
	before := treeHash(t, e.home)
	e.vars[cmdPassphraseEnv] = "not the passphrase"
	e.fails(1, []string{"wrong passphrase", "nothing was changed", cmdPassphraseEnv}, "backup", "restore", "--backup-path", path, "--yes")
	e.fails(1, []string{"wrong passphrase"}, "backup", "verify", path)
	// Without the variable, the passphrase is read from standard input.
	delete(e.vars, cmdPassphraseEnv)
	if r := e.run("also wrong\n", "backup", "restore", "--backup-path", path, "--yes"); r.code != 1 || !strings.Contains(r.err, "wrong passphrase") {
		t.Errorf("wrong passphrase on stdin: exit %d\n%s", r.code, r.err)
	}
	assertUnchanged(t, e.home, before, "a refused restore")
	if r := e.run(passphrase+"\n", "backup", "restore", "--backup-path", path, "--yes"); r.code != 0 {
		t.Errorf("right passphrase on stdin: exit %d\n%s", r.code, r.err)
	}
}

// TestHostileArchives: every unsafe or inconsistent archive is refused with
// an error naming the entry, and $CTL_HOME stays byte-identical.
func TestHostileArchives(t *testing.T) {
	e := newEnv(t)
	e.seed()
	good := e.createBackup()
	base := readTarGz(t, good)
	e.ok("config", "canary", "edit", "--templates-enabled", "false") // current != backup
	before := treeHash(t, e.home)

	clone := func() []tarEntry {
		out := make([]tarEntry, len(base))
		for i, en := range base {
			out[i] = tarEntry{hdr: en.hdr, data: bytes.Clone(en.data)}
		}
		return out
	}
	special := func(name string, typ byte, link string) tarEntry {
		return tarEntry{hdr: tar.Header{Typeflag: typ, Name: name, Linkname: link, Mode: 0o600, Devmajor: 1, Devminor: 3}}
	}
	cases := []struct {
		name  string
		build func() []tarEntry
		want  []string
	}{
		{"traversal", func() []tarEntry { return append(clone(), regular("../x", []byte("evil"))) },
			[]string{`entry "../x"`, "escapes the archive"}},
		{"nested traversal", func() []tarEntry {
			return append(clone(), regular("default/profiles/../../../x", []byte("evil")))
		}, []string{`entry "default/profiles/../../../x"`, "escapes the archive"}},
		{"absolute path", func() []tarEntry { return append(clone(), regular("/tmp/ctl-evil", []byte("evil"))) },
			[]string{`entry "/tmp/ctl-evil"`, "absolute path"}},
		{"symlink escaping", func() []tarEntry {
			return append(clone(), special("default/profiles/evil", tar.TypeSymlink, "../../../../etc/passwd"))
		}, []string{`entry "default/profiles/evil"`, "symbolic link", "../../../../etc/passwd"}},
		{"hard link", func() []tarEntry { return append(clone(), special("default/profiles/hl", tar.TypeLink, "/etc/shadow")) },
			[]string{`entry "default/profiles/hl"`, "hard link"}},
		{"char device", func() []tarEntry { return append(clone(), special("default/profiles/null", tar.TypeChar, "")) },
			[]string{`entry "default/profiles/null"`, "character device"}},
		{"block device", func() []tarEntry { return append(clone(), special("default/profiles/sda", tar.TypeBlock, "")) },
			[]string{`entry "default/profiles/sda"`, "block device"}},
		{"fifo", func() []tarEntry { return append(clone(), special("default/profiles/pipe", tar.TypeFifo, "")) },
			[]string{`entry "default/profiles/pipe"`, "FIFO"}},
		{"folder entry", func() []tarEntry { return append(clone(), special("default/profiles/dir/", tar.TypeDir, "")) },
			[]string{`entry "default/profiles/dir/"`, "folder"}},
		{"oversize file", func() []tarEntry {
			return append(clone(), regular("default/profiles/big.yml", make([]byte, backup.MaxFileSize+1)))
		}, []string{`entry "default/profiles/big.yml"`, "16 MiB"}},
		{"manifest claims over 256 MiB", func() []tarEntry {
			es := clone()
			m := getManifest(t, es)
			for i := range 17 {
				m.Files = append(m.Files, backup.File{Name: fmt.Sprintf("default/profiles/f%02d", i), Size: backup.MaxFileSize, SHA256: strings.Repeat("0", 64)})
			}
			putManifest(t, es, m)
			return es
		}, []string{`entry "manifest.json"`, "more than the 268435456"}},
		{"too many entries", func() []tarEntry {
			es := clone()
			for i := range backup.MaxEntries {
				es = append(es, regular(fmt.Sprintf("default/profiles/many/%05d", i), []byte("x")))
			}
			relist(t, es)
			return es
		}, []string{`entry "manifest.json"`, "more than the 10000"}},
		{"entry missing from manifest", func() []tarEntry {
			return append(clone(), regular("default/profiles/extra.yml", []byte("x: 1\n")))
		}, []string{`entry "default/profiles/extra.yml"`, "not listed in manifest.json"}},
		{"listed entry missing", func() []tarEntry {
			es := clone()
			return append(es[:2], es[3:]...) // drops an entry the manifest lists
		}, []string{`entry "` + base[2].hdr.Name + `"`, "missing from the archive"}},
		{"checksum mismatch", func() []tarEntry {
			es := clone()
			es[1].data = bytes.Replace(es[1].data, []byte("enabled: true"), []byte("enabled: fals"), 1)
			return es
		}, []string{`entry "config"`, "sha256", "altered"}},
		{"size mismatch", func() []tarEntry {
			es := clone()
			es[2].data = append(es[2].data, '\n')
			return es
		}, []string{`entry "` + base[2].hdr.Name + `"`, "manifest.json says"}},
		{"duplicate entry", func() []tarEntry {
			es := clone()
			return append(es, es[1])
		}, []string{`entry "config"`, "appears twice"}},
		{"manifest not first", func() []tarEntry {
			es := clone()
			es[0], es[1] = es[1], es[0]
			return es
		}, []string{`entry "config"`, "manifest.json must be the first entry"}},
		{"manifest twice", func() []tarEntry {
			es := clone()
			return append(es, es[0])
		}, []string{`entry "manifest.json"`, "appears again"}},
		{"manifest not JSON", func() []tarEntry {
			es := clone()
			es[0].data = []byte("formatVersion: 1\n")
			return es
		}, []string{`entry "manifest.json"`, "not valid JSON"}},
		{"unknown format version", func() []tarEntry {
			es := clone()
			m := getManifest(t, es)
			m.FormatVersion = 2
			putManifest(t, es, m)
			return es
		}, []string{`entry "manifest.json"`, "format version 2 is newer", "upgrade ctl"}},
		{"newer schema", func() []tarEntry {
			es := clone()
			es[1].data = bytes.Replace(es[1].data, []byte("apiVersion: ctl/v1\n"), []byte("apiVersion: ctl/v2\n"), 1)
			relist(t, es)
			m := getManifest(t, es)
			m.ConfigSchema = "ctl/v2"
			putManifest(t, es, m)
			return es
		}, []string{`entry "config"`, `"ctl/v2"`, "upgrade ctl"}},
		{"schema differs from manifest", func() []tarEntry {
			es := clone()
			m := getManifest(t, es)
			m.ConfigSchema = "ctl/v1alpha1"
			putManifest(t, es, m)
			return es
		}, []string{`entry "config"`, "manifest.json says ctl/v1alpha1"}},
		{"outside the layout", func() []tarEntry {
			es := append(clone(), regular(".restore-journal.json", []byte("{}")))
			relist(t, es)
			return es
		}, []string{`".restore-journal.json"`, "not part of a ctl backup"}},
		{"history is never restored", func() []tarEntry {
			es := append(clone(), regular("default/history/kayenta.yml", []byte("applied: forged\n")))
			relist(t, es)
			return es
		}, []string{`"default/history/kayenta.yml"`, "not part of a ctl backup"}},
		{"unknown deployment", func() []tarEntry {
			es := append(clone(), regular("ghost/profiles/x.yml", []byte("x: 1\n")))
			relist(t, es)
			return es
		}, []string{`entry "ghost/profiles/x.yml"`, `deployment "ghost"`}},
		{"config does not parse", func() []tarEntry {
			es := clone()
			es[1].data = append(es[1].data, []byte("bogus: field\n")...)
			relist(t, es)
			return es
		}, []string{`entry "config"`, `unknown field "bogus"`}},
		{"secrets.age not listed as encrypted", func() []tarEntry {
			es := append(clone(), regular("secrets.age", []byte("age-encryption.org/v1\n")))
			relist(t, es)
			return es
		}, []string{`entry "manifest.json"`, "secrets.age is there"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "hostile.tar.gz")
			writeTarGz(t, path, tc.build())
			e.t = t
			e.fails(1, tc.want, "backup", "restore", "--backup-path", path, "--yes")
			e.fails(1, tc.want, "backup", "verify", path)
			assertUnchanged(t, e.home, before, "a refused restore")
		})
	}
	e.t = t
	// The untouched archive still restores.
	e.ok("backup", "restore", "--backup-path", good, "--yes")
}

// TestTruncatedAndCorrupted: an archive cut short or with any byte flipped
// is refused, and nothing changes.
func TestTruncatedAndCorrupted(t *testing.T) {
	e := newEnv(t)
	e.seed()
	good := e.createBackup()
	data := mustRead(t, good)
	before := treeHash(t, e.home)
	dir := t.TempDir()
	plainGood := plainBytes(t, good)
	// check: the archive b is refused, or (deflate has a few bits that change
	// nothing) it decodes to exactly the original bytes.
	check := func(name string, b []byte, restore bool) {
		t.Helper()
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, b, 0o600); err != nil {
			t.Fatal(err)
		}
		r := e.run("", "backup", "verify", path)
		if r.code == 0 {
			if gz, err := gzip.NewReader(bytes.NewReader(b)); err == nil {
				if same, err := io.ReadAll(gz); err == nil && bytes.Equal(same, plainGood) {
					return // the flip hit a bit deflate does not use
				}
			}
		}
		if r.code != 1 || !strings.Contains(r.err, path) {
			t.Errorf("%s: verify exit %d, want 1 naming the file\n%s", name, r.code, r.err)
		}
		if restore {
			if r := e.run("", "backup", "restore", "--backup-path", path, "--yes"); r.code != 1 {
				t.Errorf("%s: restore exit %d, want 1\n%s", name, r.code, r.err)
			}
		}
	}
	for _, n := range []int{0, 5, 20, len(data) / 3, len(data) / 2, len(data) - 8, len(data) - 1} {
		check(fmt.Sprintf("cut-%d.tar.gz", n), data[:n], true)
	}
	r := e.run("", "backup", "verify", filepath.Join(dir, fmt.Sprintf("cut-%d.tar.gz", len(data)/2)))
	if !strings.Contains(r.err, "truncated or corrupt") {
		t.Errorf("a truncated archive is not reported as such:\n%s", r.err)
	}
	// Flip every byte after gzip's 10-byte header (whose MTIME and OS bytes
	// are not checked by design): the CRC-32, the trailer and the
	// manifest's sha256s catch every change to the content.
	for i := 10; i < len(data); i++ {
		b := bytes.Clone(data)
		b[i] ^= 0x55
		check(fmt.Sprintf("flip-%d.tar.gz", i), b, i%97 == 0)
	}
	assertUnchanged(t, e.home, before, "refused restores")
}

// TestOlderSchemaMigrated: a backup whose config is ctl/v1alpha1
// (serviceIntegrations keyed by provider) restores migrated to ctl/v1.
func TestOlderSchemaMigrated(t *testing.T) {
	old := mustRead(t, filepath.Join("..", "..", "halconfig", "testdata", "good", "seed-v1alpha1.yaml"))
	want := mustRead(t, filepath.Join("..", "..", "halconfig", "testdata", "good", "seed.yaml"))
	m := backup.Manifest{FormatVersion: 1, ConfigSchema: "ctl/v1alpha1", CtlVersion: "v0.1.0", Secrets: backup.SecretsIncluded, LeftOut: []backup.SecretRef{}}
	es := []tarEntry{regular("manifest.json", nil), regular("config", old), regular("default/profiles/kayenta-local.yml", []byte("k: v\n"))}
	putManifest(t, es, &m)
	relist(t, es)
	path := filepath.Join(t.TempDir(), "v1alpha1.tar.gz")
	writeTarGz(t, path, es)

	e := newEnv(t)
	r := e.ok("backup", "verify", path)
	if !strings.Contains(r.out, "ctl/v1alpha1 (migrated to ctl/v1 on restore)") {
		t.Errorf("verify does not say the schema is migrated:\n%s", r.out)
	}
	r = e.ok("backup", "restore", "--backup-path", path, "--yes")
	if !strings.Contains(r.out, "migrated from schema ctl/v1alpha1 to ctl/v1") {
		t.Errorf("restore does not say it migrated:\n%s", r.out)
	}
	if got := e.read("config"); !bytes.Equal(got, want) {
		t.Errorf("restored config is not the migrated seed\n--- want\n%s\n--- got\n%s", want, got)
	}
	if got := string(e.read("default", "profiles", "kayenta-local.yml")); got != "k: v\n" {
		t.Errorf("profile = %q", got)
	}
}

// TestRestoreValidation: a backup whose config fails validation is refused
// with its problems unless --no-validate.
func TestRestoreValidation(t *testing.T) {
	e := newEnv(t)
	e.ok("config", "canary", "edit", "--default-metrics-account", "nope", "--no-validate")
	path := e.createBackup()
	fresh := newEnv(t)
	before := treeHash(t, fresh.home)
	fresh.fails(1, []string{`! ERROR default.canary.defaultMetricsAccount: Account "nope" does not exist.`, "--no-validate", "nothing was changed"},
		"backup", "restore", "--backup-path", path, "--yes")
	fresh.fails(1, []string{"ERROR"}, "backup", "verify", path)
	assertUnchanged(t, fresh.home, before, "a refused restore")
	fresh.ok("backup", "restore", "--backup-path", path, "--yes", "--no-validate")
	if cfg := loadConfig(t, fresh.home); cfg.Deployment("default").Canary.DefaultMetricsAccount != "nope" {
		t.Error("--no-validate did not restore the config")
	}
}

// TestUsageErrors: flags that cannot go together, a missing --backup-path,
// and a restore without a terminal to confirm on.
func TestUsageErrors(t *testing.T) {
	e := newEnv(t)
	e.seed()
	path := e.createBackup()
	before := treeHash(t, e.home)
	e.fails(2, []string{"--include-secrets and --encrypt cannot be used together"}, "backup", "create", "--include-secrets", "--encrypt")
	e.fails(2, []string{"--backup-path"}, "backup", "restore")
	e.fails(2, []string{"pass --yes", "nothing was changed"}, "backup", "restore", "--backup-path", path)
	e.fails(2, []string{"exactly one FILE"}, "backup", "verify")
	e.fails(1, []string{"no such file"}, "backup", "restore", "--backup-path", filepath.Join(e.home, "nope.tar.gz"), "--yes")
	assertUnchanged(t, e.home, before, "refused commands")
	out := filepath.Join(t.TempDir(), "b.tar.gz")
	e.createBackup("--output", out)
	e.fails(1, []string{out, "already exists"}, "backup", "create", "--output", out)
	help := e.ok("backup", "create", "--help").out
	for _, w := range []string{cmdPassphraseEnv, "history/", "--encrypt", "--include-secrets"} {
		if !strings.Contains(help, w) {
			t.Errorf("create --help lacks %q", w)
		}
	}
	help = e.ok("backup", "restore", "--help").out
	for _, w := range []string{cmdPassphraseEnv, "history/", "pre-restore", "--yes"} {
		if !strings.Contains(help, w) {
			t.Errorf("restore --help lacks %q", w)
		}
	}
}

// TestListAndVerify: list shows every backup with its manifest summary, an
// unreadable one with its error; verify prints the summary.
func TestListAndVerify(t *testing.T) {
	t.Parallel() // scrypt takes a second or two per passphrase
	e := newEnv(t)
	r := e.ok("backup", "list")
	if !strings.Contains(r.out, "No backups in "+e.path("backups")) {
		t.Errorf("empty list: %q", r.out)
	}
	e.seed()
	e.vars[cmdPassphraseEnv] = passphrase
	plain := e.createBackup()
	enc := e.createBackup("--encrypt")
	e.write("not a backup", "backups", "junk.tar.gz")

	var list []backup.Summary
	if err := json.Unmarshal([]byte(e.ok("backup", "list", "-o", "json").out), &list); err != nil {
		t.Fatal(err)
	}
	if len(list) != 3 {
		t.Fatalf("list has %d backups, want 3: %+v", len(list), list)
	}
	byPath := map[string]backup.Summary{}
	for _, s := range list {
		byPath[s.Path] = s
	}
	if s := byPath[plain]; s.Secrets != "left out (4)" || s.LeftOut != 4 || s.Files != 4 || s.CtlVersion != "v0.0.0-test" || s.ConfigSchema != "ctl/v1" || s.Size == 0 {
		t.Errorf("plain backup summary %+v", s)
	}
	if s := byPath[enc]; s.Secrets != "encrypted (4)" || s.Encrypted != 4 || s.Files != 5 {
		t.Errorf("encrypted backup summary %+v", s)
	}
	if s := byPath[e.path("backups", "junk.tar.gz")]; s.Error == "" {
		t.Errorf("junk backup has no error: %+v", s)
	}
	table := e.ok("backup", "list").out
	for _, w := range []string{"CREATED", "SECRETS", "left out (4)", "encrypted (4)", "unreadable:"} {
		if !strings.Contains(table, w) {
			t.Errorf("list table lacks %q:\n%s", w, table)
		}
	}
	if y := e.ok("backup", "list", "-o", "yaml").out; !strings.Contains(y, "ctlVersion: v0.0.0-test") {
		t.Errorf("list yaml:\n%s", y)
	}

	r = e.ok("backup", "verify", plain)
	for _, w := range []string{"Backup:", plain, "ctl version:", "v0.0.0-test", "Config schema:", "ctl/v1", "Files:", "left out (4)", "Result:", "OK"} {
		if !strings.Contains(r.out, w) {
			t.Errorf("verify lacks %q:\n%s", w, r.out)
		}
	}
	delete(e.vars, cmdPassphraseEnv)
	r = e.ok("backup", "verify", enc, "-o", "json")
	if !strings.Contains(r.err, "secrets.age was not decrypted") || !strings.Contains(r.out, `"encrypted": 4`) {
		t.Errorf("verify without passphrase:\nstdout %s\nstderr %s", r.out, r.err)
	}
}

// TestConfigOutsideHome: with --config pointing outside $CTL_HOME, backup
// reads that file and restore writes it back there.
func TestConfigOutsideHome(t *testing.T) {
	e := newEnv(t)
	cfgPath := filepath.Join(t.TempDir(), "elsewhere", "ctl.yaml")
	e.ok("--config", cfgPath, "config", "canary", "enable")
	e.ok("--config", cfgPath, "config", "canary", "aws", "account", "add", "my-s3", "--bucket", "b",
		"--access-key-id", "AK", "--secret-access-key", awsSecret)
	e.secrets = append(e.secrets, awsSecret)
	original := mustRead(t, cfgPath)
	path := e.createBackup("--config", cfgPath)
	e.ok("--config", cfgPath, "config", "canary", "disable")
	e.ok("--config", cfgPath, "backup", "restore", "--backup-path", path, "--yes")
	if got := mustRead(t, cfgPath); !bytes.Equal(got, original) {
		t.Errorf("config at --config not restored\n--- want\n%s\n--- got\n%s", original, got)
	}
	if _, err := os.Stat(e.path("config")); err == nil {
		t.Error("restore wrote $CTL_HOME/config although --config points elsewhere")
	}
}

// TestRestoreRepairsBrokenConfig: a config that no longer parses does not
// block the restore that repairs it, and is kept byte for byte.
func TestRestoreRepairsBrokenConfig(t *testing.T) {
	e := newEnv(t)
	e.ok("config", "canary", "enable")
	path := e.createBackup()
	broken := "apiVersion: ctl/v1\nkind: Halconfig\ndeploymentConfigurations: [oops\n"
	e.write(broken, "config")
	r := e.ok("backup", "restore", "--backup-path", path, "--yes")
	if !strings.Contains(r.err, "does not parse") {
		t.Errorf("restore does not say the current config did not parse:\n%s", r.err)
	}
	if cfg := loadConfig(t, e.home); !cfg.Deployment("default").Canary.Enabled {
		t.Error("the backup's config was not restored")
	}
	pre := preRestorePath(r.out)
	for _, en := range readTarGz(t, pre) {
		if en.hdr.Name == "config" && string(en.data) != broken {
			t.Errorf("the broken config was not kept byte for byte: %q", en.data)
		}
	}
	e.fails(1, []string{"did not parse when this backup was saved", "tar -xzf"}, "backup", "verify", pre)
}
