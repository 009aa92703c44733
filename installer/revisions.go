package installer

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/ctlproject/ctl/halconfig"
)

// Revision is one apply that changed what runs.
type Revision struct {
	Revision   int       `json:"revision" yaml:"revision"`
	Updated    time.Time `json:"updated" yaml:"updated"`
	Status     string    `json:"status" yaml:"status"`
	AppVersion string    `json:"appVersion,omitempty" yaml:"appVersion,omitempty"`
	Chart      string    `json:"chart,omitempty" yaml:"chart,omitempty"`
	// Description says what made it: "Install complete", "Upgrade complete", "Rollback to 2".
	Description string `json:"description" yaml:"description"`
}

// Local deployments keep their revisions under history/revisions/<n>/ with
// the kayenta.yml that ran and the deployment config it came from, so
// `ctl deploy rollback` works locally as it does with Helm.

func (l *Local) revisionsDir() string { return filepath.Join(l.dir(), "history", "revisions") }

func (l *Local) recordRevision(kayentaYML []byte, desc string) error {
	revs, err := l.History(context.Background())
	if err != nil {
		return err
	}
	n := 1
	if len(revs) > 0 {
		n = revs[len(revs)-1].Revision + 1
	}
	dir := filepath.Join(l.revisionsDir(), strconv.Itoa(n))
	applied, err := yaml.Marshal(l.Deployment)
	if err != nil {
		return err
	}
	meta, _ := json.Marshal(Revision{Revision: n, Updated: time.Now().UTC(), Status: "deployed", Description: desc})
	for name, data := range map[string][]byte{"kayenta.yml": kayentaYML, "applied.yaml": applied, "revision.json": meta} {
		if err := halconfig.WriteFileAtomic(filepath.Join(dir, name), data, 0o600); err != nil {
			return err
		}
	}
	// Earlier revisions are superseded.
	for _, r := range revs {
		if r.Status == "deployed" {
			r.Status = "superseded"
			b, _ := json.Marshal(r)
			_ = halconfig.WriteFileAtomic(filepath.Join(l.revisionsDir(), strconv.Itoa(r.Revision), "revision.json"), b, 0o600)
		}
	}
	return nil
}

// History lists the local revisions, oldest first.
func (l *Local) History(ctx context.Context) ([]Revision, error) {
	entries, err := os.ReadDir(l.revisionsDir())
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []Revision
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(l.revisionsDir(), e.Name(), "revision.json"))
		if err != nil {
			continue
		}
		var r Revision
		if json.Unmarshal(b, &r) == nil {
			out = append(out, r)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Revision < out[j].Revision })
	return out, nil
}

// Rollback runs the kayenta.yml of an earlier revision (0 = the one before
// the current) as a new revision. The ctl config is not changed: `ctl deploy
// diff` then shows how it differs from what runs.
func (l *Local) Rollback(ctx context.Context, revision int) (*ApplyResult, error) {
	revs, err := l.History(ctx)
	if err != nil {
		return nil, err
	}
	if len(revs) == 0 {
		return nil, fmt.Errorf("deployment %s has no revisions to roll back to: run `ctl deploy apply` first", l.Deployment.Name)
	}
	if revision == 0 {
		if len(revs) < 2 {
			return nil, fmt.Errorf("deployment %s has only revision %d: nothing to roll back to", l.Deployment.Name, revs[0].Revision)
		}
		revision = revs[len(revs)-2].Revision
	}
	dir := filepath.Join(l.revisionsDir(), strconv.Itoa(revision))
	kyml, err := os.ReadFile(filepath.Join(dir, "kayenta.yml"))
	if err != nil {
		return nil, fmt.Errorf("revision %d of deployment %s does not exist (see `ctl deploy history`)", revision, l.Deployment.Name)
	}
	applied, err := os.ReadFile(filepath.Join(dir, "applied.yaml"))
	if err != nil {
		return nil, err
	}
	res, err := l.run(ctx, kyml, fmt.Sprintf("Rollback to %d", revision))
	if err != nil {
		return nil, err
	}
	if err := halconfig.WriteFileAtomic(BaselinePath(l.Home, l.Deployment.Name), applied, 0o600); err != nil {
		return nil, err
	}
	return res, nil
}

func sha(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}
