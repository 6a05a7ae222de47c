package federation_test

import "github.com/mintauth/mint/internal/federation"

func matchExample(pattern, value string) bool { return federation.Match(pattern, value) }
