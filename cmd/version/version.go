// Package version implements `ctl version`.
package version

import (
	"fmt"
	"runtime"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/ctlproject/ctl/cmd/cmdutil"
	"github.com/ctlproject/ctl/halconfig"
)

// Info is what `ctl version` reports.
type Info struct {
	Version      string   `yaml:"version"`
	ConfigSchema string   `yaml:"configSchema"`
	ReadsSchemas []string `yaml:"readsSchemas"`
	GoVersion    string   `yaml:"goVersion"`
	Platform     string   `yaml:"platform"`
}

// NewCmdVersion returns `ctl version`.
func NewCmdVersion(f *cmdutil.Factory) *cobra.Command {
	var format cmdutil.Format
	cmd := &cobra.Command{
		Use:   "version",
		Short: "Print ctl's version and the config schemas it reads",
		Example: `  ctl version
  ctl version -o json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			info := Info{
				Version: f.Version, ConfigSchema: halconfig.APIVersion, ReadsSchemas: halconfig.KnownVersions(),
				GoVersion: runtime.Version(), Platform: runtime.GOOS + "/" + runtime.GOARCH,
			}
			return cmdutil.Print(f.IO.Out, format, info, func(w *tabwriter.Writer) {
				fmt.Fprintf(w, "ctl version %s (config schema %s, %s, %s)\n", info.Version, info.ConfigSchema, info.GoVersion, info.Platform)
			})
		},
	}
	cmdutil.AddOutputFlag(cmd, &format)
	return cmd
}
