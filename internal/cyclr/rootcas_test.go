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

package cyclr_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"io"
	"io/fs"
	"log"
	"math/big"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cyclr-operator/cyclr-token-operator/internal/cyclr"
	"github.com/cyclr-operator/cyclr-token-operator/internal/cyclr/cyclrtest"
)

// newCA returns a fresh self-signed CA certificate and its PEM encoding.
func newCA(t *testing.T, name string) (*x509.Certificate, []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: name},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return cert, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

// damagedCertificatePEM is a CERTIFICATE block whose bytes are not DER.
func damagedCertificatePEM() string {
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: []byte("not DER")}))
}

func trusts(pool *x509.CertPool, cert *x509.Certificate) bool {
	_, err := cert.Verify(x509.VerifyOptions{Roots: pool})
	return err == nil
}

func TestAppendPEMCertificates(t *testing.T) {
	first, firstPEM := newCA(t, "first")
	second, secondPEM := newCA(t, "second")
	bundle := "# private CA bundle\n" + string(firstPEM) + "\nsecond CA:\n" + string(secondPEM)

	pool := x509.NewCertPool()
	if err := cyclr.AppendPEMCertificates(pool, []byte(bundle)); err != nil {
		t.Fatalf("a bundle of two certificates with comments: %v", err)
	}
	if !trusts(pool, first) || !trusts(pool, second) {
		t.Errorf("the pool does not hold both certificates of the bundle")
	}
}

func TestAppendPEMCertificatesRefusesWhatIsNotABundle(t *testing.T) {
	_, certPEM := newCA(t, "ca")
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	keyPEM := pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER})

	for _, tc := range []struct {
		name, bundle, want string
	}{
		{"empty", "", "empty"},
		{"only whitespace", " \n\t\n", "empty"},
		{"not PEM", "just some text\n", cyclr.ErrNoCertificate.Error()},
		{"binary", "0\x82\x01\x0a\x02\x82", cyclr.ErrNoCertificate.Error()},
		{"a private key", string(keyPEM), `PEM block 1 is a "EC PRIVATE KEY", not a CERTIFICATE`},
		{"a key after a certificate", string(certPEM) + string(keyPEM), "PEM block 2 is a"},
		{"a damaged certificate", string(certPEM) + damagedCertificatePEM(), "PEM block 2: x509:"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := cyclr.AppendPEMCertificates(x509.NewCertPool(), []byte(tc.bundle))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

func TestAppendPEMCertificatesAddsNothingOnError(t *testing.T) {
	cert, certPEM := newCA(t, "ca")
	pool := x509.NewCertPool()
	if err := cyclr.AppendPEMCertificates(pool, []byte(string(certPEM)+damagedCertificatePEM())); err == nil {
		t.Fatal("a bundle with a damaged certificate was accepted")
	}
	if trusts(pool, cert) {
		t.Error("the valid certificate before the damaged one was added anyway")
	}
}

func TestLoadRootCAsUnreadableFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "missing.pem")
	_, err := cyclr.LoadRootCAs(path)
	if !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), "read CA bundle") {
		t.Fatalf("error %v, want a read error wrapping fs.ErrNotExist", err)
	}
}

func TestLoadRootCAsNamesTheFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(path, []byte("not a certificate\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := cyclr.LoadRootCAs(path)
	if !errors.Is(err, cyclr.ErrNoCertificate) || !strings.Contains(err.Error(), path) {
		t.Fatalf("error %v, want ErrNoCertificate naming %s", err, path)
	}
}

// A private Cyclr instance behind a private CA: the token request succeeds
// with that CA's bundle as RootCAs and fails the TLS handshake without it.
func TestPrivateCAOnlyWithTheBundle(t *testing.T) {
	emulator := cyclrtest.NewHandler()
	emulator.AddPartner(partnerClient, username, password)
	srv := httptest.NewUnstartedServer(emulator)
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshake is expected
	srv.StartTLS()
	t.Cleanup(srv.Close)
	bundle := filepath.Join(t.TempDir(), "private-ca.pem")
	caPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	if err := os.WriteFile(bundle, caPEM, 0o600); err != nil {
		t.Fatal(err)
	}

	_, err := cyclr.NewClient(cyclr.Options{}).Token(context.Background(), partnerRequest(srv.URL))
	var unavailable *cyclr.UnavailableError
	if !errors.As(err, &unavailable) || !strings.Contains(err.Error(), "TLS") {
		t.Fatalf("without the bundle: error %v, want a TLS failure", err)
	}

	roots, err := cyclr.LoadRootCAs(bundle)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := cyclr.NewClient(cyclr.Options{RootCAs: roots}).Token(context.Background(), partnerRequest(srv.URL))
	if err != nil {
		t.Fatalf("with the bundle: %v", err)
	}
	if tok.AccessToken == "" {
		t.Error("with the bundle: no access token")
	}
}
