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

package plugin

import (
	"context"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/cyclr-operator/cyclr-token-operator/internal/consumers"
)

func newConsumersCommand(o *options) *cobra.Command {
	return &cobra.Command{
		Use:   "consumers NAME",
		Short: "List the pods and workloads that read the credential's Secret, and warn about those that will keep a dead token",
		Long: "consumers lists every workload template and standalone pod in the credential's namespace that\n" +
			"reads its target Secret (volume, projected volume, subPath mount, env, envFrom) and says whether it\n" +
			"will see the next token. A WARNING line, with the fix, names each that will keep the old one.\n" +
			"It exits 0 either way: it reports, it does not judge.",
		Example:           "  kubectl cyclr consumers my-credential -n integrations",
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: o.completeCredentialNames,
		RunE: func(cmd *cobra.Command, args []string) error {
			return o.runConsumers(cmd.Context(), args[0])
		},
	}
}

func (o *options) runConsumers(ctx context.Context, name string) error {
	c, err := o.client()
	if err != nil {
		return err
	}
	namespace, err := o.namespace()
	if err != nil {
		return err
	}
	cred, err := getCredential(ctx, c, namespace, name)
	if err != nil {
		return err
	}
	workloads, err := listWorkloads(ctx, c, namespace)
	if err != nil {
		return err
	}
	found := consumers.Find(workloads, cred)
	if len(found) == 0 {
		_, err := fmt.Fprintf(o.streams.Out, "No pod or workload in namespace %s reads Secret %s.\n", namespace, cred.TargetSecretName())
		return err
	}
	return writeConsumers(o.streams.Out, cred.TargetSecretName(), found)
}

// writeConsumers prints one row per place a container reads the Secret, then one WARNING
// line per consumer that will keep a dead token.
func writeConsumers(out io.Writer, secret string, found []consumers.Consumer) error {
	w := tabwriter.NewWriter(out, 0, 8, 3, ' ', 0)
	// Writes to the tabwriter only buffer; Flush returns what writing out failed with.
	_, _ = fmt.Fprintln(w, "KIND\tNAME\tCONTAINER\tHOW\tWHERE\tSEES NEXT TOKEN")
	for _, c := range found {
		for _, r := range c.References {
			_, _ = fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\n", c.Kind, c.Name, r.Container, r.How, orNone(r.Detail), c.Why)
		}
	}
	for _, c := range found {
		if !c.SeesNextToken { // a line without tabs: it ends the table's columns and is printed as it is
			_, _ = fmt.Fprintf(w, "WARNING: %s/%s will keep a dead token after the next rotation of Secret %s; fix: %s\n",
				c.Kind, c.Name, secret, c.Fix)
		}
	}
	if err := w.Flush(); err != nil {
		return fmt.Errorf("writing the consumers: %w", err)
	}
	return nil
}
