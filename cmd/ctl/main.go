// Command ctl configures, deploys and proves a canary-analysis stack.
package main

import (
	"os"

	"github.com/ctlproject/ctl/cmd/root"
)

// version is set at link time: -ldflags "-X main.version=v1.2.3".
var version = "dev"

func main() {
	os.Exit(root.Main(root.NewFactory(version), os.Args[1:]))
}
