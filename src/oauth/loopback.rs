//! The short-lived loopback listener that catches the OAuth redirect.
//!
//! It binds only the loopback address the redirect URI names (never
//! 0.0.0.0), or for an `https://` relay redirect `/callback` at the
//! configured port; for `localhost` and relays it holds the port on both
//! 127.0.0.1 and [::1],
//! since a browser may resolve either and another local user could otherwise
//! take the one left free and receive the code. It answers only GET on the
//! redirect path, and ends on the first callback whose `state` is this run's. Anything else (a forged or stale
//! state, a malformed query, another path) gets a 4xx page and the listener
//! keeps waiting. Every answer says `Connection: close`, so a browser's
//! keep-alive cannot pin the listener. tiny_http's blocking `recv` runs on a
//! thread, bridged to async code by a oneshot channel.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use tiny_http::{Header, Method, Response, Server};
use tokio::sync::oneshot;
use tracing::{debug, info};

use super::{AuthorizationRequest, Callback, OAuthError, parse_callback_query};

/// How often the listener thread checks whether it was told to stop.
const POLL: Duration = Duration::from_millis(100);

/// Where to listen, from the redirect URI.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoopbackTarget {
    /// The address the URI names (127.0.0.1 for `localhost`).
    pub addr: SocketAddr,
    /// Also held, where the machine has it: [::1] for `localhost`.
    pub also: Option<SocketAddr>,
    pub path: String,
}

impl LoopbackTarget {
    /// Where `connect` listens for a redirect to `uri`: an `https://` URI is
    /// a relay page, which forwards to `/callback` on the loopback addresses
    /// at `relay_port`; an `http://` URI must itself be on loopback.
    pub fn for_redirect(uri: &str, relay_port: u16) -> Result<Self, OAuthError> {
        if uri.starts_with("https://") {
            return Ok(Self::relay(relay_port));
        }
        Self::from_redirect_uri(uri)
    }

    /// The listener a relay page forwards to. The page uses 127.0.0.1; [::1]
    /// is held too, so no other local user can wait there for a mistyped
    /// address.
    pub fn relay(port: u16) -> Self {
        Self {
            addr: SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), port),
            also: Some(SocketAddr::new(IpAddr::V6(Ipv6Addr::LOCALHOST), port)),
            path: super::relay::CALLBACK_PATH.to_owned(),
        }
    }

    /// Accepts only `http://` URIs on `localhost`, `127.0.0.1` or `[::1]`.
    pub fn from_redirect_uri(uri: &str) -> Result<Self, OAuthError> {
        let not_loopback = |problem| OAuthError::NotLoopback {
            uri: uri.to_owned(),
            problem,
        };
        let url = url::Url::parse(uri).map_err(|_| not_loopback("is not a URL"))?;
        if url.scheme() != "http" {
            return Err(not_loopback(
                "is not plain http, which a local listener cannot serve",
            ));
        }
        let (ip, also) = match url.host() {
            Some(url::Host::Domain("localhost")) => (
                IpAddr::V4(Ipv4Addr::LOCALHOST),
                Some(IpAddr::V6(Ipv6Addr::LOCALHOST)),
            ),
            Some(url::Host::Ipv4(ip)) if ip.is_loopback() => (IpAddr::V4(ip), None),
            Some(url::Host::Ipv6(ip)) if ip == Ipv6Addr::LOCALHOST => (IpAddr::V6(ip), None),
            _ => return Err(not_loopback("is not on this machine's loopback address")),
        };
        let port = url.port_or_known_default().unwrap_or(80);
        Ok(Self {
            addr: SocketAddr::new(ip, port),
            also: also.map(|ip| SocketAddr::new(ip, port)),
            path: url.path().to_owned(),
        })
    }
}

/// A running listener. Dropping it stops it.
pub struct LoopbackListener {
    servers: Vec<Arc<Server>>,
    stop: Arc<AtomicBool>,
    outcome: Option<oneshot::Receiver<Callback>>,
    threads: Vec<std::thread::JoinHandle<()>>,
}

