package storage

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/ctlproject/ctl/internal/testinfra"
)

func (s *s3Store) rawPut(t *testing.T, typ ObjectType, id, filename string, data []byte) {
	t.Helper()
	_, err := s.client.PutObject(context.Background(), &s3.PutObjectInput{
		Bucket: aws.String(s.bucket), Key: aws.String(cleanKey(s.root, typ.Group(), id, filename)), Body: bytes.NewReader(data),
	})
	if err != nil {
		t.Fatal(err)
	}
}

var bucketSeq atomic.Int64

func uniqueBucket() string { return fmt.Sprintf("ctl-test-%d", bucketSeq.Add(1)) }

// s3Opts returns options for srv with its root credentials.
func s3Opts(srv *testinfra.S3, bucket string) S3Options {
	return S3Options{
		Bucket:          bucket,
		Endpoint:        srv.Endpoint,
		Region:          srv.Region,
		AccessKeyID:     srv.AccessKey,
		SecretAccessKey: srv.SecretKey,
		MaxAttempts:     3,
		Timeout:         30 * time.Second,
	}
}

func newS3(t *testing.T, o S3Options) Store {
	t.Helper()
	s, err := NewS3(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestS3(t *testing.T) {
	t.Parallel()
	srv := testinfra.StartS3(t)
	testStore(t, func(t *testing.T) Store {
		// A fresh bucket each time, created by NewS3 (HEAD answers 404).
		return newS3(t, s3Opts(srv, uniqueBucket()))
	})
}

// TestS3ConditionalWritesHonoured checks, with the raw client, what the
// lease design relies on: versitygw v1.8.0 evaluates If-None-Match: * and
// If-Match on PutObject and If-Match on DeleteObject, atomically.
func TestS3ConditionalWritesHonoured(t *testing.T) {
	t.Parallel()
	srv := testinfra.StartS3(t)
	srv.CreateBucket(t, "cond")
	c := srv.Client()
	ctx := context.Background()
	put := func(body string, ifNoneMatch, ifMatch *string) (string, error) {
		out, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("cond"), Key: aws.String("l/x"),
			Body: strings.NewReader(body), IfNoneMatch: ifNoneMatch, IfMatch: ifMatch})
		if err != nil {
			return "", err
		}
		return aws.ToString(out.ETag), nil
	}
	e1, err := put("one", aws.String("*"), nil)
	if err != nil || e1 == "" {
		t.Fatalf("create with If-None-Match: %q, %v", e1, err)
	}
	if _, err := put("two", aws.String("*"), nil); !isPreconditionFailed(err) {
		t.Fatalf("If-None-Match: * on an existing key = %v; want 412", err)
	}
	if _, err := put("two", nil, aws.String(`"0123456789abcdef0123456789abcdef"`)); !isPreconditionFailed(err) {
		t.Fatalf("If-Match with a wrong ETag = %v; want 412", err)
	}
	e2, err := put("two", nil, aws.String(e1))
	if err != nil || e2 == e1 {
		t.Fatalf("If-Match with the right ETag = %q, %v", e2, err)
	}
	if _, err := put("three", nil, aws.String(e1)); !isPreconditionFailed(err) {
		t.Fatalf("If-Match with a stale ETag = %v; want 412", err)
	}
	if _, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String("cond"), Key: aws.String("l/x"), IfMatch: aws.String(e1)}); !isPreconditionFailed(err) {
		t.Fatalf("DeleteObject If-Match with a stale ETag = %v; want 412", err)
	}
	if _, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String("cond"), Key: aws.String("l/x"), IfMatch: aws.String(e2)}); err != nil {
		t.Fatalf("DeleteObject If-Match with the right ETag: %v", err)
	}
	if _, err := put("four", nil, aws.String(e2)); !isNoSuchKey(err) {
		t.Fatalf("If-Match on a deleted key = %v; want 404", err)
	}
	// 40 racing creates and then 40 racing replaces of one ETag: one winner each.
	for _, mode := range []string{"create", "replace"} {
		var etag string
		if mode == "replace" {
			if etag, err = put("base", nil, nil); err != nil {
				t.Fatal(err)
			}
		}
		var wins atomic.Int32
		var wg sync.WaitGroup
		for i := range 40 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				var err error
				if mode == "create" {
					_, err = c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("cond"), Key: aws.String("l/race"),
						Body: strings.NewReader(fmt.Sprint(i)), IfNoneMatch: aws.String("*")})
				} else {
					_, err = put(fmt.Sprint("r", i), nil, aws.String(etag))
				}
				if err == nil {
					wins.Add(1)
				} else if !isPreconditionFailed(err) && !isConflict(err) {
					t.Errorf("%s %d: %v", mode, i, err)
				}
			}()
		}
		wg.Wait()
		if wins.Load() != 1 {
			t.Fatalf("racing conditional %ss: %d winners; want 1", mode, wins.Load())
		}
	}
}

