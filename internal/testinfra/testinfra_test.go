package testinfra_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"

	"github.com/ctlproject/ctl/internal/testinfra"
)

func TestLookPathMissing(t *testing.T) {
	_, err := testinfra.LookPath("ctl-testinfra-no-such-binary")
	if err == nil || !strings.Contains(err.Error(), "run hack/testinfra/ensure.sh (make test does)") {
		t.Fatalf("LookPath error = %v, want the ensure.sh hint", err)
	}
}

func TestLookPathPrefersBinDir(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("CTL_TESTINFRA_BIN", dir)
	if got := testinfra.BinDirs()[0]; got != dir {
		t.Fatalf("BinDirs()[0] = %q, want %q", got, dir)
	}
	// Not executable: skipped in favour of the next place.
	writeFile(t, dir+"/versitygw", "", 0o644)
	if p, err := testinfra.LookPath("versitygw"); err == nil && p == dir+"/versitygw" {
		t.Fatalf("LookPath returned a non-executable file")
	}
	writeFile(t, dir+"/versitygw", "#!/bin/sh\n", 0o755)
	if p, err := testinfra.LookPath("versitygw"); err != nil || p != dir+"/versitygw" {
		t.Fatalf("LookPath = %q, %v; want %q", p, err, dir+"/versitygw")
	}
}

func TestPrometheus(t *testing.T) {
	p := testinfra.StartPrometheus(t)
	if !strings.HasPrefix(p.URL, "http://127.0.0.1:") {
		t.Fatalf("URL = %q", p.URL)
	}
	var bi struct {
		Status string
		Data   struct{ Version string }
	}
	if err := json.Unmarshal(p.Get(t, "/api/v1/status/buildinfo"), &bi); err != nil || bi.Status != "success" || bi.Data.Version == "" {
		t.Fatalf("buildinfo = %+v, %v", bi, err)
	}
	p.Stop()
	if c, err := net.DialTimeout("tcp", p.Addr, time.Second); err == nil {
		c.Close()
		t.Fatalf("port %s still open after Stop", p.Addr)
	}
	p.Stop() // idempotent
}

func TestPrometheusBasicAuth(t *testing.T) {
	p := testinfra.StartPrometheus(t, testinfra.WithBasicAuth("alice", "s3cr:et pass"))
	if p.Username != "alice" || p.Password != "s3cr:et pass" {
		t.Fatalf("credentials = %q:%q", p.Username, p.Password)
	}
	p.Get(t, "/-/healthy") // with the right credentials
	for _, tc := range []struct{ name, user, pass string }{
		{"none", "", ""},
		{"wrong password", "alice", "nope"},
		{"wrong user", "bob", "s3cr:et pass"},
	} {
		req, _ := http.NewRequest(http.MethodGet, p.URL+"/-/healthy", nil)
		if tc.user != "" {
			req.SetBasicAuth(tc.user, tc.pass)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("%s: status %s, want 401", tc.name, resp.Status)
		}
	}
}

func TestPrometheusBackfill(t *testing.T) {
	const t0 = 1700000000 // 2023-11-14, long before now: kept whatever the retention
	var b strings.Builder
	b.WriteString("# HELP ctl_test_requests Requests.\n# TYPE ctl_test_requests counter\n")
	for i := 0; i <= 10; i++ {
		for _, g := range []struct {
			name string
			step int
		}{{"baseline", 10}, {"canary", 20}} {
			b.WriteString("ctl_test_requests_total{group=\"" + g.name + "\"} " + itoa(g.step*i) + " " + itoa(t0+60*i) + "\n")
		}
	}
	// No "# EOF": the helper adds it.
	p := testinfra.StartPrometheus(t, testinfra.WithOpenMetrics(b.String()), testinfra.WithBasicAuth("u", "p"))

	q := url.Values{"query": {`ctl_test_requests_total{group="canary"}`}, "time": {itoa(t0 + 300)}}
	var res struct {
		Status string
		Data   struct {
			Result []struct {
				Metric map[string]string
				Value  [2]any
			}
		}
	}
	body := p.Get(t, "/api/v1/query?"+q.Encode())
	if err := json.Unmarshal(body, &res); err != nil {
		t.Fatalf("%v: %s", err, body)
	}
	if res.Status != "success" || len(res.Data.Result) != 1 || res.Data.Result[0].Value[1] != "100" {
		t.Fatalf("query at t0+300s = %s, want one series with value 100", body)
	}

	q = url.Values{"query": {`sum(rate(ctl_test_requests_total[5m]))`}, "start": {itoa(t0 + 300)}, "end": {itoa(t0 + 600)}, "step": {"60"}}
	body = p.Get(t, "/api/v1/query_range?"+q.Encode())
	var rr struct {
		Data struct {
			Result []struct{ Values [][2]any }
		}
	}
	if err := json.Unmarshal(body, &rr); err != nil || len(rr.Data.Result) != 1 || len(rr.Data.Result[0].Values) != 6 {
		t.Fatalf("range query = %s (%v), want 6 points", body, err)
	}
	for _, v := range rr.Data.Result[0].Values {
		if v[1] != "0.5" { // (10+20)/60 per second
			t.Fatalf("rate = %v, want 0.5: %s", v[1], body)
		}
	}
}

func TestS3(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts []testinfra.S3Option
	}{{"xattr", nil}, {"sidecar", []testinfra.S3Option{testinfra.WithSidecar()}}} {
		t.Run(tc.name, func(t *testing.T) {
			s := testinfra.StartS3(t, tc.opts...)
			s.CreateBucket(t, "ctl-bucket")
			ctx := context.Background()
			c := s.Client()
			if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("ctl-bucket"), Key: aws.String("a/b.json"),
				Body: strings.NewReader(`{"x":1}`), ContentType: aws.String("application/json")}); err != nil {
				t.Fatal(err)
			}
			out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("ctl-bucket"), Key: aws.String("a/b.json")})
			if err != nil {
				t.Fatal(err)
			}
			data, _ := io.ReadAll(out.Body)
			out.Body.Close()
			if string(data) != `{"x":1}` || aws.ToString(out.ContentType) != "application/json" {
				t.Fatalf("got %q (%s)", data, aws.ToString(out.ContentType))
			}
			if _, err := c.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String("missing")}); apiCode(err) != "NotFound" {
				t.Fatalf("HEAD missing bucket: %v, want NotFound", err)
			}

			// Signatures are checked: a wrong secret is refused.
			bad := s3.New(s3.Options{BaseEndpoint: aws.String(s.Endpoint), UsePathStyle: true, Region: s.Region,
				Credentials: credentials.NewStaticCredentialsProvider(s.AccessKey, "wrong", ""), RetryMaxAttempts: 1})
			if _, err := bad.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String("ctl-bucket")}); apiCode(err) != "Forbidden" {
				t.Fatalf("HEAD with a wrong secret: %v, want Forbidden", err)
			}
			s.Stop()
			if c, err := net.DialTimeout("tcp", s.Addr, time.Second); err == nil {
				c.Close()
				t.Fatalf("port %s still open after Stop", s.Addr)
			}
		})
	}
}

func apiCode(err error) string {
	var e smithy.APIError
	if errors.As(err, &e) {
		return e.ErrorCode()
	}
	if err == nil {
		return "<nil>"
	}
	return err.Error()
}

func itoa(n int) string { return strconv.Itoa(n) }

func writeFile(t *testing.T, path, content string, mode os.FileMode) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil {
		t.Fatal(err)
	}
}
