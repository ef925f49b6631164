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

package main

import (
	"context"
	"fmt"
	"strings"
)

// volumeOnlyCredential is the RefreshToken subject of scenarioRotations: its one consumer
// reads a volume.
const volumeOnlyCredential = "refresh"

// pluginEnvConsumer reads volumeOnlyCredential's Secret from an environment variable and is
// none of its rollout restart targets: the consumer `kubectl cyclr consumers` must warn about.
const pluginEnvConsumer = "plugin-env"

// scenarioPlugin runs the released kubectl-cyclr against the cluster the rotations left:
// consumers warns for an env consumer that nothing restarts and for no volume consumer nor
// restarted env consumer, and refresh --wait returns once a new token is in the Secret.
func (c *cluster) scenarioPlugin(ctx context.Context) error {
	if _, err := c.kubectl(ctx, consumerManifest(pluginEnvConsumer, volumeOnlyCredential, envConsumer), "apply", "-f", "-"); err != nil {
		return err
	}
	defer func() {
		if _, err := c.kubectl(context.WithoutCancel(ctx), "", "-n", consumerNamespace, "delete", "deployment", pluginEnvConsumer); err != nil {
			logf("deleting %s: %v", pluginEnvConsumer, err)
		}
	}()
	var printed strings.Builder
	for credential, warned := range map[string][]string{
		volumeOnlyCredential: {"Deployment/" + pluginEnvConsumer}, // and not its volume consumer
		"restart":            nil,                                 // restart-env is a restart target that allows it
	} {
		out, err := c.kubectlCyclr(ctx, "consumers", credential, "-n", consumerNamespace)
		if err != nil {
			return err
		}
		printed.WriteString(out)
		if got := warnings(out); strings.Join(got, " ") != strings.Join(warned, " ") {
			return fmt.Errorf("kubectl cyclr consumers %s warned for %v, want %v:\n%s", credential, got, warned, out)
		}
	}

	before, err := c.targetSecret(ctx, "reauth")
	if err != nil {
		return err
	}
	out, err := c.kubectlCyclr(ctx, "refresh", "reauth", "-n", consumerNamespace, "--wait", "--timeout", "2m")
	if err != nil {
		return err
	}
	printed.WriteString(out)
	after, err := c.targetSecret(ctx, "reauth")
	if err != nil {
		return err
	}
	if fingerprint(after.Data["authorization"]) == fingerprint(before.Data["authorization"]) {
		return fmt.Errorf("kubectl cyclr refresh --wait returned, but the Secret holds the token it held before:\n%s", out)
	}
	status, err := c.kubectlCyclr(ctx, "status", "-n", consumerNamespace)
	if err != nil {
		return err
	}
	printed.WriteString(status)
	logf("kubectl cyclr status:\n%s", status)
	for _, s := range []string{string(before.Data["access_token"]), string(after.Data["access_token"])} {
		if s != "" && strings.Contains(printed.String(), s) {
			return fmt.Errorf("kubectl cyclr printed a token")
		}
	}
	return nil
}

// warnings are the kind/name of each WARNING line of kubectl cyclr consumers, in order.
func warnings(out string) []string {
	var names []string
	for line := range strings.SplitSeq(out, "\n") {
		if rest, ok := strings.CutPrefix(line, "WARNING: "); ok {
			names = append(names, strings.Fields(rest)[0])
		}
	}
	return names
}

func (c *cluster) kubectlCyclr(ctx context.Context, args ...string) (string, error) {
	return c.run(ctx, "", c.cfg.plugin, args...)
}
