package gateway

import (
	"fmt"
	"mime"
	"net"
	"net/http"
	"net/url"
	"strings"
)

// browserGuard keeps the web pages a gateway's users visit from using it
// (and its upstream key) behind their backs. A page can make a browser
// send a cross-site "simple" POST — text/plain, no preflight — or, by DNS
// rebinding, have its own name resolve to 127.0.0.1 and send same-origin
// requests to a loopback gateway. So:
//
//   - POST /v1/chat/completions wants Content-Type application/json, which
//     no page can send cross-site without a CORS preflight (which the
//     gateway never grants);
//   - a POST that a browser marks cross-origin (Sec-Fetch-Site, else an
//     Origin other than the Host) is refused unless its Origin is in
//     Config.AllowedOrigins (http.CrossOriginProtection);
//   - without client keys, a request whose Host is not a loopback name
//     (localhost, 127.0.0.0/8, ::1) or in Config.AllowedHosts is refused:
//     a rebinding page's requests carry its own name. With client keys the
//     key is what such a page lacks, and clients may reach the gateway by
//     any name, so the Host is not checked.
//
// /healthz is exempt: it shows nothing and spends nothing.
type browserGuard struct {
	crossOrigin *http.CrossOriginProtection
	checkHost   bool
	hosts       map[string]bool // Config.AllowedHosts, lower case
}

func newBrowserGuard(cfg Config) *browserGuard {
	b := &browserGuard{crossOrigin: http.NewCrossOriginProtection(), checkHost: len(cfg.ClientKeys) == 0,
		hosts: map[string]bool{}}
	for _, o := range cfg.AllowedOrigins {
		_ = b.crossOrigin.AddTrustedOrigin(o) // validated
	}
	for _, h := range cfg.AllowedHosts {
		b.hosts[normalHost(h)] = true
	}
	return b
}

// check answers the request and returns false when the guard refuses it.
func (b *browserGuard) check(w http.ResponseWriter, r *http.Request) bool {
	if b.checkHost && !b.hostAllowed(r.Host) {
		writeError(w, http.StatusForbidden, apiError{Type: "invalid_request_error", Code: ptr("host_not_allowed"),
			Message: fmt.Sprintf("The gateway has no client keys and answers only loopback names (localhost, 127.0.0.0/8, ::1), not the Host %q: "+
				"a web page could reach it by DNS rebinding. Behind a proxy that forwards its own Host, allow that name (--allow-host, allowed_hosts).", r.Host)})
		return false
	}
	if err := b.crossOrigin.Check(r); err != nil {
		writeError(w, http.StatusForbidden, apiError{Type: "invalid_request_error", Code: ptr("cross_origin_request"),
			Message: "The gateway refuses cross-origin requests from browsers: a web page must not spend its upstream key. " +
				"To let a web application call it, allow its origin (--allow-origin, allowed_origins)."})
		return false
	}
	return true
}

// hostAllowed reports whether a request's Host (host or host:port) is a
// loopback name or an allowed one.
func (b *browserGuard) hostAllowed(hostport string) bool {
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	host = normalHost(host)
	return host != "" && (IsLoopbackHost(host) || b.hosts[host])
}

// normalHost is a host name as the guard compares it: lower case, without
// the brackets of an IPv6 address or a final dot.
func normalHost(h string) string {
	return strings.ToLower(strings.TrimSuffix(strings.Trim(h, "[]"), "."))
}

// IsLoopbackHost reports whether host (no port) names only the loopback
// interface: "localhost", an address in 127.0.0.0/8, or ::1.
func IsLoopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(strings.Trim(host, "[]"))
	return ip != nil && ip.IsLoopback()
}

// jsonBody answers 415 and returns false unless the request's
// Content-Type is application/json (parameters such as charset allowed).
func jsonBody(w http.ResponseWriter, r *http.Request) bool {
	ct := r.Header.Get("Content-Type")
	if mt, _, err := mime.ParseMediaType(ct); err == nil && mt == "application/json" {
		return true
	}
	writeError(w, http.StatusUnsupportedMediaType, apiError{Type: "invalid_request_error", Code: ptr("unsupported_media_type"),
		Message: fmt.Sprintf("The request's Content-Type is %q; send the JSON body with \"Content-Type: application/json\".", ct)})
	return false
}

// checkOrigin validates an AllowedOrigins entry as a browser writes an
// Origin: scheme://host[:port], nothing more.
func checkOrigin(s string) error {
	u, err := url.Parse(s)
	switch {
	case err != nil:
		return fmt.Errorf("%q is not a URL", s)
	case u.Scheme != "http" && u.Scheme != "https":
		return fmt.Errorf("%q: want http://HOST[:PORT] or https://HOST[:PORT]", s)
	case u.Host == "" || u.User != nil:
		return fmt.Errorf("%q: want scheme://HOST[:PORT]", s)
	case u.Path != "" || u.RawQuery != "" || u.Fragment != "" || strings.HasSuffix(s, "/"):
		return fmt.Errorf("%q: an origin has no path (not even \"/\"), query or fragment", s)
	}
	return nil
}

// checkAllowedHost validates an AllowedHosts entry: a host name or IP
// address, without scheme or port.
func checkAllowedHost(s string) error {
	if s == "" || (strings.ContainsAny(s, "/:@ \t\r\n") && net.ParseIP(strings.Trim(s, "[]")) == nil) {
		return fmt.Errorf("%q: want a host name or IP address, without scheme or port", s)
	}
	return nil
}
