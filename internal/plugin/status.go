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
	"encoding/json"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/duration"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	authv1alpha1 "github.com/cyclr-operator/cyclr-token-operator/api/v1alpha1"
	"github.com/cyclr-operator/cyclr-token-operator/internal/consumers"
)

// CredentialStatus is one line of `kubectl cyclr status`, and one item of -o json|yaml.
type CredentialStatus struct {
	Namespace    string `json:"namespace"`
	Name         string `json:"name"`
	Ready        string `json:"ready"`
	Reason       string `json:"reason,omitempty"`
	Grant        string `json:"grant"`
	Login        Login  `json:"login"`
	TargetSecret string `json:"targetSecret"`
	Revision     int64  `json:"revision"`
	// ExpiresAt and RefreshAt are the token's expiry and the next planned refresh.
	ExpiresAt *metav1.Time `json:"expiresAt,omitempty"`
	RefreshAt *metav1.Time `json:"refreshAt,omitempty"`
	// LastFailure is the reason of the last failure since the last success, if any.
	LastFailure     string       `json:"lastFailure,omitempty"`
	LastFailureTime *metav1.Time `json:"lastFailureTime,omitempty"`
	// Consumers counts the pods and workloads that read the target Secret; AtRisk those of
	// them that will keep a dead token (kubectl cyclr consumers says which and why).
	Consumers int `json:"consumers"`
	AtRisk    int `json:"consumersAtRisk"`
}

// Login is where the credential signs in. Only the inline apiURL exists today; a reference to
// a shared login object would be a second field, set instead of APIURL, and its own String case.
type Login struct {
	APIURL string `json:"apiURL,omitempty"`
}

func (l Login) String() string { return l.APIURL }

func loginOf(cred *authv1alpha1.CyclrCredential) Login { return Login{APIURL: cred.Spec.APIURL} }

type statusOptions struct {
	*options
	allNamespaces bool
	output        string
}

func newStatusCommand(o *options) *cobra.Command {
	s := &statusOptions{options: o}
	cmd := &cobra.Command{
		Use:   "status [NAME]",
		Short: "Show each CyclrCredential's token health: Ready, expiry, next refresh, last failure, consumers",
		Example: "  kubectl cyclr status\n  kubectl cyclr status -A\n" +
			"  kubectl cyclr status my-credential -n integrations -o yaml",
		Args:              cobra.MaximumNArgs(1),
		ValidArgsFunction: o.completeCredentialNames,
		RunE: func(cmd *cobra.Command, args []string) error {
			return s.run(cmd.Context(), args)
		},
	}
	cmd.Flags().BoolVarP(&s.allNamespaces, "all-namespaces", "A", false, "list the CyclrCredentials of every namespace")
	cmd.Flags().StringVarP(&s.output, "output", "o", "", "output format: json or yaml (default: a table)")
	return cmd
}

func (s *statusOptions) run(ctx context.Context, args []string) error {
	if s.output != "" && s.output != "json" && s.output != "yaml" {
		return fmt.Errorf("unknown output format %q: use json or yaml", s.output)
	}
	if s.allNamespaces && len(args) > 0 {
		return fmt.Errorf("a credential name cannot be given with --all-namespaces")
	}
	c, err := s.client()
	if err != nil {
		return err
	}
	namespace := ""
	if !s.allNamespaces {
		if namespace, err = s.namespace(); err != nil {
			return err
		}
	}
	creds, err := listCredentials(ctx, c, namespace, args)
	if err != nil {
		return err
	}
	workloads, err := listWorkloads(ctx, c, namespace)
	if err != nil {
		return err
	}
	rows := make([]CredentialStatus, 0, len(creds))
	for i := range creds {
		rows = append(rows, statusOf(&creds[i], consumers.Find(workloads, &creds[i])))
	}
	switch s.output {
	case "json":
		return writeJSON(s.streams.Out, rows)
	case "yaml":
		out, err := yaml.Marshal(rows)
		if err != nil {
			return fmt.Errorf("encoding YAML: %w", err)
		}
		_, err = s.streams.Out.Write(out)
		return err
	}
	if len(rows) == 0 {
		_, err := fmt.Fprintln(s.streams.ErrOut, noneFound(namespace))
		return err
	}
	return writeStatusTable(s.streams.Out, rows, s.allNamespaces, s.now())
}

