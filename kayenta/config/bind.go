package config

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/ctlproject/ctl/kayenta/config/yamlpos"
)

// binder reads typed values off the property tree, collecting errors and
// warnings with their positions. It never puts a secret value in either.
type binder struct {
	file string
	dir  string // relative paths are resolved against it
	root *prop
	env  func(string) (string, bool)

	errs  []*FieldError
	warns []Warning
}

func (b *binder) errorf(n *yaml.Node, path, format string, args ...any) {
	b.errs = append(b.errs, yamlpos.Errorf(b.file, n, path, format, args...))
}

func (b *binder) warnf(n *yaml.Node, path, format string, args ...any) {
	b.warns = append(b.warns, Warning(*yamlpos.Errorf(b.file, n, path, format, args...)))
}

// where is the node to point at for a property: its value, else its key.
func (p *prop) where() *yaml.Node {
	if p.val != nil {
		return p.val
	}
	return p.pos
}

// keyPos is the key that sets the property (for warnings about the key),
// or the list item it is.
func (p *prop) keyPos() *yaml.Node {
	if p.valKey != nil {
		return p.valKey
	}
	return p.pos
}

// child returns the property key under p (relaxed match), or nil. It
// records key as known under p.
func (b *binder) child(p *prop, key string) *prop {
	if p == nil {
		return nil
	}
	p.known = append(p.known, key)
	return p.byName[canon(key)]
}

func (b *binder) reportDups(p *prop) {
	for _, d := range p.dups {
		first := p.valKey
		if first == nil {
			first = p.pos
		}
		b.errorf(d, p.path, "set more than once (first at line %d): write it once, either nested or as a dotted key", first.Line)
	}
}

// section returns the mapping property key under p, or nil when it is
// absent, null, empty or not a mapping (reported).
func (b *binder) section(p *prop, key string) *prop {
	c := b.child(p, key)
	if c == nil || !b.asMap(c) {
		return nil
	}
	return c
}

// use marks p used; false when p is set more than once (reported, and
// the subtree skipped).
func (b *binder) use(p *prop) bool {
	p.used = true
	if len(p.dups) > 0 {
		b.reportDups(p)
		skipAll(p)
		return false
	}
	return true
}

// asMap marks p used and reports whether it can be read as a mapping.
func (b *binder) asMap(p *prop) bool {
	if !b.use(p) {
		return false
	}
	if p.val != nil && !isNull(p.val) && !isEmpty(p.val) {
		b.errorf(p.val, p.path, "want a mapping, got %s", kindName(p.val))
		return false
	}
	if len(p.items) > 0 {
		b.errorf(p.pos, p.path, "want a mapping, got a list")
		skipAll(p)
		return false
	}
	return len(p.kids) > 0
}

// isEmpty: an empty string or an empty list, which Spring binds as nothing.
func isEmpty(n *yaml.Node) bool {
	n = deref(n)
	return (n.Kind == yaml.ScalarNode && n.Value == "" && n.Tag == "!!str") || (n.Kind == yaml.SequenceNode && len(n.Content) == 0)
}

// scalar marks p used and returns its scalar value node, or nil when it is
// null or wrong (reported).
func (b *binder) scalar(p *prop, want string) *yaml.Node {
	if !b.use(p) {
		return nil
	}
	if len(p.kids) > 0 {
		b.errorf(p.pos, p.path, "want %s, got a mapping", want)
		skipAll(p)
		return nil
	}
	if len(p.items) > 0 || (p.val != nil && p.val.Kind == yaml.SequenceNode) {
		b.errorf(p.where(), p.path, "want %s, got a list", want)
		skipAll(p)
		return nil
	}
	if p.val == nil || isNull(p.val) {
		return nil
	}
	return p.val
}

// text returns p's string value with placeholders resolved; ok is false
// when it is absent, null or wrong (reported). A secret's value, and any
// placeholder in it, is never put in a message.
func (b *binder) text(p *prop, want string, secret bool) (s string, n *yaml.Node, ok bool) {
	n = b.scalar(p, want)
	if n == nil {
		return "", nil, false
	}
	v, err := b.expand(n.Value, 0)
	if err != nil {
		if secret {
			b.errorf(n, p.path, "a ${...} placeholder in this secret could not be resolved (its name is not shown: the value is secret); set the environment variable it names, or give a default with ${NAME:default}")
		} else {
			b.errorf(n, p.path, "%v", err)
		}
		return "", nil, false
	}
	return v, n, true
}

