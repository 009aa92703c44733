// Package charts holds the Helm charts that ctl installs, embedded in the
// binary, and loads them from memory.
//
// The kayenta chart (charts/kayenta) deploys `ctl kayenta serve`. It is a
// plain chart directory, so `helm install ./charts/kayenta` works as well;
// ctl loads the embedded copy with LoadKayenta, or a developer's working copy
// with Load(BuiltinOrDir(dir), KayentaName).
//
// The ctl-sampleapp chart (charts/sampleapp) deploys the smoke canaries'
// sample app (`ctl canary sample-app`), one Deployment and Service per app,
// for `ctl canary smoke` on a distributed deployment. It loads the same ways:
// LoadSampleApp, or Load(BuiltinOrDir(dir), SampleAppName).
package charts

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"

	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/ignore"
)

// KayentaName is the kayenta chart's directory, relative to the charts root.
const KayentaName = "kayenta"

// SampleAppName is the ctl-sampleapp chart's directory, relative to the
// charts root. (The chart itself is named ctl-sampleapp.)
const SampleAppName = "sampleapp"

// FS is the charts root: one directory per chart. The all: prefix keeps
// files whose names start with '_' or '.', such as templates/_helpers.tpl
// and .helmignore.
//
//go:embed all:kayenta all:sampleapp
var FS embed.FS

// Kayenta returns the embedded kayenta chart, rooted at its Chart.yaml.
func Kayenta() (fs.FS, error) {
	return fs.Sub(FS, KayentaName)
}

// SampleApp returns the embedded ctl-sampleapp chart, rooted at its
// Chart.yaml.
func SampleApp() (fs.FS, error) {
	return fs.Sub(FS, SampleAppName)
}

// BuiltinOrDir returns the embedded charts root when dir is empty, and the
// directory dir otherwise: a developer override (such as ./charts in a
// checkout) that lets a changed chart be tried without rebuilding ctl. Both
// hold one directory per chart, so Load(BuiltinOrDir(dir), KayentaName)
// works either way.
func BuiltinOrDir(dir string) fs.FS {
	if dir == "" {
		return FS
	}
	return os.DirFS(dir)
}

// LoadKayenta loads the embedded kayenta chart.
func LoadKayenta() (*chart.Chart, error) {
	return Load(FS, KayentaName)
}

// LoadSampleApp loads the embedded ctl-sampleapp chart.
func LoadSampleApp() (*chart.Chart, error) {
	return Load(FS, SampleAppName)
}

// Load loads the chart in directory name of fsys from memory, as
// `helm install <dir>` would load it from disk: .helmignore and Helm's
// default ignore rules apply, a UTF-8 byte-order mark is dropped, and files
// over Helm's size limit are refused.
func Load(fsys fs.FS, name string) (*chart.Chart, error) {
	files, err := readFiles(fsys, name)
	if err != nil {
		return nil, fmt.Errorf("loading chart %s: %w", name, err)
	}
	c, err := loader.LoadFiles(files)
	if err != nil {
		return nil, fmt.Errorf("loading chart %s: %w", name, err)
	}
	return c, nil
}

var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// readFiles returns the files of the chart in directory root of fsys, with
// names relative to root and '/'-separated, skipping what .helmignore
// ignores.
func readFiles(fsys fs.FS, root string) ([]*loader.BufferedFile, error) {
	rules := ignore.Empty()
	switch data, err := fs.ReadFile(fsys, path.Join(root, ignore.HelmIgnore)); {
	case err == nil:
		if rules, err = ignore.Parse(bytes.NewReader(data)); err != nil {
			return nil, fmt.Errorf("parsing %s: %w", ignore.HelmIgnore, err)
		}
	case !errors.Is(err, fs.ErrNotExist):
		return nil, err
	}
	rules.AddDefaults()

	var files []*loader.BufferedFile
	err := fs.WalkDir(fsys, root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p == root {
			return nil
		}
		rel := p
		if root != "." {
			rel = p[len(root)+1:]
		}
		// Stat follows a symbolic link in a developer's directory, as
		// helm's loader does.
		fi, err := fs.Stat(fsys, p)
		if err != nil {
			return err
		}
		if fi.IsDir() {
			if rules.Ignore(rel, fi) {
				return fs.SkipDir
			}
			if !d.IsDir() {
				return fmt.Errorf("%s: symbolic links to directories are not supported", rel)
			}
			return nil
		}
		if rules.Ignore(rel, fi) {
			return nil
		}
		if !fi.Mode().IsRegular() {
			return fmt.Errorf("cannot load irregular file %s", rel)
		}
		if fi.Size() > loader.MaxDecompressedFileSize {
			return fmt.Errorf("chart file %s is larger than the maximum file size %d", rel, loader.MaxDecompressedFileSize)
		}
		data, err := fs.ReadFile(fsys, p)
		if err != nil {
			return err
		}
		files = append(files, &loader.BufferedFile{Name: rel, Data: bytes.TrimPrefix(data, utf8BOM)})
		return nil
	})
	if err != nil {
		return nil, err
	}
	return files, nil
}
