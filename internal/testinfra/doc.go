// Package testinfra starts real servers on loopback for tests: Prometheus
// (StartPrometheus) and an S3 gateway, versitygw (StartS3). Each helper picks
// a free 127.0.0.1 port, polls until the server answers, stops it in
// t.Cleanup and prints its log when the test failed.
//
// The binaries are installed by hack/testinfra/ensure.sh (make test runs it)
// and looked up in $CTL_TESTINFRA_BIN, then in
// ${XDG_CACHE_HOME:-$HOME/.cache}/ctl-testinfra/bin, then on PATH. A missing
// binary fails the test; it is never skipped.
package testinfra
