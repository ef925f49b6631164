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
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

const crdName = "cyclrcredentials.auth.cyclr-operator.io"

// scenarioUninstall checks README's "Upgrade and uninstall": helm uninstall removes the manager,
// its RBAC and Service but keeps the CRD, the CyclrCredentials and their Secrets; installing
// again (here with dist/install.yaml) picks them up without a new token; deleting install.yaml
// removes everything, the credentials' Secrets through the garbage collector.
func (c *cluster) scenarioUninstall(ctx context.Context) error {
	if _, err := c.helm(ctx, "uninstall", releaseName, "-n", operatorNamespace, "--wait"); err != nil {
		return err
	}
	if left, err := c.kubectl(ctx, "", "get", "deployments,serviceaccounts,services,roles,rolebindings", "-n", operatorNamespace,
		"-l", "app.kubernetes.io/instance="+releaseName, "-o", "name"); err != nil || strings.TrimSpace(left) != "" {
		return fmt.Errorf("after helm uninstall, left in %s: %q %v", operatorNamespace, left, err)
	}
	if left, err := c.kubectl(ctx, "", "get", "clusterroles,clusterrolebindings", "-l", "app.kubernetes.io/instance="+releaseName,
		"-o", "name"); err != nil || strings.TrimSpace(left) != "" {
		return fmt.Errorf("after helm uninstall, cluster objects left: %q %v", left, err)
	}
	kept, err := c.credentialSecrets(ctx)
	if err != nil {
		return fmt.Errorf("after helm uninstall: %w", err)
	}
	if _, err := c.kubectl(ctx, "", "get", "crd", crdName); err != nil {
		return fmt.Errorf("helm uninstall removed the CRD (crds.keep is the default): %w", err)
	}
	if _, err := c.kubectl(ctx, "", "-n", consumerNamespace, "get", "cyclrcredential", stableCredential); err != nil {
		return fmt.Errorf("helm uninstall removed a CyclrCredential: %w", err)
	}

	if err := c.resetEmulator(ctx); err != nil {
		return err
	}
	started := time.Now()
	if err := c.applyInstallYAML(ctx); err != nil {
		return err
	}
	if err := c.waitDeploymentReady(ctx, operatorNamespace, operatorDeployment, 1); err != nil {
		return fmt.Errorf("install.yaml: %w", err)
	}
	if _, err := c.waitLeader(ctx, ""); err != nil {
		return err
	}
	c.figures.add("kubectl apply -f dist/install.yaml to a ready, leading operator pod", "%s", time.Since(started).Round(100*time.Millisecond))
	if err := c.holdsQuiet(ctx, kept); err != nil {
		return fmt.Errorf("install.yaml over kept credentials: %w", err)
	}

	if _, err := c.kubectl(ctx, "", "delete", "-f", c.cfg.installYAML, "--wait"); err != nil {
		return err
	}
	return poll(ctx, 2*time.Minute, func() (bool, error) {
		_, err := c.kube.CoreV1().Secrets(consumerNamespace).Get(ctx, stableCredential, metav1.GetOptions{})
		if !apierrors.IsNotFound(err) {
			return false, nil
		}
		_, err = c.kube.CoreV1().Namespaces().Get(ctx, operatorNamespace, metav1.GetOptions{})
		return apierrors.IsNotFound(err), nil
	})
}
