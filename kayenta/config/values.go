package config

import (
	"encoding/base64"
	"errors"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"
)

func basicAuth(user, pass string) string {
	return base64.StdEncoding.EncodeToString([]byte(user + ":" + pass))
}

var isoDurationRE = regexp.MustCompile(`^(?i)P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)(?:[.,](\d{1,9}))?S)?)?$`)

var daysRE = regexp.MustCompile(`^(\d+)d$`)

// parseDuration reads a Go duration ("30s", "1m30s"), a number of days
// ("2d", as Spring's simple format allows) or an ISO-8601 duration
// ("PT30S", "P1DT2H"). A bare number has no unit and is rejected.
func parseDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if m := daysRE.FindStringSubmatch(s); m != nil {
		d, err := strconv.ParseInt(m[1], 10, 64)
		if err != nil || d > math.MaxInt64/int64(24*time.Hour) {
			return 0, errors.New("too long")
		}
		return time.Duration(d) * 24 * time.Hour, nil
	}
	if len(s) > 0 && (s[0] == 'P' || s[0] == 'p') {
		m := isoDurationRE.FindStringSubmatch(s)
		if m == nil || (m[1] == "" && m[2] == "" && m[3] == "" && m[4] == "") || strings.HasSuffix(strings.ToUpper(s), "T") {
			return 0, errors.New("not an ISO-8601 duration")
		}
		var total float64
		var d time.Duration
		for i, unit := range []time.Duration{24 * time.Hour, time.Hour, time.Minute, time.Second} {
			if m[i+1] == "" {
				continue
			}
			n, err := strconv.ParseInt(m[i+1], 10, 64)
			if err != nil {
				return 0, errors.New("too long")
			}
			total += float64(n) * float64(unit)
			if total > math.MaxInt64/2 {
				return 0, errors.New("too long")
			}
			d += time.Duration(n) * unit
		}
		if m[5] != "" {
			frac := m[5] + strings.Repeat("0", 9-len(m[5]))
			ns, _ := strconv.ParseInt(frac, 10, 64)
			d += time.Duration(ns)
		}
		return d, nil
	}
	if _, err := strconv.ParseFloat(s, 64); err == nil {
		return 0, errors.New("no unit")
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, errors.New("not a duration")
	}
	return d, nil
}

var sizeRE = regexp.MustCompile(`^(?i)(\d+)\s*(B|KB|KIB|MB|MIB|GB|GIB|TB|TIB)?$`)

// parseSize reads a byte count: a whole number, or one with a unit B, KB,
// MB, GB, TB (binary, as Spring's DataSize reads them) or KiB, MiB, GiB, TiB.
func parseSize(s string) (int64, error) {
	m := sizeRE.FindStringSubmatch(strings.TrimSpace(s))
	if m == nil {
		return 0, errors.New("not a size")
	}
	n, err := strconv.ParseInt(m[1], 10, 64)
	if err != nil {
		return 0, errors.New("too large")
	}
	var shift uint
	switch strings.ToUpper(m[2]) {
	case "KB", "KIB":
		shift = 10
	case "MB", "MIB":
		shift = 20
	case "GB", "GIB":
		shift = 30
	case "TB", "TIB":
		shift = 40
	}
	if n > math.MaxInt64>>shift {
		return 0, errors.New("too large")
	}
	return n << shift, nil
}

