package prometheus

import (
	"fmt"
	"slices"
	"strings"
)

// expandTemplate expands template the way Kayenta's QueryConfigUtils does
// with commons-text's StringSubstitutor (enableUndefinedVariableException on,
// everything else default):
//
//   - ${name} is replaced by vars[name]; ${name:-default} falls back to
//     default when name is not bound (a bound empty value is used as is);
//   - a replaced value (or default) is itself expanded, and a variable that
//     refers back to itself is an error;
//   - $${ is an escape: it leaves ${ in the output without expanding it. As in
//     commons-text, the escaping $ is whatever precedes ${ in the text built
//     so far, including the last character of a value just substituted;
//   - a ${ without a closing } is left alone, as is the rest of the text;
//   - an unbound variable without a default is an error.
//
// Nested variable names (${a${b}}) are not expanded, as substitution in
// variable names is off by default.
func expandTemplate(template string, vars map[string]string) (string, error) {
	return substitute(template, vars, []string{template})
}

func substitute(s string, vars map[string]string, prior []string) (string, error) {
	out := make([]byte, 0, len(s))
	i := 0
	for i < len(s) {
		j := strings.Index(s[i:], "${")
		if j < 0 {
			out = append(out, s[i:]...)
			break
		}
		out = append(out, s[i:i+j]...)
		i += j
		end := strings.IndexByte(s[i+2:], '}')
		if end < 0 {
			// No suffix: nothing after this point is substituted.
			out = append(out, s[i:]...)
			break
		}
		expr := s[i+2 : i+2+end]
		next := i + 2 + end + 1
		if len(out) > 0 && out[len(out)-1] == '$' {
			// Escaped: drop the '$', keep "${" and go on right after it.
			out = append(out[:len(out)-1], "${"...)
			i += 2
			continue
		}
		name, def, hasDef := expr, "", false
		for k := 0; k < len(expr); k++ {
			if strings.HasPrefix(expr[k:], "${") {
				break // a nested variable: no default is looked for
			}
			if strings.HasPrefix(expr[k:], ":-") {
				name, def, hasDef = expr[:k], expr[k+2:], true
				break
			}
		}
		if slices.Contains(prior, name) {
			return "", fmt.Errorf("infinite loop in property interpolation of %s", strings.Join(append(prior[1:len(prior):len(prior)], name), "->"))
		}
		val, ok := vars[name]
		if !ok {
			if !hasDef {
				return "", fmt.Errorf("cannot resolve variable '%s' (enableSubstitutionInVariables=false)", name)
			}
			val = def
		}
		expanded, err := substitute(val, vars, append(prior[:len(prior):len(prior)], name))
		if err != nil {
			return "", err
		}
		out = append(out, expanded...)
		i = next
	}
	return string(out), nil
}
