//go:build !unix

package sqlite

// lockForMigration is a no-op where flock does not exist: there, processes
// opening one new database file at the same moment may race to migrate it.
func lockForMigration(string) (unlock func(), err error) { return func() {}, nil }
