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

package cyclr

import (
	"bytes"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
)

// ErrNoCertificate is returned for a CA bundle without a single certificate.
var ErrNoCertificate = errors.New("no PEM-encoded certificate found")

// LoadRootCAs returns the system roots plus the certificates of the PEM
// bundle at path, for Options.RootCAs: a private Cyclr instance whose
// certificate is signed by a private CA. On an image without a CA bundle
// the system roots are the Mozilla roots compiled into the manager
// (golang.org/x/crypto/x509roots/fallback, imported by cmd).
func LoadRootCAs(path string) (*x509.CertPool, error) {
	bundle, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read CA bundle: %w", err)
	}
	system, err := x509.SystemCertPool()
	if err != nil {
		return nil, fmt.Errorf("load system roots: %w", err)
	}
	if err := AppendPEMCertificates(system, bundle); err != nil {
		return nil, fmt.Errorf("CA bundle %s: %w", path, err)
	}
	return system, nil
}

// AppendPEMCertificates adds every certificate of a PEM bundle to pool. Text
// around the blocks (comments, as in the bundles distributions ship) is
// skipped, but every PEM block must be a certificate that parses: unlike
// x509.CertPool.AppendCertsFromPEM, which drops what it cannot read, a
// private key or a damaged certificate is an error here, so a wrong file is
// noticed at startup rather than at the first TLS handshake. Errors name the
// block by its position, never its content.
func AppendPEMCertificates(pool *x509.CertPool, bundle []byte) error {
	if len(bytes.TrimSpace(bundle)) == 0 {
		return errors.New("the file is empty")
	}
	var certs []*x509.Certificate
	for rest := bundle; ; {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		n := len(certs) + 1
		if block.Type != "CERTIFICATE" {
			return fmt.Errorf("PEM block %d is a %q, not a CERTIFICATE", n, block.Type)
		}
		cert, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return fmt.Errorf("PEM block %d: %w", n, err)
		}
		certs = append(certs, cert)
	}
	if len(certs) == 0 {
		return ErrNoCertificate
	}
	for _, cert := range certs {
		pool.AddCert(cert)
	}
	return nil
}
