package backup

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// List describes the backups in $CTL_HOME/backups, newest first. A file
// that cannot be read is listed with its Error.
func List(home string) ([]Summary, error) {
	dir := filepath.Join(home, BackupsDir)
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("listing backups: %w", err)
	}
	var out []Summary
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".tar.gz") || !e.Type().IsRegular() {
			continue
		}
		path := filepath.Join(dir, e.Name())
		m, size, err := readManifest(path)
		if err != nil {
			s := Summary{Path: path, Size: size, Error: err.Error()}
			if fi, ierr := e.Info(); ierr == nil {
				s.Created, s.Size = fi.ModTime().UTC(), fi.Size()
			}
			out = append(out, s)
			continue
		}
		out = append(out, m.Summarize(path, size))
	}
	sort.SliceStable(out, func(i, j int) bool {
		if !out[i].Created.Equal(out[j].Created) {
			return out[i].Created.After(out[j].Created)
		}
		return out[i].Path > out[j].Path
	})
	return out, nil
}
