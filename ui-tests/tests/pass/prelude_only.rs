//! Every signature the macro checks and prints, written with the prelude
//! alone (issue 21: `io`, `Class`, `ErrorPage`, `Exchange` were outside it),
//! and what a `do_*` method passes on with `?`.
use basehttp::prelude::*;

struct Everything;

#[http_handler(protocol_version = "HTTP/1.1")]
impl Everything {
    fn do_GET(&mut self, req: &mut Request) -> io::Result<()> {
        req.respond(200, "text/plain", "ok")
    }
    fn do_POST(&mut self, req: &mut Request) -> io::Result<()> {
        let body = req.read_body(10).map_err(|e| e)?;
        let form: Result<(), FormError> = Ok(());
        form?;
        let body_error: Result<(), BodyError> = Ok(());
        body_error?;
        req.respond(200, "text/plain", body)
    }
    fn log_message(req: &Request, message: &str) {
        let _ = (req, message);
    }
    fn version_string(req: &Request) -> String {
        req.class().server_version.to_string()
    }
    fn before_end_headers(req: &mut Request) -> io::Result<()> {
        req.send_header("X-Frame-Options", "DENY")
    }
    fn handle_expect_100(&mut self, _req: &mut Request) -> io::Result<bool> {
        Ok(true)
    }
    fn error_page(_req: &Request, code: u16, message: &str, _explain: &str) -> ErrorPage {
        ErrorPage::json(format!("{{\"error\": {code}, \"message\": {message:?}}}"))
    }
    fn after_response(req: &Request, exchange: &Exchange) {
        let _ = (req.status(), exchange.status, exchange.bytes_sent, exchange.duration);
    }
    fn class(&self) -> Class {
        Class::BASE
    }
}

fn main() -> io::Result<()> {
    let config = ServerConfig::new().max_connections(10).timeout(None);
    let server = ThreadingHttpServer::bind_with("127.0.0.1:0", || Everything, config)?;
    drop(server);
    if let Ok(tls) = TlsConfig::from_pem_files("cert.pem", "key.pem") {
        drop(HttpsServer::bind("127.0.0.1:0", || Everything, tls.clone())?);
        drop(ThreadingHttpsServer::bind("127.0.0.1:0", || Everything, tls)?);
    }
    Ok(())
}
