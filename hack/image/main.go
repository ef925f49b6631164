/*
Copyright 2026.

Licensed under the Apache License, Version 2.0 (the "License");
you may not use this file except in compliance with the License.
You may obtain a copy of the License at

    http://www.apache.org/licenses/LICENSE-2.0

Unless required by applicable law or agreed to in writing, software
distributed under the License is distributed on an "AS IS" BASIS,
WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
See the License for the specific language governing permissions and
limitations under the License.
*/

// Command image builds the manager's multi-platform OCI image without a
// container engine (`make image` runs it from the module root):
//
//	go run ./hack/image -ref ghcr.io/cyclr-operator/cyclr-token-operator:0.1.0 \
//	    -out dist/cyclr-token-operator-0.1.0.oci.tar
//
// For each platform it cross-builds a static ./cmd and puts it in one layer
// with a minimal /etc/passwd and /etc/group (nothing else: no base image, no
// shell; the CA roots are compiled into the manager). The tag and -revision
// are the image's version and revision labels and are stamped into the
// binary's internal/version, so `manager --version` says what the labels say.
// -package and -binary build another command the same way (make e2e's
// emulator, consumer and pause images). The output is an OCI
// image layout as a tar file whose index.json names the image, so that
// `ctr -n k8s.io images import` registers it under -ref. The same sources,
// revision and timestamp, built with the same Go, give the same bytes.
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// options are the command line; see the flags in parseOptions.
type options struct {
	ref       name.Tag
	out       string
	platforms []v1.Platform
	command   command
	meta      metadata
}

// command is the Go main package the image runs, and its name in the image: /<binary>.
type command struct {
	pkg    string
	binary string
}

// metadata is what the image says about itself: its labels and timestamps.
type metadata struct {
	version  string
	revision string
	source   string
	created  time.Time
}

func main() {
	opts, err := parseOptions(os.Args[1:])
	if err != nil {
		fmt.Fprintln(os.Stderr, "image:", err)
		os.Exit(2)
	}
	if err := run(opts); err != nil {
		fmt.Fprintln(os.Stderr, "image:", err)
		os.Exit(1)
	}
}

func parseOptions(args []string) (options, error) {
	fs := flag.NewFlagSet("image", flag.ContinueOnError)
	ref := fs.String("ref", "", "image reference with an explicit registry and tag, e.g. ghcr.io/org/name:1.2.3 (required); "+
		"the tag is the version label and the version stamped into the binary")
	out := fs.String("out", "", "path of the OCI layout tar file to write (required)")
	platforms := fs.String("platforms", "linux/amd64,linux/arm64", "comma-separated os/arch list")
	pkg := fs.String("package", "./cmd", "main package to build, relative to the module root")
	binary := fs.String("binary", "manager", "file name of the command in the image's root, its entrypoint")
	revision := fs.String("revision", "", "source revision label, also stamped into the binary (default: git rev-parse HEAD)")
	source := fs.String("source", "https://github.com/cyclr-operator/cyclr-token-operator", "source repository label")
	epoch := fs.String("source-date-epoch", os.Getenv("SOURCE_DATE_EPOCH"),
		"Unix time stamped on the image and its files (default: $SOURCE_DATE_EPOCH, else the commit time of HEAD)")
	if err := fs.Parse(args); err != nil {
		return options{}, err
	}
	if *ref == "" || *out == "" {
		return options{}, errors.New("-ref and -out are required")
	}
	tag, err := name.NewTag(*ref, name.StrictValidation)
	if err != nil {
		return options{}, fmt.Errorf("-ref: %w", err)
	}
	plats, err := parsePlatforms(*platforms)
	if err != nil {
		return options{}, err
	}
	if *revision == "" {
		if *revision, err = git("rev-parse", "HEAD"); err != nil {
			return options{}, err
		}
	}
	// The revision becomes one word of -ldflags (build.go); a tag cannot hold these anyway.
	if *revision == "" || strings.ContainsAny(*revision, " \t\n'\"") {
		return options{}, fmt.Errorf("-revision %q: want a commit, without spaces or quotes", *revision)
	}
	if *epoch == "" {
		if *epoch, err = git("log", "-1", "--format=%ct"); err != nil {
			return options{}, err
		}
	}
	seconds, err := strconv.ParseInt(*epoch, 10, 64)
	if err != nil {
		return options{}, fmt.Errorf("source date epoch %q: %w", *epoch, err)
	}
	return options{
		ref:       tag,
		out:       *out,
		platforms: plats,
		command:   command{pkg: *pkg, binary: *binary},
		meta: metadata{
			version:  tag.TagStr(),
			revision: *revision,
			source:   *source,
			created:  time.Unix(seconds, 0).UTC(),
		},
	}, nil
}

func parsePlatforms(list string) ([]v1.Platform, error) {
	var plats []v1.Platform
	for entry := range strings.SplitSeq(list, ",") {
		goos, goarch, ok := strings.Cut(strings.TrimSpace(entry), "/")
		if !ok || goos == "" || goarch == "" || strings.Contains(goarch, "/") {
			return nil, fmt.Errorf("platform %q: want os/arch", entry)
		}
		plats = append(plats, v1.Platform{OS: goos, Architecture: goarch})
	}
	return plats, nil
}

// git runs git in the current directory and returns its trimmed output.
func git(args ...string) (string, error) {
	out, err := exec.Command("git", args...).Output()
	if err != nil {
		return "", fmt.Errorf("git %s: %w", strings.Join(args, " "), err)
	}
	return strings.TrimSpace(string(out)), nil
}

func run(opts options) error {
	workDir, err := os.MkdirTemp("", "cyclr-image-")
	if err != nil {
		return err
	}
	defer func() { _ = os.RemoveAll(workDir) }()

	var images []platformImage
	for _, platform := range opts.platforms {
		binary, err := build(opts.command, platform, opts.meta, workDir)
		if err != nil {
			return err
		}
		img, err := commandImage(binary, opts.command.binary, platform, opts.meta)
		if err != nil {
			return fmt.Errorf("%s image: %w", platform, err)
		}
		images = append(images, platformImage{platform: platform, image: img})
	}
	digest, err := writeArchive(opts.out, imageIndex(images, opts.meta), opts.ref, opts.meta.created, workDir)
	if err != nil {
		return err
	}
	fmt.Printf("%s\n  %s@%s\n", opts.out, opts.ref, digest)
	return nil
}
