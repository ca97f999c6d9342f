//! A real headless Chromium, and the static HTTPS host a CRM would serve
//! the relay page from: a throwaway self-signed certificate that only the
//! test's Chromium trusts (by its key's hash), on 127.0.0.1, which Chromium
//! is told to treat as a public address, as a CRM's domain is.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::http::StatusCode;
use axum::response::Html;
use base64::Engine;
use sha2::{Digest, Sha256};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls;
use tokio_rustls::server::TlsStream;

/// Chromium, or `return` from the test when it is not installed and not
/// required (a newcomer's `cargo test`; CI installs it).
macro_rules! chromium_or_skip {
    () => {
        match crate::browser::Chromium::available() {
            Some(chromium) => chromium,
            None => return,
        }
    };
}
pub(crate) use chromium_or_skip;

/// Every request a server received: path and query.
pub type Hits = Arc<Mutex<Vec<String>>>;

/// A static HTTPS site serving one page at one path.
pub struct HttpsSite {
    pub addr: SocketAddr,
    /// base64 SHA-256 of the certificate's public key, for Chromium.
    pub spki: String,
    pub hits: Hits,
    _server: tokio::task::JoinHandle<()>,
}

impl HttpsSite {
    pub async fn serve(path: &str, html: String) -> Self {
        let rcgen::CertifiedKey { cert, key_pair } =
            rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_owned()]).unwrap();
        let spki = base64::engine::general_purpose::STANDARD
            .encode(Sha256::digest(key_pair.public_key_der()));
        let key = rustls::pki_types::PrivateKeyDer::Pkcs8(key_pair.serialize_der().into());
        let config = rustls::ServerConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![cert.der().clone()], key)
        .unwrap();
        let tcp = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = tcp.local_addr().unwrap();
        let listener = TlsListener::start(tcp, TlsAcceptor::from(Arc::new(config)));
        let hits = Hits::default();
        let app = recording(
            Router::new().route(path, axum::routing::get(move || async move { Html(html) })),
            &hits,
        );
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Self {
            addr,
            spki,
            hits,
            _server: server,
        }
    }

    pub fn url(&self, path_and_query: &str) -> String {
        format!("https://{}{path_and_query}", self.addr)
    }
}

/// A plain-HTTP server on 127.0.0.1 that answers every request with 200
/// and records it: a stand-in listener, or an attacker's server.
pub struct Recorder {
    pub port: u16,
    pub hits: Hits,
    _server: tokio::task::JoinHandle<()>,
}

impl Recorder {
    pub async fn start_on(port: u16) -> Self {
        let tcp = TcpListener::bind(("127.0.0.1", port)).await.unwrap();
        let port = tcp.local_addr().unwrap().port();
        let hits = Hits::default();
        let app = recording(Router::new(), &hits);
        let server = tokio::spawn(async move {
            let _ = axum::serve(tcp, app).await;
        });
        Self {
            port,
            hits,
            _server: server,
        }
    }

    pub async fn start() -> Self {
        Self::start_on(0).await
    }

    pub fn hits(&self) -> Vec<String> {
        self.hits.lock().unwrap().clone()
    }
}

/// Records every request; what the router does not serve is a 200 "recorded".
fn recording(router: Router, hits: &Hits) -> Router {
    let for_layer = Arc::clone(hits);
    router
        .fallback(|uri: axum::http::Uri| async move {
            (
                StatusCode::OK,
                Html(format!("<p>recorded {}</p>", uri.path())),
            )
        })
        .layer(axum::middleware::from_fn(
            move |request: axum::extract::Request, next: axum::middleware::Next| {
                let hits = Arc::clone(&for_layer);
                async move {
                    if request.uri().path() != "/favicon.ico" {
                        hits.lock().unwrap().push(request.uri().to_string());
                    }
                    next.run(request).await
                }
            },
        ))
}

/// TLS handshakes run on their own tasks, so a browser's speculative
/// connection that never completes one cannot hold up the others.
struct TlsListener {
    ready: mpsc::Receiver<(TlsStream<TcpStream>, SocketAddr)>,
    addr: SocketAddr,
}

