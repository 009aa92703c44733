package backup

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/ctlproject/ctl/halconfig"
)

// ErrNotConfirmed is returned when the confirmation was declined.
var ErrNotConfirmed = errors.New("restore cancelled; nothing was changed")

// missingPlaceholder stands for a secret the restore could not fill while
// the restored config is validated: the secret is reported as missing
// instead of failing validation. It is never written.
const missingPlaceholder = "encrypted:ctl-backup-missing"

// Missing is a secret value or credential file the restored config lacks.
type Missing struct {
	SecretRef
	// Command sets it, such as
	// `ctl config canary aws account edit my-s3 --secret-access-key --deployment default`.
	Command string `json:"command" yaml:"command"`
}

// ValidationError means the backup's config fails validation; nothing was changed.
type ValidationError struct {
	Archive  string
	Problems halconfig.Problems
	Blocking halconfig.Problems
}

func (e *ValidationError) Error() string {
	return fmt.Sprintf("%s: the backup's config has %d validation error(s); nothing was changed (restore it anyway with --no-validate, then fix them)",
		e.Archive, len(e.Blocking))
}

// prepared is an archive that passed every check, extracted to a folder.
type prepared struct {
	*scanned
	// tree holds the extracted entries.
	tree string
	// cfg is the archived config, migrated to APIVersion.
	cfg *halconfig.Halconfig
	// version is the schema the archived config was written in.
	version string
	// secrets is the decrypted secrets.age, or nil.
	secrets *payload
}

