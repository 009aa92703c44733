package halconfig

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"
)

// ValidateOnline checks that the services of the deployment's enabled
// accounts answer: Prometheus's health (or buildinfo) endpoint and a HEAD of
// each S3 bucket. Each check has its own timeout; they run in parallel.
func ValidateOnline(ctx context.Context, d *DeploymentConfiguration, timeout time.Duration) Problems {
	type check struct {
		loc string
		run func(ctx context.Context) (Problem, bool)
	}
	var checks []check
	for _, si := range d.Canary.ServiceIntegrations {
		if !si.Enabled {
			continue
		}
		for _, a := range si.Accounts {
			a := a
			loc := fmt.Sprintf("%s.canary.%s.accounts[%s]", d.Name, si.Name, a.Name)
			switch si.Name {
			case "prometheus":
				checks = append(checks, check{loc, func(ctx context.Context) (Problem, bool) { return checkPrometheus(ctx, a, loc) }})
			case "aws":
				if a.Get("bucket") != "" {
					checks = append(checks, check{loc, func(ctx context.Context) (Problem, bool) { return checkS3(ctx, a, loc) }})
				}
			default:
				checks = append(checks, check{loc, func(context.Context) (Problem, bool) {
					return Problem{Severity: Info, Location: loc, Message: fmt.Sprintf("%s accounts are not checked online.", si.Provider().Title)}, true
				}})
			}
		}
	}
	out := make(Problems, len(checks))
	ok := make([]bool, len(checks))
	var wg sync.WaitGroup
	for i, c := range checks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cctx, cancel := context.WithTimeout(ctx, timeout)
			defer cancel()
			out[i], ok[i] = c.run(cctx)
		}()
	}
	wg.Wait()
	var ps Problems
	for i := range out {
		if ok[i] {
			ps = append(ps, out[i])
		}
	}
	return ps
}

func checkPrometheus(ctx context.Context, a *Account, loc string) (Problem, bool) {
	base := strings.TrimRight(a.Get("endpoint.baseUrl"), "/")
	if checkURL(base) != nil {
		return Problem{}, false // offline validation already reports it
	}
	user, pass := a.Get("username"), a.Get("password")
	if f := a.Get("usernamePasswordFile"); f != "" {
		if data, err := os.ReadFile(f); err == nil {
			user, pass, _ = strings.Cut(strings.TrimSpace(string(data)), ":")
		}
	}
	var lastErr error
	for _, p := range []string{"/-/healthy", "/api/v1/status/buildinfo"} {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+p, nil)
		if err != nil {
			lastErr = err
			break
		}
		if user != "" {
			req.SetBasicAuth(user, pass)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			lastErr = err
			break
		}
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			return Problem{Severity: Info, Location: loc, Message: fmt.Sprintf("Prometheus at %s answered %s.", base, p)}, true
		}
		lastErr = fmt.Errorf("GET %s: %s", p, resp.Status)
		if resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden {
			return Problem{Severity: Error, Location: loc + ".endpoint.baseUrl",
				Message:     fmt.Sprintf("Prometheus at %s refused the credentials (%s).", base, resp.Status),
				Remediation: "Check --username/--password or --username-password-file."}, true
		}
	}
	return Problem{Severity: Error, Location: loc + ".endpoint.baseUrl",
		Message:     fmt.Sprintf("Prometheus at %s did not answer: %v.", base, describe(ctx, lastErr)),
		Remediation: "Check the URL and that Prometheus is reachable from here: `ctl config canary prometheus account edit NAME --base-url URL`."}, true
}

func checkS3(ctx context.Context, a *Account, loc string) (Problem, bool) {
	region := a.Get("region")
	if region == "" {
		region = "us-east-1"
	}
	opts := []func(*awsconfig.LoadOptions) error{awsconfig.WithRegion(region)}
	if id, secret := a.Get("accessKeyId"), a.Get("secretAccessKey"); id != "" && secret != "" {
		opts = append(opts, awsconfig.WithCredentialsProvider(credentials.NewStaticCredentialsProvider(id, secret, "")))
	} else if p := a.Get("profileName"); p != "" {
		opts = append(opts, awsconfig.WithSharedConfigProfile(p))
	}
	cfg, err := awsconfig.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return Problem{Severity: Error, Location: loc, Message: fmt.Sprintf("Cannot load AWS credentials: %v.", err),
			Remediation: "Set --access-key-id and --secret-access-key, or --profile-name."}, true
	}
	endpoint := a.Get("endpoint")
	client := s3.NewFromConfig(cfg, func(o *s3.Options) {
		if endpoint != "" {
			if !strings.Contains(endpoint, "://") {
				endpoint = "https://" + endpoint
			}
			o.BaseEndpoint = aws.String(endpoint)
			o.UsePathStyle = true
		}
		o.RetryMaxAttempts = 1
	})
	bucket := a.Get("bucket")
	_, err = client.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(bucket)})
	if err == nil {
		return Problem{Severity: Info, Location: loc, Message: fmt.Sprintf("Bucket %s is reachable.", bucket)}, true
	}
	msg := describe(ctx, err)
	fix := "Check --endpoint, --region and that the bucket exists."
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		switch apiErr.ErrorCode() {
		case "Forbidden", "AccessDenied", "SignatureDoesNotMatch", "InvalidAccessKeyId":
			msg = fmt.Sprintf("access denied (%s)", apiErr.ErrorCode())
			fix = "Check --access-key-id and --secret-access-key (or --profile-name)."
		case "NotFound", "NoSuchBucket":
			msg = "the bucket does not exist"
			fix = "Create the bucket, or point --bucket at an existing one."
		case "BadRequest", "AuthorizationHeaderMalformed", "PermanentRedirect", "IllegalLocationConstraintException":
			msg = fmt.Sprintf("the service refused the request (%s)", apiErr.ErrorCode())
			fix = "Check --region (the bucket's region) and --endpoint."
		}
	}
	return Problem{Severity: Error, Location: loc + ".bucket", Message: fmt.Sprintf("HEAD bucket %s failed: %s.", bucket, msg), Remediation: fix}, true
}

func describe(ctx context.Context, err error) string {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return "timed out"
	}
	if ctx.Err() != nil {
		return "cancelled"
	}
	if err == nil {
		return "no answer"
	}
	return err.Error()
}