// str reads an optional string; "" when absent.
func (b *binder) str(p *prop, key string) (string, *prop) {
	c := b.child(p, key)
	if c == nil {
		return "", nil
	}
	s, _, _ := b.text(c, "a string", false)
	return s, c
}

// secret reads an optional secret string. Halyard's encrypted: references
// are refused: this service does not decrypt them.
func (b *binder) secret(p *prop, key string) (Secret, *prop) {
	c := b.child(p, key)
	if c == nil {
		return "", nil
	}
	s, n, ok := b.text(c, "a string", true)
	if !ok {
		return "", c
	}
	if strings.HasPrefix(s, "encrypted:") {
		b.errorf(n, c.path, "Halyard secret references (encrypted:...) are not decrypted by this service: put the value, or a ${ENV_VAR} placeholder, in the file")
		return "", c
	}
	return Secret(s), c
}

// boolean reads an optional boolean into *out.
func (b *binder) boolean(p *prop, key string, out *bool) *prop {
	c := b.child(p, key)
	if c == nil {
		return nil
	}
	s, n, ok := b.text(c, "true or false", false)
	if !ok {
		return c
	}
	v, ok := parseBool(s)
	if !ok {
		b.errorf(n, c.path, "want true or false, got %q", s)
		return c
	}
	*out = v
	return c
}

// integer reads an optional whole number in [lo, hi] into *out; want
// describes the value for messages.
func (b *binder) integer(p *prop, key string, lo, hi int64, want string, out *int64) *prop {
	c := b.child(p, key)
	if c == nil {
		return nil
	}
	s, n, ok := b.text(c, want, false)
	if !ok {
		return c
	}
	v, err := strconv.ParseInt(strings.TrimPrefix(strings.TrimSpace(s), "+"), 10, 64)
	if err != nil || v < lo || v > hi {
		b.errorf(n, c.path, "want %s, got %q", want, s)
		return c
	}
	*out = v
	return c
}

func (b *binder) intValue(p *prop, key string, lo, hi int64, want string, out *int) *prop {
	v := int64(*out)
	c := b.integer(p, key, lo, hi, want, &v)
	*out = int(v)
	return c
}

// duration reads an optional positive duration into *out.
func (b *binder) duration(p *prop, key string, out *time.Duration) *prop {
	c := b.child(p, key)
	if c == nil {
		return nil
	}
	const want = "a positive duration such as 30s, 1m30s or PT30S"
	s, n, ok := b.text(c, want, false)
	if !ok {
		return c
	}
	d, err := parseDuration(s)
	if err != nil || d <= 0 {
		b.errorf(n, c.path, "want %s, got %q", want, s)
		return c
	}
	*out = d
	return c
}

// path reads an optional file path, resolved against the config's
// directory. Halyard's encryptedFile: references are refused.
func (b *binder) path(p *prop, key string) (string, *yaml.Node, *prop) {
	c := b.child(p, key)
	if c == nil {
		return "", nil, nil
	}
	s, n, ok := b.text(c, "a file path", false)
	if !ok || s == "" {
		return "", nil, c
	}
	if strings.HasPrefix(s, "encryptedFile:") || strings.HasPrefix(s, "encrypted:") {
		b.errorf(n, c.path, "Halyard secret file references (encryptedFile:...) are not decrypted by this service: give a path to a plain file")
		return "", nil, c
	}
	return b.abs(s), n, c
}

// abs makes a path from the file absolute: ~/ is the home directory, and a
// relative path is relative to the config file's directory.
func (b *binder) abs(s string) string {
	if s == "~" || strings.HasPrefix(s, "~/") {
		if home, err := os.UserHomeDir(); err == nil {
			s = filepath.Join(home, s[1:])
		}
	}
	if !filepath.IsAbs(s) {
		s = filepath.Join(b.dir, s)
	}
	if a, err := filepath.Abs(s); err == nil {
		return a
	}
	return filepath.Clean(s)
}

