package backup

import (
	"archive/tar"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/ctlproject/ctl/halconfig"
)

// CreateOptions control Create.
type CreateOptions struct {
	// Output is the archive's path; "" means
	// $CTL_HOME/backups/ctl-backup-<UTC timestamp>.tar.gz.
	Output string
	// Secrets says what to do with secrets; "" means SecretsLeftOut.
	Secrets SecretsMode
	// Passphrase returns the passphrase for SecretsEncrypted.
	Passphrase func() (string, error)
	// CtlVersion is written to the manifest.
	CtlVersion string
	// Now is the clock (time.Now when nil).
	Now func() time.Time

	// reason is Manifest.Reason ("pre-restore").
	reason string
	// keepBroken archives a config that does not parse byte for byte,
	// instead of failing (the pre-restore backup must never block a restore
	// that repairs a broken config).
	keepBroken bool
}

// CreateResult says what Create wrote.
type CreateResult struct {
	Path     string
	Manifest *Manifest
	// Warnings are things left out that the user should know about (a
	// credential file that could not be read, a symlink skipped).
	Warnings []string
}

// member is one archive entry after the manifest.
type member struct {
	name string
	data []byte
}

// TimestampLayout is the UTC timestamp in backup file names.
const TimestampLayout = "20060102T150405Z"

// Create writes a backup of the store's home: the config (secrets treated
// as opts.Secrets says), every deployment's profiles/ and service-settings/,
// and the credential files the config points to when secrets are included.
// See the package documentation for the layout and what is never included.
func Create(store *halconfig.Store, opts CreateOptions) (*CreateResult, error) {
	if opts.Secrets == "" {
		opts.Secrets = SecretsLeftOut
	}
	now := time.Now
	if opts.Now != nil {
		now = opts.Now
	}
	created := now().UTC().Truncate(time.Second)
	res := &CreateResult{}
	m := &Manifest{
		FormatVersion: FormatVersion, ConfigSchema: halconfig.APIVersion, CtlVersion: opts.CtlVersion,
		Created: created, Reason: opts.reason, Secrets: opts.Secrets, LeftOut: []SecretRef{},
	}

	var members []member
	var deployments []string
	loaded, err := store.Load()
	switch {
	case err == nil:
		cfg := loaded.Config.Clone()
		extra, err := protectSecrets(cfg, m, opts, res)
		if err != nil {
			return nil, err
		}
		data, err := halconfig.Marshal(cfg)
		if err != nil {
			return nil, err
		}
		members = append(members, member{ConfigName, data})
		deployments = cfg.DeploymentNames()
		files, warnings, err := deploymentFiles(store.Home, deployments)
		if err != nil {
			return nil, err
		}
		res.Warnings = append(res.Warnings, warnings...)
		members = append(members, files...)
		members = append(members, extra...)
	case opts.keepBroken:
		raw, rerr := os.ReadFile(store.Path)
		if rerr != nil {
			return nil, fmt.Errorf("saving the current config: %w", rerr)
		}
		m.ConfigSchema = SchemaUnreadable
		m.Secrets = SecretsIncluded
		members = append(members, member{ConfigName, raw})
		res.Warnings = append(res.Warnings, fmt.Sprintf("the current config does not parse (%v); it is kept byte for byte, without its deployments' folders", err))
	default:
		return nil, fmt.Errorf("cannot back up: %w", err)
	}

	var total int64
	for _, mb := range members {
		if reason := checkName(mb.name); reason != "" {
			return nil, fmt.Errorf("cannot back up %s: %s; rename it", filepath.Join(store.Home, filepath.FromSlash(mb.name)), reason)
		}
		sum := sha256.Sum256(mb.data)
		m.Files = append(m.Files, File{Name: mb.name, Size: int64(len(mb.data)), SHA256: hex.EncodeToString(sum[:])})
		total += int64(len(mb.data))
	}
	if len(members)+1 > MaxEntries {
		return nil, fmt.Errorf("cannot back up: %d files, more than the %d a backup may hold; move files out of the deployments' profiles/ and service-settings/", len(members)+1, MaxEntries)
	}
	if total > MaxTotalSize {
		return nil, fmt.Errorf("cannot back up: %d bytes, more than the %d (256 MiB) a backup may hold; move large files out of the deployments' profiles/ and service-settings/", total, MaxTotalSize)
	}

	path, err := writeArchive(store.Home, opts.Output, m, members)
	if err != nil {
		return nil, err
	}
	res.Path, res.Manifest = path, m
	return res, nil
}

