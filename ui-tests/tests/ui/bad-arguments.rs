use basehttp::prelude::*;

struct H;

#[http_handler]
impl H {
    fn do_GET(&mut self, req: Request, extra: u8) -> std::io::Result<()> {
        let _ = (req, extra);
        Ok(())
    }
}

fn main() {}
