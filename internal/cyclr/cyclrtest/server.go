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

package cyclrtest

import "net/http/httptest"

// Server runs an Emulator on a local httptest server. The Emulator's methods
// are promoted, so tests configure and inspect it through the Server.
type Server struct {
	*Emulator
	URL string // base URL, the Request.APIURL for the client

	srv *httptest.Server
}

// NewServer starts an Emulator on 127.0.0.1; call Close when done.
func NewServer(opts ...Option) *Server {
	e := NewHandler(opts...)
	srv := httptest.NewServer(e)
	return &Server{Emulator: e, URL: srv.URL, srv: srv}
}

// Close stops the server and waits for requests in flight.
func (s *Server) Close() { s.srv.Close() }
