package halconfig

import (
	"go.yaml.in/yaml/v3"
	"os"
	"path/filepath"
	"testing"
)

// readTestdata returns the bytes of testdata/<rel>.
func readTestdata(t *testing.T, rel string) []byte {
	t.Helper()
	return mustReadFile(t, filepath.Join("testdata", rel))
}

// mustParse parses testdata/<rel>, failing the test on any error.
func mustParse(t *testing.T, rel string) *Halconfig {
	t.Helper()
	cfg, _, err := Parse(filepath.Join("testdata", rel), readTestdata(t, rel))
	if err != nil {
		t.Fatalf("Parse(%s): %v", rel, err)
	}
	return cfg
}

func mustMarshal(t *testing.T, cfg *Halconfig) []byte {
	t.Helper()
	out, err := Marshal(cfg)
	if err != nil {
		t.Fatalf("Marshal: %v", err)
	}
	return out
}

// seedDeployment is the blog's finished setup (testdata/good/seed.yaml),
// with a reachable-looking Prometheus URL instead of the placeholder.
func seedDeployment(t *testing.T) *DeploymentConfiguration {
	t.Helper()
	return mustParse(t, "good/seed.yaml").Deployment("default")
}

func i64(v int64) *int64 { return &v }

// writeFile writes a file under dir and returns its path.
func writeFile(t *testing.T, dir, name string, data []byte, perm os.FileMode) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, data, perm); err != nil {
		t.Fatal(err)
	}
	return p
}

func yamlMarshal(v any) (string, error) {
	out, err := yaml.Marshal(v)
	return string(out), err
}

func mustReadFile(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}