// protectSecrets blanks, keeps or encrypts every secret value and credential
// file of cfg as opts.Secrets says, recording each in m. It returns the
// extra archive members (required-files/*, secrets.age).
func protectSecrets(cfg *halconfig.Halconfig, m *Manifest, opts CreateOptions, res *CreateResult) ([]member, error) {
	var p payload
	var extra []member
	stored := map[string]bool{}
	for _, sf := range cfg.SensitiveFields() {
		if sf.IsReference() {
			continue // "encrypted:..." names a secret kept elsewhere
		}
		ref := SecretRef{FieldRef: sf.FieldRef, Kind: KindSecret}
		if sf.Desc.LocalFile {
			ref.Kind, ref.Path = KindFile, sf.Value
		}
		if opts.Secrets == SecretsLeftOut {
			cfg.SetField(sf.FieldRef, "")
			m.LeftOut = append(m.LeftOut, ref)
			continue
		}
		value := sf.Value
		if ref.Kind == KindFile {
			data, err := readCredentialFile(sf.Value)
			if err != nil {
				cfg.SetField(sf.FieldRef, "")
				ref.Note = fmt.Sprintf("the file could not be read when the backup was made: %v", err)
				m.LeftOut = append(m.LeftOut, ref)
				res.Warnings = append(res.Warnings, fmt.Sprintf("%s: %s is left out of the backup: %v", sf.FieldRef, sf.Value, err))
				continue
			}
			sum := sha256.Sum256(data)
			hexSum := hex.EncodeToString(sum[:])
			value = RequiredFilesDir + "/" + hexSum[:16] + "-" + safeBase(sf.Value)
			ref.Entry = value
			if !stored[value] {
				stored[value] = true
				if opts.Secrets == SecretsIncluded {
					extra = append(extra, member{value, data})
				} else {
					p.Files = append(p.Files, payloadFile{Name: value, SHA256: hexSum, Data: data})
				}
			}
		}
		if opts.Secrets == SecretsIncluded {
			cfg.SetField(sf.FieldRef, value) // a file now points into the archive
			m.Included = append(m.Included, ref)
			continue
		}
		cfg.SetField(sf.FieldRef, "")
		p.Values = append(p.Values, payloadValue{FieldRef: sf.FieldRef, Kind: ref.Kind, Value: value})
		m.Encrypted = append(m.Encrypted, ref)
	}
	sort.Slice(extra, func(i, j int) bool { return extra[i].name < extra[j].name })
	if opts.Secrets == SecretsEncrypted && len(p.Values) > 0 {
		if opts.Passphrase == nil {
			return nil, fmt.Errorf("--encrypt: %w", ErrNoPassphrase)
		}
		pass, err := opts.Passphrase()
		if err != nil {
			return nil, err
		}
		enc, err := encryptPayload(&p, pass)
		if err != nil {
			return nil, err
		}
		extra = append(extra, member{SecretsName, enc})
	}
	return extra, nil
}

// readCredentialFile reads a local file the config points to.
func readCredentialFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("not a regular file")
	}
	if fi.Size() > MaxFileSize {
		return nil, fmt.Errorf("%d bytes, more than the %d (16 MiB) a backup entry may hold", fi.Size(), MaxFileSize)
	}
	return io.ReadAll(io.LimitReader(f, MaxFileSize+1))
}

var unsafeChars = regexp.MustCompile(`[^-._a-zA-Z0-9]`)

// safeBase is the file's base name with characters outside [-._a-zA-Z0-9]
// replaced by '-', as Halyard names required files.
func safeBase(path string) string {
	b := unsafeChars.ReplaceAllString(filepath.Base(path), "-")
	if b == "" || b == "." || b == ".." {
		b = "file"
	}
	return b
}

// skipped reports whether a name under profiles/ or service-settings/ is
// never archived: logs, caches, lock and temp files.
func skipped(name string, dir bool) bool {
	if dir {
		return name == ".cache" || name == "service-logs"
	}
	return strings.HasSuffix(name, ".log") || strings.HasSuffix(name, ".lock") || strings.HasSuffix(name, ".tmp") ||
		strings.Contains(name, ".tmp-") || name == "service-logs"
}