// prepare runs every check Restore runs before it changes anything, and
// extracts the archive under tree. passphrase is asked only when the archive
// holds secrets.age; nil skips decryption.
func prepare(path, tree string, passphrase func() (string, error)) (*prepared, error) {
	s, err := scan(path, tree)
	if err != nil {
		return nil, err
	}
	p := &prepared{scanned: s, tree: tree}
	m := s.manifest
	if m.ConfigSchema == SchemaUnreadable {
		return nil, fmt.Errorf("%s: entry %q is a config that did not parse when this backup was saved, kept byte for byte; nothing was changed: extract it with `tar -xzf %s config`, fix it, and copy it into place",
			path, ConfigName, path)
	}
	if !slices.Contains(halconfig.KnownVersions(), m.ConfigSchema) {
		return nil, fmt.Errorf("%s: entry %q has config schema %q, which this ctl does not read (it reads %s); nothing was changed: upgrade ctl to a release that reads %s",
			path, ConfigName, m.ConfigSchema, strings.Join(halconfig.KnownVersions(), ", "), m.ConfigSchema)
	}
	cfg, version, err := halconfig.Parse(path+":"+ConfigName, s.config)
	if err != nil {
		return nil, fmt.Errorf("entry %q cannot be restored; nothing was changed: %w", ConfigName, err)
	}
	if version != m.ConfigSchema {
		return nil, &EntryError{Archive: path, Entry: ConfigName, Reason: fmt.Sprintf("has apiVersion %s but manifest.json says %s", version, m.ConfigSchema)}
	}
	p.cfg, p.version = cfg, version
	for _, f := range m.Files {
		if dep := deploymentOf(f.Name); dep != "" && cfg.Deployment(dep) == nil {
			return nil, &EntryError{Archive: path, Entry: f.Name, Reason: fmt.Sprintf("belongs to deployment %q, which the archived config does not have", dep)}
		}
	}
	for _, sf := range cfg.SensitiveFields() {
		if sf.Desc.LocalFile && strings.HasPrefix(sf.Value, RequiredFilesDir+"/") {
			if _, ok := m.file(sf.Value); !ok {
				return nil, &EntryError{Archive: path, Entry: ConfigName, Reason: fmt.Sprintf("%s points at %q, which the archive does not hold", sf.FieldRef, sf.Value)}
			}
		}
	}
	if s.secrets != nil && passphrase != nil {
		pass, err := passphrase()
		if err != nil {
			return nil, err
		}
		if p.secrets, err = decryptPayload(path, s.secrets, pass); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// plan is the restored config and what was done to its secrets.
type plan struct {
	final *halconfig.Halconfig
	// validation is final with the staged paths of required files and
	// placeholders for missing secrets.
	validation *halconfig.Halconfig
	kept       []SecretRef
	missing    []Missing
	// requiredFiles are the required-files/NAME entries final points at.
	requiredFiles []string
	warnings      []string
	// current is the config the plan kept secrets from (nil if none).
	current *halconfig.Halconfig
}

// makePlan builds the restored config: archived values; then secrets from
// secrets.age; then, for what the archive left out, current values where the
// same deployment/provider/account still exists. current may be nil. Files
// go to home/required-files and are staged under p.tree.
func (p *prepared) makePlan(current *halconfig.Halconfig, home string) (*plan, error) {
	pl := &plan{final: p.cfg.Clone(), current: current}
	staged := map[string]string{} // final path -> staged path
	useFile := func(ref halconfig.FieldRef, entry string) {
		final := filepath.Join(home, filepath.FromSlash(entry))
		pl.final.SetField(ref, final)
		staged[final] = filepath.Join(p.tree, filepath.FromSlash(entry))
		if !slices.Contains(pl.requiredFiles, entry) {
			pl.requiredFiles = append(pl.requiredFiles, entry)
		}
	}
	for _, sf := range p.cfg.SensitiveFields() {
		if sf.Desc.LocalFile && strings.HasPrefix(sf.Value, RequiredFilesDir+"/") {
			useFile(sf.FieldRef, sf.Value)
		}
	}
	filled := map[halconfig.FieldRef]bool{}
	if p.secrets != nil {
		for _, f := range p.secrets.Files {
			target := filepath.Join(p.tree, filepath.FromSlash(f.Name))
			if ok, err := exists(target); err != nil {
				return nil, err
			} else if !ok {
				if err := writeFileSync(target, f.Data); err != nil {
					return nil, fmt.Errorf("staging %s: %w", f.Name, err)
				}
			}
		}
		for _, v := range p.secrets.Values {
			if _, ok := pl.final.GetField(v.FieldRef); !ok {
				pl.warnings = append(pl.warnings, fmt.Sprintf("secrets.age holds %s, which the archived config does not have: ignored", v.FieldRef))
				continue
			}
			if v.Kind == KindFile {
				useFile(v.FieldRef, v.Value)
			} else {
				pl.final.SetField(v.FieldRef, v.Value)
			}
			filled[v.FieldRef] = true
		}
	}
	var placeholders []halconfig.FieldRef
	if p.secrets == nil {
		// Not decrypted (verify without a passphrase): a restore fills
		// these, so they are neither missing nor validation errors.
		for _, ref := range p.manifest.Encrypted {
			if ref.Kind == KindSecret {
				placeholders = append(placeholders, ref.FieldRef)
			}
		}
	}
	for _, ref := range p.manifest.LeftOut {
		if filled[ref.FieldRef] {
			continue
		}
		archived, ok := pl.final.GetField(ref.FieldRef)
		if !ok {
			continue
		}
		if current != nil {
			if v, ok := current.GetField(ref.FieldRef); ok && v != "" {
				pl.final.SetField(ref.FieldRef, v)
				pl.kept = append(pl.kept, ref)
				continue
			}
		}
		if archived != "" {
			continue
		}
		pl.missing = append(pl.missing, Missing{SecretRef: ref, Command: ref.SetCommand(ref.Path)})
		if ref.Kind == KindSecret {
			placeholders = append(placeholders, ref.FieldRef)
		}
	}
	pl.final.Normalize()
	pl.validation = pl.final.Clone()
	for _, sf := range pl.validation.SensitiveFields() {
		if s, ok := staged[sf.Value]; ok && sf.Desc.LocalFile {
			pl.validation.SetField(sf.FieldRef, s)
		}
	}
	for _, ref := range placeholders {
		pl.validation.SetField(ref, missingPlaceholder)
	}
	return pl, nil
}

// validate runs halconfig.Validate on every deployment of the plan.
func (pl *plan) validate(archive string, noValidate bool) (halconfig.Problems, error) {
	if noValidate {
		return nil, nil
	}
	var all halconfig.Problems
	for _, d := range pl.validation.DeploymentConfigurations {
		all = append(all, halconfig.Validate(d)...)
	}
	if blocking := all.Blocking(); len(blocking) > 0 {
		return all, &ValidationError{Archive: archive, Problems: all, Blocking: blocking}
	}
	return all, nil
}

// VerifyOptions control Verify.
type VerifyOptions struct {
	// Passphrase decrypts secrets.age; nil checks only its integrity.
	Passphrase func() (string, error)
	// NoValidate skips validating the backup's config.
	NoValidate bool
}

// VerifyResult is what Verify found.
type VerifyResult struct {
	Summary  Summary
	Manifest *Manifest
	// Migrated is the older schema the config was written in, if any.
	Migrated string
	// Decrypted is true when secrets.age was decrypted and checked.
	Decrypted bool
	// Problems are the validation findings on the config as restore would
	// write it into an empty $CTL_HOME.
	Problems halconfig.Problems
	// Missing are the secrets a restore into an empty $CTL_HOME would lack.
	Missing []Missing
}

// Verify runs every check Restore runs, and changes nothing: the archive is
// extracted to a temporary folder outside $CTL_HOME that is then removed.
// A ValidationError comes with the result.
func Verify(path string, opts VerifyOptions) (*VerifyResult, error) {
	tmp, err := os.MkdirTemp("", "ctl-backup-verify-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	p, err := prepare(path, filepath.Join(tmp, "tree"), opts.Passphrase)
	if err != nil {
		return nil, err
	}
	res := &VerifyResult{Summary: p.manifest.Summarize(path, p.size), Manifest: p.manifest, Decrypted: p.secrets != nil}
	if p.version != halconfig.APIVersion {
		res.Migrated = p.version
	}
	pl, err := p.makePlan(nil, filepath.Join(tmp, "home"))
	if err != nil {
		return nil, err
	}
	res.Missing = pl.missing
	res.Problems, err = pl.validate(path, opts.NoValidate)
	return res, err
}

// RestoreOptions control Restore.
type RestoreOptions struct {
	// Path is the backup to restore.
	Path string
	// NoValidate restores a config that fails validation.
	NoValidate bool
	// Passphrase decrypts secrets.age; it is called only when the archive has one.
	Passphrase func() (string, error)
	// Confirm is asked, once every check passed and before anything
	// changes; nil means yes.
	Confirm func(s Summary, deployments []string) (bool, error)
	// CtlVersion is written to the pre-restore backup's manifest.
	CtlVersion string
	// Now is the clock (time.Now when nil).
	Now func() time.Time
	// Pause, when not nil, is called at each step of the swap: "staged",
	// "journal", "move-N" after each rename, "journal-removed". Tests use
	// it to kill a restore at every step.
	Pause func(step string)
}

// RestoreResult says what Restore did.
type RestoreResult struct {
	Summary Summary
	// PreRestore is the backup of the state before the restore ("" when
	// there was no config to save).
	PreRestore string
	// Migrated is the older schema the backup's config was written in.
	Migrated string
	// Problems are the validation findings on the restored config.
	Problems halconfig.Problems
	// Kept are the secrets the archive left out that keep their current values.
	Kept []SecretRef
	// Missing are the secrets the restored config lacks, with the command to set each.
	Missing []Missing
	// Deployments are the deployments restored; Removed those whose
	// profiles/ and service-settings/ were removed because the backup
	// does not have them.
	Deployments, Removed []string
	Warnings             []string
}

// Restore replaces the config and every deployment's profiles/ and
// service-settings/ with the backup's, atomically (see the package
// documentation). history/ folders and files not in a backup's layout are
// never touched. The current state is first saved as a pre-restore backup
// with secrets included (mode 0600 in the 0700 backups folder).
func Restore(store *halconfig.Store, opts RestoreOptions) (*RestoreResult, error) {
	pause := opts.Pause
	if pause == nil {
		pause = func(string) {}
	}
	home := store.Home
	st, err := newStaging(home)
	if err != nil {
		return nil, err
	}
	handedOff := false
	defer func() {
		if !handedOff {
			st.remove()
		}
	}()
	passphrase := opts.Passphrase
	if passphrase == nil {
		passphrase = func() (string, error) { return "", nil }
	}
	p, err := prepare(opts.Path, st.tree(), passphrase)
	if err != nil {
		return nil, err
	}
	res := &RestoreResult{Summary: p.manifest.Summarize(opts.Path, p.size), Deployments: p.cfg.DeploymentNames()}
	if p.version != halconfig.APIVersion {
		res.Migrated = p.version
	}
	// Plan and validate against the current config, read without the lock
	// (a rename-replaced file is always whole), so a refusal or a "no"
	// changes nothing, not even the lock file; then again under the lock.
	plan := func() (*plan, error) {
		loaded, loadErr := store.Load()
		var current *halconfig.Halconfig
		res.Warnings = nil
		if loadErr == nil {
			current = loaded.Config
		} else {
			res.Warnings = append(res.Warnings, fmt.Sprintf("the current config does not parse, so no secret can be kept from it: %v", loadErr))
		}
		pl, err := p.makePlan(current, home)
		if err != nil {
			return nil, err
		}
		res.Kept, res.Missing = pl.kept, pl.missing
		res.Warnings = append(res.Warnings, pl.warnings...)
		if res.Problems, err = pl.validate(opts.Path, opts.NoValidate); err != nil {
			return nil, err
		}
		return pl, nil
	}
	if _, err := plan(); err != nil {
		return nil, err
	}
	if opts.Confirm != nil {
		ok, err := opts.Confirm(res.Summary, res.Deployments)
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, ErrNotConfirmed
		}
	}
	unlock, err := store.Lock()
	if err != nil {
		return nil, err
	}
	defer unlock()
	pl, err := plan()
	if err != nil {
		return nil, err
	}

	// Stage the final config and the folders of every restored deployment.
	data, err := halconfig.Marshal(pl.final)
	if err != nil {
		return nil, err
	}
	if err := writeFileSync(st.config(), data); err != nil {
		return nil, fmt.Errorf("staging the config: %w", err)
	}
	for _, dep := range res.Deployments {
		for _, sub := range deploymentDirs {
			if err := os.MkdirAll(filepath.Join(st.tree(), dep, sub), 0o700); err != nil {
				return nil, fmt.Errorf("staging %s/%s: %w", dep, sub, err)
			}
		}
	}

	// Save the current state so the restore can be undone.
	hadConfig, err := exists(store.Path)
	if err != nil {
		return nil, err
	}
	if hadConfig {
		pre, err := Create(store, CreateOptions{Secrets: SecretsIncluded, CtlVersion: opts.CtlVersion, Now: opts.Now,
			reason: ReasonPreRestore, keepBroken: true})
		if err != nil {
			return nil, fmt.Errorf("saving the current state before restoring (nothing was changed): %w", err)
		}
		res.PreRestore = pre.Path
		res.Warnings = append(res.Warnings, pre.Warnings...)
	}
	pause("staged")

	j, err := pl.journal(st, store, res)
	if err != nil {
		return nil, err
	}
	if err := syncTree(st.dir); err != nil {
		return nil, fmt.Errorf("syncing the staged restore: %w", err)
	}
	jdata, err := jsonIndent(j)
	if err != nil {
		return nil, err
	}
	if err := halconfig.WriteFileAtomic(filepath.Join(home, JournalName), jdata, 0o600); err != nil {
		return nil, fmt.Errorf("writing the restore journal (nothing was changed): %w", err)
	}
	handedOff = true // from here on, the journal owns the staging folder
	pause("journal")
	if err := j.apply(pause); err != nil {
		return nil, fmt.Errorf("restoring was interrupted: %w; run any ctl command to finish it from the journal %s", err, filepath.Join(home, JournalName))
	}
	if err := os.Remove(filepath.Join(home, JournalName)); err != nil {
		return nil, fmt.Errorf("removing the restore journal: %w", err)
	}
	if err := syncDir(home); err != nil {
		return nil, err
	}
	pause("journal-removed")
	st.remove()
	return res, nil
}

// journal lists the renames that swap the staged state in: deployments
// only the current config has lose their folders, restored deployments get
// theirs, new required files are added, and the config comes last.
func (pl *plan) journal(st *staging, store *halconfig.Store, res *RestoreResult) (*journal, error) {
	home := store.Home
	j := &journal{Version: 1, Staging: st.dir, Config: store.Path}
	n := 0
	aside := func() string { n++; return filepath.Join(st.old(), fmt.Sprint(n)) }
	if pl.current != nil {
		for _, dep := range pl.current.DeploymentNames() {
			if slices.Contains(res.Deployments, dep) {
				continue
			}
			res.Removed = append(res.Removed, dep)
			for _, sub := range deploymentDirs {
				j.Moves = append(j.Moves, move{To: filepath.Join(home, dep, sub), Aside: aside()})
			}
		}
	}
	for _, dep := range res.Deployments {
		for _, sub := range deploymentDirs {
			j.Moves = append(j.Moves, move{From: filepath.Join(st.tree(), dep, sub), To: filepath.Join(home, dep, sub), Aside: aside()})
		}
	}
	for _, entry := range pl.requiredFiles {
		from := filepath.Join(st.tree(), filepath.FromSlash(entry))
		to := filepath.Join(home, filepath.FromSlash(entry))
		if same, err := sameContent(from, to); err != nil {
			return nil, err
		} else if same {
			continue
		}
		j.Moves = append(j.Moves, move{From: from, To: to, Aside: aside()})
	}
	j.Moves = append(j.Moves, move{From: st.config(), To: store.Path})
	return j, nil
}

// sameContent reports whether b exists with a's bytes.
func sameContent(a, b string) (bool, error) {
	bb, err := os.ReadFile(b)
	if err != nil {
		return false, nil // missing or unreadable: replace it
	}
	ab, err := os.ReadFile(a)
	if err != nil {
		return false, err
	}
	return bytes.Equal(ab, bb), nil
}