impl TlsListener {
    fn start(tcp: TcpListener, acceptor: TlsAcceptor) -> Self {
        let addr = tcp.local_addr().unwrap();
        let (tx, ready) = mpsc::channel(16);
        tokio::spawn(async move {
            while let Ok((stream, peer)) = tcp.accept().await {
                let (acceptor, tx) = (acceptor.clone(), tx.clone());
                tokio::spawn(async move {
                    let handshake =
                        tokio::time::timeout(Duration::from_secs(10), acceptor.accept(stream));
                    if let Ok(Ok(tls)) = handshake.await {
                        let _ = tx.send((tls, peer)).await;
                    }
                });
            }
        });
        Self { ready, addr }
    }
}

impl axum::serve::Listener for TlsListener {
    type Io = TlsStream<TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        match self.ready.recv().await {
            Some(accepted) => accepted,
            None => std::future::pending().await,
        }
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        Ok(self.addr)
    }
}

/// Debian's Chromium (or `CRM_META_TEST_CHROMIUM`), headless.
pub struct Chromium {
    program: PathBuf,
}

impl Chromium {
    /// Without Chromium, the browser tests are skipped with a note unless CI
    /// or `CRM_META_TEST_CHROMIUM` is set: then its absence fails them.
    pub fn available() -> Option<Self> {
        let candidates = std::env::var_os("CRM_META_TEST_CHROMIUM")
            .map(PathBuf::from)
            .into_iter()
            .chain(["/usr/bin/chromium", "/usr/bin/chromium-browser"].map(PathBuf::from));
        for program in candidates {
            if program.is_file() {
                return Some(Self { program });
            }
        }
        if std::env::var_os("CI").is_some() || std::env::var_os("CRM_META_TEST_CHROMIUM").is_some()
        {
            panic!(
                "the relay tests need Chromium: apt-get install chromium (or set CRM_META_TEST_CHROMIUM to it)"
            );
        }
        eprintln!("note: skipping a browser test: no Chromium (apt-get install chromium)");
        None
    }

    /// The command line that loads one URL (following redirects and the
    /// page's own navigation) and prints the final DOM.
    fn args(&self, profile: &Path, site: &HttpsSite) -> Vec<String> {
        [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--virtual-time-budget=10000",
            "--dump-dom",
        ]
        .map(str::to_owned)
        .into_iter()
        .chain([
            format!("--user-data-dir={}", profile.display()),
            format!("--ignore-certificate-errors-spki-list={}", site.spki),
            // The relay host stands for the CRM's public domain: Chromium
            // applies its rules for a public page reaching loopback.
            format!("--ip-address-space-overrides={}=public", site.addr),
        ])
        .collect()
    }

    /// Loads `url` and returns the DOM it ends on.
    pub async fn dump_dom(&self, url: &str, site: &HttpsSite) -> String {
        let profile = tempfile::tempdir().unwrap();
        let mut command = std::process::Command::new(&self.program);
        command
            .args(self.args(profile.path(), site))
            .arg(url)
            .stdin(std::process::Stdio::null())
            .stderr(std::process::Stdio::null());
        let out = tokio::time::timeout(
            Duration::from_secs(60),
            tokio::task::spawn_blocking(move || command.output().unwrap()),
        )
        .await
        .expect("Chromium did not finish within 60 s")
        .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// A `BROWSER` for `connect`: Chromium loads the URL it is given and
    /// writes the DOM it ends on to `<dir>/dom.html`.
    pub fn browser_script(&self, dir: &Path, site: &HttpsSite) -> PathBuf {
        let profile = dir.join("chromium-profile");
        let args: Vec<String> = self
            .args(&profile, site)
            .into_iter()
            .map(|a| format!("'{a}'"))
            .collect();
        crate::support::script(
            dir,
            "chromium-browser",
            &format!(
                "exec '{}' {} \"$1\" > '{}' 2>/dev/null",
                self.program.display(),
                args.join(" "),
                dir.join("dom.html").display()
            ),
        )
    }
}

/// The DOM `browser_script` left, once Chromium has written it.
pub async fn dom_written_by_browser(dir: &Path) -> String {
    let path = dir.join("dom.html");
    for _ in 0..200 {
        if let Ok(dom) = std::fs::read_to_string(&path)
            && dom.contains("</html>")
        {
            return dom;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("Chromium wrote no DOM to {}", path.display());
}
