// Package backup implements `ctl backup`: create, restore, verify and list
// backups of $CTL_HOME. The work is done by package backup.
package backup

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/ctlproject/ctl/backup"
	"github.com/ctlproject/ctl/cmd/cmdutil"
	"github.com/ctlproject/ctl/halconfig"
)

// PassphraseEnv is the environment variable that gives the passphrase of
// --encrypt and of restoring an encrypted backup without a prompt.
const PassphraseEnv = "CTL_BACKUP_PASSPHRASE"

// pauseEnv makes `backup restore` stop at a step of its swap, so tests can
// kill it there. Only the restore command reads it.
const pauseEnv = "CTL_TEST_RESTORE_PAUSE"

// NewCmdBackup returns `ctl backup`.
func NewCmdBackup(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "backup",
		Short: "Back up and restore the config, profiles and service settings",
		Long: `Back up $CTL_HOME (the config, every deployment's profiles/ and
service-settings/, and the local files the config points to) into one
.tar.gz, and restore it atomically.

By default a backup holds no secret: secret values and credential files
(usernamePasswordFile, jsonPath, kubeconfigFile) are left out and listed in
the backup's manifest. --encrypt stores them encrypted with a passphrase;
--include-secrets stores them in plain text.

Backups never hold logs, caches, lock files, earlier backups, or a
deployment's history/ folder, where "ctl deploy" keeps what it last applied.
A restore never touches history/, so "ctl deploy diff" still compares against
what is really deployed.`,
		Example: `  ctl backup create
  ctl backup create --encrypt --output /safe/place/ctl.tar.gz
  ctl backup list
  ctl backup verify ~/.ctl/backups/ctl-backup-20250102T030405Z.tar.gz
  ctl backup restore --backup-path ~/.ctl/backups/ctl-backup-20250102T030405Z.tar.gz`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return cmdutil.FlagErrorf("backup needs a subcommand: create, restore, verify or list")
		},
	}
	cmd.AddCommand(newCmdCreate(f), newCmdRestore(f), newCmdVerify(f), newCmdList(f))
	return cmd
}

// passphrase reads the passphrase from CTL_BACKUP_PASSPHRASE, or prompts
// for it (no echo on a TTY, one line of stdin otherwise); twice on a TTY
// when confirm is set.
func passphrase(f *cmdutil.Factory, confirm bool) func() (string, error) {
	return func() (string, error) {
		if p := f.Getenv(PassphraseEnv); p != "" {
			return p, nil
		}
		p, err := f.IO.ReadSecret("Backup passphrase: ")
		if err != nil {
			return "", fmt.Errorf("reading the backup passphrase: %w (type it, or set %s)", err, PassphraseEnv)
		}
		if p == "" {
			return "", fmt.Errorf("%w: type one, or set %s", backup.ErrNoPassphrase, PassphraseEnv)
		}
		if confirm && f.IO.IsStdinTTY() {
			again, err := f.IO.ReadSecret("Repeat the passphrase: ")
			if err != nil {
				return "", fmt.Errorf("reading the backup passphrase: %w", err)
			}
			if again != p {
				return "", errors.New("the two passphrases differ; nothing was written: try again")
			}
		}
		return p, nil
	}
}

