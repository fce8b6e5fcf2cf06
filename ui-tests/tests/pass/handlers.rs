//! Handler shapes that must compile: generics, lifetimes, where clauses,
//! `#[cfg]` on methods and hooks, `#[method]`, path spellings, `extends`.
use basehttp::prelude::*;
use basehttp::{Class, Handler};
use std::fmt::Display;
use std::io;

struct Generic<T>(T);

#[http_handler]
impl<T> Generic<T>
where
    T: Display,
{
    fn do_GET(&mut self, req: &mut basehttp::Request) -> io::Result<()> {
        let body = self.0.to_string();
        req.wfile.write_all(body.as_bytes())
    }
}

struct Borrowed<'a, const N: usize>(&'a [u8; N]);

#[http_handler]
impl<'a, const N: usize> Borrowed<'a, N> {
    fn do_GET(&mut self, req: &mut Request) -> std::io::Result<()> {
        req.wfile.write_all(self.0)
    }
}

struct Cfgd;

#[http_handler]
impl Cfgd {
    #[cfg(any())]
    fn do_GET(&mut self, req: &mut Request) -> io::Result<()> {
        missing_function(req)
    }
    #[cfg(not(any()))]
    fn do_GET(&mut self, req: &mut Request) -> io::Result<()> {
        req.send_response(200)
    }
    #[method("M-SEARCH")]
    fn m_search(&mut self, _req: &mut Request) -> io::Result<()> {
        Ok(())
    }
    fn do_SPAM(&mut self, _: &mut Request) -> Result<(), std::io::Error> {
        Ok(())
    }
    fn helper(&self) {}
}

struct Stock;

impl<H> basehttp::Base<H> for Stock {
    const METHODS: &'static [&'static str] = &["GET", "HEAD"];
    fn dispatch(_: &mut H, _req: &mut Request) -> Option<io::Result<()>> {
        None
    }
    fn class(_: &H) -> Class {
        Class::BASE
    }
}

struct Upload;

#[http_handler(extends = Stock, auto_options, method_not_allowed)]
impl Upload {
    fn do_POST(&mut self, _req: &mut Request) -> io::Result<()> {
        Ok(())
    }
}

struct OnlyInherited;

#[http_handler(extends = self::Stock)]
impl OnlyInherited {}

struct CfgHooks;

#[http_handler(auto_head, sys_version = "x")]
impl CfgHooks {
    #[cfg(not(any()))]
    fn do_GET(&mut self, req: &mut Request) -> io::Result<()> {
        req.send_response(200)
    }
    #[cfg(not(any()))]
    fn log_message(_req: &Request, _message: &str) {}
    #[cfg(any())]
    fn version_string(_req: &Request) -> String {
        missing_function()
    }
    #[cfg(any())]
    fn class(&self) -> Class {
        missing_function()
    }
    #[cfg(any())]
    fn handle_expect_100(&mut self, _req: &mut Request) -> io::Result<bool> {
        missing_function()
    }
}

fn assert_handler<H: Handler>(_: H) {}

fn main() {
    assert_handler(Generic(1u8));
    assert_handler(Borrowed(b"static"));
    assert_handler(Cfgd);
    Cfgd.helper();
    assert_handler(Upload);
    assert_handler(OnlyInherited);
    assert_handler(CfgHooks);
}
