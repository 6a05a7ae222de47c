//go:build !unix

package sqlite

// checkWritable leaves it to SQLite to say a file cannot be written.
func checkWritable(string) error { return nil }