// Two Store instances (two replicas) on one bucket race for leases.
func TestS3TwoReplicas(t *testing.T) {
	t.Parallel()
	srv := testinfra.StartS3(t)
	bucket := uniqueBucket()
	a := newS3(t, s3Opts(srv, bucket))
	b := newS3(t, s3Opts(srv, bucket))
	ctx := context.Background()
	for round := range 5 {
		winners := raceLeases(t, 20, fmt.Sprintf("exec-%d", round), alternate(a, b))
		if len(winners) != 1 {
			t.Fatalf("round %d: %d winners %v; want exactly one", round, len(winners), winners)
		}
	}
	// Takeover across replicas after expiry.
	la, err := a.AcquireLease(ctx, "exec-t", "replica-a", 600*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.AcquireLease(ctx, "exec-t", "replica-b", time.Minute); !errors.Is(err, ErrLeaseHeld) {
		t.Fatalf("replica b while a holds it: %v", err)
	}
	time.Sleep(time.Until(la.Expires()) + 20*time.Millisecond)
	lb, err := b.AcquireLease(ctx, "exec-t", "replica-b", time.Minute)
	if err != nil {
		t.Fatalf("replica b after a's lease expired: %v", err)
	}
	if err := la.Renew(ctx); !errors.Is(err, ErrLeaseLost) {
		t.Fatalf("replica a's Renew after takeover = %v; want ErrLeaseLost", err)
	}
	if err := la.Release(ctx); !errors.Is(err, ErrLeaseLost) {
		t.Fatalf("replica a's Release after takeover = %v; want ErrLeaseLost", err)
	}
	if err := lb.Renew(ctx); err != nil {
		t.Fatal(err)
	}
	// Objects written by one replica are read by the other.
	mustPut(t, a, CanaryExecution, "exec-t", "", `{"status":"running"}`)
	mustGet(t, b, CanaryExecution, "exec-t", `{"status":"running"}`)
	if err := lb.Release(ctx); err != nil {
		t.Fatal(err)
	}
}

// TestS3KayentaBucket writes objects at Kayenta's exact keys with the raw
// client and reads them through Store, and checks the keys Store writes.
func TestS3KayentaBucket(t *testing.T) {
	t.Parallel()
	srv := testinfra.StartS3(t)
	srv.CreateBucket(t, "kayenta-bucket")
	c := srv.Client()
	ctx := context.Background()
	const (
		cfgID   = "5a1f0c7e-3f0e-4c71-9a27-2b8d1c9e4f60"
		pairsID = "b7e4a0d2-8c3f-4e6b-a1d5-9f2c7e0b3a48"
		setsID  = "0e9d8c7b-6a5f-4e3d-2c1b-0a9f8e7d6c5b"
		pipeID  = "01HZX3K9Q4T8V2N6M5B7C1D0EF"
	)
	kayentaKeys := map[string]string{
		"kayenta/canary_config/" + cfgID + "/my-config.json":                              `{"name":"my-config","applications":["app"]}`,
		"kayenta/metric_pairs/" + pairsID + "/metric_set_pairs.json":                      `[{"name":"cpu"}]`,
		"kayenta/metrics/" + setsID + "/metric_sets.json":                                 `[{"name":"cpu","values":[1]}]`,
		"kayenta/canary_archive/" + pipeID + "/" + pipeID + ".json":                       `{"pipelineId":"` + pipeID + `"}`,
		"kayenta/standalone_canary_archive/" + pipeID + "/standalone_canary_archive.json": `{"pipelineId":"sa"}`,
	}
	for k, v := range kayentaKeys {
		if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("kayenta-bucket"), Key: aws.String(k), Body: strings.NewReader(v)}); err != nil {
			t.Fatal(err)
		}
	}
	s := newS3(t, s3Opts(srv, "kayenta-bucket")) // RootFolder defaults to "kayenta"
	mustGet(t, s, CanaryConfig, cfgID, kayentaKeys["kayenta/canary_config/"+cfgID+"/my-config.json"])
	mustGet(t, s, MetricSetPairList, pairsID, `[{"name":"cpu"}]`)
	mustGet(t, s, MetricSetList, setsID, `[{"name":"cpu","values":[1]}]`)
	mustGet(t, s, CanaryResultArchive, pipeID, `{"pipelineId":"`+pipeID+`"}`)
	mustGet(t, s, StandaloneCanaryResultArchive, pipeID, `{"pipelineId":"sa"}`)
	infos, err := s.List(ctx, CanaryConfig)
	if err != nil || len(infos) != 1 || infos[0].ID != cfgID || infos[0].Name != "my-config" || infos[0].Updated.IsZero() {
		t.Fatalf("List(canary_config) = %+v, %v", infos, err)
	}
	infos, err = s.List(ctx, CanaryResultArchive)
	if err != nil || len(infos) != 1 || infos[0].ID != pipeID || infos[0].Name != pipeID {
		t.Fatalf("List(canary_archive) = %+v, %v", infos, err)
	}

	// Rename the config through Store: Kayenta's old key goes, the new key is Kayenta's.
	mustPut(t, s, CanaryConfig, cfgID, "renamed.json", `{"name":"renamed"}`)
	mustPut(t, s, CanaryExecution, "exec-1", "", `{}`)
	if _, err := s.AcquireLease(ctx, "exec-1", "me", time.Minute); err != nil {
		t.Fatal(err)
	}
	got := listKeys(t, c, "kayenta-bucket", "")
	want := []string{
		"kayenta/canary_archive/" + pipeID + "/" + pipeID + ".json",
		"kayenta/canary_config/" + cfgID + "/renamed.json",
		"kayenta/canary_execution/exec-1/canary_execution.json",
		"kayenta/leases/exec-1",
		"kayenta/metric_pairs/" + pairsID + "/metric_set_pairs.json",
		"kayenta/metrics/" + setsID + "/metric_sets.json",
		"kayenta/standalone_canary_archive/" + pipeID + "/standalone_canary_archive.json",
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("bucket keys:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}

	// A custom root folder, with Kayenta's "//" collapsing.
	r := newS3(t, func() S3Options { o := s3Opts(srv, "kayenta-bucket"); o.RootFolder = "teams/a/"; return o }())
	mustPut(t, r, MetricSetList, "m1", "", `[]`)
	if keys := listKeys(t, c, "kayenta-bucket", "teams/"); fmt.Sprint(keys) != "[teams/a/metrics/m1/metric_sets.json]" {
		t.Fatalf("keys under teams/ = %v", keys)
	}
	if infos, _ := r.List(ctx, CanaryConfig); len(infos) != 0 {
		t.Fatalf("root folders are not separate: %+v", infos)
	}
}

func listKeys(t *testing.T, c *s3.Client, bucket, prefix string) []string {
	t.Helper()
	var keys []string
	p := s3.NewListObjectsV2Paginator(c, &s3.ListObjectsV2Input{Bucket: aws.String(bucket), Prefix: aws.String(prefix)})
	for p.HasMorePages() {
		page, err := p.NextPage(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range page.Contents {
			keys = append(keys, aws.ToString(o.Key))
		}
	}
	sort.Strings(keys)
	return keys
}

// TestS3ListPagination lists more objects than a page holds: 1001 objects
// with the server's default page (1000) and 25 with pages of 4.
func TestS3ListPagination(t *testing.T) {
	t.Parallel()
	srv := testinfra.StartS3(t)
	bucket := uniqueBucket()
	big := newS3(t, s3Opts(srv, bucket))
	c := srv.Client()
	ctx := context.Background()
	const n = 1001
	sem := make(chan struct{}, 16)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			key := fmt.Sprintf("kayenta/metrics/m-%04d/metric_sets.json", i)
			if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: strings.NewReader("[]")}); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	infos, err := big.List(ctx, MetricSetList)
	if err != nil {
		t.Fatal(err)
	}
	if len(infos) != n || infos[0].ID != "m-0000" || infos[n-1].ID != fmt.Sprintf("m-%04d", n-1) {
		t.Fatalf("List returned %d objects (first %+v); want %d", len(infos), infos[0], n)
	}

	o := s3Opts(srv, bucket)
	o.ListPageSize = 4
	small := newS3(t, o)
	for i := range 25 {
		mustPut(t, small, CanaryConfig, fmt.Sprintf("cfg-%02d", i), fmt.Sprintf("name-%02d.json", i), "{}")
	}
	infos, err = small.List(ctx, CanaryConfig)
	if err != nil || len(infos) != 25 {
		t.Fatalf("List with pages of 4 = %d objects, %v; want 25", len(infos), err)
	}
	for i, in := range infos {
		if in.ID != fmt.Sprintf("cfg-%02d", i) || in.Name != fmt.Sprintf("name-%02d", i) {
			t.Fatalf("infos[%d] = %+v", i, in)
		}
	}
	// Get and Delete page as well: an id with more objects than a page.
	for i := range 6 {
		small.(rawPutter).rawPut(t, CanaryConfig, "many", fmt.Sprintf("n%d.json", i), []byte("{}"))
	}
	if err := getErr(small, CanaryConfig, "many"); !errors.Is(err, ErrAmbiguous) || !strings.Contains(err.Error(), "n5.json") {
		t.Fatalf("Get of an id with 6 objects = %v", err)
	}
	if err := small.Delete(ctx, CanaryConfig, "many"); err != nil {
		t.Fatal(err)
	}
	if keys := listKeys(t, c, bucket, "kayenta/canary_config/many/"); len(keys) != 0 {
		t.Fatalf("Delete left %v", keys)
	}
}

