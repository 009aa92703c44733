package judge

import (
	"bytes"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Float is a float64 that encodes to JSON the way Kayenta's Jackson mapper does:
// finite values use Java's Double.toString form (100.0, 33.33, 1.0E-5), and NaN and
// the infinities become the strings "NaN", "Infinity" and "-Infinity".
// It decodes from a JSON number, one of those strings, or null (NaN).
type Float float64

// MarshalJSON implements json.Marshaler.
func (f Float) MarshalJSON() ([]byte, error) {
	return appendJSONFloat(nil, float64(f)), nil
}

// UnmarshalJSON implements json.Unmarshaler.
func (f *Float) UnmarshalJSON(b []byte) error {
	v, err := parseJSONValue(bytes.TrimSpace(b))
	if err != nil {
		return err
	}
	*f = Float(v)
	return nil
}

// String formats f like Java's Double.toString.
func (f Float) String() string { return javaDouble(float64(f)) }

// appendJSONFloat appends v as Jackson writes a double.
func appendJSONFloat(dst []byte, v float64) []byte {
	switch {
	case math.IsNaN(v):
		return append(dst, `"NaN"`...)
	case math.IsInf(v, 1):
		return append(dst, `"Infinity"`...)
	case math.IsInf(v, -1):
		return append(dst, `"-Infinity"`...)
	}
	return append(dst, javaDouble(v)...)
}

// javaDouble formats v like Java's Double.toString (JDK 19+, shortest digits):
// plain notation with at least one fractional digit for 1e-3 <= |v| < 1e7,
// otherwise computerized scientific notation such as 1.0E-5 or 1.2345E10.
func javaDouble(v float64) string {
	switch {
	case math.IsNaN(v):
		return "NaN"
	case math.IsInf(v, 1):
		return "Infinity"
	case math.IsInf(v, -1):
		return "-Infinity"
	case v == 0:
		if math.Signbit(v) {
			return "-0.0"
		}
		return "0.0"
	}
	var sb strings.Builder
	if v < 0 {
		sb.WriteByte('-')
		v = -v
	}
	// e-format with the shortest round-tripping digits: d.ddddde±XX
	e := strconv.FormatFloat(v, 'e', -1, 64)
	if len(e) > 1 && e[1] == 'e' {
		// One significant digit is enough to round-trip. Java then picks the
		// two-digit decimal closest to v (4.9E-324, not 5.0E-324).
		e = strconv.FormatFloat(v, 'e', 1, 64)
	}
	mant, expStr, _ := strings.Cut(e, "e")
	exp, _ := strconv.Atoi(expStr)
	digits := strings.TrimRight(strings.Replace(mant, ".", "", 1), "0")
	if digits == "" {
		digits = "0"
	}
	if v >= 1e-3 && v < 1e7 {
		if exp >= 0 {
			intLen := exp + 1
			if len(digits) <= intLen {
				sb.WriteString(digits)
				sb.WriteString(strings.Repeat("0", intLen-len(digits)))
				sb.WriteString(".0")
			} else {
				sb.WriteString(digits[:intLen])
				sb.WriteByte('.')
				sb.WriteString(digits[intLen:])
			}
		} else {
			sb.WriteString("0.")
			sb.WriteString(strings.Repeat("0", -exp-1))
			sb.WriteString(digits)
		}
		return sb.String()
	}
	sb.WriteByte(digits[0])
	sb.WriteByte('.')
	if len(digits) > 1 {
		sb.WriteString(digits[1:])
	} else {
		sb.WriteByte('0')
	}
	sb.WriteByte('E')
	sb.WriteString(strconv.Itoa(exp))
	return sb.String()
}

// parseJSONValue decodes one JSON scalar that should hold a double: a number,
// null (NaN), or a string with "NaN", an infinity ("Infinity", "+Inf", "-Inf" …)
// or a decimal number (Jackson coerces numeric strings).
func parseJSONValue(b []byte) (float64, error) {
	if len(b) == 0 {
		return 0, fmt.Errorf("want a number or \"NaN\", got nothing")
	}
	switch b[0] {
	case 'n':
		if string(b) == "null" {
			return math.NaN(), nil
		}
	case '"':
		s, err := strconv.Unquote(string(b))
		if err != nil {
			return 0, fmt.Errorf("want a number or \"NaN\", got %s", b)
		}
		if v, ok := parseSpecialFloat(s); ok {
			return v, nil
		}
		return 0, fmt.Errorf("want a number or \"NaN\", got %q", s)
	case '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
		v, err := strconv.ParseFloat(string(b), 64)
		if err != nil && !isRangeErr(err) {
			return 0, fmt.Errorf("want a number or \"NaN\", got %s", b)
		}
		// Out-of-range literals become ±Inf (or 0), as Java's Double.parseDouble does.
		return v, nil
	}
	return 0, fmt.Errorf("want a number or \"NaN\", got %s", describeJSON(b))
}

func isRangeErr(err error) bool {
	ne, ok := err.(*strconv.NumError)
	return ok && ne.Err == strconv.ErrRange
}

// parseSpecialFloat accepts the string spellings of doubles seen in Kayenta and
// Prometheus JSON: NaN, Infinity, -Infinity, +Inf, -Inf, and decimal numbers.
func parseSpecialFloat(s string) (float64, bool) {
	t := strings.TrimSpace(s)
	switch strings.ToLower(t) {
	case "nan":
		return math.NaN(), true
	case "infinity", "+infinity", "inf", "+inf":
		return math.Inf(1), true
	case "-infinity", "-inf":
		return math.Inf(-1), true
	}
	if t == "" {
		return 0, false
	}
	// Only plain decimal syntax: reject Go-specific forms such as hex floats and "_".
	for i := 0; i < len(t); i++ {
		c := t[i]
		if !(c >= '0' && c <= '9' || c == '.' || c == 'e' || c == 'E' || c == '+' || c == '-') {
			return 0, false
		}
	}
	v, err := strconv.ParseFloat(t, 64)
	if err != nil && !isRangeErr(err) {
		return 0, false
	}
	return v, true
}

// describeJSON names the kind of a raw JSON value for error messages.
func describeJSON(b []byte) string {
	b = bytes.TrimSpace(b)
	if len(b) == 0 {
		return "nothing"
	}
	switch b[0] {
	case '{':
		return "an object"
	case '[':
		return "an array"
	case 't', 'f':
		return string(b)
	case '"':
		return string(b)
	case 'n':
		return "null"
	}
	if len(b) > 40 {
		return string(b[:40]) + "…"
	}
	return string(b)
}
