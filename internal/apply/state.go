package apply

import (
	"context"

	"github.com/mintauth/mint/internal/mint"
)

// State is the store's APIs, clients and grants, as a plan is made from
// them.
type State struct {
	APIs    []mint.API
	Clients []mint.Client
	Grants  []mint.Grant
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
	return State{APIs: apis, Clients: clients, Grants: grants}, nil
}

// Fingerprint is what the plan's transaction checks the store against.
func (s State) Fingerprint() string { return mint.StateFingerprint(s.APIs, s.Clients, s.Grants) }

// index is a State by the keys a file names resources by.
type index struct {
	apis    map[string]mint.API    // by audience
	clients map[string]mint.Client // by ID
	grants  map[[2]string]mint.Grant
}

func (s State) index() index {
	ix := index{apis: map[string]mint.API{}, clients: map[string]mint.Client{}, grants: map[[2]string]mint.Grant{}}
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
