package apply

import (
	"context"
	"errors"

	"github.com/mintauth/mint/internal/mint"
)

// State is the store's APIs, clients, grants and trust rules, as a plan is
// made from them.
type State struct {
	APIs    []mint.API
	Clients []mint.Client
	Grants  []mint.Grant
	// Rules are the clients' federated credentials; none when the store
	// keeps none (it is no mint.FederatedStore).
	Rules []mint.FederatedCredential
}

// ReadState reads the state a plan compares the files with.
func ReadState(ctx context.Context, s mint.Store) (State, error) {
	apis, err := s.ListAPIs(ctx)
	if err != nil {
		return State{}, err
	}
	clients, err := mint.EveryClient(ctx, s)
	if err != nil {
		return State{}, err
	}
	grants, err := mint.EveryGrant(ctx, s)
	if err != nil {
		return State{}, err
	}
	rules, err := everyRule(ctx, s, clients)
	if err != nil {
		return State{}, err
	}
	return State{APIs: apis, Clients: clients, Grants: grants, Rules: rules}, nil
}

// everyRule reads the rules of every client: in one read when the store
// has one (mint.RuleReader), else one bounded list a client
// (mint.MaxFederatedCredentials). A client deleted meanwhile has none; the
// plan's fingerprint check refuses a state that moved under it.
func everyRule(ctx context.Context, s mint.Store, clients []mint.Client) ([]mint.FederatedCredential, error) {
	if rr, ok := s.(mint.RuleReader); ok {
		return rr.EveryFederatedCredential(ctx)
	}
	fs, ok := s.(mint.FederatedStore)
	if !ok {
		return nil, nil
	}
	var out []mint.FederatedCredential
	for _, c := range clients {
		rules, err := fs.ListFederatedCredentials(ctx, c.ID)
		if err != nil && !errors.Is(err, mint.ErrNotFound) {
			return nil, err
		}
		out = append(out, rules...)
	}
	return out, nil
}

// Fingerprint is what the plan's transaction checks the store against.
func (s State) Fingerprint() string {
	return mint.StateFingerprint(s.APIs, s.Clients, s.Grants, s.Rules)
}

// index is a State by the keys a file names resources by.
type index struct {
	apis    map[string]mint.API    // by audience
	clients map[string]mint.Client // by ID
	grants  map[[2]string]mint.Grant
	rules   map[string][]mint.FederatedCredential // by client ID, oldest first
}

func (s State) index() index {
	ix := index{apis: map[string]mint.API{}, clients: map[string]mint.Client{}, grants: map[[2]string]mint.Grant{},
		rules: rulesOf(s.Rules)}
	for _, a := range s.APIs {
		ix.apis[a.Audience] = a
	}
	for _, c := range s.Clients {
		ix.clients[c.ID] = c
	}
	for _, g := range s.Grants {
		ix.grants[[2]string{g.ClientID, g.Audience}] = g
	}
	return ix
}
