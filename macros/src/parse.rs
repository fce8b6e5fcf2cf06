//! Parsing for `#[http_handler]`: the attribute arguments into [`Args`] and
//! the `impl` block into [`HandlerImpl`], the IR `validate` and `expand` use.
//!
//! Parsing never stops at the first problem: errors go to an [`Errors`]
//! collector (serde's `Ctxt`) so the user sees all of them at once.

use proc_macro2::{Span, TokenStream, TokenTree};
use quote::ToTokens;
use syn::punctuated::Punctuated;
use syn::{
    Attribute, Expr, Ident, ImplItem, ItemImpl, Lit, LitStr, Meta, Path, Signature, Token,
    parse_quote,
};

use crate::hooks;

/// Collects every error; combined into one `syn::Error` at the end.
#[derive(Default)]
pub(crate) struct Errors(Option<syn::Error>);

impl Errors {
    pub(crate) fn push(&mut self, e: syn::Error) {
        match &mut self.0 {
            Some(all) => all.combine(e),
            None => self.0 = Some(e),
        }
    }
    pub(crate) fn spanned(&mut self, tokens: impl ToTokens, msg: impl std::fmt::Display) {
        self.push(syn::Error::new_spanned(tokens, msg));
    }
    pub(crate) fn finish(self) -> Result<(), syn::Error> {
        self.0.map_or(Ok(()), Err)
    }
}

/// The class attributes settable as `name = "..."` (the runtime `Class` field
/// of the same name).
pub(crate) const STRING_ARGS: &[&str] = &[
    "server_version",
    "sys_version",
    "protocol_version",
    "error_message_format",
    "error_content_type",
    "default_request_version",
];
/// The opt-in behaviours, given as bare words.
pub(crate) const FLAG_ARGS: &[&str] = &[
    "auto_options",
    "method_not_allowed",
    "auto_head",
    "inherit_head",
];

/// The arguments that take a path.
const PATH_ARGS: &[&str] = &["extends", "crate"];

/// The accepted arguments, for error messages, from the lists above.
fn accepted() -> String {
    let strings = STRING_ARGS.iter().map(|a| {
        if *a == "protocol_version" {
            format!("`{a} = \"HTTP/1.0\"|\"HTTP/1.1\"`")
        } else {
            format!("`{a} = \"..\"`")
        }
    });
    let flags = FLAG_ARGS.iter().map(|a| format!("`{a}`"));
    let paths = PATH_ARGS.iter().map(|a| format!("`{a} = path::to::Item`"));
    strings
        .chain(flags)
        .chain(paths)
        .collect::<Vec<_>>()
        .join(", ")
}

/// `#[http_handler(...)]` arguments.
pub(crate) struct Args {
    /// Path of the runtime crate (`crate = ...`, default `::basehttp`).
    pub(crate) krate: Path,
    /// Class attribute overrides: (`Class` field, value).
    pub(crate) overrides: Vec<(Ident, LitStr)>,
    pub(crate) auto_options: bool,
    pub(crate) method_not_allowed: bool,
    pub(crate) auto_head: bool,
    /// With `extends` and an own `do_GET`: leave `HEAD` to the inherited
    /// `do_HEAD` instead of answering it through the own `do_GET`.
    pub(crate) inherit_head: bool,
    /// `extends = path::Type`: the base handler (a `basehttp::Base<Self>`).
    pub(crate) extends: Option<Path>,
    /// `extends` was given but named a trait (reported): the impl may
    /// still have meant to inherit its methods.
    pub(crate) extends_error: bool,
}

/// The stock bases and the trait a handler type implements to use each:
/// `extends` names the first, `super()` calls go through the second.
pub(crate) const STOCK_BASES: &[(&str, &str)] = &[
    ("SimpleHttpRequestHandler", "FileHandler"),
    ("CgiHttpRequestHandler", "CgiHandler"),
];

