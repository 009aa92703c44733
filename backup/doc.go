// Package backup writes, checks and restores backups of $CTL_HOME, as
// Halyard's `hal backup create|restore` do for ~/.hal, without leaking a
// secret and without ever leaving a half-restored config.
//
// # Archive
//
// A backup is a gzip'd tar. Its first entry is manifest.json (Manifest):
// the archive format version, the config schema, the ctl version, the
// creation time, and the sha256 and size of every other entry. Then come:
//
//   - config: the config file, rewritten as described below;
//   - DEPLOYMENT/profiles/... and DEPLOYMENT/service-settings/... for every
//     deployment in the config;
//   - required-files/SHA256PREFIX-BASENAME: copies of the local files the
//     config points to (prometheus usernamePasswordFile, google jsonPath,
//     deploymentEnvironment kubeconfigFile), when secrets are included; the
//     archived config points at them relative to the archive, as Halyard does;
//   - secrets.age: with --encrypt, the secret values and those files,
//     encrypted with an age scrypt passphrase.
//
// Never archived: logs and caches (.cache, service-logs, *.log), lock and
// temp files, config.*.bak, earlier backups (backups/), and each
// deployment's history/ folder.
//
// # Secrets
//
// By default (SecretsLeftOut) the archive holds no secret: every field the
// provider table marks Secret is blanked in the archived config, the local
// files above (they hold credentials) are not copied and their fields are
// blanked, and each one is listed in the manifest's leftOut. With
// SecretsEncrypted they go into secrets.age; with SecretsIncluded they are
// stored in plain text. "encrypted:..." references are not secrets and are
// kept as they are. Files under profiles/ and service-settings/ are user
// content and are archived as they are: ctl cannot tell a secret inside a
// profile, so secrets belong in the config's secret fields.
//
// # Restore
//
// Restore checks everything before it changes anything (see Verify): the
// manifest comes first and is a known format, every entry is listed with its
// sha256 and size, no entry is unsafe (absolute, "..", links, devices, too
// big, too many), and the config parses (an older schema is migrated, a
// newer one refused) and validates. Secrets the archive left out keep their
// current values where the same deployment/provider/account still exists;
// the others are reported with the command that sets them. The current state
// is first saved as a "-pre-restore" backup so the restore can be undone.
//
// The swap is atomic through a journal: everything is prepared and fsynced
// in $CTL_HOME/.restore-staging-*, then $CTL_HOME/.restore-journal.json is
// written, then each entry is moved into place by rename (old entries go
// to the staging folder's old/), the config last. Recover, which every ctl
// command runs first, rolls a journal left by a killed restore forward, so
// a killed restore leaves the old state (no journal yet) or the new one,
// never a mix.
//
// # Deploy baseline
//
// `ctl deploy` keeps the "last applied" state of each deployment under
// $CTL_HOME/DEPLOYMENT/history/ (Halyard's history/ folder). Backups do not
// include history/ and Restore never touches it, so after a restore
// `ctl deploy diff` still compares against what is really deployed.
package backup
