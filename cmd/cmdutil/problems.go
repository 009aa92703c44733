package cmdutil

import (
	"fmt"

	"github.com/ctlproject/ctl/halconfig"
)

// PrintProblems writes validation problems to stderr as Halyard does:
// `! ERROR`, `- WARNING`, `- INFO`, with `? remediation` under each.
func PrintProblems(s *IOStreams, ps halconfig.Problems) {
	for _, p := range ps {
		mark, color := "-", "33"
		switch p.Severity {
		case halconfig.Error, halconfig.Fatal:
			mark, color = "!", "31"
		case halconfig.Info:
			color = "32"
		}
		fmt.Fprintf(s.ErrOut, "%s %s %s: %s\n", mark, s.Color(color, p.Severity.String()), p.Location, p.Message)
		if p.Remediation != "" {
			fmt.Fprintf(s.ErrOut, "%s %s\n", s.Color("35", "?"), p.Remediation)
		}
	}
}
