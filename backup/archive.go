package backup

import (
	"archive/tar"
	"bytes"
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
	"slices"
	"strings"

	"github.com/ctlproject/ctl/halconfig"
)

// EntryError is an archive entry that Restore and Verify refuse.
type EntryError struct {
	Archive string
	Entry   string
	Reason  string
}

func (e *EntryError) Error() string {
	return fmt.Sprintf("%s: entry %q: %s; the backup was refused and nothing was changed (it was not written by ctl or it was altered: use another backup)",
		e.Archive, e.Entry, e.Reason)
}

// CorruptError is an archive that cannot be read to its end.
type CorruptError struct {
	Archive string
	// After names the last entry read whole, if any.
	After string
	Err   error
}

func (e *CorruptError) Error() string {
	where := "at its start"
	if e.After != "" {
		where = fmt.Sprintf("after entry %q", e.After)
	}
	return fmt.Sprintf("%s: the archive is truncated or corrupt (%s: %v); nothing was changed: copy the file again, or use another backup",
		e.Archive, where, e.Err)
}

func (e *CorruptError) Unwrap() error { return e.Err }

// checkName refuses an entry name that could point outside the folder it
// is extracted into, or that is not part of a ctl backup's layout.
func checkName(name string) string {
	switch {
	case name == "":
		return "empty name"
	case strings.HasPrefix(name, "/"):
		return "absolute path"
	case strings.ContainsRune(name, '\\'):
		return "backslash in path"
	case strings.ContainsRune(name, 0):
		return "NUL in path"
	}
	for _, part := range strings.Split(name, "/") {
		if part == ".." {
			return "path escapes the archive (contains ..)"
		}
	}
	if !fs.ValidPath(name) || name == "." {
		return "not a clean relative path (empty, . or trailing / element)"
	}
	return checkLayout(name)
}

// checkLayout accepts the entries a ctl backup holds.
func checkLayout(name string) string {
	switch name {
	case ConfigName, SecretsName:
		return ""
	case ManifestName:
		return "manifest.json appears again (it must be the first entry, once)"
	}
	parts := strings.Split(name, "/")
	if parts[0] == RequiredFilesDir && len(parts) == 2 {
		return ""
	}
	if len(parts) >= 3 && slices.Contains(deploymentDirs, parts[1]) && halconfig.ValidDeploymentName(parts[0]) {
		return ""
	}
	return "not part of a ctl backup (entries are config, secrets.age, required-files/NAME and DEPLOYMENT/profiles/... or DEPLOYMENT/service-settings/...)"
}

// deploymentOf returns the deployment of a DEPLOYMENT/profiles/... entry, or "".
func deploymentOf(name string) string {
	parts := strings.Split(name, "/")
	if len(parts) >= 3 && parts[0] != RequiredFilesDir {
		return parts[0]
	}
	return ""
}

func typeName(t byte) string {
	switch t {
	case tar.TypeSymlink:
		return "a symbolic link"
	case tar.TypeLink:
		return "a hard link"
	case tar.TypeChar:
		return "a character device"
	case tar.TypeBlock:
		return "a block device"
	case tar.TypeFifo:
		return "a FIFO"
	case tar.TypeDir:
		return "a folder"
	case tar.TypeXGlobalHeader:
		return "a global PAX header"
	}
	return fmt.Sprintf("of tar type %q", t)
}

