//! The relay page: the static HTML a Live app's `https://` redirect URI
//! serves. Meta redirects the browser there; its few lines of script send
//! the OAuth parameters, and nothing else, on to the loopback listener of
//! `connect` at a port fixed when the page is generated. The page carries
//! its own style and script (no other host is named) and a Content Security
//! Policy that allows exactly those two, by hash.

use std::net::Ipv4Addr;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use sha2::{Digest, Sha256};

/// The path the listener answers on in relay mode.
pub const CALLBACK_PATH: &str = "/callback";

const PAGE: &str = include_str!("relay/page.html");
const SCRIPT: &str = include_str!("relay/forward.js");
const STYLE: &str = include_str!("relay/page.css");

/// The address the page forwards to: always IPv4 loopback, so neither a
/// resolver nor the page's own address can move it.
pub fn listener_url(port: u16) -> String {
    format!("http://{}:{port}{CALLBACK_PATH}", Ipv4Addr::LOCALHOST)
}

/// The page for a listener on `port`.
pub fn page(port: u16) -> String {
    let script = SCRIPT.replace("{{LISTENER}}", &listener_url(port));
    PAGE.replace("{{SCRIPT_HASH}}", &csp_hash(&script))
        .replace("{{STYLE_HASH}}", &csp_hash(STYLE))
        .replace("{{STYLE}}", STYLE)
        .replace("{{SCRIPT}}", &script)
}

/// A CSP source expression allowing exactly this inline text.
fn csp_hash(text: &str) -> String {
    format!(
        "sha256-{}",
        STANDARD.encode(Sha256::digest(text.as_bytes()))
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_names_no_host_but_the_loopback_listener() {
        let page = page(9123);
        assert!(!page.contains("{{"), "a placeholder was left");
        let mut rest = page.as_str();
        let mut found = 0;
        while let Some(at) = rest.find("//") {
            let after = &rest[at + 2..];
            // Comments in the script start with `//` followed by a space.
            if !after.starts_with(' ') && !after.starts_with('\n') {
                assert!(
                    after.starts_with("127.0.0.1:9123/callback\""),
                    "unexpected address near {:?}",
                    &rest[at.saturating_sub(10)..(at + 40).min(rest.len())]
                );
                found += 1;
            }
            rest = after;
        }
        assert_eq!(found, 1);
        for outside in [
            "src=",
            "href=",
            "@import",
            "url(",
            "fetch(",
            "XMLHttpRequest",
        ] {
            assert!(!page.contains(outside), "{outside}");
        }
    }

    #[test]
    fn the_policy_allows_exactly_the_inline_script_and_style() {
        let page = page(8765);
        let inline = |open: &str, close: &str| {
            let start = page.find(open).unwrap() + open.len();
            let end = start + page[start..].find(close).unwrap();
            page[start..end].to_owned()
        };
        let script = inline("<script>", "</script>");
        let style = inline("<style>", "</style>");
        assert!(script.contains("http://127.0.0.1:8765/callback"));
        assert!(page.contains(&format!("script-src '{}'", csp_hash(&script))));
        assert!(page.contains(&format!("style-src '{}'", csp_hash(&style))));
        assert!(page.contains("default-src 'none'"));
    }
}
