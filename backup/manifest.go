package backup

import (
	"fmt"
	"strings"
	"time"

	"github.com/ctlproject/ctl/halconfig"
)

// FormatVersion is the archive format this ctl writes. Restore refuses a
// newer one.
const FormatVersion = 1

// Names of the fixed archive entries.
const (
	ManifestName = "manifest.json"
	ConfigName   = "config"
	SecretsName  = "secrets.age"
	// RequiredFilesDir holds copies of the local files the config points to,
	// in the archive and, after a restore, in $CTL_HOME.
	RequiredFilesDir = "required-files"
	// BackupsDir is the folder of $CTL_HOME that holds backups.
	BackupsDir = "backups"
)

// deploymentDirs are the folders of each deployment that a backup holds
// and a restore replaces (DEPLOYMENT/profiles/..., DEPLOYMENT/service-settings/...).
var deploymentDirs = []string{"profiles", "service-settings"}

// Limits that Restore and Verify enforce on an archive; Create refuses to
// write an archive they would refuse.
const (
	MaxFileSize  = 16 << 20  // one entry
	MaxTotalSize = 256 << 20 // all entries together
	MaxEntries   = 10000
)

// SecretsMode says what a backup does with secret values and credential files.
type SecretsMode string

const (
	// SecretsLeftOut: no secret is in the archive (the default).
	SecretsLeftOut SecretsMode = "left-out"
	// SecretsEncrypted: secrets are in secrets.age, encrypted with a passphrase (--encrypt).
	SecretsEncrypted SecretsMode = "encrypted"
	// SecretsIncluded: secrets are in the archive in plain text (--include-secrets).
	SecretsIncluded SecretsMode = "included"
)

// SchemaUnreadable is Manifest.ConfigSchema of a pre-restore backup whose
// config did not parse: the config is kept byte for byte.
const SchemaUnreadable = "unreadable"

// Reason values of Manifest.Reason.
const (
	ReasonPreRestore = "pre-restore"
)

// Manifest is manifest.json, the first entry of every backup.
type Manifest struct {
	FormatVersion int `json:"formatVersion"`
	// ConfigSchema is the apiVersion of the archived config.
	ConfigSchema string `json:"configSchema"`
	// CtlVersion is the version of the ctl that wrote the backup.
	CtlVersion string `json:"ctlVersion"`
	// Created is the creation time, in UTC.
	Created time.Time `json:"created"`
	// Reason is "pre-restore" for the automatic backup a restore writes first.
	Reason string `json:"reason,omitempty"`
	// Secrets is how the backup was asked to treat secrets.
	Secrets SecretsMode `json:"secrets"`
	// LeftOut lists the secret values and credential files that are not in
	// the archive (and why, when it is not the default).
	LeftOut []SecretRef `json:"leftOut"`
	// Encrypted lists what secrets.age holds.
	Encrypted []SecretRef `json:"encrypted,omitempty"`
	// Included lists the secrets stored in plain text.
	Included []SecretRef `json:"included,omitempty"`
	// Files lists every entry after manifest.json.
	Files []File `json:"files"`
}

// File is one archive entry.
type File struct {
	Name   string `json:"name"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

// Secret kinds.
const (
	KindSecret = "secret" // a Secret field's value
	KindFile   = "file"   // a local file the config points to
)

// SecretRef names a secret value or a credential file, never its content.
type SecretRef struct {
	halconfig.FieldRef
	// Kind is "secret" or "file".
	Kind string `json:"kind"`
	// Path is a file's path when the backup was made (not secret).
	Path string `json:"path,omitempty"`
	// Entry is the archive name of an included or encrypted file.
	Entry string `json:"entry,omitempty"`
	// Note says why a secret was left out when it is not the backup's mode
	// (for instance a file that could not be read).
	Note string `json:"note,omitempty"`
}

// file returns the manifest entry with the given name.
func (m *Manifest) file(name string) (File, bool) {
	for _, f := range m.Files {
		if f.Name == name {
			return f, true
		}
	}
	return File{}, false
}

// Summary is what `ctl backup list` and `verify` show about a backup.
type Summary struct {
	Path         string    `json:"path" yaml:"path"`
	Created      time.Time `json:"created" yaml:"created"`
	CtlVersion   string    `json:"ctlVersion" yaml:"ctlVersion"`
	ConfigSchema string    `json:"configSchema" yaml:"configSchema"`
	Reason       string    `json:"reason,omitempty" yaml:"reason,omitempty"`
	Files        int       `json:"files" yaml:"files"`
	// Secrets reads like "left out (2)", "encrypted (2)" or "included in plain text (2)".
	Secrets   string `json:"secrets" yaml:"secrets"`
	LeftOut   int    `json:"leftOut" yaml:"leftOut"`
	Encrypted int    `json:"encrypted" yaml:"encrypted"`
	Included  int    `json:"included" yaml:"included"`
	// Size is the archive's size in bytes.
	Size int64 `json:"size" yaml:"size"`
	// Error says why the backup could not be read (list only).
	Error string `json:"error,omitempty" yaml:"error,omitempty"`
}

// Summarize describes a backup from its manifest.
func (m *Manifest) Summarize(path string, size int64) Summary {
	return Summary{
		Path: path, Created: m.Created.UTC(), CtlVersion: m.CtlVersion, ConfigSchema: m.ConfigSchema,
		Reason: m.Reason, Files: len(m.Files), Secrets: m.secretsWord(),
		LeftOut: len(m.LeftOut), Encrypted: len(m.Encrypted), Included: len(m.Included), Size: size,
	}
}

func (m *Manifest) secretsWord() string {
	var parts []string
	if n := len(m.Encrypted); n > 0 {
		parts = append(parts, fmt.Sprintf("encrypted (%d)", n))
	}
	if n := len(m.Included); n > 0 {
		parts = append(parts, fmt.Sprintf("included in plain text (%d)", n))
	}
	if n := len(m.LeftOut); n > 0 {
		parts = append(parts, fmt.Sprintf("left out (%d)", n))
	}
	if len(parts) == 0 {
		return "none in config"
	}
	return strings.Join(parts, ", ")
}