// parseManifest decodes manifest.json strictly and checks it against the limits.
func parseManifest(archive string, data []byte) (*Manifest, error) {
	bad := func(format string, args ...any) error {
		return &EntryError{Archive: archive, Entry: ManifestName, Reason: fmt.Sprintf(format, args...)}
	}
	var head struct {
		FormatVersion int `json:"formatVersion"`
	}
	if err := json.Unmarshal(data, &head); err != nil {
		return nil, bad("not valid JSON: %v", err)
	}
	switch {
	case head.FormatVersion > FormatVersion:
		return nil, fmt.Errorf("%s: entry %q: archive format version %d is newer than this ctl reads (%d); nothing was changed: upgrade ctl to restore it",
			archive, ManifestName, head.FormatVersion, FormatVersion)
	case head.FormatVersion < 1:
		return nil, bad("unknown archive format version %d (this ctl reads %d)", head.FormatVersion, FormatVersion)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	m := &Manifest{}
	if err := dec.Decode(m); err != nil {
		return nil, bad("%v", err)
	}
	switch m.Secrets {
	case SecretsLeftOut, SecretsEncrypted, SecretsIncluded:
	default:
		return nil, bad("unknown secrets mode %q", m.Secrets)
	}
	if len(m.Files)+1 > MaxEntries {
		return nil, bad("lists %d entries, more than the %d a backup may hold", len(m.Files)+1, MaxEntries)
	}
	seen := map[string]bool{}
	var total int64
	for _, f := range m.Files {
		if reason := checkName(f.Name); reason != "" {
			return nil, bad("lists entry %q: %s", f.Name, reason)
		}
		if seen[f.Name] {
			return nil, bad("lists entry %q twice", f.Name)
		}
		seen[f.Name] = true
		if f.Size < 0 || f.Size > MaxFileSize {
			return nil, bad("lists entry %q with size %d (a backup entry holds at most %d bytes)", f.Name, f.Size, MaxFileSize)
		}
		if b, err := hex.DecodeString(f.SHA256); err != nil || len(b) != sha256.Size {
			return nil, bad("lists entry %q with a malformed sha256 %q", f.Name, f.SHA256)
		}
		total += f.Size
	}
	if total > MaxTotalSize {
		return nil, bad("lists %d bytes in all, more than the %d a backup may hold", total, MaxTotalSize)
	}
	if !seen[ConfigName] {
		return nil, bad("lists no %q entry", ConfigName)
	}
	if seen[SecretsName] != (len(m.Encrypted) > 0) {
		return nil, bad("lists %d encrypted secrets but secrets.age is %s", len(m.Encrypted), map[bool]string{true: "there", false: "not"}[seen[SecretsName]])
	}
	return m, nil
}

// scanned is an archive that passed every check of scan.
type scanned struct {
	path     string
	size     int64
	manifest *Manifest
	// config and secrets hold those entries' bytes.
	config, secrets []byte
}

// scan reads the archive at path to its end and checks it: manifest first
// and known, every entry safe, listed once, with the listed size and
// sha256, within the limits, and none missing. When dir is not "", every
// entry after the manifest is written under dir (which scan never leaves:
// the names are checked first). Nothing else is written.
func scan(path, dir string) (*scanned, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("opening backup: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("opening backup: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file: give the path of a ctl backup (.tar.gz)", path)
	}
	s := &scanned{path: path, size: fi.Size()}
	gz, err := gzip.NewReader(f)
	if err != nil {
		return nil, fmt.Errorf("%s is not a ctl backup (not gzip'd: %v): give the path of a file written by `ctl backup create`", path, err)
	}
	tr := tar.NewReader(gz)
	seen := map[string]bool{}
	var count int
	var total int64
	last := ""
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, &CorruptError{Archive: path, After: last, Err: err}
		}
		count++
		bad := func(format string, args ...any) error {
			return &EntryError{Archive: path, Entry: hdr.Name, Reason: fmt.Sprintf(format, args...)}
		}
		if count > MaxEntries {
			return nil, bad("entry number %d: a backup holds at most %d entries", count, MaxEntries)
		}
		if hdr.Typeflag != tar.TypeReg {
			what := typeName(hdr.Typeflag)
			if hdr.Linkname != "" {
				what += fmt.Sprintf(" to %q", hdr.Linkname)
			}
			return nil, bad("is %s; backups hold regular files only", what)
		}
		if count == 1 && hdr.Name != ManifestName {
			return nil, bad("comes first, but manifest.json must be the first entry")
		}
		if count > 1 {
			if reason := checkName(hdr.Name); reason != "" {
				return nil, bad("%s", reason)
			}
		}
		if hdr.Size > MaxFileSize {
			return nil, bad("is %d bytes; a backup entry holds at most %d (16 MiB)", hdr.Size, MaxFileSize)
		}
		total += hdr.Size
		if total > MaxTotalSize {
			return nil, bad("brings the archive to %d bytes; a backup holds at most %d (256 MiB)", total, MaxTotalSize)
		}
		if count == 1 {
			data, err := io.ReadAll(io.LimitReader(tr, MaxFileSize))
			if err != nil {
				return nil, &CorruptError{Archive: path, Err: err}
			}
			if s.manifest, err = parseManifest(path, data); err != nil {
				return nil, err
			}
			last = hdr.Name
			continue
		}
		want, listed := s.manifest.file(hdr.Name)
		switch {
		case seen[hdr.Name]:
			return nil, bad("appears twice")
		case !listed:
			return nil, bad("is not listed in manifest.json")
		case hdr.Size != want.Size:
			return nil, bad("is %d bytes but manifest.json says %d", hdr.Size, want.Size)
		}
		seen[hdr.Name] = true
		sum, data, err := s.readEntry(tr, hdr, dir)
		if err != nil {
			var ee *EntryError
			if errors.As(err, &ee) {
				return nil, err
			}
			if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, gzip.ErrChecksum) || errors.Is(err, gzip.ErrHeader) || errors.Is(err, tar.ErrHeader) {
				return nil, &CorruptError{Archive: path, After: last, Err: fmt.Errorf("reading entry %q: %w", hdr.Name, err)}
			}
			return nil, fmt.Errorf("%s: extracting entry %q: %w; nothing was changed", path, hdr.Name, err)
		}
		if sum != want.SHA256 {
			return nil, bad("has sha256 %s but manifest.json says %s (the file was altered or damaged)", sum, want.SHA256)
		}
		switch hdr.Name {
		case ConfigName:
			s.config = data
		case SecretsName:
			s.secrets = data
		}
		last = hdr.Name
	}
	if s.manifest == nil {
		return nil, &CorruptError{Archive: path, Err: errors.New("no entries: not a ctl backup")}
	}
	// Read the gzip stream to its end, so its checksum and length are checked.
	if _, err := io.Copy(io.Discard, io.LimitReader(gz, MaxTotalSize)); err != nil {
		return nil, &CorruptError{Archive: path, After: last, Err: err}
	}
	for _, want := range s.manifest.Files {
		if !seen[want.Name] {
			return nil, &EntryError{Archive: path, Entry: want.Name,
				Reason: "is listed in manifest.json but missing from the archive (truncated?)"}
		}
	}
	return s, nil
}

