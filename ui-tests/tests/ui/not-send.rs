use basehttp::prelude::*;
use std::rc::Rc;

struct H(Rc<u8>);

#[http_handler]
impl H {
    fn do_GET(&mut self, req: &mut Request) -> std::io::Result<()> {
        req.send_response(200)
    }
}

fn main() {}
