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
	"fmt"
	"time"
)

// Token is an access token as Cyclr issued it. AccessToken and RefreshToken
// are secrets: String, GoString and Format never show them.
type Token struct {
	AccessToken  string
	TokenType    string
	RefreshToken string // empty for client_credentials
	UserName     string
	ClientID     string
	IssuedAt     time.Time // when the response arrived, on the client's clock
	ExpiresAt    time.Time // IssuedAt + expires_in
	Grant        Grant     // the grant that produced it
}

func (t Token) String() string {
	return fmt.Sprintf("{type:%s grant:%s user:%s client:%s issued:%s expires:%s access_token:%s refresh_token:%s}",
		t.TokenType, t.Grant, t.UserName, t.ClientID,
		t.IssuedAt.Format(time.RFC3339), t.ExpiresAt.Format(time.RFC3339),
		redacted(t.AccessToken), redacted(t.RefreshToken))
}

func (t Token) GoString() string {
	return fmt.Sprintf("cyclr.Token{AccessToken:%q, TokenType:%q, RefreshToken:%q, UserName:%q, ClientID:%q, "+
		"IssuedAt:%#v, ExpiresAt:%#v, Grant:%q}",
		redacted(t.AccessToken), t.TokenType, redacted(t.RefreshToken), t.UserName, t.ClientID,
		t.IssuedAt, t.ExpiresAt, t.Grant)
}

// Format makes every fmt verb print the redacted form.
func (t Token) Format(f fmt.State, verb rune) { formatRedacted(f, verb, t) }
