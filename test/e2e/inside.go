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
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"syscall"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/client"

	authv1alpha1 "github.com/cyclr-operator/cyclr-token-operator/api/v1alpha1"
)

// cluster is what the scenarios use: the node, clients with admin rights, and kubectl/helm.
type cluster struct {
	*node
	kube    kubernetes.Interface
	client  client.Client
	figures *figures
	// testCAFile signed the emulator's certificate; the operator and consumers trust it.
	testCAFile string
}

// inside runs in the namespaces: the cluster, then the scenarios. When it returns, its PID
// namespace ends and every process of the run with it.
func inside(cfg config) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	started := time.Now()
	n, err := startNode(ctx, cfg)
	if err != nil {
		return fmt.Errorf("starting the cluster (logs in %s): %w", cfg.logsDir, err)
	}
	c, err := newCluster(n)
	if err != nil {
		return err
	}
	if err := c.waitNodeReady(ctx); err != nil {
		return fmt.Errorf("node (logs in %s): %w", cfg.logsDir, err)
	}
	logf("cluster up in %s: node Ready, default ServiceAccount present", time.Since(started).Round(100*time.Millisecond))
	err = c.runScenarios(ctx)
	if werr := c.figures.write(cfg.figures); werr != nil && err == nil {
		err = werr
	}
	return err
}

func newCluster(n *node) (*cluster, error) {
	rc, err := clientcmd.BuildConfigFromFlags("", n.kubeconfig)
	if err != nil {
		return nil, err
	}
	// The consumers' log followers and the Secret pollers share this client; client-go's
	// default 5 requests per second would delay the measurements.
	rc.QPS, rc.Burst = 100, 200
	kube, err := kubernetes.NewForConfig(rc)
	if err != nil {
		return nil, err
	}
	scheme := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(scheme); err != nil {
		return nil, err
	}
	if err := authv1alpha1.AddToScheme(scheme); err != nil {
		return nil, err
	}
	cl, err := client.New(rc, client.Options{Scheme: scheme})
	if err != nil {
		return nil, err
	}
	return &cluster{node: n, kube: kube, client: cl, figures: newFigures()}, nil
}

// waitNodeReady waits for the node to be Ready and the default namespace's ServiceAccount,
// without which no pod can be created.
func (c *cluster) waitNodeReady(ctx context.Context) error {
	return poll(ctx, 2*time.Minute, func() (bool, error) {
		node, err := c.kube.CoreV1().Nodes().Get(ctx, nodeName, metav1.GetOptions{})
		if err != nil {
			return false, nil
		}
		for _, cond := range node.Status.Conditions {
			if cond.Type == corev1.NodeReady && cond.Status != corev1.ConditionTrue {
				return false, nil
			}
		}
		_, err = c.kube.CoreV1().ServiceAccounts("default").Get(ctx, "default", metav1.GetOptions{})
		return err == nil, nil
	})
}

// kubectl runs kubectl as the admin, with stdin, and returns its output.
func (c *cluster) kubectl(ctx context.Context, stdin string, args ...string) (string, error) {
	return c.run(ctx, stdin, c.k8s("kubectl"), args...)
}

func (c *cluster) helm(ctx context.Context, args ...string) (string, error) {
	return c.run(ctx, "", c.cfg.helm, args...)
}

func (c *cluster) run(ctx context.Context, stdin, binary string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, binary, args...)
	cmd.Env = append(os.Environ(), "KUBECONFIG="+c.kubeconfig, "HOME="+c.dir)
	cmd.Stdin = strings.NewReader(stdin)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("%s %s: %w\n%s", binary, strings.Join(args, " "), err, out)
	}
	return string(out), nil
}