func newCmdCreate(f *cmdutil.Factory) *cobra.Command {
	var output string
	var includeSecrets, encrypt bool
	cmd := &cobra.Command{
		Use:   "create",
		Short: "Back up the config, profiles and service settings",
		Long: `Write a backup of $CTL_HOME and print its path. The default is
$CTL_HOME/backups/ctl-backup-<UTC time>.tar.gz (mode 0600, in a 0700 folder).

The backup holds the config, every deployment's profiles/ and
service-settings/, and a manifest.json with the sha256 of every file. It never
holds logs, caches (.cache, service-logs, *.log), lock or temp files, earlier
backups, or history/ (what "ctl deploy" last applied stays as it is).

Secrets: by default none is in the backup. Every secret value is blanked and
the credential files the config points to (prometheus usernamePasswordFile,
google jsonPath, kubeconfigFile) are not copied; the manifest lists them.
A restore keeps their current values, or tells you how to set them.
  --encrypt          stores them in secrets.age, encrypted with a passphrase
                     (age scrypt). The passphrase comes from $` + PassphraseEnv + `,
                     or is prompted for (twice, no echo, on a terminal).
  --include-secrets  stores them in plain text; the backup is then as
                     sensitive as the secrets themselves.
Files in profiles/ and service-settings/ are archived as they are: keep
secrets in the config's secret fields, not in profiles.`,
		Example: `  ctl backup create
  ctl backup create --output /mnt/usb/ctl.tar.gz
  ` + PassphraseEnv + `=... ctl backup create --encrypt`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if includeSecrets && encrypt {
				return cmdutil.FlagErrorf("--include-secrets and --encrypt cannot be used together: --encrypt includes the secrets encrypted, --include-secrets in plain text")
			}
			store, err := f.Store()
			if err != nil {
				return err
			}
			opts := backup.CreateOptions{Secrets: backup.SecretsLeftOut, CtlVersion: f.Version}
			switch {
			case encrypt:
				opts.Secrets, opts.Passphrase = backup.SecretsEncrypted, passphrase(f, true)
			case includeSecrets:
				opts.Secrets = backup.SecretsIncluded
			}
			if output != "" {
				if opts.Output, err = filepath.Abs(output); err != nil {
					return cmdutil.FlagErrorf("--output %q: %v", output, err)
				}
			}
			res, err := backup.Create(store, opts)
			if err != nil {
				return err
			}
			printWarnings(f, res.Warnings)
			m := res.Manifest
			switch {
			case len(m.Included) > 0:
				fmt.Fprintf(f.IO.ErrOut, "%s this backup holds %d secret(s) in PLAIN TEXT (%s). Anyone who can read %s can read them: keep it as safe as the secrets, or use --encrypt instead.\n",
					f.IO.Color("31;1", "WARNING:"), len(m.Included), refList(m.Included), res.Path)
			case len(m.Encrypted) > 0:
				fmt.Fprintf(f.IO.ErrOut, "+ %d secret(s) are encrypted in secrets.age; restoring them needs the passphrase.\n", len(m.Encrypted))
			}
			if n := len(m.LeftOut); n > 0 {
				fmt.Fprintf(f.IO.ErrOut, "- %d secret(s) are not in the backup: %s.\n  A restore keeps their current values, or prints the command that sets each.", n, refList(m.LeftOut))
				if m.Secrets == backup.SecretsLeftOut {
					fmt.Fprint(f.IO.ErrOut, " Pass --encrypt to include them encrypted.")
				}
				fmt.Fprintln(f.IO.ErrOut)
			}
			fmt.Fprintln(f.IO.Out, res.Path)
			return nil
		},
	}
	cmd.Flags().StringVar(&output, "output", "", "Path of the backup file (default $CTL_HOME/backups/ctl-backup-<UTC time>.tar.gz); an existing file is never replaced")
	cmd.Flags().BoolVar(&encrypt, "encrypt", false, "Include secrets, encrypted with a passphrase (from $"+PassphraseEnv+" or prompted)")
	cmd.Flags().BoolVar(&includeSecrets, "include-secrets", false, "Include secrets in PLAIN TEXT (prefer --encrypt)")
	_ = cmd.MarkFlagFilename("output", "tar.gz")
	return cmd
}

// printWarnings writes warnings to stderr, marked as PrintProblems marks them.
func printWarnings(f *cmdutil.Factory, warnings []string) {
	for _, w := range warnings {
		fmt.Fprintf(f.IO.ErrOut, "%s %s\n", f.IO.Color("33", "- WARNING"), w)
	}
}

// refused explains why restore or verify refused a backup: a config that
// fails validation gets its problems printed, a wrong passphrase a pointer
// to PassphraseEnv.
func refused(f *cmdutil.Factory, err error) error {
	var verr *backup.ValidationError
	if errors.As(err, &verr) {
		cmdutil.PrintProblems(f.IO, verr.Problems)
	}
	if errors.Is(err, backup.ErrWrongPassphrase) {
		return fmt.Errorf("%w (check it, or set %s)", err, PassphraseEnv)
	}
	return err
}

func refList(refs []backup.SecretRef) string {
	s := make([]string, len(refs))
	for i, r := range refs {
		s[i] = r.FieldRef.String()
	}
	return strings.Join(s, ", ")
}

