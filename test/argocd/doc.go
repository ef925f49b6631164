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

// Package argocd tests the Argo CD health check and actions in config/argocd: it runs the Lua
// scripts with gopher-lua, as Argo CD does, in a sandbox opened like Argo CD's, against the
// fixtures and expectations laid out like Argo CD's resource_customizations (health_test.yaml,
// actions/action_test.yaml), and checks that the argocd-cm patch carries the same scripts. No
// control plane is needed.
package argocd
