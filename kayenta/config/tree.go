package config

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/ctlproject/ctl/kayenta/config/yamlpos"
)

// prop is one property of the Spring-style property tree built from the
// YAML document. Nested mappings, dotted keys and [i] indexes all land on
// the same nodes, named by their canonical (relaxed) names, the way Spring
// flattens a YAML file into properties before binding them.
type prop struct {
	parent *prop
	// seg is the segment as first written ("metadata-caching-interval-ms",
	// "[0]"); path is the whole key path as first written.
	seg, path string
	// pos is where the property first appears: the key that introduced it,
	// or the list item it is.
	pos *yaml.Node
	// val is the value when the property is set to a scalar, null or an
	// empty list; valKey is the key that set it.
	val, valKey *yaml.Node
	// dups are the keys that set the property again, or set it both to a
	// value and to a mapping or list.
	dups []*yaml.Node

	kids   []*prop // named children, in file order
	byName map[string]*prop
	items  map[int]*prop // list elements

	// used: the binder read this property. skip: the binder accounted for
	// the whole subtree.
	used, skip bool
	// known are the keys the binder looked up under this property, for
	// suggestions in warnings about keys it did not.
	known []string
}

func (p *prop) isLeaf() bool { return len(p.kids) == 0 && len(p.items) == 0 }

// sortedItems returns the list elements in index order.
func (p *prop) sortedItems() []*prop {
	idx := make([]int, 0, len(p.items))
	for i := range p.items {
		idx = append(idx, i)
	}
	slices.Sort(idx)
	out := make([]*prop, len(idx))
	for j, i := range idx {
		out[j] = p.items[i]
	}
	return out
}

// canon is the relaxed-binding form of a name: lower case, without '-'
// and '_', so kebab-case, camelCase and snake_case spellings match.
func canon(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '-' || r == '_' {
			return -1
		}
		if 'A' <= r && r <= 'Z' {
			return r + 'a' - 'A'
		}
		return r
	}, s)
}

type segment struct {
	name    string // the name as written; for [i], "[i]"
	index   int
	isIndex bool
	literal bool // written in brackets: matched exactly, not relaxed
}

func (s segment) key() string {
	if s.literal {
		return "[" + s.name + "]"
	}
	return canon(s.name)
}

// splitKey splits a key such as "kayenta.prometheus.accounts[0].name" into
// its segments. A bracketed name ("[a.b]") is one segment, as in Spring.
func splitKey(k string) ([]segment, error) {
	if k == "" {
		return nil, errors.New("empty key")
	}
	var segs []segment
	i := 0
	for i < len(k) {
		if k[i] == '[' {
			j := strings.IndexByte(k[i:], ']')
			if j < 0 {
				return nil, fmt.Errorf("key %q has a '[' without ']'", k)
			}
			inner := k[i+1 : i+j]
			if n, err := strconv.Atoi(inner); err == nil && n >= 0 && inner == strconv.Itoa(n) {
				segs = append(segs, segment{name: "[" + inner + "]", index: n, isIndex: true})
			} else if inner == "" {
				return nil, fmt.Errorf("key %q has an empty []", k)
			} else {
				segs = append(segs, segment{name: inner, literal: true})
			}
			i += j + 1
			if i < len(k) {
				switch k[i] {
				case '.':
					i++
					if i == len(k) {
						return nil, fmt.Errorf("key %q ends with '.'", k)
					}
				case '[':
				default:
					return nil, fmt.Errorf("key %q needs '.' after ']'", k)
				}
			}
			continue
		}
		j := strings.IndexAny(k[i:], ".[")
		end := len(k)
		if j >= 0 {
			end = i + j
		}
		name := k[i:end]
		if name == "" {
			return nil, fmt.Errorf("key %q has an empty part (two dots, or a leading or trailing dot)", k)
		}
		segs = append(segs, segment{name: name})
		i = end
		if i < len(k) && k[i] == '.' {
			i++
			if i == len(k) {
				return nil, fmt.Errorf("key %q has an empty part (two dots, or a leading or trailing dot)", k)
			}
		}
	}
	return segs, nil
}

type treeBuilder struct {
	file string
	errs []*FieldError
}

func (t *treeBuilder) errorf(n *yaml.Node, path, format string, args ...any) {
	t.errs = append(t.errs, yamlpos.Errorf(t.file, n, path, format, args...))
}

func deref(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	return n
}

func isNull(n *yaml.Node) bool { return n != nil && n.Kind == yaml.ScalarNode && n.Tag == "!!null" }

func kindName(n *yaml.Node) string {
	n = deref(n)
	switch {
	case n == nil:
		return "nothing"
	case n.Kind == yaml.MappingNode:
		return "a mapping"
	case n.Kind == yaml.SequenceNode:
		return "a list"
	case isNull(n):
		return "null"
	}
	// Never the value itself: it may be a secret in the wrong place.
	switch n.Tag {
	case "!!int", "!!float":
		return "a number"
	case "!!bool":
		return "a boolean"
	case "!!str":
		return "a string"
	}
	return "a value"
}

func joinPath(path, seg string) string {
	switch {
	case path == "":
		return seg
	case strings.HasPrefix(seg, "["):
		return path + seg
	}
	return path + "." + seg
}

