// Package release tests mint's release recipe (scripts/release) as an
// operator meets it: the archive and its checksums, and the .deb installed
// on this machine with dpkg, its unit's command run as the unit says (user,
// environment file, working directory), a token from the real endpoint, the
// state directory's owner and modes, and a remove and purge that leave
// nothing behind. It has no code of its own.
package release
