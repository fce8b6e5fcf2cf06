use basehttp::prelude::*;
use basehttp::ErrorPage;

struct H;

#[http_handler]
impl H {
    fn do_GET(&mut self, req: &mut Request) -> std::io::Result<()> {
        req.send_error(404)
    }
    fn error_page(req: &Request, code: &u16) -> ErrorPage {
        let _ = (req, code);
        ErrorPage::json("{}")
    }
}

fn main() {}