// list returns the elements of a list property in index order, reporting
// a gap in the indexes (Spring stops binding at the first gap).
func (b *binder) list(p *prop, want string) []*prop {
	if !b.use(p) {
		return nil
	}
	if len(p.kids) > 0 {
		b.errorf(p.pos, p.path, "want %s, got a mapping", want)
		skipAll(p)
		return nil
	}
	if p.val != nil && !isNull(p.val) && !isEmpty(p.val) {
		b.errorf(p.val, p.path, "want %s, got %s", want, kindName(p.val))
		return nil
	}
	items := p.sortedItems()
	for i, it := range items {
		if idx := indexOf(p, it); idx != i {
			b.errorf(it.pos, it.path, "list index %d follows index %d: indexes must run 0, 1, 2 … without gaps", idx, i-1)
			for _, rest := range items[i:] {
				skipAll(rest)
			}
			return items[:i]
		}
	}
	return items
}

func indexOf(p, it *prop) int {
	for i, c := range p.items {
		if c == it {
			return i
		}
	}
	return -1
}

// listValue is one element of a list of scalars.
type listValue struct {
	s    string
	node *yaml.Node
	path string
}

// stringList reads a list of scalars: a YAML list, [i] keys, or a
// comma-separated string, as Spring binds lists. ok is false when the key
// is absent, null or wrong (reported).
func (b *binder) stringList(p *prop, key, want string) (vals []listValue, c *prop, ok bool) {
	c = b.child(p, key)
	if c == nil {
		return nil, nil, false
	}
	if c.isLeaf() && c.val != nil && c.val.Kind == yaml.ScalarNode && len(c.dups) == 0 {
		s, n, ok := b.text(c, want, false)
		if !ok {
			return nil, c, false
		}
		for part := range strings.SplitSeq(s, ",") {
			if part = strings.TrimSpace(part); part != "" {
				vals = append(vals, listValue{part, n, c.path})
			}
		}
		return vals, c, true
	}
	nerr := len(b.errs)
	items := b.list(c, want)
	if len(b.errs) > nerr && len(items) == 0 {
		return nil, c, false
	}
	for _, it := range items {
		if s, n, ok := b.text(it, "a value", false); ok {
			vals = append(vals, listValue{s, n, it.path})
		}
	}
	return vals, c, true
}

// supportedTypes reads an account's supportedTypes; ok is false when the
// key is absent.
func (b *binder) supportedTypes(acct *prop) ([]SupportedType, *prop, bool) {
	vals, c, ok := b.stringList(acct, "supportedTypes", "a list of METRICS_STORE, OBJECT_STORE or CONFIGURATION_STORE")
	if !ok {
		return nil, c, false
	}
	return enumValues(b, vals, parseSupportedType, "unknown supported type %q (want METRICS_STORE, OBJECT_STORE or CONFIGURATION_STORE)"), c, true
}

// enumValues parses each of vals, in order and without repeats; a value
// parse does not know is reported with unknown, a format for the value.
func enumValues[T comparable](b *binder, vals []listValue, parse func(string) (T, bool), unknown string) []T {
	out := []T{}
	for _, v := range vals {
		t, ok := parse(v.s)
		if !ok {
			b.errorf(v.node, v.path, unknown, v.s)
			continue
		}
		if !slices.Contains(out, t) {
			out = append(out, t)
		}
	}
	return out
}

// present reports whether a property is set to something: not absent,
// null or empty.
func present(p *prop) bool {
	return p != nil && (!p.isLeaf() || (p.val != nil && !isNull(p.val) && !isEmpty(p.val)))
}

// skipAll marks a subtree as accounted for: no warnings for its keys.
func skipAll(p *prop) {
	if p == nil {
		return
	}
	p.skip = true
}

// maxPlaceholderDepth bounds placeholder nesting (and catches cycles).
const maxPlaceholderDepth = 16

type unresolvedError struct{ name string }

func (e *unresolvedError) Error() string {
	return fmt.Sprintf("cannot resolve placeholder ${%s}: no environment variable %s or property %s, and no default (write ${%s:default})",
		e.name, envName(e.name), e.name, e.name)
}

// envName is the environment-variable form of a property name, as Spring
// matches them: SERVICES_KAYENTA_PORT for services.kayenta.port.
func envName(name string) string {
	return strings.ToUpper(strings.NewReplacer(".", "_", "-", "", "[", "_", "]", "").Replace(name))
}

