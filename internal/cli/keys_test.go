package cli

import (
	"strings"
	"testing"
)

func TestKeysCommands(t *testing.T) {
	h := newHarness(t)
	var keys []keyView
	h.mustJSON(t, &keys, "keys", "list")
	if len(keys) != 1 || keys[0].Algorithm != "RS256" || keys[0].State != "active" {
		t.Fatalf("keys list = %+v, want one active RS256 key", keys)
	}
	first := keys[0].KID

	r := h.run("keys", "list")
	r.wantCode(t, exitOK)
	for _, want := range []string{"KID", "STATE", "SIGNS FROM", first, "active"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("keys list table lacks %q:\n%s", want, r.stdout)
		}
	}

	r = h.run("keys", "rotate")
	r.wantCode(t, exitOK)
	if !strings.Contains(r.stdout, "next") || !strings.Contains(r.stdout, first) {
		t.Errorf("keys rotate table shows no next key beside %s:\n%s", first, r.stdout)
	}
	h.run("keys", "rotate").wantCode(t, exitRefused) // one is waiting already

	h.mustJSON(t, &keys, "keys", "rotate", "--algorithm", "EdDSA", "--immediate")
	var ed *keyView
	for i := range keys {
		if keys[i].Algorithm == "EdDSA" {
			ed = &keys[i]
		}
	}
	if ed == nil || ed.State != "active" {
		t.Errorf("after an immediate EdDSA rotation: %+v", keys)
	}
	h.run("keys", "rotate", "--algorithm", "HS256").wantCode(t, exitRefused)

	var api apiView
	h.mustJSON(t, &api, "apis", "create", "--name", "E", "--audience", "https://e", "--signing-alg", "ES256")
	if api.SigningAlg != "ES256" {
		t.Errorf("apis create --signing-alg ES256: %q", api.SigningAlg)
	}
	h.mustJSON(t, &api, "apis", "update", api.ID, "--signing-alg", "PS256")
	if api.SigningAlg != "PS256" {
		t.Errorf("apis update --signing-alg PS256: %q", api.SigningAlg)
	}
}
