package conformance

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
)

// NodeDir is the Node project (package.json, lockfile, script), relative to
// this package's directory.
const NodeDir = "testdata/node"

// ErrNoNode reports that node or npm is not installed.
var ErrNoNode = errors.New("conformance: node or npm not found in PATH")

// EnsureClient installs the pinned Node client into dir/node_modules with
// `npm ci` unless it is already there.
func EnsureClient(ctx context.Context, dir string) error {
	if _, err := exec.LookPath("node"); err != nil {
		return ErrNoNode
	}
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "@drip-sdk", "node", "package.json")); err == nil {
		return nil
	}
	npm, err := exec.LookPath("npm")
	if err != nil {
		return ErrNoNode
	}
	cmd := exec.CommandContext(ctx, npm, "ci", "--no-audit", "--no-fund", "--loglevel=error")
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("conformance: npm ci in %s: %w\n%s", dir, err, out)
	}
	return nil
}

// RunScript runs `node script` in dir with env added to the environment and
// returns its combined output.
func RunScript(ctx context.Context, dir, script string, env ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, "node", script)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	if err != nil {
		err = fmt.Errorf("conformance: node %s: %w", script, err)
	}
	return out.Bytes(), err
}
