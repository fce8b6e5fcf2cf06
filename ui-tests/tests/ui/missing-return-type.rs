use basehttp::prelude::*;

struct H;

#[http_handler]
impl H {
    fn do_GET(&mut self, req: &mut Request) {
        let _ = req.send_response(200);
    }
}

fn main() {}