func listCredentials(ctx context.Context, c client.Client, namespace string, args []string) ([]authv1alpha1.CyclrCredential, error) {
	if len(args) == 1 {
		cred, err := getCredential(ctx, c, namespace, args[0])
		if err != nil {
			return nil, err
		}
		return []authv1alpha1.CyclrCredential{*cred}, nil
	}
	var list authv1alpha1.CyclrCredentialList
	if err := c.List(ctx, &list, client.InNamespace(namespace)); err != nil {
		return nil, fmt.Errorf("listing cyclrcredentials: %w", err)
	}
	return list.Items, nil
}

func noneFound(namespace string) string {
	if namespace == "" {
		return "No CyclrCredentials found."
	}
	return "No CyclrCredentials found in namespace " + namespace + "."
}

func statusOf(cred *authv1alpha1.CyclrCredential, found []consumers.Consumer) CredentialStatus {
	s := CredentialStatus{
		Namespace: cred.Namespace, Name: cred.Name, Ready: string(metav1.ConditionUnknown),
		Grant: string(cred.Spec.Grant), Login: loginOf(cred), TargetSecret: cred.TargetSecretName(),
		Revision: cred.Status.Revision, ExpiresAt: cred.Status.ExpiresAt, RefreshAt: cred.Status.RefreshAt,
		LastFailure: cred.Status.LastFailureReason, LastFailureTime: cred.Status.LastFailureTime,
		Consumers: len(found),
	}
	if ready := meta.FindStatusCondition(cred.Status.Conditions, authv1alpha1.ConditionReady); ready != nil {
		s.Ready, s.Reason = string(ready.Status), ready.Reason
	}
	for _, c := range found {
		if !c.SeesNextToken {
			s.AtRisk++
		}
	}
	return s
}

func writeStatusTable(out io.Writer, rows []CredentialStatus, withNamespace bool, now time.Time) error {
	w := tabwriter.NewWriter(out, 0, 8, 3, ' ', 0)
	// Writes to the tabwriter only buffer; Flush returns what writing out failed with.
	if withNamespace {
		_, _ = fmt.Fprint(w, "NAMESPACE\t")
	}
	_, _ = fmt.Fprintln(w, "NAME\tREADY\tREASON\tGRANT\tLOGIN\tEXPIRES\tNEXT REFRESH\tLAST FAILURE\tCONSUMERS")
	for _, r := range rows {
		if withNamespace {
			_, _ = fmt.Fprintf(w, "%s\t", r.Namespace)
		}
		_, _ = fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.Name, r.Ready, orNone(r.Reason), orNone(r.Grant),
			orNone(r.Login.String()),
			when(r.ExpiresAt, now), when(r.RefreshAt, now), lastFailure(r, now), consumerCount(r))
	}
	if err := w.Flush(); err != nil {
		return fmt.Errorf("writing the table: %w", err)
	}
	return nil
}

// when is a time with how far it is from now, in kubectl's age format: "2026-05-01T10:00:00Z (in 23h)".
func when(t *metav1.Time, now time.Time) string {
	if t == nil {
		return none
	}
	d := t.Sub(now)
	if d < 0 {
		return t.UTC().Format(time.RFC3339) + " (" + duration.HumanDuration(-d) + " ago)"
	}
	return t.UTC().Format(time.RFC3339) + " (in " + duration.HumanDuration(d) + ")"
}

func lastFailure(r CredentialStatus, now time.Time) string {
	if r.LastFailure == "" {
		return none
	}
	if r.LastFailureTime == nil {
		return r.LastFailure
	}
	return r.LastFailure + " (" + duration.HumanDuration(now.Sub(r.LastFailureTime.Time)) + " ago)"
}

func consumerCount(r CredentialStatus) string {
	if r.AtRisk == 0 {
		return fmt.Sprint(r.Consumers)
	}
	return fmt.Sprintf("%d (%d at risk)", r.Consumers, r.AtRisk)
}

// none is what kubectl prints for an empty field.
const none = "<none>"

func orNone(s string) string {
	if s == "" {
		return none
	}
	return s
}

func writeJSON(out io.Writer, v any) error {
	enc := json.NewEncoder(out)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return fmt.Errorf("encoding JSON: %w", err)
	}
	return nil
}