/// What to write for `extends` when it named the trait `name`.
fn base_for_trait(name: &str) -> String {
    match STOCK_BASES.iter().find(|(_, t)| *t == name) {
        Some((base, _)) => format!("write `extends = {base}`"),
        None => "write the type that implements `basehttp::Base<Self>` (as \
                 `SimpleHttpRequestHandler` does for `FileHandler`)"
            .to_owned(),
    }
}

impl Args {
    /// The field of the flag argument `name` (one per [`FLAG_ARGS`] entry).
    fn flag(&mut self, name: &str) -> Option<&mut bool> {
        Some(match name {
            "auto_options" => &mut self.auto_options,
            "method_not_allowed" => &mut self.method_not_allowed,
            "auto_head" => &mut self.auto_head,
            "inherit_head" => &mut self.inherit_head,
            _ => return None,
        })
    }
}

/// Parses the attribute's argument list, reporting unknown, duplicate and
/// malformed arguments.
pub(crate) fn args(tokens: TokenStream, errors: &mut Errors) -> Args {
    let mut args = Args {
        krate: parse_quote!(::basehttp),
        overrides: Vec::new(),
        auto_options: false,
        method_not_allowed: false,
        auto_head: false,
        inherit_head: false,
        extends: None,
        extends_error: false,
    };
    let tokens = strip_dyn_extends(tokens, &mut args, errors);
    let Some(metas) = arg_list(tokens, errors) else {
        return args;
    };
    let mut seen: Vec<String> = Vec::new();
    for meta in metas {
        let path = meta.path();
        let name = match path.get_ident() {
            Some(i) => i.to_string(),
            None => path.to_token_stream().to_string().replace(' ', ""),
        };
        if seen.contains(&name) {
            errors.spanned(
                path,
                format!("duplicate `#[http_handler]` argument `{name}`; remove one"),
            );
            continue;
        }
        seen.push(name.clone());
        let known = STRING_ARGS.contains(&name.as_str())
            || FLAG_ARGS.contains(&name.as_str())
            || PATH_ARGS.contains(&name.as_str());
        if !known {
            errors.spanned(
                path,
                format!(
                    "unknown `#[http_handler]` argument `{name}`; expected one of {}",
                    accepted()
                ),
            );
            continue;
        }
        args.apply(&name, meta, errors);
    }
    args
}

/// Takes out an `extends = dyn Trait` argument (rustc's hint for
/// `extends = Trait`, followed), reporting what to write instead, so that
/// the rest of the arguments still parse.
fn strip_dyn_extends(tokens: TokenStream, args: &mut Args, errors: &mut Errors) -> TokenStream {
    let trees: Vec<TokenTree> = tokens.into_iter().collect();
    let is = |i: usize, text: &str| trees.get(i).is_some_and(|t| t.to_string() == text);
    let Some(start) =
        (0..trees.len()).find(|&i| is(i, "extends") && is(i + 1, "=") && is(i + 2, "dyn"))
    else {
        return trees.into_iter().collect();
    };
    let end = (start..trees.len())
        .find(|&i| is(i, ","))
        .unwrap_or(trees.len());
    let value: TokenStream = trees[start + 2..end].iter().cloned().collect();
    let name = trees[start + 3..end]
        .iter()
        .rev()
        .find_map(|t| match t {
            TokenTree::Ident(i) => Some(i.to_string()),
            _ => None,
        })
        .unwrap_or_default();
    errors.spanned(
        &value,
        format!(
            "`extends` takes the base type whose methods the handler inherits, not a trait \
             object; {}",
            base_for_trait(&name)
        ),
    );
    args.extends_error = true;
    let rest = (end + 1).min(trees.len());
    trees[..start]
        .iter()
        .chain(&trees[rest..])
        .cloned()
        .collect()
}

/// The comma-separated `name`, `name = value` list; `None` (reported) if
/// it does not parse.
fn arg_list(tokens: TokenStream, errors: &mut Errors) -> Option<Punctuated<Meta, Token![,]>> {
    let parser = Punctuated::<Meta, Token![,]>::parse_terminated;
    match syn::parse::Parser::parse2(parser, tokens) {
        Ok(m) => Some(m),
        Err(e) => {
            errors.push(syn::Error::new(
                e.span(),
                format!(
                    "malformed `#[http_handler]` arguments ({e}); expected a comma-separated list of {}",
                    accepted()
                ),
            ));
            None
        }
    }
}

