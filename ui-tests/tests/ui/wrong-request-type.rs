use basehttp::prelude::*;

struct H;

#[http_handler]
impl H {
    fn do_GET(&mut self, req: &mut String) -> std::io::Result<()> {
        req.push('x');
        Ok(())
    }
}

fn main() {}
