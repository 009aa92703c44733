package backup

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"filippo.io/age"

	"github.com/ctlproject/ctl/halconfig"
)

// ErrWrongPassphrase means secrets.age cannot be decrypted with the passphrase given.
var ErrWrongPassphrase = errors.New("wrong passphrase: secrets.age cannot be decrypted with it")

// ErrNoPassphrase means a passphrase was needed and none was given.
var ErrNoPassphrase = errors.New("no passphrase given")

// payload is the plain text of secrets.age.
type payload struct {
	// Values holds one entry per secret field; a file field's Value is the
	// name of its entry in Files.
	Values []payloadValue `json:"values"`
	Files  []payloadFile  `json:"files"`
}

type payloadValue struct {
	halconfig.FieldRef
	Kind  string `json:"kind"`
	Value string `json:"value"`
}

type payloadFile struct {
	Name   string `json:"name"`
	SHA256 string `json:"sha256"`
	Data   []byte `json:"data"`
}

// encryptPayload encrypts p with an age scrypt recipient.
func encryptPayload(p *payload, passphrase string) ([]byte, error) {
	if passphrase == "" {
		return nil, fmt.Errorf("--encrypt: %w (an empty passphrase protects nothing)", ErrNoPassphrase)
	}
	r, err := age.NewScryptRecipient(passphrase)
	if err != nil {
		return nil, err
	}
	plain, err := json.Marshal(p)
	if err != nil {
		return nil, err
	}
	var out bytes.Buffer
	w, err := age.Encrypt(&out, r)
	if err != nil {
		return nil, err
	}
	if _, err := w.Write(plain); err != nil {
		return nil, err
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

// decryptPayload decrypts and checks secrets.age.
func decryptPayload(archive string, data []byte, passphrase string) (*payload, error) {
	if passphrase == "" {
		return nil, fmt.Errorf("%s holds encrypted secrets (secrets.age): %w; nothing was changed", archive, ErrNoPassphrase)
	}
	id, err := age.NewScryptIdentity(passphrase)
	if err != nil {
		return nil, err
	}
	r, err := age.Decrypt(bytes.NewReader(data), id)
	if err != nil {
		var noMatch *age.NoIdentityMatchError
		if errors.As(err, &noMatch) || errors.Is(err, age.ErrIncorrectIdentity) {
			return nil, fmt.Errorf("%s: %w; nothing was changed", archive, ErrWrongPassphrase)
		}
		return nil, &EntryError{Archive: archive, Entry: SecretsName, Reason: fmt.Sprintf("cannot be decrypted: %v", err)}
	}
	plain, err := io.ReadAll(io.LimitReader(r, MaxTotalSize*2))
	if err != nil {
		return nil, &EntryError{Archive: archive, Entry: SecretsName, Reason: fmt.Sprintf("cannot be decrypted: %v", err)}
	}
	dec := json.NewDecoder(bytes.NewReader(plain))
	dec.DisallowUnknownFields()
	p := &payload{}
	if err := dec.Decode(p); err != nil {
		return nil, &EntryError{Archive: archive, Entry: SecretsName, Reason: fmt.Sprintf("decrypted, but does not hold ctl secrets: %v", err)}
	}
	files := map[string]bool{}
	for _, f := range p.Files {
		bad := func(format string, args ...any) error {
			return &EntryError{Archive: archive, Entry: SecretsName + ":" + f.Name, Reason: fmt.Sprintf(format, args...)}
		}
		if reason := checkName(f.Name); reason != "" || !strings.HasPrefix(f.Name, RequiredFilesDir+"/") {
			return nil, bad("not a required-files/NAME entry %s", reason)
		}
		if files[f.Name] {
			return nil, bad("appears twice")
		}
		if len(f.Data) > MaxFileSize {
			return nil, bad("is %d bytes; a backup entry holds at most %d (16 MiB)", len(f.Data), MaxFileSize)
		}
		if sum := sha256.Sum256(f.Data); hex.EncodeToString(sum[:]) != f.SHA256 {
			return nil, bad("does not match its sha256")
		}
		files[f.Name] = true
	}
	for _, v := range p.Values {
		switch v.Kind {
		case KindSecret:
		case KindFile:
			if !files[v.Value] {
				return nil, &EntryError{Archive: archive, Entry: SecretsName, Reason: fmt.Sprintf("%s points at %q, which it does not hold", v.FieldRef, v.Value)}
			}
		default:
			return nil, &EntryError{Archive: archive, Entry: SecretsName, Reason: fmt.Sprintf("%s has unknown kind %q", v.FieldRef, v.Kind)}
		}
	}
	return p, nil
}
