package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"kasse/openapi"
	"kasse/resources"
)

// openapiUsage documents `kasse openapi`.
const openapiUsage = `  kasse openapi [--out FILE] [--base-url URL]
                           write the OpenAPI 3.1 document generated from the resource registry to
                           stdout or FILE; URL is the server it names (default ` + openapi.DefaultServerURL + `).
                           docs/openapi.json is: go run ./cmd/kasse openapi --out docs/openapi.json
`

// runOpenAPI runs `kasse openapi`. It reads no environment: the committed
// document must not depend on who generated it.
func runOpenAPI(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("kasse openapi", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, "Usage:\n"+openapiUsage) }
	out := fs.String("out", "", "write the document to this file instead of stdout")
	baseURL := fs.String("base-url", "", "the server URL the document names")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("openapi: unexpected argument %q", fs.Arg(0))
	}
	doc, err := openapi.JSON(resources.Default(), openapi.Options{ServerURL: *baseURL})
	if err != nil {
		return fmt.Errorf("openapi: %w", err)
	}
	if *out == "" {
		_, err = stdout.Write(doc)
		return err
	}
	if err := os.WriteFile(*out, doc, 0o644); err != nil {
		return fmt.Errorf("openapi: %w", err)
	}
	fmt.Fprintf(stdout, "wrote %s (%d bytes)\n", *out, len(doc))
	return nil
}
