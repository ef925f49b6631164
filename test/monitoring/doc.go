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

// Package monitoring checks the alerts (config/prometheus/prometheus_rule.yaml) and the
// Grafana dashboard (config/grafana) against the metrics the manager exports, so that a
// renamed metric fails a test instead of leaving an alert that never fires or an empty panel.
// It needs no control plane.
package monitoring
