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

// Package consumers finds the pods and workloads of a namespace that read a CyclrCredential's
// target Secret, and says whether each will see the next token. A pod that mounts the Secret
// as a volume sees it once the kubelet syncs the volume; one that reads it through a subPath
// mount or an environment variable keeps the token it started with until it is restarted, and
// starts getting 401s once that token dies. Only a rollout restart the credential asks for
// (spec.rolloutRestartTargets) and the workload allows (its allow-restart-by annotation)
// restarts it, which is the rule internal/controller/rollout.go applies.
//
// The package does no I/O: the kubectl plugin lists the objects and hands them over.
package consumers
