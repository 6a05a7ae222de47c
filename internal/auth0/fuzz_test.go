package auth0

import (
	"bytes"
	"os"
	"testing"
)

// The readers take files and answers from outside: they must return an
// error, never panic or hang, whatever they get.

func FuzzReadYAML(f *testing.F) {
	for _, p := range []string{"testdata/tenant.yaml", "testdata/tenant-ids.yaml"} {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte("a: &a [*a, *a]\nclients: *a\n"))
	f.Add([]byte("a: &a [x, x, x, x]\nb: &b [*a, *a, *a, *a]\nc: &c [*b, *b, *b, *b]\nclients: []\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		tenant, err := ReadYAML(bytes.NewReader(data))
		if err == nil {
			MakePlan(tenant, "")
		}
	})
}

func FuzzDecodePage(f *testing.F) {
	for _, p := range []string{"testdata/api/clients.json", "testdata/api/resource-servers.json", "testdata/api/client-grants.json"} {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte(`[{"client_id": 1}]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		clients, _, err1 := decodePage[Client](data, "clients")
		servers, _, err2 := decodePage[ResourceServer](data, "resource_servers")
		grants, _, err3 := decodePage[ClientGrant](data, "client_grants")
		if err1 == nil && err2 == nil && err3 == nil {
			MakePlan(Tenant{servers, clients, grants}, "")
		}
	})
}
