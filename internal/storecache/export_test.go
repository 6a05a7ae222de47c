package storecache

// WaitRefreshes waits until no background refresh runs: tests look at
// what a refresh kept only once it has ended.
func (c *Store) WaitRefreshes() { c.bg.Wait() }
