package halconfig_test

// Tests of ValidateOnline against real servers on loopback (Prometheus and
// versitygw, started by internal/testinfra), plus plain listeners for the
// cases no server shows on demand (a closed port, a server that never answers).

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ctlproject/ctl/halconfig"
	"github.com/ctlproject/ctl/internal/testinfra"
)

// onlineTimeout is the per-check timeout of the tests that expect an answer.
const onlineTimeout = 10 * time.Second

// deployment returns a deployment whose integration (prometheus or aws) is
// enabled with the given accounts.
func deployment(integration string, accounts ...*halconfig.Account) *halconfig.DeploymentConfiguration {
	d := halconfig.NewDeployment("default")
	d.Canary.Enabled = true
	si := d.Canary.Integration(integration)
	si.Enabled = true
	if integration == "aws" {
		si.S3Enabled = true
	}
	si.Accounts = accounts
	d.Canary.Normalize()
	return d
}

func promAccount(baseURL string, kv ...string) *halconfig.Account {
	a := &halconfig.Account{Name: "my-prometheus", Values: map[string]string{"endpoint.baseUrl": baseURL}}
	for i := 0; i+1 < len(kv); i += 2 {
		a.Set(kv[i], kv[i+1])
	}
	return a
}

func s3Account(s *testinfra.S3, endpoint, bucket string) *halconfig.Account {
	return &halconfig.Account{Name: "my-s3", Values: map[string]string{
		"bucket":          bucket,
		"region":          s.Region,
		"endpoint":        endpoint,
		"accessKeyId":     s.AccessKey,
		"secretAccessKey": s.SecretKey,
	}}
}

// isolateAWS keeps the developer's AWS settings out of the SDK's default
// config loading.
func isolateAWS(t *testing.T) {
	t.Helper()
	empty := filepath.Join(t.TempDir(), "empty")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_REGION", "AWS_DEFAULT_REGION",
		"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3"} {
		t.Setenv(k, "")
		os.Unsetenv(k)
	}
	t.Setenv("AWS_CONFIG_FILE", empty)
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", empty)
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
}

// validate runs ValidateOnline and returns its single problem and how long it took.
func validate(t *testing.T, d *halconfig.DeploymentConfiguration, timeout time.Duration) (halconfig.Problem, time.Duration) {
	t.Helper()
	start := time.Now()
	ps := halconfig.ValidateOnline(context.Background(), d, timeout)
	took := time.Since(start)
	if len(ps) != 1 {
		t.Fatalf("ValidateOnline returned %d problems, want 1: %v", len(ps), ps)
	}
	t.Logf("%v (%v)", ps[0], took.Round(time.Millisecond))
	return ps[0], took
}

func want(t *testing.T, p halconfig.Problem, sev halconfig.Severity, loc string, msgParts ...string) {
	t.Helper()
	if p.Severity != sev {
		t.Errorf("severity = %v, want %v: %v", p.Severity, sev, p)
	}
	if p.Location != loc {
		t.Errorf("location = %q, want %q", p.Location, loc)
	}
	for _, s := range msgParts {
		if !strings.Contains(p.Message, s) {
			t.Errorf("message %q does not contain %q", p.Message, s)
		}
	}
	if sev >= halconfig.Error && p.Remediation == "" {
		t.Errorf("no remediation for %v", p)
	}
}

const (
	promLoc = "default.canary.prometheus.accounts[my-prometheus]"
	s3Loc   = "default.canary.aws.accounts[my-s3]"
)

// closedAddr returns a loopback address on which nothing listens.
func closedAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

func TestOnlinePrometheusHealthy(t *testing.T) {
	p := testinfra.StartPrometheus(t)
	for _, base := range []string{p.URL, p.URL + "/"} {
		got, _ := validate(t, deployment("prometheus", promAccount(base)), onlineTimeout)
		want(t, got, halconfig.Info, promLoc, "Prometheus at "+p.URL+" answered /-/healthy")
	}
}

func TestOnlinePrometheusBasicAuth(t *testing.T) {
	const user, pass = "canary", "pa:ss word"
	p := testinfra.StartPrometheus(t, testinfra.WithBasicAuth(user, pass))
	dir := t.TempDir()
	file := func(content string) string {
		f, err := os.CreateTemp(dir, "userpass")
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if _, err := f.WriteString(content); err != nil {
			t.Fatal(err)
		}
		return f.Name()
	}
	for _, tc := range []struct {
		name string
		kv   []string
		ok   bool
	}{
		{"username and password", []string{"username", user, "password", pass}, true},
		{"usernamePasswordFile", []string{"usernamePasswordFile", file(user + ":" + pass + "\n")}, true},
		{"file wins over inline", []string{"username", user, "password", "wrong", "usernamePasswordFile", file(user + ":" + pass)}, true},
		{"no credentials", nil, false},
		{"wrong password", []string{"username", user, "password", "wrong"}, false},
		{"wrong user", []string{"username", "someone", "password", pass}, false},
		{"wrong password in file", []string{"usernamePasswordFile", file(user + ":wrong\n")}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, _ := validate(t, deployment("prometheus", promAccount(p.URL, tc.kv...)), onlineTimeout)
			if tc.ok {
				want(t, got, halconfig.Info, promLoc, "answered /-/healthy")
			} else {
				want(t, got, halconfig.Error, promLoc+".endpoint.baseUrl", "refused the credentials", "401")
				if !strings.Contains(got.Remediation, "password") {
					t.Errorf("remediation %q does not point at the credentials", got.Remediation)
				}
			}
		})
	}
}

