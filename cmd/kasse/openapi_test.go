package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"kasse/openapi"
	"kasse/resources"
)

func TestOpenAPICommand(t *testing.T) {
	want, err := openapi.JSON(resources.Default(), openapi.Options{})
	if err != nil {
		t.Fatal(err)
	}
	// The environment does not change the document (KASSE_BASE_URL is
	// the server's, not the committed document's).
	env := envFrom(map[string]string{"KASSE_BASE_URL": "https://elsewhere.example", "DATABASE_URL": "mysql://not-used"})
	out, _, err := runCmd(t, env, "openapi")
	if err != nil || out != string(want) {
		t.Fatalf("kasse openapi: err %v; stdout is the generated document: %v", err, out == string(want))
	}

	path := filepath.Join(t.TempDir(), "openapi.json")
	out, _, err = runCmd(t, noEnv, "openapi", "--out", path)
	if err != nil || !strings.Contains(out, "wrote "+path) {
		t.Fatalf("kasse openapi --out: err %v, stdout %q", err, out)
	}
	if got, err := os.ReadFile(path); err != nil || string(got) != string(want) {
		t.Fatalf("--out file: %v, same as generated: %v", err, string(got) == string(want))
	}

	out, _, err = runCmd(t, noEnv, "openapi", "--base-url", "https://api.example.com/")
	if err != nil || !strings.Contains(out, `"url": "https://api.example.com"`) || !strings.Contains(out, `"tokenUrl": "https://api.example.com/oauth/token"`) {
		t.Fatalf("kasse openapi --base-url: err %v, servers/tokenUrl not set", err)
	}

	if _, _, err := runCmd(t, noEnv, "openapi", "now"); err == nil || !strings.Contains(err.Error(), `unexpected argument "now"`) {
		t.Fatalf("stray argument: %v", err)
	}
	if _, _, err := runCmd(t, noEnv, "openapi", "--out", filepath.Join(t.TempDir(), "missing", "x.json")); err == nil {
		t.Fatal("an unwritable --out is not an error")
	}
	if !strings.Contains(usage, "kasse openapi") {
		t.Error("the usage does not mention kasse openapi")
	}
}
