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

package controller

import (
	"github.com/prometheus/client_golang/prometheus"
	"sigs.k8s.io/controller-runtime/pkg/metrics"

	"github.com/cyclr-operator/cyclr-token-operator/internal/version"
)

// buildInfo is always 1; its labels say which build serves the metrics, so that a query can
// join on it (e.g. `* on (pod) group_left(version) cyclr_operator_build_info`) or count the
// versions running during an upgrade. Registered here, with the operator's other metrics, so
// that whatever serves or checks those (the manager, test/monitoring) has it too.
var buildInfo = prometheus.NewGaugeVec(prometheus.GaugeOpts{
	Name: "cyclr_operator_build_info",
	Help: "Always 1, labelled with the operator's version and the commit it was built from.",
}, []string{"version", "revision"})

func init() {
	buildInfo.WithLabelValues(version.Version, version.Revision).Set(1)
	metrics.Registry.MustRegister(buildInfo)
}
