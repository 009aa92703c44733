package halconfig

import (
	"bytes"
	"fmt"
	"strings"
)

// EditOptions control an Edit.
type EditOptions struct {
	// Deployment to edit; "" means currentDeployment.
	Deployment string
	// NoValidate saves without validating (--no-validate).
	NoValidate bool
}

// EditResult says what an Edit did.
type EditResult struct {
	Deployment string
	// Changed is false when the edit left the config as it was; nothing was written.
	Changed bool
	// Problems are the validation findings after the edit (empty with NoValidate).
	Problems Problems
	// Migrated names the older schema the file was migrated from, if any;
	// Backup is the file its bytes were kept in.
	Migrated, Backup string
}

// BlockedError is returned when an edit would add ERROR or FATAL problems.
// Nothing was written.
type BlockedError struct {
	Problems Problems // every problem after the edit
	New      Problems // the blocking ones the edit introduced
}

func (e *BlockedError) Error() string {
	msgs := make([]string, len(e.New))
	for i, p := range e.New {
		msgs[i] = p.String()
	}
	return "the change was not saved because it fails validation (fix it, or pass --no-validate):\n  " + strings.Join(msgs, "\n  ")
}

// DeploymentNotFoundError names a deployment that is not in the config.
type DeploymentNotFoundError struct {
	Name  string
	Known []string
}

func (e *DeploymentNotFoundError) Error() string {
	return fmt.Sprintf("deployment %q does not exist (have: %s); create it with `ctl config --set-current-deployment %s`",
		e.Name, strings.Join(e.Known, ", "), e.Name)
}

// Resolve returns the deployment name refers to ("" = current).
func (h *Halconfig) Resolve(name string) (*DeploymentConfiguration, error) {
	if name == "" {
		name = h.CurrentDeployment
	}
	d := h.Deployment(name)
	if d == nil {
		return nil, &DeploymentNotFoundError{Name: name, Known: h.DeploymentNames()}
	}
	return d, nil
}

// Edit is the one way the config file changes: take the lock, load (and
// migrate), apply mutate to a copy, validate, and save atomically. mutate
// gets the whole config and the deployment being edited. An edit that adds
// ERROR problems is refused and writes nothing; problems that were already
// there are reported but do not block a fix elsewhere.
func (s *Store) Edit(opts EditOptions, mutate func(h *Halconfig, d *DeploymentConfiguration) error) (*EditResult, error) {
	unlock, err := s.Lock()
	if err != nil {
		return nil, err
	}
	defer unlock()
	loaded, err := s.Load()
	if err != nil {
		return nil, err
	}
	orig, err := Marshal(loaded.Config)
	if err != nil {
		return nil, err
	}
	cfg := loaded.Config.Clone()
	d, err := cfg.Resolve(opts.Deployment)
	if err != nil {
		return nil, err
	}
	var before Problems
	if err := mutate(cfg, d); err != nil {
		return nil, err
	}
	cfg.Normalize()
	// mutate may switch or add deployments (set-current-deployment, import):
	// validate the one the edit now points at, against its state before.
	if d, err = cfg.Resolve(opts.Deployment); err != nil {
		return nil, err
	}
	res := &EditResult{Deployment: d.Name}
	if !opts.NoValidate {
		before = nil
		if old := loaded.Config.Deployment(d.Name); old != nil {
			before = Validate(old)
		}
		res.Problems = Validate(d)
		if blocking := res.Problems.NewSince(before).Blocking(); len(blocking) > 0 {
			return nil, &BlockedError{Problems: res.Problems, New: blocking}
		}
	}
	next, err := Marshal(cfg)
	if err != nil {
		return nil, err
	}
	if bytes.Equal(orig, next) {
		return res, nil
	}
	backup, err := s.Save(cfg, loaded)
	if err != nil {
		return nil, err
	}
	res.Changed = true
	if loaded.Version != APIVersion {
		res.Migrated, res.Backup = loaded.Version, backup
	}
	return res, nil
}

// IsPristine reports whether d is exactly as NewDeployment makes it, so
// replacing it loses nothing.
func IsPristine(d *DeploymentConfiguration) bool {
	a, errA := Marshal(&Halconfig{DeploymentConfigurations: []*DeploymentConfiguration{d}})
	b, errB := Marshal(&Halconfig{DeploymentConfigurations: []*DeploymentConfiguration{NewDeployment(d.Name)}})
	return errA == nil && errB == nil && bytes.Equal(a, b)
}
