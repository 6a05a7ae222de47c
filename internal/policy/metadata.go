package policy

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Bounds of a client's metadata: it is read on every token request of a
// client with a policy, kept in every cache and shown in lists.
const (
	MaxMetadataKeys       = 32
	MaxMetadataKeyBytes   = 64
	MaxMetadataValueBytes = 256
)

// ErrMetadata is wrapped by every refusal of CheckMetadata and
// ParseMetadataPair.
var ErrMetadata = errors.New("invalid client metadata")

// CheckMetadata checks a client's metadata: at most MaxMetadataKeys keys,
// each 1 to MaxMetadataKeyBytes of ASCII letters, digits and "_.-",
// starting with a letter (so that most read as client.metadata.key in a
// policy), each value at most MaxMetadataValueBytes of UTF-8 without
// control characters.
func CheckMetadata(m map[string]string) error {
	if len(m) > MaxMetadataKeys {
		return fmt.Errorf("%w: %d keys, at most %d", ErrMetadata, len(m), MaxMetadataKeys)
	}
	for k, v := range m {
		if err := checkMetadataKey(k); err != nil {
			return err
		}
		if err := checkMetadataValue(k, v); err != nil {
			return err
		}
	}
	return nil
}

func checkMetadataKey(k string) error {
	if k == "" || len(k) > MaxMetadataKeyBytes {
		return fmt.Errorf("%w: a key must have 1 to %d characters", ErrMetadata, MaxMetadataKeyBytes)
	}
	for i := 0; i < len(k); i++ {
		c := k[i]
		letter := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
		if i == 0 && !letter {
			return fmt.Errorf("%w: key %q must start with an ASCII letter", ErrMetadata, k)
		}
		if !letter && !(c >= '0' && c <= '9') && c != '_' && c != '.' && c != '-' {
			return fmt.Errorf("%w: key %q may hold only ASCII letters, digits and _.-", ErrMetadata, k)
		}
	}
	return nil
}

func checkMetadataValue(k, v string) error {
	if len(v) > MaxMetadataValueBytes {
		return fmt.Errorf("%w: the value of %q has %d bytes, at most %d", ErrMetadata, k, len(v), MaxMetadataValueBytes)
	}
	if !utf8.ValidString(v) {
		return fmt.Errorf("%w: the value of %q is not UTF-8", ErrMetadata, k)
	}
	if strings.ContainsFunc(v, unicode.IsControl) {
		return fmt.Errorf("%w: the value of %q holds a control character", ErrMetadata, k)
	}
	return nil
}

// ParseMetadataPair parses one "key=value" of the command line: the key
// ends at the first "=", the value may be empty and hold "=".
func ParseMetadataPair(s string) (key, value string, err error) {
	key, value, ok := strings.Cut(s, "=")
	if !ok {
		return "", "", fmt.Errorf("%w: %q is not key=value", ErrMetadata, s)
	}
	if err := checkMetadataKey(key); err != nil {
		return "", "", err
	}
	if err := checkMetadataValue(key, value); err != nil {
		return "", "", err
	}
	return key, value, nil
}

// ParseMetadataPairs parses the pairs of repeated --metadata flags into
// metadata, refusing a key given twice; nil for no pairs.
func ParseMetadataPairs(pairs []string) (map[string]string, error) {
	if len(pairs) == 0 {
		return nil, nil
	}
	m := make(map[string]string, len(pairs))
	for _, p := range pairs {
		k, v, err := ParseMetadataPair(p)
		if err != nil {
			return nil, err
		}
		if _, dup := m[k]; dup {
			return nil, fmt.Errorf("%w: key %q given twice", ErrMetadata, k)
		}
		m[k] = v
	}
	return m, CheckMetadata(m)
}