/// The first accepted callback, from whichever address it reached.
type Outcome = Arc<std::sync::Mutex<Option<oneshot::Sender<Callback>>>>;

impl LoopbackListener {
    /// Binds the target's loopback address(es) and starts answering.
    pub fn start(
        request: Arc<AuthorizationRequest>,
        target: &LoopbackTarget,
    ) -> Result<Self, OAuthError> {
        let bind_error = |addr: SocketAddr, reason: String| OAuthError::Bind {
            addr: addr.to_string(),
            reason,
        };
        let mut listeners = vec![
            std::net::TcpListener::bind(target.addr)
                .map_err(|e| bind_error(target.addr, e.to_string()))?,
        ];
        if let Some(also) = target.also {
            match std::net::TcpListener::bind(also) {
                Ok(listener) => listeners.push(listener),
                // No IPv6 loopback on this machine: nobody can take it either.
                Err(e)
                    if matches!(
                        e.kind(),
                        std::io::ErrorKind::AddrNotAvailable | std::io::ErrorKind::Unsupported
                    ) || e.raw_os_error() == Some(libc::EAFNOSUPPORT) => {}
                Err(e) => {
                    return Err(bind_error(
                        also,
                        format!("{e}; another program holds it and could receive the redirect"),
                    ));
                }
            }
        }
        let stop = Arc::new(AtomicBool::new(false));
        let (tx, rx) = oneshot::channel();
        let outcome: Outcome = Arc::new(std::sync::Mutex::new(Some(tx)));
        let mut this = Self {
            servers: Vec::new(),
            stop,
            outcome: Some(rx),
            threads: Vec::new(),
        };
        for listener in listeners {
            let addr = listener
                .local_addr()
                .map_err(|e| bind_error(target.addr, e.to_string()))?;
            let server = Arc::new(
                Server::from_listener(listener, None)
                    .map_err(|e| bind_error(addr, e.to_string()))?,
            );
            let thread = {
                let (server, stop, outcome) = (
                    Arc::clone(&server),
                    Arc::clone(&this.stop),
                    Arc::clone(&outcome),
                );
                let (path, request) = (target.path.clone(), Arc::clone(&request));
                std::thread::Builder::new()
                    .name("oauth-loopback".into())
                    .spawn(move || serve(&server, &stop, &path, &request, &outcome))
                    .map_err(|e| bind_error(addr, e.to_string()))?
            };
            this.servers.push(server);
            this.threads.push(thread);
            info!(%addr, "listening for the OAuth redirect");
        }
        Ok(this)
    }

    /// Waits for the first callback that carries this run's state.
    pub async fn wait(&mut self) -> Result<Callback, OAuthError> {
        let rx = self.outcome.take().ok_or(OAuthError::Cancelled)?;
        let result = rx.await.map_err(|_| OAuthError::Cancelled);
        self.shutdown();
        result
    }

    /// Stops listening (idempotent).
    pub fn shutdown(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        for server in &self.servers {
            server.unblock();
        }
        for thread in self.threads.drain(..) {
            let _ = thread.join();
        }
    }
}

impl Drop for LoopbackListener {
    fn drop(&mut self) {
        self.shutdown();
    }
}