func TestS3WrongCredentials(t *testing.T) {
	t.Parallel()
	srv := testinfra.StartS3(t)
	srv.CreateBucket(t, "secure-bucket")
	for name, c := range map[string]struct {
		mod  func(*S3Options)
		want []string
	}{
		"wrong secret": {func(o *S3Options) { o.SecretAccessKey = "not-the-secret" }, []string{"access denied", "403"}},
		// versitygw answers HEAD with 404 (no body) for an unknown key, so
		// NewS3 tries to create the bucket, which names the cause.
		"unknown key": {func(o *S3Options) { o.AccessKeyID = "AKIDUNKNOWN" }, []string{"unknown access key id", "XAdminUserNotFound"}},
		"missing bucket, wrong secret": {func(o *S3Options) { o.Bucket = "no-such-bucket"; o.SecretAccessKey = "nope" },
			[]string{"access denied", "403"}},
	} {
		o := s3Opts(srv, "secure-bucket")
		c.mod(&o)
		start := time.Now()
		_, err := NewS3(context.Background(), o)
		if err == nil {
			t.Fatalf("%s: NewS3 succeeded", name)
		}
		msg := err.Error()
		for _, want := range append(c.want, `"`+o.Bucket+`"`, srv.Endpoint) {
			if !strings.Contains(msg, want) {
				t.Errorf("%s: error %q does not mention %s", name, msg, want)
			}
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("%s: took %s; a 403 must not be retried", name, d)
		}
	}
	// The right credentials still work on the same server.
	newS3(t, s3Opts(srv, "secure-bucket"))
}