func TestOnlinePrometheusDown(t *testing.T) {
	t.Run("stopped", func(t *testing.T) {
		p := testinfra.StartPrometheus(t)
		p.Stop()
		got, took := validate(t, deployment("prometheus", promAccount(p.URL)), onlineTimeout)
		want(t, got, halconfig.Error, promLoc+".endpoint.baseUrl", "Prometheus at "+p.URL+" did not answer", "connection refused")
		if took > 2*time.Second {
			t.Errorf("took %v against a closed port, want a quick failure", took)
		}
	})
	t.Run("port never opened", func(t *testing.T) {
		got, took := validate(t, deployment("prometheus", promAccount("http://"+closedAddr(t))), onlineTimeout)
		want(t, got, halconfig.Error, promLoc+".endpoint.baseUrl", "did not answer", "connection refused")
		if took > 2*time.Second {
			t.Errorf("took %v against a closed port, want a quick failure", took)
		}
	})
}

func TestOnlinePrometheusTimeout(t *testing.T) {
	const timeout = 500 * time.Millisecond
	addr := testinfra.SilentServer(t)
	got, took := validate(t, deployment("prometheus", promAccount("http://"+addr)), timeout)
	want(t, got, halconfig.Error, promLoc+".endpoint.baseUrl", "did not answer: timed out")
	if took < timeout || took > timeout+2*time.Second {
		t.Errorf("took %v with a %v timeout", took, timeout)
	}
}

func TestOnlineS3(t *testing.T) {
	isolateAWS(t)
	s := testinfra.StartS3(t)
	s.CreateBucket(t, "spin-bucket")

	t.Run("bucket exists", func(t *testing.T) {
		for _, endpoint := range []string{s.Endpoint, s.Endpoint + "/"} {
			got, _ := validate(t, deployment("aws", s3Account(s, endpoint, "spin-bucket")), onlineTimeout)
			want(t, got, halconfig.Info, s3Loc, "Bucket spin-bucket is reachable.")
		}
	})
	t.Run("default region", func(t *testing.T) {
		a := s3Account(s, s.Endpoint, "spin-bucket")
		a.Set("region", "")
		got, _ := validate(t, deployment("aws", a), onlineTimeout)
		want(t, got, halconfig.Info, s3Loc, "reachable")
	})
	t.Run("missing bucket", func(t *testing.T) {
		got, _ := validate(t, deployment("aws", s3Account(s, s.Endpoint, "no-such-bucket")), onlineTimeout)
		want(t, got, halconfig.Error, s3Loc+".bucket", "HEAD bucket no-such-bucket failed: the bucket does not exist")
	})
	t.Run("wrong secret key", func(t *testing.T) {
		a := s3Account(s, s.Endpoint, "spin-bucket")
		a.Set("secretAccessKey", "not-"+s.SecretKey)
		got, _ := validate(t, deployment("aws", a), onlineTimeout)
		want(t, got, halconfig.Error, s3Loc+".bucket", "access denied")
		if !strings.Contains(got.Remediation, "--secret-access-key") {
			t.Errorf("remediation %q does not point at the keys", got.Remediation)
		}
	})
	t.Run("unknown access key", func(t *testing.T) {
		// versitygw answers 404 (XAdminUserNotFound) where AWS answers 403
		// InvalidAccessKeyId, and a HEAD has no body to tell it from a
		// missing bucket: only the severity and location are checked.
		a := s3Account(s, s.Endpoint, "spin-bucket")
		a.Set("accessKeyId", "AKIDUNKNOWN")
		got, _ := validate(t, deployment("aws", a), onlineTimeout)
		want(t, got, halconfig.Error, s3Loc+".bucket", "HEAD bucket spin-bucket failed")
	})
	t.Run("wrong region", func(t *testing.T) {
		a := s3Account(s, s.Endpoint, "spin-bucket")
		a.Set("region", "eu-west-1")
		got, _ := validate(t, deployment("aws", a), onlineTimeout)
		want(t, got, halconfig.Error, s3Loc+".bucket", "HEAD bucket spin-bucket failed")
	})
	t.Run("bare host:port means https", func(t *testing.T) {
		// versitygw serves plain http: a bare host:port endpoint is taken
		// as https:// and fails the TLS handshake.
		got, took := validate(t, deployment("aws", s3Account(s, s.Addr, "spin-bucket")), onlineTimeout)
		want(t, got, halconfig.Error, s3Loc+".bucket", "https://"+s.Addr+"/spin-bucket")
		if took > 5*time.Second {
			t.Errorf("took %v, want a quick failure", took)
		}
	})
}