// child returns the named child of p, creating it at pos.
func (t *treeBuilder) child(p *prop, s segment, pos *yaml.Node) *prop {
	if s.isIndex {
		if c, ok := p.items[s.index]; ok {
			return c
		}
		if p.isLeaf() && p.val != nil && !isNull(p.val) && !isEmpty(p.val) {
			p.dups = append(p.dups, pos) // a value, and now a list too
		}
		if p.items == nil {
			p.items = map[int]*prop{}
		}
		c := &prop{parent: p, seg: s.name, path: joinPath(p.path, s.name), pos: pos}
		p.items[s.index] = c
		return c
	}
	k := s.key()
	if c, ok := p.byName[k]; ok {
		return c
	}
	if p.isLeaf() && p.val != nil && !isNull(p.val) {
		p.dups = append(p.dups, pos) // a value, and now a mapping too
	}
	if p.byName == nil {
		p.byName = map[string]*prop{}
	}
	seg := s.name
	if s.literal {
		seg = "[" + s.name + "]"
	}
	c := &prop{parent: p, seg: seg, path: joinPath(p.path, seg), pos: pos}
	p.byName[k] = c
	p.kids = append(p.kids, c)
	return c
}

// mapping adds the entries of a YAML mapping under p. Explicit keys win over
// keys merged in with <<, and an earlier merge wins over a later one, as in
// YAML's merge keys (the override is per key, not deep).
func (t *treeBuilder) mapping(p *prop, m *yaml.Node) {
	seen := map[string]*yaml.Node{}
	var merges []*yaml.Node
	for i := 0; i+1 < len(m.Content); i += 2 {
		k, v := deref(m.Content[i]), m.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			t.errorf(k, p.path, "a key must be a string, got %s", kindName(k))
			continue
		}
		if k.Tag == "!!merge" {
			merges = append(merges, v)
			continue
		}
		if first, dup := seen[k.Value]; dup {
			t.errorf(k, p.path, "key %q appears twice in this mapping (first at line %d)", k.Value, first.Line)
			continue
		}
		seen[k.Value] = k
		t.entry(p, k, v)
	}
	for _, mv := range merges {
		mv = deref(mv)
		var srcs []*yaml.Node
		switch mv.Kind {
		case yaml.MappingNode:
			srcs = []*yaml.Node{mv}
		case yaml.SequenceNode:
			for _, it := range mv.Content {
				srcs = append(srcs, deref(it))
			}
		}
		for _, src := range srcs {
			if src.Kind != yaml.MappingNode {
				t.errorf(src, p.path, "<< merges a mapping or a list of mappings, got %s", kindName(src))
				continue
			}
			for i := 0; i+1 < len(src.Content); i += 2 {
				k, v := deref(src.Content[i]), src.Content[i+1]
				if k.Kind != yaml.ScalarNode || k.Tag == "!!merge" {
					continue // reported where that mapping is written
				}
				if _, dup := seen[k.Value]; dup {
					continue
				}
				seen[k.Value] = k
				t.entry(p, k, v)
			}
		}
		if mv.Kind != yaml.MappingNode && mv.Kind != yaml.SequenceNode {
			t.errorf(mv, p.path, "<< merges a mapping or a list of mappings, got %s", kindName(mv))
		}
	}
}

func (t *treeBuilder) entry(p *prop, k, v *yaml.Node) {
	segs, err := splitKey(k.Value)
	if err != nil {
		t.errorf(k, p.path, "%v", err)
		return
	}
	n := p
	for _, s := range segs {
		n = t.child(n, s, k)
	}
	t.assign(n, k, v)
}

func (t *treeBuilder) assign(n *prop, k, v *yaml.Node) {
	v = deref(v)
	switch v.Kind {
	case yaml.MappingNode:
		t.mapping(n, v) // child records a clash with a value
	case yaml.SequenceNode:
		if len(v.Content) == 0 {
			t.setLeaf(n, k, v)
			return
		}
		for i, it := range v.Content { // child records a clash with a value
			c := t.child(n, segment{name: "[" + strconv.Itoa(i) + "]", index: i, isIndex: true}, deref(it))
			t.assign(c, deref(it), it)
		}
	default:
		t.setLeaf(n, k, v)
	}
}

// setLeaf sets a scalar, null or empty-list value. A null next to a mapping
// adds nothing, as in Spring; anything else set twice is recorded.
func (t *treeBuilder) setLeaf(n *prop, k, v *yaml.Node) {
	if !n.isLeaf() {
		if !isNull(v) {
			n.dups = append(n.dups, k)
		}
		return
	}
	if n.val != nil {
		n.dups = append(n.dups, k)
		return
	}
	n.val, n.valKey = v, k
}

// parseTree reads the one YAML document of data into a property tree. A
// nil root with no errors means an empty file.
func parseTree(file string, data []byte) (*prop, []*FieldError) {
	root := &prop{}
	doc, extra, err := yamlpos.Decode(file, data)
	if err != nil {
		return nil, []*FieldError{err}
	}
	if extra != nil {
		at := extra
		if len(extra.Content) > 0 {
			at = extra.Content[0]
		}
		return nil, []*FieldError{yamlpos.Errorf(file, at, "",
			"a second YAML document: the config file holds exactly one (remove the extra ---; Spring profiles are not supported)")}
	}
	if doc == nil || len(doc.Content) == 0 {
		return root, nil
	}
	top := deref(doc.Content[0])
	if isNull(top) {
		return root, nil
	}
	if top.Kind != yaml.MappingNode {
		return nil, []*FieldError{{File: file, Line: top.Line, Column: top.Column,
			Msg: "want a mapping of keys such as server and kayenta, got " + kindName(top)}}
	}
	t := &treeBuilder{file: file}
	t.mapping(root, top)
	return root, t.errs
}