func TestS3CreatesBucket(t *testing.T) {
	t.Parallel()
	srv := testinfra.StartS3(t)
	s := newS3(t, s3Opts(srv, "fresh-bucket"))
	if _, err := srv.Client().HeadBucket(context.Background(), &s3.HeadBucketInput{Bucket: aws.String("fresh-bucket")}); err != nil {
		t.Fatalf("bucket not created: %v", err)
	}
	mustPut(t, s, MetricSetList, "m", "", "[]")
	// A second store finds it.
	mustGet(t, newS3(t, s3Opts(srv, "fresh-bucket")), MetricSetList, "m", "[]")

	o := s3Opts(srv, "Invalid_Bucket_Name")
	if _, err := NewS3(context.Background(), o); err == nil || !strings.Contains(err.Error(), "Invalid_Bucket_Name") {
		t.Fatalf("NewS3 with an invalid bucket name = %v", err)
	}
}

// recordingClient records requests and answers the first failN requests
// of the given method on an object under kayenta/ with a 5xx status without
// sending them; delay holds every request back.
type recordingClient struct {
	next    HTTPClient
	mu      sync.Mutex
	md5s    []string // Content-MD5 of every PUT of an object
	failN   int
	failOn  string
	failed  int
	status  int
	delay   time.Duration
	methods map[string]int
}