fn serve(
    server: &Server,
    stop: &AtomicBool,
    path: &str,
    request: &AuthorizationRequest,
    outcome: &Outcome,
) {
    while !stop.load(Ordering::SeqCst) {
        let incoming = match server.recv_timeout(POLL) {
            Ok(Some(incoming)) => incoming,
            Ok(None) => continue,
            Err(_) => break,
        };
        let (req_path, query) = match incoming.url().split_once('?') {
            Some((p, q)) => (p.to_owned(), q.to_owned()),
            None => (incoming.url().to_owned(), String::new()),
        };
        // Paths, methods and outcomes are logged; queries never (they hold codes).
        debug!(method = %incoming.method(), path = %req_path, "loopback request");
        if req_path != path {
            respond(
                incoming,
                404,
                "Not found",
                "This address only receives the Meta login redirect.",
            );
            continue;
        }
        if *incoming.method() != Method::Get {
            respond(
                incoming,
                405,
                "Method not allowed",
                "The Meta login redirect is a GET request.",
            );
            continue;
        }
        let callback = match parse_callback_query(&query) {
            Ok(callback) => callback,
            Err(e) => {
                respond(incoming, 400, "Bad request", &e.to_string());
                continue;
            }
        };
        if let Err(e) = request.state.accept(callback.state()) {
            respond(
                incoming,
                400,
                "Not this login",
                &format!("{e}. Keep using the tab crm-meta opened."),
            );
            continue;
        }
        match &callback {
            Callback::Code { .. } => respond(
                incoming,
                200,
                "Connected",
                "Meta sent the authorization back to crm-meta. You can close this tab and return to the terminal.",
            ),
            Callback::Denied { description, .. } => respond(
                incoming,
                200,
                "Not connected",
                &format!("Meta says: {description}. Nothing was stored. You can close this tab."),
            ),
        }
        if let Some(tx) = outcome.lock().ok().and_then(|mut slot| slot.take()) {
            let _ = tx.send(callback);
        }
        stop.store(true, Ordering::SeqCst);
        break;
    }
}

fn respond(request: tiny_http::Request, status: u16, title: &str, message: &str) {
    let html = format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>crm-meta: {title}</title></head>\
         <body style=\"font-family:sans-serif;max-width:40em;margin:4em auto\"><h1>{title}</h1><p>{}</p></body></html>",
        escape_html(message),
        title = escape_html(title),
    );
    let mut response = Response::from_string(html).with_status_code(status);
    for (name, value) in [
        ("Content-Type", "text/html; charset=utf-8"),
        ("Connection", "close"),
        ("Cache-Control", "no-store"),
        ("Referrer-Policy", "no-referrer"),
    ] {
        if let Ok(header) = Header::from_bytes(name.as_bytes(), value.as_bytes()) {
            response.add_header(header);
        }
    }
    let _ = request.respond(response);
}

fn escape_html(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_loopback_http_uris_are_listened_on() {
        let t = LoopbackTarget::from_redirect_uri("http://localhost:8765/callback").unwrap();
        assert_eq!(t.addr, "127.0.0.1:8765".parse().unwrap());
        assert_eq!(t.also, Some("[::1]:8765".parse().unwrap()));
        assert_eq!(t.path, "/callback");
        assert!(LoopbackTarget::from_redirect_uri("http://127.0.0.1:9/cb").is_ok());
        assert_eq!(
            LoopbackTarget::from_redirect_uri("http://[::1]:9/cb")
                .unwrap()
                .addr,
            "[::1]:9".parse().unwrap()
        );
        for bad in [
            "https://localhost:8765/cb",
            "http://0.0.0.0:8765/cb",
            "http://crm.example/cb",
            "http://192.168.1.2/cb",
            "nonsense",
        ] {
            assert!(
                matches!(
                    LoopbackTarget::from_redirect_uri(bad),
                    Err(OAuthError::NotLoopback { .. })
                ),
                "{bad}"
            );
        }
    }

    #[test]
    fn an_https_redirect_is_a_relay_to_both_loopback_addresses() {
        let t = LoopbackTarget::for_redirect("https://crm.example/meta/relay", 9001).unwrap();
        assert_eq!(t.addr, "127.0.0.1:9001".parse().unwrap());
        assert_eq!(t.also, Some("[::1]:9001".parse().unwrap()));
        assert_eq!(t.path, "/callback");
        // An http URI keeps its own port and path.
        let t = LoopbackTarget::for_redirect("http://localhost:8765/cb", 9001).unwrap();
        assert_eq!((t.addr.port(), t.path.as_str()), (8765, "/cb"));
    }

    #[test]
    fn html_is_escaped() {
        assert_eq!(escape_html("<script>\"&"), "&lt;script&gt;&quot;&amp;");
    }
}
