// Lower-bound probe with the Go SDK: the barest dispatch_http_call mirror, as
// bench/probes/dispatch.ts. It takes the request's headers (as the SDK hands
// them over) and the body as it passes, and sends both unchanged to the cluster
// "shadow" once the request ends. No selection, redaction, tagging or counting.
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
	headers [][2]string
	body    []byte
}

func ignore(numHeaders, bodySize, numTrailers int) {}

func (c *httpContext) send() {
	// The SDK needs a callback; the answer is ignored, as in the AssemblyScript probe.
	_, _ = proxywasm.DispatchHttpCall("shadow", c.headers, c.body, nil, 2000, ignore)
	c.headers, c.body = nil, nil
}

func (c *httpContext) OnHttpRequestHeaders(numHeaders int, endOfStream bool) types.Action {
	h, err := proxywasm.GetHttpRequestHeaders()
	if err != nil {
		return types.ActionContinue
	}
	c.headers = h
	if endOfStream {
		c.send()
	}
	return types.ActionContinue
}

func (c *httpContext) OnHttpRequestBody(bodySize int, endOfStream bool) types.Action {
	if c.headers == nil {
		return types.ActionContinue
	}
	if bodySize > 0 {
		chunk, err := proxywasm.GetHttpRequestBody(0, bodySize)
		if err == nil {
			c.body = append(c.body, chunk...)
		}
	}
	if endOfStream {
		c.send()
	}
	return types.ActionContinue
}
