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
	"net/url"
	"path"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
)

// HTTPClient sends the S3 requests; *http.Client satisfies it.
type HTTPClient interface {
	Do(*http.Request) (*http.Response, error)
}

// S3Options configures NewS3; the fields follow Kayenta's aws account
// (bucket, rootFolder, region, endpoint, explicitCredentials, profileName).
type S3Options struct {
	// Bucket is required. It is created when HEAD answers 404.
	Bucket string
	// Region defaults to the region of the profile or environment when the
	// default credential chain is used, else us-east-1.
	Region string
	// RootFolder prefixes every key; default "kayenta".
	RootFolder string
	// Endpoint is a custom S3 endpoint (MinIO, versitygw, …), addressed
	// path-style; without a scheme it means https://.
	Endpoint string
	// AccessKeyID and SecretAccessKey (and SessionToken) are explicit
	// static credentials. Without them the default chain is used
	// (environment, shared files with Profile, web identity, IMDS …).
	AccessKeyID, SecretAccessKey, SessionToken string
	// Profile is the shared-config profile for the default chain.
	Profile string
	// HTTPClient replaces the SDK's default client.
	HTTPClient HTTPClient
	// MaxAttempts bounds the attempts of one request; 5xx answers,
	// throttling and network errors are retried with jittered backoff of at
	// most MaxBackoff. Defaults: 10 attempts, 1s (Kayenta retries 10× 1s).
	MaxAttempts int
	MaxBackoff  time.Duration
	// Timeout bounds every Store call on top of its ctx; default 2 minutes,
	// negative for none.
	Timeout time.Duration
	// ListPageSize is the MaxKeys of each ListObjectsV2 page; 0 leaves the
	// server's default (1000 on AWS).
	ListPageSize int32
}

const (
	defaultRootFolder  = "kayenta"
	defaultRegion      = "us-east-1"
	defaultMaxAttempts = 10
	defaultMaxBackoff  = time.Second
	defaultS3Timeout   = 2 * time.Minute
	// getListLimit is how many keys Get lists under an id: enough to name
	// the objects of an ambiguous id.
	getListLimit = 10
)

// s3Store stores objects at <rootFolder>/<group>/<id>/<filename>, the key
// layout of Kayenta's S3StorageService, so an existing Kayenta bucket reads
// back and Kayenta reads what ctl writes.
type s3Store struct {
	client   *s3.Client
	bucket   string
	root     string
	where    string
	timeout  time.Duration
	pageSize int32
}