// readEntry hashes an entry and writes it under dir (if not ""); it keeps
// config and secrets.age in memory.
func (s *scanned) readEntry(tr io.Reader, hdr *tar.Header, dir string) (string, []byte, error) {
	h := sha256.New()
	var keep bytes.Buffer
	w := io.Writer(h)
	if hdr.Name == ConfigName || hdr.Name == SecretsName {
		w = io.MultiWriter(h, &keep)
	}
	var out *os.File
	if dir != "" {
		target := filepath.Join(dir, filepath.FromSlash(hdr.Name))
		if err := os.MkdirAll(filepath.Dir(target), 0o700); err != nil {
			return "", nil, &EntryError{Archive: s.path, Entry: hdr.Name, Reason: fmt.Sprintf("conflicts with another entry (%v)", err)}
		}
		f, err := os.OpenFile(target, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			return "", nil, &EntryError{Archive: s.path, Entry: hdr.Name, Reason: fmt.Sprintf("conflicts with another entry (%v)", err)}
		}
		defer f.Close()
		out = f
		w = io.MultiWriter(w, f)
	}
	n, err := io.Copy(w, io.LimitReader(tr, hdr.Size))
	if err == nil && n != hdr.Size {
		err = io.ErrUnexpectedEOF
	}
	if err != nil {
		return "", nil, err
	}
	if out != nil {
		if err := out.Sync(); err != nil {
			return "", nil, err
		}
	}
	return hex.EncodeToString(h.Sum(nil)), keep.Bytes(), nil
}

// readManifest reads only the first entry of the archive at path.
func readManifest(path string) (*Manifest, int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, 0, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, 0, err
	}
	gz, err := gzip.NewReader(f)
	if err != nil {
		return nil, fi.Size(), fmt.Errorf("not gzip'd: %v", err)
	}
	tr := tar.NewReader(gz)
	hdr, err := tr.Next()
	if err != nil {
		return nil, fi.Size(), fmt.Errorf("cannot read the first entry: %v", err)
	}
	if hdr.Name != ManifestName || hdr.Typeflag != tar.TypeReg || hdr.Size > MaxFileSize {
		return nil, fi.Size(), fmt.Errorf("first entry is %q, not manifest.json", hdr.Name)
	}
	data, err := io.ReadAll(tr)
	if err != nil {
		return nil, fi.Size(), fmt.Errorf("reading manifest.json: %v", err)
	}
	m, err := parseManifest(path, data)
	return m, fi.Size(), err
}
