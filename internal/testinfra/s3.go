package testinfra

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// S3 is an S3 server (versitygw on a POSIX folder) started by StartS3. It
// checks SigV4 signatures: only AccessKey/SecretKey are accepted.
type S3 struct {
	// Endpoint is the base URL, http://127.0.0.1:PORT (path-style buckets).
	Endpoint string
	// Addr is 127.0.0.1:PORT.
	Addr string
	// AccessKey and SecretKey are the root user's credentials.
	AccessKey, SecretKey string
	// Region is the region the server signs for, us-east-1.
	Region string
	// Dir is the folder the server stores into: one subfolder per bucket.
	Dir string

	proc *process
}

// S3Option configures StartS3.
type S3Option func(*s3Options)

type s3Options struct{ sidecar bool }

// WithSidecar stores object metadata in a sidecar folder instead of
// extended attributes. StartS3 does so by itself on a filesystem without
// user xattrs.
func WithSidecar() S3Option { return func(o *s3Options) { o.sidecar = true } }

const s3HealthPath = "/ctl-testinfra-health"

// StartS3 starts versitygw on a free loopback port with fresh random root
// credentials, waits until it answers and stops it when the test ends.
func StartS3(t testing.TB, opts ...S3Option) *S3 {
	t.Helper()
	var o s3Options
	for _, opt := range opts {
		opt(&o)
	}
	bin := Binary(t, "versitygw")
	dir := t.TempDir()
	s := &S3{
		AccessKey: "ctltest" + randomHex(t, 6),
		SecretKey: randomHex(t, 20),
		Region:    "us-east-1",
		Dir:       filepath.Join(dir, "root"),
	}
	if err := os.MkdirAll(s.Dir, 0o755); err != nil {
		t.Fatal(err)
	}
	posix := []string{"posix"}
	if o.sidecar || !xattrsSupported(s.Dir) {
		side := filepath.Join(dir, "sidecar")
		if err := os.MkdirAll(side, 0o755); err != nil {
			t.Fatal(err)
		}
		posix = append(posix, "--sidecar", side)
	}
	posix = append(posix, s.Dir)

	env := childEnv([]string{"ROOT_ACCESS_KEY", "ROOT_SECRET", "VGW_", "LOGFILE="},
		"ROOT_ACCESS_KEY_ID="+s.AccessKey, "ROOT_SECRET_ACCESS_KEY="+s.SecretKey)
	s.proc, s.Addr = launch(t, "versitygw", bin, env, dir,
		func(addr string) []string {
			return append([]string{"--port", addr, "--region", s.Region, "--health", s3HealthPath}, posix...)
		},
		func(ctx context.Context, addr string) error {
			return get200(ctx, http.DefaultClient, "http://"+addr+s3HealthPath, "")
		})
	s.Endpoint = "http://" + s.Addr
	return s
}

// Client returns an S3 client for the server with its root credentials
// (path-style addressing, no retries).
func (s *S3) Client() *s3.Client {
	return s3.New(s3.Options{
		BaseEndpoint:     aws.String(s.Endpoint),
		UsePathStyle:     true,
		Region:           s.Region,
		Credentials:      credentials.NewStaticCredentialsProvider(s.AccessKey, s.SecretKey, ""),
		RetryMaxAttempts: 1,
	})
}

// CreateBucket creates a bucket, failing the test if it cannot.
func (s *S3) CreateBucket(t testing.TB, name string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := s.Client().CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(name)}); err != nil {
		t.Fatalf("testinfra: create bucket %s: %v", name, err)
	}
}

// Stop stops the server now (it is stopped at the end of the test anyway);
// its port is then closed.
func (s *S3) Stop() { s.proc.Stop() }

// Log returns what the server logged so far.
func (s *S3) Log() string { return s.proc.Log() }

func randomHex(t testing.TB, n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}