// NewS3 returns a store in an S3 bucket. It checks the bucket with HEAD and
// creates it when the answer is 404; wrong credentials or a missing
// permission fail here, naming the bucket.
func NewS3(ctx context.Context, o S3Options) (Store, error) {
	if o.Bucket == "" {
		return nil, errors.New("s3 store: no bucket")
	}
	root := o.RootFolder
	if root == "" {
		root = defaultRootFolder
	}
	s := &s3Store{
		bucket:   o.Bucket,
		root:     root,
		where:    "s3 store s3://" + cleanKey(o.Bucket, root),
		timeout:  o.Timeout,
		pageSize: o.ListPageSize,
	}
	if s.timeout == 0 {
		s.timeout = defaultS3Timeout
	}
	if o.ListPageSize < 0 {
		return nil, fmt.Errorf("%s: negative list page size %d", s.where, o.ListPageSize)
	}
	endpoint := ""
	if o.Endpoint != "" {
		var err error
		if endpoint, err = normalizeEndpoint(o.Endpoint); err != nil {
			return nil, fmt.Errorf("%s: %w", s.where, err)
		}
		s.where += " at " + endpoint
	}
	if (o.AccessKeyID == "") != (o.SecretAccessKey == "") {
		return nil, fmt.Errorf("%s: explicit credentials need both an access key id and a secret access key", s.where)
	}
	if o.SessionToken != "" && o.AccessKeyID == "" {
		return nil, fmt.Errorf("%s: a session token needs an access key id and a secret access key", s.where)
	}
	if o.AccessKeyID != "" && o.Profile != "" {
		return nil, fmt.Errorf("%s: give either explicit credentials or a profile, not both", s.where)
	}

	maxAttempts, maxBackoff := o.MaxAttempts, o.MaxBackoff
	if maxAttempts <= 0 {
		maxAttempts = defaultMaxAttempts
	}
	if maxBackoff <= 0 {
		maxBackoff = defaultMaxBackoff
	}
	retryer := func() aws.Retryer {
		return retry.NewStandard(func(so *retry.StandardOptions) {
			so.MaxAttempts = maxAttempts
			so.MaxBackoff = maxBackoff
			so.RateLimiter = ratelimit.None
			so.Retryables = append(so.Retryables, retryServerErrors{})
		})
	}
	tune := func(so *s3.Options) {
		if endpoint != "" {
			so.BaseEndpoint = aws.String(endpoint)
			so.UsePathStyle = true
		}
		// We send Content-MD5 ourselves; the SDK's default extra CRC32
		// headers and trailers are not understood by every S3-compatible
		// server.
		so.RequestChecksumCalculation = aws.RequestChecksumCalculationWhenRequired
		so.ResponseChecksumValidation = aws.ResponseChecksumValidationWhenRequired
	}

	if o.AccessKeyID != "" {
		region := o.Region
		if region == "" {
			region = defaultRegion
		}
		so := s3.Options{
			Region:      region,
			Credentials: aws.NewCredentialsCache(credentials.NewStaticCredentialsProvider(o.AccessKeyID, o.SecretAccessKey, o.SessionToken)),
			Retryer:     retryer(),
		}
		if o.HTTPClient != nil {
			so.HTTPClient = o.HTTPClient
		}
		tune(&so)
		s.client = s3.New(so)
	} else {
		loaders := []func(*config.LoadOptions) error{config.WithRetryer(retryer)}
		if o.Profile != "" {
			loaders = append(loaders, config.WithSharedConfigProfile(o.Profile))
		}
		if o.Region != "" {
			loaders = append(loaders, config.WithRegion(o.Region))
		}
		if o.HTTPClient != nil {
			loaders = append(loaders, config.WithHTTPClient(o.HTTPClient))
		}
		cfg, err := config.LoadDefaultConfig(ctx, loaders...)
		if err != nil {
			return nil, fmt.Errorf("%s: loading AWS configuration: %w", s.where, err)
		}
		if cfg.Region == "" {
			cfg.Region = defaultRegion
		}
		s.client = s3.NewFromConfig(cfg, tune)
	}

	if err := s.ensureBucket(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

func (s *s3Store) String() string { return s.where }

// retryServerErrors retries every 5xx answer but 501 Not Implemented; the
// SDK alone retries only 500, 502, 503 and 504.
type retryServerErrors struct{}

func (retryServerErrors) IsErrorRetryable(err error) aws.Ternary {
	if c := httpStatus(err); c >= 500 && c != http.StatusNotImplemented {
		return aws.TrueTernary
	}
	return aws.UnknownTernary
}

func normalizeEndpoint(ep string) (string, error) {
	if !strings.Contains(ep, "://") {
		ep = "https://" + ep
	}
	u, err := url.Parse(ep)
	if err != nil {
		return "", fmt.Errorf("endpoint %q: %w", ep, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return "", fmt.Errorf("endpoint %q: scheme must be http or https", ep)
	}
	if u.Host == "" {
		return "", fmt.Errorf("endpoint %q: no host", ep)
	}
	return strings.TrimRight(ep, "/"), nil
}

func (s *s3Store) bound(ctx context.Context) (context.Context, context.CancelFunc) {
	if s.timeout > 0 {
		return context.WithTimeout(ctx, s.timeout)
	}
	return context.WithCancel(ctx)
}

func (s *s3Store) ensureBucket(ctx context.Context) error {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	_, err := s.client.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(s.bucket)})
	if err == nil {
		return nil
	}
	if httpStatus(err) != http.StatusNotFound {
		return fmt.Errorf("%s: checking bucket %q: %s%w", s.where, s.bucket, hint(err), err)
	}
	in := &s3.CreateBucketInput{Bucket: aws.String(s.bucket)}
	if r := s.client.Options().Region; r != defaultRegion {
		in.CreateBucketConfiguration = &types.CreateBucketConfiguration{LocationConstraint: types.BucketLocationConstraint(r)}
	}
	_, err = s.client.CreateBucket(ctx, in)
	var owned *types.BucketAlreadyOwnedByYou
	if err != nil && !errors.As(err, &owned) {
		return fmt.Errorf("%s: HEAD of bucket %q answered 404 and creating it failed: %s%w", s.where, s.bucket, hint(err), err)
	}
	return nil
}

// hint explains the common failures in words before the SDK's error.
func hint(err error) string {
	switch errorCode(err) {
	case "InvalidAccessKeyId", "XAdminUserNotFound":
		return "unknown access key id (wrong credentials): "
	case "SignatureDoesNotMatch":
		return "wrong secret access key (signature mismatch): "
	case "BucketAlreadyExists":
		return "the bucket name belongs to another account: "
	}
	switch httpStatus(err) {
	case http.StatusForbidden:
		return "access denied (wrong access key or secret, or no permission on the bucket): "
	case http.StatusMovedPermanently:
		return "the bucket is in another region: "
	}
	return ""
}

func httpStatus(err error) int {
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		return re.HTTPStatusCode()
	}
	return 0
}

func errorCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

// isNoSuchKey is a 404 for an object (not for the bucket).
func isNoSuchKey(err error) bool {
	if err == nil {
		return false
	}
	switch errorCode(err) {
	case "NoSuchKey", "NotFound":
		return true
	case "NoSuchBucket":
		return false
	}
	return httpStatus(err) == http.StatusNotFound
}

func isPreconditionFailed(err error) bool {
	return httpStatus(err) == http.StatusPreconditionFailed || errorCode(err) == "PreconditionFailed"
}

// isConflict is AWS's 409 ConditionalRequestConflict: another conditional
// write to the key was in flight.
func isConflict(err error) bool {
	return httpStatus(err) == http.StatusConflict || errorCode(err) == "ConditionalRequestConflict"
}

func (s *s3Store) idPrefix(t ObjectType, id string) string {
	return cleanKey(s.root, t.Group(), id) + "/"
}

// list returns the objects under prefix (directory markers, keys ending in
// '/', left out), at most limit of them (0: all), and whether there were
// more.
func (s *s3Store) list(ctx context.Context, prefix string, limit int) ([]types.Object, bool, error) {
	in := &s3.ListObjectsV2Input{Bucket: aws.String(s.bucket), Prefix: aws.String(prefix)}
	if s.pageSize > 0 {
		in.MaxKeys = aws.Int32(s.pageSize)
	}
	p := s3.NewListObjectsV2Paginator(s.client, in)
	var out []types.Object
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, false, fmt.Errorf("listing s3://%s/%s: %s%w", s.bucket, prefix, hint(err), err)
		}
		for _, o := range page.Contents {
			k := aws.ToString(o.Key)
			if k == prefix || strings.HasSuffix(k, "/") {
				continue
			}
			if limit > 0 && len(out) == limit {
				return out, true, nil
			}
			out = append(out, o)
		}
	}
	return out, false, nil
}

