//! The hooks `#[http_handler]` wires when the impl block defines a fn of
//! that name (CPython's overridable `BaseHTTPRequestHandler` methods that
//! are not `do_*`): one table that `parse` (which fns are hooks),
//! `validate` (their signatures) and `expand` (how each is wired) read.

use proc_macro2::TokenStream;
use quote::quote;
use syn::Path;

/// How a hook argument is passed.
#[derive(Clone, Copy, PartialEq)]
pub(crate) enum Arg {
    /// `&T`
    Ref,
    /// `&mut T`
    Mut,
    /// `T` (any type that is not a reference)
    Value,
}

/// Receiver shapes a signature can require.
#[derive(Clone, Copy, PartialEq)]
pub(crate) enum Recv {
    None,
    Ref,
    RefMut,
}

/// Where the generated code puts a hook.
pub(crate) enum Wiring {
    /// A fn-pointer field of the runtime's `Class`, of the hook's name,
    /// set in the generated `Handler::class`.
    ClassField,
    /// A method of the runtime's `Handler` trait that forwards to the
    /// inherent fn; builds that method from the runtime crate's path.
    HandlerMethod(fn(&Path) -> TokenStream),
    /// `class` itself: the starting value of the generated `Handler::class`.
    Class,
}

/// One hook: its name, wiring and expected signature.
pub(crate) struct Hook {
    pub(crate) name: &'static str,
    pub(crate) wiring: Wiring,
    pub(crate) recv: Recv,
    pub(crate) args: &'static [(Arg, &'static str)],
    /// The return type, `None` for `()`.
    pub(crate) returns: Option<&'static str>,
    /// The whole signature, for error messages.
    pub(crate) signature: &'static str,
}

/// Every hook, in the order the docs list them.
pub(crate) const HOOKS: &[Hook] = &[
    Hook {
        name: "log_message",
        wiring: Wiring::ClassField,
        recv: Recv::None,
        args: &[(Arg::Ref, "req: &Request"), (Arg::Ref, "message: &str")],
        returns: None,
        signature: "fn log_message(req: &Request, message: &str)",
    },
    Hook {
        name: "version_string",
        wiring: Wiring::ClassField,
        recv: Recv::None,
        args: &[(Arg::Ref, "req: &Request")],
        returns: Some("String"),
        signature: "fn version_string(req: &Request) -> String",
    },
    Hook {
        name: "before_end_headers",
        wiring: Wiring::ClassField,
        recv: Recv::None,
        args: &[(Arg::Mut, "req: &mut Request")],
        returns: Some("io::Result<()>"),
        signature: "fn before_end_headers(req: &mut Request) -> io::Result<()>",
    },
    Hook {
        name: "handle_expect_100",
        wiring: Wiring::HandlerMethod(handle_expect_100),
        recv: Recv::RefMut,
        args: &[(Arg::Mut, "req: &mut Request")],
        returns: Some("io::Result<bool>"),
        signature: "fn handle_expect_100(&mut self, req: &mut Request) -> io::Result<bool>",
    },
    Hook {
        name: "error_page",
        wiring: Wiring::ClassField,
        recv: Recv::None,
        args: &[
            (Arg::Ref, "req: &Request"),
            (Arg::Value, "code: u16"),
            (Arg::Ref, "message: &str"),
            (Arg::Ref, "explain: &str"),
        ],
        returns: Some("ErrorPage"),
        signature: "fn error_page(req: &Request, code: u16, message: &str, explain: &str) -> ErrorPage",
    },
    Hook {
        name: "after_response",
        wiring: Wiring::ClassField,
        recv: Recv::None,
        args: &[
            (Arg::Ref, "req: &Request"),
            (Arg::Ref, "exchange: &Exchange"),
        ],
        returns: None,
        signature: "fn after_response(req: &Request, exchange: &Exchange)",
    },
    Hook {
        name: "class",
        wiring: Wiring::Class,
        recv: Recv::Ref,
        args: &[],
        returns: Some("Class"),
        signature: "fn class(&self) -> Class",
    },
];

/// The hook called `name`, if any.
pub(crate) fn find(name: &str) -> Option<&'static Hook> {
    HOOKS.iter().find(|h| h.name == name)
}

/// `Handler::handle_expect_100`, forwarding to the inherent fn.
fn handle_expect_100(krate: &Path) -> TokenStream {
    quote! {
        fn handle_expect_100(&mut self, req: &mut #krate::Request) -> ::std::io::Result<bool> {
            <Self>::handle_expect_100(self, req)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_signatures_name_the_hook() {
        for (i, h) in HOOKS.iter().enumerate() {
            assert!(HOOKS[..i].iter().all(|o| o.name != h.name), "{}", h.name);
            assert!(
                h.signature.starts_with(&format!("fn {}(", h.name)),
                "{}",
                h.signature
            );
        }
        assert!(find("class").is_some_and(|h| matches!(h.wiring, Wiring::Class)));
        assert!(find("end_headers").is_none());
    }
}