func (c *recordingClient) Do(req *http.Request) (*http.Response, error) {
	c.mu.Lock()
	if c.methods == nil {
		c.methods = map[string]int{}
	}
	c.methods[req.Method]++
	if req.Method == http.MethodPut {
		c.md5s = append(c.md5s, req.Header.Get("Content-MD5"))
	}
	fail := req.Method == c.failOn && c.failed < c.failN && strings.Contains(req.URL.Path, "/kayenta/")
	if fail {
		c.failed++
	}
	c.mu.Unlock()
	if c.delay > 0 {
		select {
		case <-time.After(c.delay):
		case <-req.Context().Done():
			return nil, req.Context().Err()
		}
	}
	if fail {
		if req.Body != nil {
			_, _ = io.Copy(io.Discard, req.Body)
			req.Body.Close()
		}
		body := `<?xml version="1.0" encoding="UTF-8"?><Error><Code>InternalError</Code><Message>injected</Message></Error>`
		return &http.Response{
			StatusCode: c.status, Status: fmt.Sprintf("%d injected", c.status), Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
			Header: http.Header{"Content-Type": {"application/xml"}}, Body: io.NopCloser(strings.NewReader(body)),
			ContentLength: int64(len(body)), Request: req,
		}, nil
	}
	return c.next.Do(req)
}

func TestS3ContentMD5AndRetries(t *testing.T) {
	t.Parallel()
	srv := testinfra.StartS3(t)
	ctx := context.Background()
	for _, status := range []int{500, 503, 507} {
		rc := &recordingClient{next: http.DefaultClient, failOn: http.MethodPut, failN: 2, status: status}
		o := s3Opts(srv, uniqueBucket())
		o.HTTPClient = rc
		o.MaxAttempts = 3
		o.MaxBackoff = 10 * time.Millisecond
		s := newS3(t, o)
		mustPut(t, s, MetricSetList, "m", "", `{"v":1}`)
		mustGet(t, s, MetricSetList, "m", `{"v":1}`)
		rc.mu.Lock()
		if rc.failed != 2 {
			t.Errorf("%d: injected %d failures; want 2", status, rc.failed)
		}
		// PUT bucket, 2 failed PUT attempts, then the PUT that landed.
		sum := md5.Sum([]byte(`{"v":1}`))
		if len(rc.md5s) != 4 {
			t.Errorf("%d: %d PUT requests; want 4", status, len(rc.md5s))
		}
		for i, m := range rc.md5s[1:] {
			if m != base64.StdEncoding.EncodeToString(sum[:]) {
				t.Errorf("%d: PUT %d carried Content-MD5 %q", status, i, m)
			}
		}
		rc.mu.Unlock()
	}

	// Out of attempts: the error names the key and the cause.
	rc := &recordingClient{next: http.DefaultClient, failOn: http.MethodPut, failN: 100, status: 503}
	o := s3Opts(srv, uniqueBucket())
	o.HTTPClient, o.MaxAttempts, o.MaxBackoff = rc, 2, 10*time.Millisecond
	srv.CreateBucket(t, o.Bucket)
	s := newS3(t, o)
	err := s.Put(ctx, MetricSetList, "m", "", []byte("{}"))
	if err == nil || !strings.Contains(err.Error(), "kayenta/metrics/m/metric_sets.json") || !strings.Contains(err.Error(), "503") {
		t.Fatalf("Put with the server failing = %v", err)
	}
	rc.mu.Lock()
	if rc.failed != 2 {
		t.Errorf("%d attempts; want 2", rc.failed)
	}
	rc.mu.Unlock()

	// The server checks Content-MD5: a wrong one is refused.
	other := md5.Sum([]byte("other data"))
	_, err = srv.Client().PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(o.Bucket), Key: aws.String("x"),
		Body: strings.NewReader("data"), ContentMD5: aws.String(base64.StdEncoding.EncodeToString(other[:]))})
	if err == nil {
		t.Fatal("versitygw accepted a wrong Content-MD5")
	}
}