impl Args {
    /// Applies the known argument `name`: a flag, a path or a string.
    fn apply(&mut self, name: &str, meta: Meta, errors: &mut Errors) {
        if let Some(flag) = self.flag(name) {
            match meta {
                Meta::Path(_) => *flag = true,
                other => errors.spanned(
                    other,
                    format!("`{name}` takes no value; write `#[http_handler({name})]`"),
                ),
            }
            return;
        }
        let value = match meta {
            Meta::NameValue(nv) => nv.value,
            other => {
                let hint = if STRING_ARGS.contains(&name) {
                    "\"...\""
                } else {
                    "path::to::Item"
                };
                errors.spanned(
                    other,
                    format!("`{name}` needs a value; write `{name} = {hint}`"),
                );
                return;
            }
        };
        if PATH_ARGS.contains(&name) {
            self.apply_path(name, value, errors);
        } else {
            self.apply_string(name, value, errors);
        }
    }

    /// `crate = path` or `extends = path`.
    fn apply_path(&mut self, name: &str, value: Expr, errors: &mut Errors) {
        match value {
            Expr::Path(p) if p.qself.is_none() => {
                let last = p.path.segments.last().map(|s| s.ident.to_string());
                let trait_name =
                    last.filter(|l| l == "Handler" || STOCK_BASES.iter().any(|(_, t)| t == l));
                if name == "crate" {
                    self.krate = p.path;
                } else if let Some(t) = trait_name {
                    errors.spanned(
                        &p,
                        format!(
                            "`extends = {t}` names a trait; `extends` takes the base type \
                             whose methods the handler inherits: {}",
                            base_for_trait(&t)
                        ),
                    );
                    self.extends_error = true;
                } else {
                    self.extends = Some(p.path);
                }
            }
            other => errors.spanned(
                other,
                format!("`{name}` takes a path; write `{name} = path::to::Item`"),
            ),
        }
    }

    /// A class attribute override, `name = "..."`.
    fn apply_string(&mut self, name: &str, value: Expr, errors: &mut Errors) {
        match value {
            Expr::Lit(syn::ExprLit {
                lit: Lit::Str(s), ..
            }) => self.overrides.push((Ident::new(name, s.span()), s)),
            other => errors.spanned(
                other,
                format!("`{name}` takes a string literal; write `{name} = \"...\"`"),
            ),
        }
    }
}

/// The annotated impl block with its `do_*` methods and hooks found.
pub(crate) struct HandlerImpl {
    /// The user's impl, with `#[method]` removed and
    /// `#[allow(non_snake_case)]` added to each `do_*` method.
    pub(crate) item: ItemImpl,
    pub(crate) methods: Vec<DoMethod>,
    pub(crate) hooks: Vec<Hook>,
    /// Every other fn: checked for names of hooks that are not wired.
    pub(crate) others: Vec<Ident>,
}

/// One `do_*` method (or `#[method("TOKEN")]` fn).
pub(crate) struct DoMethod {
    pub(crate) ident: Ident,
    /// The HTTP method it answers: the suffix after `do_` or the
    /// `#[method]` token.
    pub(crate) http_method: String,
    /// Where the method name was written (the ident or the `#[method]` string).
    pub(crate) name_span: Span,
    /// Given by `#[method("...")]` rather than the fn name.
    pub(crate) explicit: bool,
    pub(crate) sig: Signature,
    /// The method's `#[cfg]`s, copied onto every generated fragment.
    pub(crate) cfgs: Vec<Attribute>,
}

/// An inherent fn named like one of [`hooks::HOOKS`].
pub(crate) struct Hook {
    pub(crate) ident: Ident,
    /// Its entry in the hook table: wiring and expected signature.
    pub(crate) spec: &'static hooks::Hook,
    pub(crate) sig: Signature,
    pub(crate) cfgs: Vec<Attribute>,
}