// enumKey is the lenient form Spring matches enum names in: letters and
// digits only, lower case ("too-many-requests" is TOO_MANY_REQUESTS).
func enumKey(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if ('a' <= r && r <= 'z') || ('0' <= r && r <= '9') {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// httpStatuses are Spring's HttpStatus names.
var httpStatuses = map[string]int{
	"CONTINUE": 100, "SWITCHING_PROTOCOLS": 101, "PROCESSING": 102, "CHECKPOINT": 103,
	"OK": 200, "CREATED": 201, "ACCEPTED": 202, "NON_AUTHORITATIVE_INFORMATION": 203, "NO_CONTENT": 204,
	"RESET_CONTENT": 205, "PARTIAL_CONTENT": 206, "MULTI_STATUS": 207, "ALREADY_REPORTED": 208, "IM_USED": 226,
	"MULTIPLE_CHOICES": 300, "MOVED_PERMANENTLY": 301, "FOUND": 302, "MOVED_TEMPORARILY": 302, "SEE_OTHER": 303,
	"NOT_MODIFIED": 304, "USE_PROXY": 305, "TEMPORARY_REDIRECT": 307, "PERMANENT_REDIRECT": 308,
	"BAD_REQUEST": 400, "UNAUTHORIZED": 401, "PAYMENT_REQUIRED": 402, "FORBIDDEN": 403, "NOT_FOUND": 404,
	"METHOD_NOT_ALLOWED": 405, "NOT_ACCEPTABLE": 406, "PROXY_AUTHENTICATION_REQUIRED": 407, "REQUEST_TIMEOUT": 408,
	"CONFLICT": 409, "GONE": 410, "LENGTH_REQUIRED": 411, "PRECONDITION_FAILED": 412, "PAYLOAD_TOO_LARGE": 413,
	"REQUEST_ENTITY_TOO_LARGE": 413, "URI_TOO_LONG": 414, "REQUEST_URI_TOO_LONG": 414, "UNSUPPORTED_MEDIA_TYPE": 415,
	"REQUESTED_RANGE_NOT_SATISFIABLE": 416, "EXPECTATION_FAILED": 417, "I_AM_A_TEAPOT": 418,
	"INSUFFICIENT_SPACE_ON_RESOURCE": 419, "METHOD_FAILURE": 420, "DESTINATION_LOCKED": 421,
	"UNPROCESSABLE_ENTITY": 422, "LOCKED": 423, "FAILED_DEPENDENCY": 424, "TOO_EARLY": 425, "UPGRADE_REQUIRED": 426,
	"PRECONDITION_REQUIRED": 428, "TOO_MANY_REQUESTS": 429, "REQUEST_HEADER_FIELDS_TOO_LARGE": 431,
	"UNAVAILABLE_FOR_LEGAL_REASONS": 451, "INTERNAL_SERVER_ERROR": 500, "NOT_IMPLEMENTED": 501, "BAD_GATEWAY": 502,
	"SERVICE_UNAVAILABLE": 503, "GATEWAY_TIMEOUT": 504, "HTTP_VERSION_NOT_SUPPORTED": 505,
	"VARIANT_ALSO_NEGOTIATES": 506, "INSUFFICIENT_STORAGE": 507, "LOOP_DETECTED": 508,
	"BANDWIDTH_LIMIT_EXCEEDED": 509, "NOT_EXTENDED": 510, "NETWORK_AUTHENTICATION_REQUIRED": 511,
}

var httpStatusByKey = func() map[string]int {
	m := make(map[string]int, len(httpStatuses))
	for k, v := range httpStatuses {
		m[enumKey(k)] = v
	}
	return m
}()

// parseStatus reads an HttpStatus name (leniently) or a status code 100-599.
func parseStatus(s string) (int, bool) {
	if c, ok := httpStatusByKey[enumKey(s)]; ok {
		return c, true
	}
	if c, err := strconv.Atoi(strings.TrimSpace(s)); err == nil && c >= 100 && c <= 599 {
		return c, true
	}
	return 0, false
}

// httpSeries are Spring's HttpStatus.Series names, by hundreds digit.
var httpSeries = []string{1: "INFORMATIONAL", 2: "SUCCESSFUL", 3: "REDIRECTION", 4: "CLIENT_ERROR", 5: "SERVER_ERROR"}

func parseSeries(s string) (string, bool) {
	k := enumKey(s)
	for _, name := range httpSeries[1:] {
		if enumKey(name) == k {
			return name, true
		}
	}
	return "", false
}

func seriesOf(code int) (string, bool) {
	if code < 100 || code > 599 {
		return "", false
	}
	return httpSeries[code/100], true
}

func parseSupportedType(s string) (SupportedType, bool) {
	k := enumKey(s)
	for _, t := range supportedTypes {
		if enumKey(string(t)) == k {
			return t, true
		}
	}
	return "", false
}

// parseBool reads a boolean the way Spring converts text: true, on, yes, 1
// or false, off, no, 0, in any case.
func parseBool(s string) (bool, bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "true", "on", "yes", "1":
		return true, true
	case "false", "off", "no", "0":
		return false, true
	}
	return false, false
}

// editDistance is the Levenshtein distance between a and b.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			c := prev[j-1]
			if a[i-1] != b[j-1] {
				c++
			}
			cur[j] = min(c, prev[j]+1, cur[j-1]+1)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// suggest returns the known key closest to key, if it is close.
func suggest(key string, known []string) string {
	best, bestD := "", 3
	k := canon(key)
	for _, c := range known {
		d := editDistance(k, canon(c))
		if d < bestD && d*3 <= len(k) {
			best, bestD = c, d
		}
	}
	return best
}