func TestS3CallsBoundedByContext(t *testing.T) {
	t.Parallel()
	srv := testinfra.StartS3(t)
	bucket := uniqueBucket()
	newS3(t, s3Opts(srv, bucket))
	slow := &recordingClient{next: http.DefaultClient, delay: 5 * time.Second}
	o := s3Opts(srv, bucket)
	o.HTTPClient = slow
	o.Timeout = -1
	// NewS3's HEAD is bounded by its ctx.
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	start := time.Now()
	_, err := NewS3(ctx, o)
	cancel()
	if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > 2*time.Second {
		t.Fatalf("NewS3 with a slow server and a 200ms ctx: %v after %s", err, time.Since(start))
	}
	slow.delay = 0
	s := newS3(t, o).(*s3Store)
	slow.delay = 5 * time.Second
	ctx, cancel = context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start = time.Now()
	_, err = s.Get(ctx, MetricSetList, "m")
	if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > 2*time.Second {
		t.Fatalf("Get with a 200ms ctx: %v after %s", err, time.Since(start))
	}
	// The Timeout option bounds a call whose ctx has no deadline.
	s.timeout = 200 * time.Millisecond
	start = time.Now()
	_, err = s.AcquireLease(context.Background(), "l", "h", time.Minute)
	if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > 2*time.Second {
		t.Fatalf("AcquireLease with Timeout 200ms: %v after %s", err, time.Since(start))
	}
}

// The default credential chain: environment variables, and a profile in
// shared files.
func TestS3DefaultCredentialChain(t *testing.T) {
	srv := testinfra.StartS3(t)
	home := t.TempDir()
	creds := filepath.Join(home, "credentials")
	if err := os.WriteFile(creds, []byte(fmt.Sprintf("[ctl]\naws_access_key_id = %s\naws_secret_access_key = %s\n",
		srv.AccessKey, srv.SecretKey)), 0o600); err != nil {
		t.Fatal(err)
	}
	conf := filepath.Join(home, "config")
	if err := os.WriteFile(conf, []byte("[profile ctl]\nregion = us-east-1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_SESSION_TOKEN",
		"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_ARN", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3"} {
		t.Setenv(k, "")
		os.Unsetenv(k)
	}
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", creds)
	t.Setenv("AWS_CONFIG_FILE", conf)

	base := S3Options{Bucket: "chain-bucket", Endpoint: srv.Endpoint, MaxAttempts: 1}
	o := base
	o.Profile = "ctl"
	s := newS3(t, o)
	mustPut(t, s, MetricSetList, "m", "", "[]")

	o.Profile = "no-such-profile"
	if _, err := NewS3(context.Background(), o); err == nil || !strings.Contains(err.Error(), "no-such-profile") {
		t.Fatalf("unknown profile: %v", err)
	}

	t.Setenv("AWS_ACCESS_KEY_ID", srv.AccessKey)
	t.Setenv("AWS_SECRET_ACCESS_KEY", srv.SecretKey)
	mustGet(t, newS3(t, base), MetricSetList, "m", "[]")

	t.Setenv("AWS_SECRET_ACCESS_KEY", "wrong")
	if _, err := NewS3(context.Background(), base); err == nil || !strings.Contains(err.Error(), "access denied") {
		t.Fatalf("wrong secret in the environment: %v", err)
	}
}

func TestS3Options(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for name, c := range map[string]struct {
		o    S3Options
		want string
	}{
		"no bucket":        {S3Options{}, "no bucket"},
		"half credentials": {S3Options{Bucket: "b", AccessKeyID: "a"}, "both an access key id and a secret"},
		"token only":       {S3Options{Bucket: "b", SessionToken: "t"}, "session token"},
		"keys and profile": {S3Options{Bucket: "b", AccessKeyID: "a", SecretAccessKey: "s", Profile: "p"}, "not both"},
		"bad scheme":       {S3Options{Bucket: "b", Endpoint: "ftp://x", AccessKeyID: "a", SecretAccessKey: "s"}, "scheme"},
		"negative page":    {S3Options{Bucket: "b", ListPageSize: -1}, "page size"},
	} {
		if _, err := NewS3(ctx, c.o); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v; want an error mentioning %q", name, err, c.want)
		}
	}
	for in, want := range map[string]string{
		"127.0.0.1:9000":         "https://127.0.0.1:9000",
		"s3.example.com":         "https://s3.example.com",
		"http://127.0.0.1:9000/": "http://127.0.0.1:9000",
		"https://minio:9000":     "https://minio:9000",
	} {
		if got, err := normalizeEndpoint(in); err != nil || got != want {
			t.Errorf("normalizeEndpoint(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := normalizeEndpoint("http://"); err == nil {
		t.Error("endpoint without a host accepted")
	}
}
