package metrics

import (
	"errors"
	"fmt"
)

// ArgumentError is a request error that Kayenta raises as an
// IllegalArgumentException: its controllers answer HTTP 400 with
// {"message": Message}, and inside a canary run it fails the stage. Message is
// Kayenta's text where Kayenta has one; Cause, when set, is the underlying
// problem (Kayenta's exception cause) and is reachable with errors.Unwrap.
type ArgumentError struct {
	Message string
	Cause   error
}

// Error returns Message.
func (e *ArgumentError) Error() string { return e.Message }

// Unwrap returns Cause.
func (e *ArgumentError) Unwrap() error { return e.Cause }

// Argumentf returns an *ArgumentError with a formatted message.
func Argumentf(format string, args ...any) error {
	return &ArgumentError{Message: fmt.Sprintf(format, args...)}
}

// IsArgumentError reports whether err is, or wraps, an *ArgumentError, that is
// whether a REST layer should answer 400 rather than 5xx.
func IsArgumentError(err error) bool {
	var ae *ArgumentError
	return errors.As(err, &ae)
}
