use basehttp::prelude::*;

struct H;

#[http_handler]
impl H {
    #[method("M SEARCH")]
    fn search(&mut self, req: &mut Request) -> std::io::Result<()> {
        req.send_response(200)
    }
}

fn main() {}
