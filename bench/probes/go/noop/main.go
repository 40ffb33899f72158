// Lower-bound probe with the Go SDK (github.com/proxy-wasm/proxy-wasm-go-sdk):
// an HTTP context whose callbacks all return at once (the SDK's defaults), so
// what it costs is what the Go runtime and the SDK cost per request in Envoy.
// The same job as bench/probes/noop.ts.
package main

import (
	"github.com/proxy-wasm/proxy-wasm-go-sdk/proxywasm"
	"github.com/proxy-wasm/proxy-wasm-go-sdk/proxywasm/types"
)

func main() {}

func init() {
	proxywasm.SetHttpContext(func(contextID uint32) types.HttpContext { return &httpContext{} })
}

type httpContext struct {
	types.DefaultHttpContext
}