/// Finds the `do_*` methods and hooks. Takes `#[method("...")]` off the fns
/// it is on.
pub(crate) fn handler(mut item: ItemImpl, errors: &mut Errors) -> HandlerImpl {
    let mut methods = Vec::new();
    let mut hooks = Vec::new();
    let mut others = Vec::new();
    for it in &mut item.items {
        let ImplItem::Fn(f) = it else { continue };
        let cfgs: Vec<Attribute> = f
            .attrs
            .iter()
            .filter(|a| a.path().is_ident("cfg"))
            .cloned()
            .collect();
        let name = f.sig.ident.to_string();
        if let Some(lit) = take_method_attr(&mut f.attrs, errors) {
            methods.push(DoMethod {
                ident: f.sig.ident.clone(),
                http_method: lit.value(),
                name_span: lit.span(),
                explicit: true,
                sig: f.sig.clone(),
                cfgs,
            });
        } else if let Some(m) = name.strip_prefix("do_") {
            f.attrs.push(parse_quote!(#[allow(non_snake_case)]));
            methods.push(DoMethod {
                ident: f.sig.ident.clone(),
                http_method: m.to_owned(),
                name_span: f.sig.ident.span(),
                explicit: false,
                sig: f.sig.clone(),
                cfgs,
            });
        } else if let Some(spec) = hooks::find(&name) {
            hooks.push(Hook {
                ident: f.sig.ident.clone(),
                spec,
                sig: f.sig.clone(),
                cfgs,
            });
        } else {
            others.push(f.sig.ident.clone());
        }
    }
    HandlerImpl {
        item,
        methods,
        hooks,
        others,
    }
}

/// Removes every `#[method("...")]` from `attrs` and returns the first
/// one's string; reports duplicates and malformed ones.
fn take_method_attr(attrs: &mut Vec<Attribute>, errors: &mut Errors) -> Option<LitStr> {
    let mut explicit = None;
    let mut rest = Vec::new();
    for attr in attrs.drain(..) {
        if !attr.path().is_ident("method") {
            rest.push(attr);
            continue;
        }
        match attr.parse_args::<LitStr>() {
            Ok(s) if explicit.is_none() => explicit = Some(s),
            Ok(s) => errors.spanned(
                s,
                "duplicate `#[method]` attribute; give each fn one method",
            ),
            Err(_) => errors.spanned(
                &attr,
                "malformed `#[method]` attribute; write `#[method(\"M-SEARCH\")]`",
            ),
        }
    }
    *attrs = rest;
    explicit
}

#[cfg(test)]
mod tests {
    use super::*;
    use quote::quote;

    fn parse_args(tokens: TokenStream) -> (Args, Vec<String>) {
        let mut errors = Errors::default();
        let a = args(tokens, &mut errors);
        let msgs = match errors.finish() {
            Ok(()) => Vec::new(),
            Err(e) => e.into_iter().map(|e| e.to_string()).collect(),
        };
        (a, msgs)
    }

    #[test]
    fn accepted_args() {
        let (a, errs) = parse_args(quote! {
            server_version = "Spam/1.0", protocol_version = "HTTP/1.1", auto_options,
            method_not_allowed, auto_head, extends = files::Stock, crate = ::my::basehttp
        });
        assert!(errs.is_empty(), "{errs:?}");
        assert_eq!(a.overrides.len(), 2);
        assert_eq!(a.overrides[0].0, "server_version");
        assert_eq!(a.overrides[0].1.value(), "Spam/1.0");
        assert!(a.auto_options && a.method_not_allowed && a.auto_head);
        assert_eq!(a.extends.unwrap().segments.len(), 2);
        assert_eq!(a.krate.to_token_stream().to_string(), ":: my :: basehttp");
    }

    #[test]
    fn every_flag_has_a_field() {
        let (mut a, _) = parse_args(quote!());
        for name in FLAG_ARGS {
            let flag = a
                .flag(name)
                .unwrap_or_else(|| panic!("{name} has no field"));
            assert!(!*flag);
            *flag = true;
        }
        assert!(a.auto_options && a.method_not_allowed && a.auto_head && a.inherit_head);
        assert!(a.flag("extends").is_none());
    }

    #[test]
    fn every_bad_arg_is_reported() {
        let cases: &[(TokenStream, &str)] = &[
            (
                quote!(spam = "x"),
                "unknown `#[http_handler]` argument `spam`; expected one of `server_version",
            ),
            (
                quote!(server_version),
                "`server_version` needs a value; write `server_version = \"...\"`",
            ),
            (
                quote!(server_version = 1),
                "`server_version` takes a string literal",
            ),
            (quote!(auto_head = true), "`auto_head` takes no value"),
            (quote!(extends = "x"), "`extends` takes a path"),
            (
                quote!(auto_head, auto_head),
                "duplicate `#[http_handler]` argument `auto_head`",
            ),
            (quote!(=), "malformed `#[http_handler]` arguments"),
            (
                quote!(extends = basehttp::handlers::FileHandler),
                "`extends = FileHandler` names a trait; `extends` takes the base type whose methods the handler inherits: write `extends = SimpleHttpRequestHandler`",
            ),
            (
                quote!(extends = CgiHandler),
                "`extends = CgiHandler` names a trait; `extends` takes the base type whose methods the handler inherits: write `extends = CgiHttpRequestHandler`",
            ),
            (
                quote!(extends = dyn FileHandler, auto_head),
                "`extends` takes the base type whose methods the handler inherits, not a trait object; write `extends = SimpleHttpRequestHandler`",
            ),
            (
                quote!(auto_head, extends = dyn my::Greeter),
                "`extends` takes the base type whose methods the handler inherits, not a trait object; write the type that implements `basehttp::Base<Self>`",
            ),
        ];
        for (tokens, want) in cases {
            let (_, errs) = parse_args(tokens.clone());
            assert_eq!(errs.len(), 1, "{tokens}: {errs:?}");
            assert!(errs[0].starts_with(want), "{tokens}: {}", errs[0]);
        }
        let (_, errs) = parse_args(quote!(spam, eggs = 1, auto_options));
        assert_eq!(errs.len(), 2, "errors are combined: {errs:?}");
        let (a, _) = parse_args(quote!(extends = dyn FileHandler, auto_head));
        assert!(a.auto_head && a.extends_error && a.extends.is_none());
    }

    #[test]
    fn finds_methods_hooks_and_cfgs() {
        let mut errors = Errors::default();
        let h = handler(
            parse_quote! {
                impl H {
                    fn do_GET(&mut self, req: &mut Request) -> io::Result<()> { Ok(()) }
                    #[cfg(unix)]
                    fn do_SPAM(&mut self, req: &mut Request) -> io::Result<()> { Ok(()) }
                    #[method("M-SEARCH")]
                    fn msearch(&mut self, req: &mut Request) -> io::Result<()> { Ok(()) }
                    fn log_message(req: &Request, msg: &str) {}
                    fn helper(&self) {}
                    const X: u8 = 1;
                }
            },
            &mut errors,
        );
        assert!(errors.finish().is_ok());
        let names: Vec<_> = h.methods.iter().map(|m| m.http_method.as_str()).collect();
        assert_eq!(names, ["GET", "SPAM", "M-SEARCH"]);
        assert_eq!(h.methods[1].cfgs.len(), 1);
        assert!(h.methods[2].explicit);
        assert_eq!(h.hooks.len(), 1);
        let ImplItem::Fn(f) = &h.item.items[2] else {
            panic!()
        };
        assert!(f.attrs.is_empty(), "#[method] is removed");
        let ImplItem::Fn(f) = &h.item.items[0] else {
            panic!()
        };
        assert!(f.attrs[0].path().is_ident("allow"));
    }
}
