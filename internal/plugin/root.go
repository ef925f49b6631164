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

// Package plugin is the kubectl plugin `kubectl cyclr` (cmd/kubectl-cyclr): status, refresh
// and consumers of CyclrCredentials, with the user's kubeconfig and permissions. It reads
// CyclrCredentials and the objects that run pods, patches a CyclrCredential's annotations
// for a refresh, and never reads a Secret: it cannot print a token it never sees.
package plugin

import (
	"time"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/genericiooptions"
)

// options is what every subcommand shares: kubectl's own connection flags and the streams.
type options struct {
	flags   *genericclioptions.ConfigFlags
	streams genericiooptions.IOStreams
	now     func() time.Time
}

// NewCommand is `kubectl cyclr` with its subcommands. Cobra adds help and `completion`.
func NewCommand(streams genericiooptions.IOStreams) *cobra.Command {
	o := &options{flags: genericclioptions.NewConfigFlags(true), streams: streams, now: time.Now}
	root := &cobra.Command{
		Use:   "kubectl-cyclr",
		Short: "See, refresh and check the consumers of CyclrCredentials",
		Long: "kubectl cyclr shows each CyclrCredential's token health, asks the operator for a new token, and\n" +
			"lists the pods and workloads that read a credential's Secret, warning about those that will keep\n" +
			"a dead token after the next rotation.",
		Annotations:   map[string]string{cobra.CommandDisplayNameAnnotation: "kubectl cyclr"},
		SilenceUsage:  true,
		SilenceErrors: true, // main prints the error once, as kubectl does
	}
	root.SetIn(streams.In)
	root.SetOut(streams.Out)
	root.SetErr(streams.ErrOut)
	o.flags.AddFlags(root.PersistentFlags())
	root.AddCommand(newStatusCommand(o), newRefreshCommand(o), newConsumersCommand(o), newVersionCommand(o))
	return root
}