// expand resolves ${name} and ${name:default} placeholders in s. An
// unterminated ${ is left as it is, as Spring leaves it.
func (b *binder) expand(s string, depth int) (string, error) {
	if !strings.Contains(s, "${") {
		return s, nil
	}
	if depth > maxPlaceholderDepth {
		return "", errors.New("placeholders nest too deeply (do two properties refer to each other?)")
	}
	var out strings.Builder
	for {
		i := strings.Index(s, "${")
		if i < 0 {
			out.WriteString(s)
			return out.String(), nil
		}
		end := matchBrace(s, i+2)
		if end < 0 {
			out.WriteString(s)
			return out.String(), nil
		}
		out.WriteString(s[:i])
		inner := s[i+2 : end]
		name, def, hasDef := splitDefault(inner)
		name, err := b.expand(name, depth+1)
		if err != nil {
			return "", err
		}
		val, found := b.lookup(name)
		switch {
		case found:
		case hasDef:
			val = def
		default:
			return "", &unresolvedError{name: name}
		}
		val, err = b.expand(val, depth+1)
		if err != nil {
			return "", err
		}
		out.WriteString(val)
		s = s[end+1:]
	}
}

// matchBrace returns the index of the '}' closing a placeholder whose body
// starts at from, allowing nested ${...}; -1 if none.
func matchBrace(s string, from int) int {
	depth := 0
	for i := from; i < len(s); i++ {
		switch {
		case strings.HasPrefix(s[i:], "${"):
			depth++
			i++
		case s[i] == '}':
			if depth == 0 {
				return i
			}
			depth--
		}
	}
	return -1
}

// splitDefault splits "name:default" at the first ':' outside nested ${}.
func splitDefault(s string) (name, def string, ok bool) {
	depth := 0
	for i := 0; i < len(s); i++ {
		switch {
		case strings.HasPrefix(s[i:], "${"):
			depth++
			i++
		case s[i] == '}':
			depth--
		case s[i] == ':' && depth == 0:
			return s[:i], s[i+1:], true
		}
	}
	return s, "", false
}

// lookup finds a placeholder's value: the environment (the name as
// written, then its environment-variable form), then a property of this
// file, which then counts as used.
func (b *binder) lookup(name string) (string, bool) {
	if v, ok := b.env(name); ok {
		return v, true
	}
	if v, ok := b.env(envName(name)); ok {
		return v, true
	}
	segs, err := splitKey(name)
	if err != nil {
		return "", false
	}
	p := b.root
	for _, s := range segs {
		if s.isIndex {
			p = p.items[s.index]
		} else {
			p = p.byName[s.key()]
		}
		if p == nil {
			return "", false
		}
	}
	if !p.isLeaf() || p.val == nil || p.val.Kind != yaml.ScalarNode || isNull(p.val) {
		return "", false
	}
	p.used = true
	return p.val.Value, true
}

// warnUnused warns about every property the binder did not read.
func (b *binder) warnUnused(p *prop) {
	if p.skip {
		return
	}
	if p.isLeaf() {
		if !p.used && p.val != nil {
			b.warnf(p.keyPos(), p.path, "%s", unusedMsg(p))
		}
		return
	}
	if !p.used && len(p.kids) == 0 && allScalarItems(p) {
		b.warnf(p.pos, p.path, "%s", unusedMsg(p))
		return
	}
	for _, c := range p.kids {
		b.warnUnused(c)
	}
	for _, c := range p.sortedItems() {
		b.warnUnused(c)
	}
}

func allScalarItems(p *prop) bool {
	for _, it := range p.items {
		if !it.isLeaf() || it.used {
			return false
		}
	}
	return true
}

// unusedMsg says why a key is ignored, suggesting a near miss.
func unusedMsg(p *prop) string {
	msg := "not used by this service (ignored)"
	top := p
	for top.parent != nil && top.parent.parent != nil {
		top = top.parent
	}
	switch canon(top.seg) {
	case "redis", "keiko":
		msg = "not used: this service needs no Redis or queue (ignored)"
	case "security":
		msg = "not used: this service does no Spring security; protect its API with ctl.auth.tokenFile (ignored)"
	}
	if p.parent != nil {
		if s := suggest(p.seg, p.parent.known); s != "" && canon(s) != canon(p.seg) {
			msg = fmt.Sprintf("unknown key (ignored); did you mean %q?", s)
		}
	}
	if len(p.dups) > 0 {
		msg += fmt.Sprintf(" (also set at line %d)", p.dups[0].Line)
	}
	return msg
}
