// Command wxauth runs the WeChat Open Platform third-party-platform authorization flow:
// a terminal console, a headless daemon and a local WeChat simulator.
package main

import (
	"os"

	"wxauth/cli"
)

func main() {
	os.Exit(cli.Main(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