func newCmdRestore(f *cmdutil.Factory) *cobra.Command {
	var path string
	var yes, noValidate bool
	cmd := &cobra.Command{
		Use:   "restore",
		Short: "Restore a backup, atomically, after checking it",
		Long: `Replace the config and every deployment's profiles/ and service-settings/
with the backup's.

Nothing changes until every check passed: the manifest and the sha256 and
size of every file, no unsafe entry (absolute paths, "..", links, devices,
files over 16 MiB, over 256 MiB or 10,000 entries in all), the config schema
(an older one is migrated, a newer one refused), the passphrase of
encrypted secrets ($` + PassphraseEnv + ` or prompted), and validation of the
restored config (--no-validate skips it).

Secrets the backup left out keep their current values where the same
deployment, integration and account still exist; the others are listed with
the command that sets each. Credential files from the backup go to
$CTL_HOME/required-files/.

The current state is first saved as ctl-backup-<time>-pre-restore.tar.gz in
$CTL_HOME/backups, secrets included in plain text (mode 0600, 0700 folder),
so the restore can be undone. The swap is atomic: a restore that is killed
leaves the old state or, on the next ctl command, the complete new one.
history/ (what "ctl deploy" last applied) is never touched.`,
		Example: `  ctl backup restore --backup-path ~/.ctl/backups/ctl-backup-20250102T030405Z.tar.gz
  ` + PassphraseEnv + `=... ctl backup restore --backup-path ctl.tar.gz --yes`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if path == "" {
				return cmdutil.FlagErrorf("required flag --backup-path not set: give the backup to restore (see `ctl backup list`)")
			}
			abs, err := filepath.Abs(path)
			if err != nil {
				return cmdutil.FlagErrorf("--backup-path %q: %v", path, err)
			}
			store, err := f.Store()
			if err != nil {
				return err
			}
			opts := backup.RestoreOptions{
				Path: abs, NoValidate: noValidate, Passphrase: passphrase(f, false), CtlVersion: f.Version,
				Confirm: func(s backup.Summary, deployments []string) (bool, error) {
					if yes {
						return true, nil
					}
					if !f.IO.IsStdinTTY() {
						return false, cmdutil.FlagErrorf("restoring replaces the current config; standard input is not a terminal to confirm it, so pass --yes (nothing was changed)")
					}
					return f.IO.Confirm(fmt.Sprintf("This replaces %s and the profiles/ and service-settings/ of deployment(s) %s with the backup from %s (ctl %s).\nThe current state is saved first. Continue?",
						store.Path, strings.Join(deployments, ", "), s.Created.Format(time.RFC3339), s.CtlVersion))
				},
			}
			if step := f.Getenv(pauseEnv); step != "" {
				opts.Pause = func(s string) {
					if s == step {
						fmt.Fprintf(f.IO.ErrOut, "ctl-test: restore paused at %s\n", s)
						time.Sleep(time.Hour)
					}
				}
			}
			res, err := backup.Restore(store, opts)
			if err != nil {
				return refused(f, err)
			}
			cmdutil.PrintProblems(f.IO, res.Problems)
			printWarnings(f, res.Warnings)
			if res.PreRestore != "" {
				fmt.Fprintf(f.IO.Out, "+ Saved the state before the restore to %s\n  (secrets included in plain text; mode 0600 in the 0700 backups folder). Undo with:\n    ctl backup restore --backup-path %s --yes\n",
					res.PreRestore, res.PreRestore)
			}
			migrated := ""
			if res.Migrated != "" {
				migrated = fmt.Sprintf(", migrated from schema %s to %s", res.Migrated, halconfig.APIVersion)
			}
			fmt.Fprintf(f.IO.Out, "+ Restored %s (made %s by ctl %s%s): config and deployment(s) %s\n",
				abs, res.Summary.Created.Format(time.RFC3339), res.Summary.CtlVersion, migrated, strings.Join(res.Deployments, ", "))
			if len(res.Removed) > 0 {
				fmt.Fprintf(f.IO.Out, "- Removed the profiles/ and service-settings/ of deployment(s) %s, which the backup does not have (they are in the pre-restore backup)\n", strings.Join(res.Removed, ", "))
			}
			if len(res.Kept) > 0 {
				fmt.Fprintf(f.IO.ErrOut, "- Kept the current value of %d secret(s) the backup left out: %s\n", len(res.Kept), refList(res.Kept))
			}
			if len(res.Missing) > 0 {
				fmt.Fprintf(f.IO.ErrOut, "%s %d secret(s) are not in the backup and have no current value; set each with:\n", f.IO.Color("31", "!"), len(res.Missing))
				for _, m := range res.Missing {
					fmt.Fprintf(f.IO.ErrOut, "    %s\n", m.Command)
				}
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&path, "backup-path", "", "The backup to restore (required)")
	cmd.Flags().BoolVarP(&yes, "yes", "y", false, "Do not ask for confirmation (needed when standard input is not a terminal)")
	cmd.Flags().BoolVar(&noValidate, "no-validate", false, "Restore a config that fails validation")
	_ = cmd.MarkFlagFilename("backup-path", "tar.gz")
	return cmd
}

func newCmdVerify(f *cmdutil.Factory) *cobra.Command {
	var format cmdutil.Format
	var noValidate bool
	cmd := &cobra.Command{
		Use:   "verify FILE",
		Short: "Check a backup the way restore does, changing nothing",
		Long: `Run every check of "ctl backup restore" on FILE, change nothing, and print
the backup's summary. Exits 1 when the backup would be refused.

secrets.age is decrypted (checking the passphrase) when $` + PassphraseEnv + ` is set
or standard input is a terminal; otherwise only its checksum is checked.`,
		Example: `  ctl backup verify ~/.ctl/backups/ctl-backup-20250102T030405Z.tar.gz
  ctl backup verify ctl.tar.gz -o json`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return cmdutil.FlagErrorf("%q needs exactly one FILE, got %d argument(s)", cmd.CommandPath(), len(args))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			path, err := filepath.Abs(args[0])
			if err != nil {
				return err
			}
			opts := backup.VerifyOptions{NoValidate: noValidate}
			if f.Getenv(PassphraseEnv) != "" || f.IO.IsStdinTTY() {
				opts.Passphrase = passphrase(f, false)
			}
			res, err := backup.Verify(path, opts)
			if err != nil {
				return refused(f, err)
			}
			cmdutil.PrintProblems(f.IO, res.Problems)
			s := res.Summary
			err = cmdutil.Print(f.IO.Out, format, s, func(w *tabwriter.Writer) {
				fmt.Fprintf(w, "Backup:\t%s\n", s.Path)
				fmt.Fprintf(w, "Created:\t%s\n", s.Created.Format(time.RFC3339))
				fmt.Fprintf(w, "ctl version:\t%s\n", s.CtlVersion)
				schema := s.ConfigSchema
				if res.Migrated != "" {
					schema += " (migrated to " + halconfig.APIVersion + " on restore)"
				}
				fmt.Fprintf(w, "Config schema:\t%s\n", schema)
				fmt.Fprintf(w, "Files:\t%d\n", s.Files)
				fmt.Fprintf(w, "Secrets:\t%s\n", s.Secrets)
				fmt.Fprintf(w, "Size:\t%s\n", humanSize(s.Size))
				fmt.Fprintf(w, "Result:\tOK\n")
			})
			if err != nil {
				return err
			}
			if len(res.Manifest.Encrypted) > 0 && !res.Decrypted {
				fmt.Fprintf(f.IO.ErrOut, "- secrets.age was not decrypted (set %s to check the passphrase too)\n", PassphraseEnv)
			}
			return nil
		},
	}
	cmdutil.AddOutputFlag(cmd, &format)
	cmd.Flags().BoolVar(&noValidate, "no-validate", false, "Skip validating the backup's config")
	return cmd
}

