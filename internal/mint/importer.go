package mint

import (
	"context"
	"fmt"
	"strings"
)

// ImportedClient is one client of a bulk import: the client (its
// Metadata stored too), its one secret (already a digest) and its grants. The IDs are kept as given, so
// that clients moved from another server (Auth0) keep theirs.
type ImportedClient struct {
	Client Client
	Secret Secret
	Grants []Grant
}

// Importer is the bulk path of a Store: `mint import clients` uses it to
// create many clients at once, far faster than one CreateClient,
// RotateSecret and CreateGrant per client. Both backends implement it;
// it is a separate interface so that wrappers of Store need not.
type Importer interface {
	// ImportClients stores every client of batch with its secret and
	// grants in one transaction: all of them or none. It honours
	// WithAudit as the admin write methods do (one record for the whole
	// batch). A client whose ID a deleted client had is stored as
	// Client.ReusingID returns it, as CreateClient does. Each Secret's and
	// Grant's ClientID is taken from its Client.
	//
	// ErrConflict, naming the client: a client ID is taken, or given twice
	// in the batch (or a secret or grant ID is taken). ErrNotFound, naming
	// the audience: a grant's API does not exist.
	ImportClients(ctx context.Context, batch []ImportedClient) error
}

// Bounds of what an import may give as a client ID and a plain secret.
const (
	// MaxImportedIDBytes matches the token endpoint's bound on client_id
	// (clientauth.MaxClientIDBytes).
	MaxImportedIDBytes = 256
	// MinImportedSecretBytes: a shorter secret can be guessed. mint's own
	// have 48 characters and 256 random bits, Auth0's 64.
	MinImportedSecretBytes = 32
	MaxImportedSecretBytes = 1024
)

// CheckImportedID checks a client ID given to an import: 1 to
// MaxImportedIDBytes of letters, digits and "-._~" (RFC 3986's unreserved
// characters), so that it needs no escaping in a URL path, a form or HTTP
// Basic authentication (no ":"), as mint's own and Auth0's need none; and
// not only dots, which a URL path or a file name (mint apply --secrets-dir)
// would take for the current or parent directory. mint apply checks the
// IDs its files name with it too.
func CheckImportedID(id string) error {
	if id == "" || len(id) > MaxImportedIDBytes {
		return fmt.Errorf("client_id must be 1 to %d characters", MaxImportedIDBytes)
	}
	if strings.Trim(id, ".") == "" {
		return fmt.Errorf("client_id must not be only dots")
	}
	for i := 0; i < len(id); i++ {
		if !unreserved(id[i]) {
			return fmt.Errorf("client_id may hold only letters, digits and -._~ (byte %d is not one)", i+1)
		}
	}
	return nil
}

// CheckImportedSecret checks a plain secret given to an import:
// MinImportedSecretBytes to MaxImportedSecretBytes of printable ASCII
// without space. The error never contains the secret.
func CheckImportedSecret(plain string) error {
	if len(plain) < MinImportedSecretBytes || len(plain) > MaxImportedSecretBytes {
		return fmt.Errorf("secret must be %d to %d characters", MinImportedSecretBytes, MaxImportedSecretBytes)
	}
	for i := 0; i < len(plain); i++ {
		if plain[i] < 0x21 || plain[i] > 0x7e {
			return fmt.Errorf("secret must be printable ASCII without spaces")
		}
	}
	return nil
}

func unreserved(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
		c == '-' || c == '.' || c == '_' || c == '~'
}
