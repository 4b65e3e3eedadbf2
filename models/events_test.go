package models

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"

	"kasse/errs"
)

// noDNS resolves from /etc/hosts only: the tests send no DNS query.
var noDNS = &net.Resolver{PreferGo: true, Dial: func(context.Context, string, string) (net.Conn, error) {
	return nil, errors.New("no DNS in tests")
}}

func TestURLGuard(t *testing.T) {
	strict := &URLGuard{Resolver: noDNS}
	refused := []string{
		"http://93.184.215.14/hook",       // not https
		"https://127.0.0.1/hook",          // loopback
		"https://127.8.9.10:8443/hook",    // loopback
		"https://[::1]/hook",              // loopback
		"https://10.0.0.1/hook",           // private 10.0.0.0/8
		"https://10.255.255.254/hook",     // private 10.0.0.0/8
		"https://172.16.0.1/hook",         // private
		"https://192.168.0.1/hook",        // private
		"https://169.254.169.254/latest",  // link-local, cloud metadata
		"https://[fe80::1]/hook",          // link-local
		"https://100.64.0.1/hook",         // shared address space
		"https://0.0.0.0/hook",            // this network
		"https://[::ffff:127.0.0.1]/hook", // IPv4-mapped loopback
		"https://localhost/hook",          // a name resolving to 127.0.0.1
		"ftp://93.184.215.14/",
		"not a url",
	}
	for _, u := range refused {
		err := strict.CheckURL(context.Background(), u)
		list, ok := errs.As(err)
		if !ok || list[0].Pointer != "/data/attributes/callback_url" {
			t.Errorf("%s: %v, want a 422 at callback_url", u, err)
		}
	}
	// The name is resolved and its address refused (not merely unknown).
	if list, _ := errs.As(strict.CheckURL(context.Background(), "https://localhost:8443/")); len(list) == 0 || !strings.Contains(list[0].Detail, "resolves to 127.0.0.1") {
		t.Errorf("localhost: %v", list)
	}
	for _, u := range []string{"https://93.184.215.14/hook", "https://[2606:4700:4700::1111]:8443/hook"} {
		if err := strict.CheckURL(context.Background(), u); err != nil {
			t.Errorf("%s: %v", u, err)
		}
	}
	open := &URLGuard{AllowPrivate: true}
	for _, u := range []string{"http://127.0.0.1:8080/hook", "https://10.0.0.1/hook", "http://localhost/hook"} {
		if err := open.CheckURL(context.Background(), u); err != nil {
			t.Errorf("allowed private: %s: %v", u, err)
		}
	}
	if open.Control() != nil {
		t.Error("AllowPrivate still guards the dialer")
	}
	control := strict.Control()
	for _, addr := range []string{"127.0.0.1:443", "10.1.2.3:443", "169.254.169.254:80", "[::1]:443"} {
		network := "tcp4"
		if strings.HasPrefix(addr, "[") {
			network = "tcp6"
		}
		if err := control(network, addr, nil); err == nil {
			t.Errorf("dialing %s was allowed", addr)
		}
	}
	if err := control("tcp4", "93.184.215.14:8443", nil); err != nil {
		t.Errorf("dialing a public address: %v", err)
	}
}

func TestSharedSecret(t *testing.T) {
	s := NewSharedSecret()
	key, err := SecretKey(s)
	if !strings.HasPrefix(s, "whsec_") || err != nil || len(key) != 32 {
		t.Fatalf("secret %q: %v (%d bytes)", s, err, len(key))
	}
	if NewSharedSecret() == s {
		t.Error("two secrets alike")
	}
}