func (s *s3Store) Put(ctx context.Context, t ObjectType, id, filename string, data []byte) error {
	if err := checkObject(t, id); err != nil {
		return fmt.Errorf("%s: put: %w", s.where, err)
	}
	filename, err := resolveFilename(t, filename)
	if err != nil {
		return fmt.Errorf("%s: put %s %q: %w", s.where, t, id, err)
	}
	ctx, cancel := s.bound(ctx)
	defer cancel()
	prefix := s.idPrefix(t, id)
	key := prefix + filename
	if _, err := s.putObject(ctx, key, data, nil, nil); err != nil {
		return fmt.Errorf("%s: put %s: %s%w", s.where, key, hint(err), err)
	}
	// Remove the other objects of the id (a renamed canary config's old
	// key), after the new one is written so that the id is never empty.
	objs, _, err := s.list(ctx, prefix, 0)
	if err != nil {
		return fmt.Errorf("%s: put %s: %w", s.where, key, err)
	}
	for _, o := range objs {
		if k := aws.ToString(o.Key); k != key {
			if err := s.deleteObject(ctx, k); err != nil {
				return fmt.Errorf("%s: put %s: removing the previous object %s: %s%w", s.where, key, k, hint(err), err)
			}
		}
	}
	return nil
}

// putObject writes data with Content-MD5 and the given preconditions and
// returns the new ETag.
func (s *s3Store) putObject(ctx context.Context, key string, data []byte, ifMatch, ifNoneMatch *string) (string, error) {
	sum := md5.Sum(data)
	out, err := s.client.PutObject(ctx, &s3.PutObjectInput{
		Bucket:        aws.String(s.bucket),
		Key:           aws.String(key),
		Body:          bytes.NewReader(data),
		ContentLength: aws.Int64(int64(len(data))),
		ContentMD5:    aws.String(base64.StdEncoding.EncodeToString(sum[:])),
		ContentType:   aws.String("application/json"),
		IfMatch:       ifMatch,
		IfNoneMatch:   ifNoneMatch,
	})
	if err != nil {
		return "", err
	}
	return aws.ToString(out.ETag), nil
}

func (s *s3Store) deleteObject(ctx context.Context, key string) error {
	_, err := s.client.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(s.bucket), Key: aws.String(key)})
	if isNoSuchKey(err) {
		return nil
	}
	return err
}

// Get is Kayenta's load: list the id's prefix, require exactly one object,
// read it. The prefix ends in '/', so id "a" does not also match "ab/…"
// (Kayenta lists without the slash and then fails on such neighbours).
func (s *s3Store) Get(ctx context.Context, t ObjectType, id string) ([]byte, error) {
	if err := checkObject(t, id); err != nil {
		return nil, fmt.Errorf("%s: get: %w", s.where, err)
	}
	ctx, cancel := s.bound(ctx)
	defer cancel()
	prefix := s.idPrefix(t, id)
	objs, more, err := s.list(ctx, prefix, getListLimit)
	if err != nil {
		return nil, fmt.Errorf("%s: get %s %q: %w", s.where, t, id, err)
	}
	switch {
	case len(objs) == 0:
		return nil, notFound(s.where, t, id)
	case len(objs) > 1:
		names := make([]string, len(objs))
		for i, o := range objs {
			names[i] = strings.TrimPrefix(aws.ToString(o.Key), prefix)
		}
		if more {
			names = append(names, "…")
		}
		return nil, ambiguous(s.where, t, id, names)
	}
	key := aws.ToString(objs[0].Key)
	out, err := s.client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(s.bucket), Key: aws.String(key)})
	if isNoSuchKey(err) { // deleted since the listing
		return nil, notFound(s.where, t, id)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: get %s: %s%w", s.where, key, hint(err), err)
	}
	defer out.Body.Close()
	data, err := io.ReadAll(out.Body)
	if err != nil {
		return nil, fmt.Errorf("%s: get %s: reading the body: %w", s.where, key, err)
	}
	return data, nil
}

