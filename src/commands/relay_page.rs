//! `crm-meta relay-page`: the static page a Live app's `https://` redirect
//! URI serves, on stdout, for the operator to host on the CRM's domain.

use anyhow::Result;
use serde::Serialize;

use super::Context;
use crate::cli::RelayPageArgs;
use crate::error::Exit;
use crate::oauth::relay;
use crate::output::{Printer, Report};

#[derive(Serialize)]
struct RelayPage {
    loopback_port: u16,
    forwards_to: String,
    html: String,
}

impl Report for RelayPage {
    fn show(&self, p: &Printer) {
        if let Err(e) = p.document(&self.html) {
            p.error(format!("could not write the page: {e}"));
        }
    }
}

pub fn run(ctx: &Context, args: RelayPageArgs) -> Result<Exit> {
    let port = match args.loopback_port {
        Some(port) => port,
        None => ctx.settings.loopback_port()?,
    };
    let redirect_uri = ctx.settings.redirect_uri();
    if redirect_uri.starts_with("https://") {
        ctx.printer.note(format!(
            "Host this page at {redirect_uri} (registered on the Meta app); it forwards to {} where `connect` listens.",
            relay::listener_url(port)
        ));
    } else {
        ctx.printer.note(format!(
            "Host this page at an https:// address registered on the Meta app, and set META_REDIRECT_URI to it (it is {redirect_uri} now)."
        ));
    }
    ctx.printer.finish(&RelayPage {
        loopback_port: port,
        forwards_to: relay::listener_url(port),
        html: relay::page(port),
    })
}
