package cli

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// A README's generated blocks sit between a line "<!-- sim ARGS -->" and a
// line "<!-- /sim -->": ARGS is "demo", "demo FILE" (relative to the
// README's folder) or "fidelity", and the block holds that command's output
// (a Markdown table as it is, anything else in a text code fence). No
// figure in them is typed by hand.
const (
	blockOpen  = "<!-- sim "
	blockClose = "<!-- /sim -->"
)

// Readme regenerates the generated blocks of the README at path, or with
// check only compares them and reports the stale ones. It returns
// ExitValid when the file is (now) current.
func Readme(path string, check bool, stdout, stderr io.Writer, virtual func(func())) int {
	old, err := os.ReadFile(path)
	if err != nil {
		fmt.Fprintf(stderr, "sim readme: %v\n", err)
		return ExitUsage
	}
	var out bytes.Buffer
	var stale []string
	lines := strings.SplitAfter(string(old), "\n")
	for i := 0; i < len(lines); i++ {
		out.WriteString(lines[i])
		args, ok := strings.CutPrefix(strings.TrimSpace(lines[i]), blockOpen)
		if !ok {
			continue
		}
		args = strings.TrimSuffix(args, "-->")
		j := i + 1
		for j < len(lines) && strings.TrimSpace(lines[j]) != blockClose {
			j++
		}
		if j == len(lines) {
			fmt.Fprintf(stderr, "sim readme: %s:%d: no %s after %s\n", path, i+1, blockClose, strings.TrimSpace(lines[i]))
			return ExitUsage
		}
		body, code := generate(strings.Fields(args), filepath.Dir(path), stderr, virtual)
		if code != ExitValid {
			fmt.Fprintf(stderr, "sim readme: %s:%d: %s failed\n", path, i+1, strings.TrimSpace(args))
			return code
		}
		if body != strings.Join(lines[i+1:j], "") {
			stale = append(stale, strings.TrimSpace(args))
		}
		out.WriteString(body)
		out.WriteString(lines[j])
		i = j
	}
	switch {
	case check && len(stale) > 0:
		fmt.Fprintf(stderr, "sim readme: %s is stale in: %s; run `make readme`\n", path, strings.Join(stale, "; "))
		return ExitInvalid
	case check:
		fmt.Fprintf(stdout, "%s is current\n", path)
		return ExitValid
	}
	if err := os.WriteFile(path, out.Bytes(), 0o644); err != nil {
		fmt.Fprintf(stderr, "sim readme: %v\n", err)
		return ExitInvalid
	}
	fmt.Fprintf(stdout, "%s: regenerated %d stale blocks\n", path, len(stale))
	return ExitValid
}

// generate runs one block's command and returns what the block holds.
func generate(args []string, dir string, stderr io.Writer, virtual func(func())) (string, int) {
	var b bytes.Buffer
	code := ExitUsage
	switch {
	case len(args) == 1 && args[0] == "fidelity":
		code = Fidelity(&b, stderr, virtual)
	case len(args) >= 1 && len(args) <= 2 && args[0] == "demo":
		list := ""
		if len(args) == 2 {
			raw, err := os.ReadFile(filepath.Join(dir, args[1]))
			if err != nil {
				fmt.Fprintf(stderr, "sim readme: %v\n", err)
				return "", ExitUsage
			}
			list = string(raw)
		}
		code = demo(list, false, &b, stderr, virtual)
	default:
		fmt.Fprintf(stderr, "sim readme: unknown block command %q (demo [FILE], fidelity)\n", strings.Join(args, " "))
	}
	if strings.HasPrefix(b.String(), "|") {
		return b.String(), code
	}
	return "```text\n" + b.String() + "```\n", code
}