func (s *s3Store) Delete(ctx context.Context, t ObjectType, id string) error {
	if err := checkObject(t, id); err != nil {
		return fmt.Errorf("%s: delete: %w", s.where, err)
	}
	ctx, cancel := s.bound(ctx)
	defer cancel()
	prefix := s.idPrefix(t, id)
	objs, _, err := s.list(ctx, prefix, 0)
	if err != nil {
		return fmt.Errorf("%s: delete %s %q: %w", s.where, t, id, err)
	}
	if len(objs) == 0 {
		return notFound(s.where, t, id)
	}
	for _, o := range objs {
		k := aws.ToString(o.Key)
		if err := s.deleteObject(ctx, k); err != nil {
			return fmt.Errorf("%s: delete %s: %s%w", s.where, k, hint(err), err)
		}
	}
	return nil
}

// List pages through <rootFolder>/<group>/: the id is the path segment
// after the group, the name the last segment minus ".json", Updated the
// object's LastModified.
func (s *s3Store) List(ctx context.Context, t ObjectType) ([]ObjectInfo, error) {
	if !t.Valid() {
		return nil, fmt.Errorf("%s: list: invalid object type %d", s.where, int(t))
	}
	ctx, cancel := s.bound(ctx)
	defer cancel()
	prefix := cleanKey(s.root, t.Group()) + "/"
	objs, _, err := s.list(ctx, prefix, 0)
	if err != nil {
		return nil, fmt.Errorf("%s: list %s: %w", s.where, t, err)
	}
	infos := make([]ObjectInfo, 0, len(objs))
	for _, o := range objs {
		rel := strings.TrimPrefix(aws.ToString(o.Key), prefix)
		id, rest, ok := strings.Cut(rel, "/")
		if !ok || id == "" || rest == "" {
			continue // not <id>/<filename>
		}
		infos = append(infos, ObjectInfo{ID: id, Name: nameOf(path.Base(rest)), Updated: aws.ToTime(o.LastModified)})
	}
	sortInfos(infos)
	return infos, nil
}

func (s *s3Store) leaseKey(name string) string { return cleanKey(s.root, leaseGroup, name) }

// readLease returns the lease record under key and its ETag; ok is false
// when there is none.
func (s *s3Store) readLease(ctx context.Context, key string) (rec leaseRecord, etag string, ok bool, err error) {
	out, err := s.client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(s.bucket), Key: aws.String(key)})
	if isNoSuchKey(err) {
		return rec, "", false, nil
	}
	if err != nil {
		return rec, "", false, fmt.Errorf("%s: reading lease %s: %s%w", s.where, key, hint(err), err)
	}
	defer out.Body.Close()
	b, err := io.ReadAll(out.Body)
	if err != nil {
		return rec, "", false, fmt.Errorf("%s: reading lease %s: %w", s.where, key, err)
	}
	rec, err = decodeRecord(fmt.Sprintf("%s: lease %s", s.where, key), b)
	if err != nil {
		return rec, "", false, err
	}
	return rec, aws.ToString(out.ETag), true, nil
}

// conditionLost is a failed precondition: another writer got there first
// (412, 409) or the record is gone (404).
func conditionLost(err error) bool {
	return isPreconditionFailed(err) || isConflict(err) || isNoSuchKey(err)
}

// leaseAttempts bounds AcquireLease's read-and-write rounds under contention.
const leaseAttempts = 4

