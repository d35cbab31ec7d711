package spec

// NewLinKVSpec lets the external tests (linkv_broken_test.go) build the
// lin-kv spec before the registry knows it.
var NewLinKVSpec = newLinKVSpec
