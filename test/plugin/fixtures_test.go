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
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/rand"
	"sigs.k8s.io/controller-runtime/pkg/client"

	authv1alpha1 "github.com/cyclr-operator/cyclr-token-operator/api/v1alpha1"
)

// tokenValue is in every target Secret the tests write; no output may contain it.
const tokenValue = "tok-S3CRET-plugin-4b7d"

// newNamespace creates a namespace of the test's own, deleted when it ends.
func newNamespace(t *testing.T) string {
	t.Helper()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "plugin-" + rand.String(6)}}
	create(t, ns)
	t.Cleanup(func() { _ = k8s.Delete(t.Context(), ns) }) //nolint:errcheck // best effort: envtest has no namespace controller
	return ns.Name
}

func create(t *testing.T, obj client.Object) {
	t.Helper()
	if err := k8s.Create(t.Context(), obj); err != nil {
		t.Fatalf("creating %T %s: %v", obj, obj.GetName(), err)
	}
}

// newCredential creates a CyclrCredential with the given spec changes and the status the
// operator would write for a valid token of revision 1.
func newCredential(t *testing.T, ns, name string, mutate func(*authv1alpha1.CyclrCredential)) *authv1alpha1.CyclrCredential {
	t.Helper()
	cred := &authv1alpha1.CyclrCredential{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: authv1alpha1.CyclrCredentialSpec{
			APIURL: "https://api.eu.cyclr.com", CredentialsSecretRef: authv1alpha1.CredentialsSecretRef{Name: name + "-login"},
		},
	}
	if mutate != nil {
		mutate(cred)
	}
	create(t, cred)
	setStatus(t, cred, func(st *authv1alpha1.CyclrCredentialStatus) {
		now := time.Now()
		st.Revision = 1
		st.TokenSecretName = cred.TargetSecretName()
		st.IssuedAt = &metav1.Time{Time: now}
		st.ExpiresAt = &metav1.Time{Time: now.Add(2 * time.Hour)}
		st.RefreshAt = &metav1.Time{Time: now.Add(80 * time.Minute)}
		setReady(st, cred, metav1.ConditionTrue, authv1alpha1.ReasonTokenValid, "the token in the target Secret is valid")
	})
	return cred
}

// setStatus changes the credential's status through the status subresource, as the operator does.
func setStatus(t *testing.T, cred *authv1alpha1.CyclrCredential, change func(*authv1alpha1.CyclrCredentialStatus)) {
	t.Helper()
	if err := k8s.Get(t.Context(), client.ObjectKeyFromObject(cred), cred); err != nil {
		t.Fatalf("getting %s: %v", cred.Name, err)
	}
	change(&cred.Status)
	if err := k8s.Status().Update(t.Context(), cred); err != nil {
		t.Fatalf("writing the status of %s: %v", cred.Name, err)
	}
}

func setReady(st *authv1alpha1.CyclrCredentialStatus, cred *authv1alpha1.CyclrCredential, status metav1.ConditionStatus,
	reason, message string,
) {
	meta.SetStatusCondition(&st.Conditions, metav1.Condition{Type: authv1alpha1.ConditionReady, Status: status,
		Reason: reason, Message: message, ObservedGeneration: cred.Generation})
}

// targetSecret writes the credential's target Secret with a token, as the operator would.
func targetSecret(t *testing.T, cred *authv1alpha1.CyclrCredential, token string) {
	t.Helper()
	create(t, &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: cred.Namespace, Name: cred.TargetSecretName()},
		StringData: map[string]string{"access_token": token, "authorization": "Bearer " + token},
	})
}

// podSpec is a pod spec with one container "app" shaped by c.
func podSpec(c corev1.Container, volumes ...corev1.Volume) corev1.PodSpec {
	c.Name, c.Image = "app", "registry.example/app:1"
	return corev1.PodSpec{Containers: []corev1.Container{c}, Volumes: volumes, RestartPolicy: corev1.RestartPolicyAlways}
}

func template(name string, spec corev1.PodSpec) corev1.PodTemplateSpec {
	return corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": name}}, Spec: spec}
}

func selector(name string) *metav1.LabelSelector {
	return &metav1.LabelSelector{MatchLabels: map[string]string{"app": name}}
}

func deployment(ns, name string, annotations map[string]string, spec corev1.PodSpec) *appsv1.Deployment {
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, Annotations: annotations},
		Spec:       appsv1.DeploymentSpec{Selector: selector(name), Template: template(name, spec)},
	}
}

func secretVolume(secret string) corev1.Volume {
	return corev1.Volume{Name: "token", VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{SecretName: secret}}}
}

func volumeMount(subPath string) corev1.Container {
	return corev1.Container{VolumeMounts: []corev1.VolumeMount{{Name: "token", MountPath: "/var/run/secrets/cyclr", SubPath: subPath}}}
}

func envFromSecretKey(secret string) corev1.Container {
	return corev1.Container{Env: []corev1.EnvVar{{Name: "CYCLR_AUTHORIZATION", ValueFrom: &corev1.EnvVarSource{
		SecretKeyRef: &corev1.SecretKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: secret}, Key: "authorization"}}}}}
}