// AcquireLease keeps the lease in the object <rootFolder>/leases/<name>. It
// reads the record; a missing record is created with If-None-Match: *, an
// expired one replaced with If-Match: <its ETag>. Exactly one of racing
// writers succeeds; the others read the winner's record and report it.
// Renew replaces and Release deletes with If-Match: <our last ETag>, so
// they fail once anyone else has written. Every write carries a fresh
// nonce, so an ETag names one write, and a writer whose response was lost
// (then retried into a 412) recognises its own record.
func (s *s3Store) AcquireLease(ctx context.Context, name, holder string, ttl time.Duration) (Lease, error) {
	if err := checkLease(name, holder, ttl); err != nil {
		return nil, fmt.Errorf("%s: acquire lease: %w", s.where, err)
	}
	ctx, cancel := s.bound(ctx)
	defer cancel()
	key := s.leaseKey(name)
	token := randomToken()
	for range leaseAttempts {
		cur, etag, exists, err := s.readLease(ctx, key)
		if err != nil {
			return nil, err
		}
		now := time.Now()
		if exists && cur.live(now) {
			return nil, fmt.Errorf("%s: %w", s.where, cur.heldError(name))
		}
		rec := newRecord(holder, token, now, now, ttl)
		var newETag string
		if exists {
			newETag, err = s.putObject(ctx, key, rec.encode(), aws.String(etag), nil)
		} else {
			newETag, err = s.putObject(ctx, key, rec.encode(), nil, aws.String("*"))
		}
		if err == nil {
			if newETag == "" {
				return nil, fmt.Errorf("%s: lease %s: the server returned no ETag, so it cannot do conditional writes", s.where, key)
			}
			return newHandle(s, s.where, name, holder, rec, ttl, newETag), nil
		}
		if !conditionLost(err) {
			return nil, fmt.Errorf("%s: writing lease %s: %s%w", s.where, key, hint(err), err)
		}
		// Someone else wrote first, or our write landed and its answer was lost.
		cur, etag, exists, err = s.readLease(ctx, key)
		if err != nil {
			return nil, err
		}
		if exists && cur.Write == rec.Write {
			return newHandle(s, s.where, name, holder, rec, ttl, etag), nil
		}
		if exists && cur.live(time.Now()) {
			return nil, fmt.Errorf("%s: %w", s.where, cur.heldError(name))
		}
	}
	return nil, fmt.Errorf("%s: lease %s: %d attempts lost races with other writers: %w",
		s.where, key, leaseAttempts, ErrLeaseHeld)
}

func (s *s3Store) renew(ctx context.Context, h *leaseHandle, rec leaseRecord) (string, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	key := s.leaseKey(h.name)
	for range leaseAttempts {
		etag, err := s.putObject(ctx, key, rec.encode(), aws.String(h.version), nil)
		if err == nil {
			return etag, nil
		}
		if !conditionLost(err) {
			return "", fmt.Errorf("%s: renew lease %s: %s%w", s.where, key, hint(err), err)
		}
		cur, curETag, exists, rerr := s.readLease(ctx, key)
		switch {
		case rerr != nil:
			return "", rerr
		case !exists:
			return "", h.lostError("renew", "it was released")
		case cur.Write == rec.Write: // ours landed; its answer was lost
			return curETag, nil
		case curETag == h.version && isConflict(err): // a concurrent write failed; try again
			continue
		case cur.Token == rec.Token: // an earlier renew of ours landed but its answer was lost
			h.version = curETag
			continue
		default:
			return "", h.lostError("renew", fmt.Sprintf("taken over by %q", cur.Holder))
		}
	}
	return "", h.lostError("renew", "conflicting writes")
}

func (s *s3Store) release(ctx context.Context, h *leaseHandle) error {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	key := s.leaseKey(h.name)
	for range leaseAttempts {
		_, err := s.client.DeleteObject(ctx, &s3.DeleteObjectInput{
			Bucket: aws.String(s.bucket), Key: aws.String(key), IfMatch: aws.String(h.version),
		})
		if err == nil || isNoSuchKey(err) {
			return nil
		}
		if !isPreconditionFailed(err) && !isConflict(err) {
			return fmt.Errorf("%s: release lease %s: %s%w", s.where, key, hint(err), err)
		}
		cur, curETag, exists, rerr := s.readLease(ctx, key)
		switch {
		case rerr != nil:
			return rerr
		case !exists:
			return nil
		case curETag == h.version && isConflict(err):
			continue
		default:
			return h.lostError("release", fmt.Sprintf("taken over by %q", cur.Holder))
		}
	}
	return h.lostError("release", "conflicting writes")
}
