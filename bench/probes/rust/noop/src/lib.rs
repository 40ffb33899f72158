// Lower-bound probe with the Rust SDK (crate proxy-wasm): an HTTP context whose
// callbacks all return at once (the SDK's defaults), so what it costs is what
// the Rust SDK costs per request in Envoy. The same job as bench/probes/noop.ts.
use proxy_wasm::traits::{Context, HttpContext};
use proxy_wasm::types::LogLevel;

struct Noop;

impl Context for Noop {}
impl HttpContext for Noop {}

proxy_wasm::main! {{
    proxy_wasm::set_log_level(LogLevel::Warn);
    proxy_wasm::set_http_context(|_, _| -> Box<dyn HttpContext> { Box::new(Noop) });
}}