func newCmdList(f *cmdutil.Factory) *cobra.Command {
	var format cmdutil.Format
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the backups in $CTL_HOME/backups, newest first",
		Example: `  ctl backup list
  ctl backup list -o json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			home, err := f.Home()
			if err != nil {
				return err
			}
			list, err := backup.List(home)
			if err != nil {
				return err
			}
			if list == nil {
				list = []backup.Summary{}
			}
			return cmdutil.Print(f.IO.Out, format, list, func(w *tabwriter.Writer) {
				if len(list) == 0 {
					fmt.Fprintf(w, "No backups in %s. Make one with `ctl backup create`.\n", filepath.Join(home, backup.BackupsDir))
					return
				}
				fmt.Fprintln(w, "CREATED\tCTL VERSION\tSCHEMA\tFILES\tSECRETS\tSIZE\tPATH")
				for _, s := range list {
					if s.Error != "" {
						fmt.Fprintf(w, "%s\t-\t-\t-\tunreadable: %s\t%s\t%s\n", s.Created.Format(time.RFC3339), s.Error, humanSize(s.Size), s.Path)
						continue
					}
					secrets := s.Secrets
					if s.Reason != "" {
						secrets += " [" + s.Reason + "]"
					}
					fmt.Fprintf(w, "%s\t%s\t%s\t%d\t%s\t%s\t%s\n", s.Created.Format(time.RFC3339), s.CtlVersion, s.ConfigSchema, s.Files, secrets, humanSize(s.Size), s.Path)
				}
			})
		},
	}
	cmdutil.AddOutputFlag(cmd, &format)
	return cmd
}

func humanSize(n int64) string {
	switch {
	case n < 1<<10:
		return fmt.Sprintf("%d B", n)
	case n < 1<<20:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	default:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	}
}