func TestOnlineS3Down(t *testing.T) {
	isolateAWS(t)
	s := testinfra.StartS3(t)
	s.CreateBucket(t, "spin-bucket")
	s.Stop()
	for _, tc := range []struct{ name, endpoint, scheme string }{
		{"http URL", s.Endpoint, "http://"},
		{"bare host:port", s.Addr, "https://"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, took := validate(t, deployment("aws", s3Account(s, tc.endpoint, "spin-bucket")), onlineTimeout)
			want(t, got, halconfig.Error, s3Loc+".bucket", tc.scheme+s.Addr, "connection refused")
			if took > 2*time.Second {
				t.Errorf("took %v against a closed port, want a quick failure", took)
			}
		})
	}
}

func TestOnlineS3Timeout(t *testing.T) {
	isolateAWS(t)
	const timeout = 500 * time.Millisecond
	s := &testinfra.S3{AccessKey: "AKID", SecretKey: "secret", Region: "us-east-1"}
	got, took := validate(t, deployment("aws", s3Account(s, "http://"+testinfra.SilentServer(t), "spin-bucket")), timeout)
	want(t, got, halconfig.Error, s3Loc+".bucket", "HEAD bucket spin-bucket failed: timed out")
	if took < timeout || took > timeout+2*time.Second {
		t.Errorf("took %v with a %v timeout", took, timeout)
	}
}

// TestOnlineParallel checks a deployment with several accounts: the checks
// run side by side, each with its own timeout; disabled integrations and
// bucketless AWS accounts are not checked; other providers get an INFO.
func TestOnlineParallel(t *testing.T) {
	isolateAWS(t)
	const timeout = time.Second
	p := testinfra.StartPrometheus(t)
	s := testinfra.StartS3(t)
	s.CreateBucket(t, "spin-bucket")

	d := deployment("prometheus",
		promAccount(p.URL),
		&halconfig.Account{Name: "slow-prometheus", Values: map[string]string{"endpoint.baseUrl": "http://" + testinfra.SilentServer(t)}},
		&halconfig.Account{Name: "slow-prometheus-2", Values: map[string]string{"endpoint.baseUrl": "http://" + testinfra.SilentServer(t)}},
	)
	aws := d.Canary.Integration("aws")
	aws.Enabled, aws.S3Enabled = true, true
	noBucket := s3Account(s, s.Endpoint, "")
	noBucket.Name = "no-bucket"
	slowS3 := s3Account(s, "http://"+testinfra.SilentServer(t), "spin-bucket")
	slowS3.Name = "slow-s3"
	aws.Accounts = []*halconfig.Account{s3Account(s, s.Endpoint, "spin-bucket"), noBucket, slowS3}
	nr := d.Canary.Integration("newrelic")
	nr.Enabled = true
	nr.Accounts = []*halconfig.Account{{Name: "nr", Values: map[string]string{"endpoint.baseUrl": "http://" + testinfra.SilentServer(t), "apiKey": "k", "applicationKey": "1"}}}
	dd := d.Canary.Integration("datadog") // disabled
	dd.Accounts = []*halconfig.Account{{Name: "dd", Values: map[string]string{"endpoint.baseUrl": "http://" + testinfra.SilentServer(t)}}}
	d.Canary.Normalize()

	start := time.Now()
	ps := halconfig.ValidateOnline(context.Background(), d, timeout)
	took := time.Since(start)
	got := map[string]halconfig.Problem{}
	for _, p := range ps {
		t.Log(p)
		got[strings.SplitN(p.Location, "]", 2)[0]+"]"] = p
	}
	wantSev := map[string]halconfig.Severity{
		promLoc: halconfig.Info,
		"default.canary.prometheus.accounts[slow-prometheus]":   halconfig.Error,
		"default.canary.prometheus.accounts[slow-prometheus-2]": halconfig.Error,
		s3Loc:                                  halconfig.Info,
		"default.canary.aws.accounts[slow-s3]": halconfig.Error,
		"default.canary.newrelic.accounts[nr]": halconfig.Info,
	}
	if len(got) != len(wantSev) || len(ps) != len(wantSev) {
		t.Errorf("got %d problems %v, want %v", len(ps), got, wantSev)
	}
	for loc, sev := range wantSev {
		if got[loc].Severity != sev {
			t.Errorf("%s: severity %v, want %v", loc, got[loc].Severity, sev)
		}
		if sev == halconfig.Error && !strings.Contains(got[loc].Message, "timed out") {
			t.Errorf("%s: message %q, want a time-out", loc, got[loc].Message)
		}
	}
	if m := got["default.canary.newrelic.accounts[nr]"].Message; m != "New Relic accounts are not checked online." {
		t.Errorf("newrelic: message %q", m)
	}
	// Three checks time out: one after the other they would take 3s.
	if took < timeout || took > timeout+1500*time.Millisecond {
		t.Errorf("took %v with three %v timeouts, want them in parallel", took, timeout)
	}
}
