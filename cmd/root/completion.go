package root

import (
	"github.com/spf13/cobra"

	"github.com/ctlproject/ctl/cmd/cmdutil"
)

func newCmdCompletion(f *cmdutil.Factory) *cobra.Command {
	return &cobra.Command{
		Use:   "completion bash|zsh|fish",
		Short: "Print a shell completion script",
		Long: `Print a completion script for bash, zsh or fish. It completes commands,
flags, account names and deployment names from your config.`,
		Example: `  # bash, for this shell
  source <(ctl completion bash)

  # zsh, installed once
  ctl completion zsh > "${fpath[1]}/_ctl"

  # fish
  ctl completion fish > ~/.config/fish/completions/ctl.fish`,
		Args:      cobra.ExactArgs(1),
		ValidArgs: []string{"bash", "zsh", "fish"},
		RunE: func(cmd *cobra.Command, args []string) error {
			root := cmd.Root()
			switch args[0] {
			case "bash":
				return root.GenBashCompletionV2(f.IO.Out, true)
			case "zsh":
				return root.GenZshCompletion(f.IO.Out)
			case "fish":
				return root.GenFishCompletion(f.IO.Out, true)
			}
			return cmdutil.FlagErrorf("unknown shell %q: want bash, zsh or fish", args[0])
		},
	}
}
