// Lower-bound probe with the Rust SDK: the barest dispatch_http_call mirror, as
// bench/probes/dispatch.ts. It takes the request's headers (as the SDK hands
// them over) and the body as it passes, and sends both unchanged to the cluster
// "shadow" once the request ends. No selection, redaction, tagging or counting.
use proxy_wasm::traits::{Context, HttpContext};
use proxy_wasm::types::{Action, LogLevel};
use std::time::Duration;

#[derive(Default)]
struct Dispatch {
    headers: Option<Vec<(String, String)>>,
    body: Vec<u8>,
}

impl Dispatch {
    fn send(&mut self) {
        if let Some(headers) = self.headers.take() {
            let pairs: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            let body = if self.body.is_empty() { None } else { Some(self.body.as_slice()) };
            let _ = self.dispatch_http_call("shadow", pairs, body, vec![], Duration::from_millis(2000));
        }
        self.body = Vec::new();
    }
}

// The answer is ignored, as in the AssemblyScript probe (the SDK's default on_http_call_response).
impl Context for Dispatch {}

impl HttpContext for Dispatch {
    fn on_http_request_headers(&mut self, _num_headers: usize, end_of_stream: bool) -> Action {
        self.headers = Some(self.get_http_request_headers());
        if end_of_stream {
            self.send();
        }
        Action::Continue
    }

    fn on_http_request_body(&mut self, body_size: usize, end_of_stream: bool) -> Action {
        if self.headers.is_none() {
            return Action::Continue;
        }
        if body_size > 0 {
            if let Some(chunk) = self.get_http_request_body(0, body_size) {
                self.body.extend_from_slice(&chunk);
            }
        }
        if end_of_stream {
            self.send();
        }
        Action::Continue
    }
}

proxy_wasm::main! {{
    proxy_wasm::set_log_level(LogLevel::Warn);
    proxy_wasm::set_http_context(|_, _| -> Box<dyn HttpContext> { Box::<Dispatch>::default() });
}}