// deploymentFiles reads every deployment's profiles/ and service-settings/.
func deploymentFiles(home string, deployments []string) ([]member, []string, error) {
	var out []member
	var warnings []string
	for _, dep := range deployments {
		for _, sub := range deploymentDirs {
			root := filepath.Join(home, dep, sub)
			fi, err := os.Lstat(root)
			if errors.Is(err, fs.ErrNotExist) {
				continue
			}
			if err != nil {
				return nil, nil, fmt.Errorf("reading %s: %w", root, err)
			}
			if !fi.IsDir() {
				warnings = append(warnings, fmt.Sprintf("skipped %s: not a folder", root))
				continue
			}
			err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
				if err != nil {
					return fmt.Errorf("reading %s: %w (fix its permissions, or move it out of %s)", p, err, root)
				}
				if p != root && skipped(d.Name(), d.IsDir()) {
					if d.IsDir() {
						return filepath.SkipDir
					}
					return nil
				}
				if d.IsDir() {
					return nil
				}
				if !d.Type().IsRegular() {
					warnings = append(warnings, fmt.Sprintf("skipped %s: not a regular file (backups hold regular files only)", p))
					return nil
				}
				data, err := os.ReadFile(p)
				if err != nil {
					return fmt.Errorf("reading %s: %w (fix its permissions, or move it out of %s)", p, err, root)
				}
				if len(data) > MaxFileSize {
					return fmt.Errorf("cannot back up %s: %d bytes, more than the %d (16 MiB) a backup entry may hold; move it out of %s", p, len(data), MaxFileSize, root)
				}
				rel, err := filepath.Rel(home, p)
				if err != nil {
					return err
				}
				out = append(out, member{filepath.ToSlash(rel), data})
				return nil
			})
			if err != nil {
				return nil, nil, err
			}
		}
	}
	return out, warnings, nil
}

// writeArchive writes the manifest and members to a temp file, fsyncs it
// and publishes it (mode 0600) at output, or under $CTL_HOME/backups
// (mode 0700) with a timestamped name when output is "". It never replaces
// an existing file.
func writeArchive(home, output string, m *Manifest, members []member) (string, error) {
	dir := filepath.Dir(output)
	if output == "" {
		dir = filepath.Join(home, BackupsDir)
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return "", fmt.Errorf("creating the backups folder: %w", err)
		}
		if err := os.Chmod(dir, 0o700); err != nil {
			return "", fmt.Errorf("securing the backups folder: %w", err)
		}
	} else if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("creating the folder of --output: %w", err)
	}
	tmp, err := os.CreateTemp(dir, ".ctl-backup-*.tmp")
	if err != nil {
		return "", fmt.Errorf("writing the backup: %w", err)
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return "", err
	}
	if err := writeTarGz(tmp, m, members); err != nil {
		tmp.Close()
		return "", fmt.Errorf("writing the backup %s: %w", tmp.Name(), err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return "", err
	}
	if err := tmp.Close(); err != nil {
		return "", err
	}
	if output != "" {
		if err := publish(tmp.Name(), output); errors.Is(err, fs.ErrExist) {
			return "", fmt.Errorf("%s already exists: choose another --output, or move that file away first", output)
		} else if err != nil {
			return "", fmt.Errorf("writing the backup %s: %w", output, err)
		}
		return output, nil
	}
	base := "ctl-backup-" + m.Created.Format(TimestampLayout)
	if m.Reason != "" {
		base += "-" + m.Reason
	}
	for i := 0; i < 100; i++ {
		name := base + ".tar.gz"
		if i > 0 {
			name = fmt.Sprintf("%s-%d.tar.gz", base, i)
		}
		path := filepath.Join(dir, name)
		err := publish(tmp.Name(), path)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			return "", fmt.Errorf("writing the backup %s: %w", path, err)
		}
		return path, nil
	}
	return "", fmt.Errorf("writing the backup: too many backups named %s* in %s", base, dir)
}

func writeTarGz(w io.Writer, m *Manifest, members []member) error {
	gz, err := gzip.NewWriterLevel(w, gzip.BestCompression)
	if err != nil {
		return err
	}
	tw := tar.NewWriter(gz)
	manifest, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	all := append([]member{{ManifestName, append(manifest, '\n')}}, members...)
	for _, mb := range all {
		hdr := &tar.Header{Typeflag: tar.TypeReg, Name: mb.name, Mode: 0o600, Size: int64(len(mb.data)), ModTime: m.Created}
		if err := tw.WriteHeader(hdr); err != nil {
			return err
		}
		if _, err := tw.Write(mb.data); err != nil {
			return err
		}
	}
	if err := tw.Close(); err != nil {
		return err
	}
	return gz.Close()
}
