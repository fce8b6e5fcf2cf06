//! Code generation for `#[http_handler]`: re-emits the user's impl and adds
//! `impl Handler` (dispatch `match`, method list, class overrides, hooks).
//!
//! The generated code is glue: every behaviour (the 501/405 answers, `Allow`,
//! automatic `OPTIONS` and `HEAD`) is a tested function in the runtime's
//! `__private` module.

use proc_macro2::TokenStream;
use quote::{ToTokens, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Item, Path};

use crate::hooks::Wiring;
use crate::parse::{self, Args, Errors, HandlerImpl};
use crate::validate;

/// `__standard_methods!()`: [`validate::STANDARD_METHODS`] as a `&[&str]`
/// expression; it takes no input.
pub(crate) fn standard_methods(input: TokenStream) -> syn::Result<TokenStream> {
    if let Some(extra) = input.into_iter().next() {
        return Err(syn::Error::new(
            extra.span(),
            "`__standard_methods!` takes no input",
        ));
    }
    let methods = validate::STANDARD_METHODS;
    Ok(quote! { &[#(#methods),*] })
}

/// The attribute's expansion; `Err` only when the input is not an item.
pub(crate) fn http_handler(args: TokenStream, input: TokenStream) -> syn::Result<TokenStream> {
    let mut errors = Errors::default();
    let args = parse::args(args, &mut errors);
    let item: Item = syn::parse2(input)?;
    let item = match item {
        Item::Impl(i) if i.trait_.is_none() => i,
        other => {
            errors.push(validate::misplaced(&other));
            let e = errors.finish().err().map(syn::Error::into_compile_error);
            return Ok(quote! { #other #e });
        }
    };
    let handler = parse::handler(item, &mut errors);
    validate::args(&args, &mut errors);
    validate::handler(&handler, &args, &mut errors);
    let user_impl = validate::super_calls(handler.item.to_token_stream(), &args.krate, &mut errors);
    let out = match errors.finish() {
        Ok(()) => {
            let generated = handler_impl(&handler, &args);
            quote! { #user_impl #generated }
        }
        Err(e) => {
            // Keep the user's impl and a stub `Handler` impl, so the only
            // errors shown are ours (thiserror's fallback).
            let stub = stub_impl(&handler, &args.krate);
            let e = e.into_compile_error();
            quote! { #user_impl #stub #e }
        }
    };
    // `BASEHTTP_MACROS_DEBUG=1 cargo build` prints what was generated.
    if std::env::var_os("BASEHTTP_MACROS_DEBUG").is_some() {
        eprintln!("{out}");
    }
    Ok(out)
}

/// `impl<..> Handler for T where T: Send + 'static` header parts.
fn impl_header(h: &HandlerImpl, krate: &Path) -> TokenStream {
    let self_ty = &h.item.self_ty;
    let (impl_generics, _, where_clause) = h.item.generics.split_for_impl();
    let mut preds = where_clause
        .map(|w| w.predicates.clone())
        .unwrap_or_default();
    preds.push(syn::parse_quote!(#self_ty: ::core::marker::Send + 'static));
    quote! {
        #[automatically_derived]
        impl #impl_generics #krate::Handler for #self_ty where #preds
    }
}

fn stub_impl(h: &HandlerImpl, krate: &Path) -> TokenStream {
    let header = impl_header(h, krate);
    quote! {
        #header {
            fn methods(&self) -> #krate::__private::Cow<'static, [&'static str]> {
                #krate::__private::Cow::Borrowed(&[])
            }
            fn dispatch(&mut self, _: &mut #krate::Request) -> ::std::io::Result<()> {
                ::core::unreachable!()
            }
        }
    }
}

/// `impl Handler`: `methods`, `dispatch`, and `class` and `Handler`-method
/// hooks where the impl or the arguments change them.
fn handler_impl(h: &HandlerImpl, args: &Args) -> TokenStream {
    let krate = &args.krate;
    let p = quote!(#krate::__private);
    let header = impl_header(h, krate);
    let (auto_head, head_name) = auto_head(h, args, &p);
    let methods = methods_expr(h, args, head_name, &p);
    let arms = dispatch_arms(h);
    let inherited = args.extends.as_ref().map(|t| {
        quote! {
            if let ::core::option::Option::Some(r) = <#t as #krate::Base<Self>>::dispatch(self, req) {
                return r;
            }
        }
    });
    let (auto_options, not_allowed) = (args.auto_options, args.method_not_allowed);
    let class = class_fn(h, args);
    let handler_methods = h.hooks.iter().filter_map(|k| match k.spec.wiring {
        Wiring::HandlerMethod(method) => {
            let (cfgs, method) = (&k.cfgs, method(krate));
            Some(quote!(#(#cfgs)* #method))
        }
        _ => None,
    });

    quote! {
        #header {
            fn methods(&self) -> #p::Cow<'static, [&'static str]> {
                #methods
            }
            fn dispatch(&mut self, req: &mut #krate::Request) -> ::std::io::Result<()> {
                match req.command.as_str() {
                    #(#arms)*
                    _ => {}
                }
                #auto_head
                #inherited
                let methods = #krate::Handler::methods(self);
                #p::fallback(req, &methods, #p::Fallback {
                    auto_options: #auto_options,
                    method_not_allowed: #not_allowed,
                })
            }
            #class
            #(#handler_methods)*
        }
    }
}

/// `auto_head` answers HEAD through an own `do_GET` (with its cfgs). With
/// `extends` it is the default: the own `do_GET` routes, so it must govern
/// `HEAD` too, not the inherited `do_HEAD` (unless `inherit_head`).
///
/// Returns the dispatch fragment and the `"HEAD"` entry it adds to the
/// method list (both empty when it does not apply).
fn auto_head(h: &HandlerImpl, args: &Args, p: &TokenStream) -> (TokenStream, TokenStream) {
    let has_head = h.methods.iter().any(|d| d.http_method == "HEAD");
    let get = h.methods.iter().find(|m| m.http_method == "GET");
    let head_via_get = args.auto_head || (args.extends.is_some() && !args.inherit_head);
    match get {
        Some(get) if head_via_get && !has_head => {
            let (cfgs, ident) = (&get.cfgs, &get.ident);
            let fragment = quote! {
                #(#cfgs)*
                {
                    if req.command == "HEAD" {
                        return #p::head_via_get(req, |req| self.#ident(req));
                    }
                }
            };
            (fragment, quote!(#(#cfgs)* "HEAD",))
        }
        _ => (quote!(), quote!()),
    }
}

/// `Handler::methods`: the own methods in impl order, then the opt-ins'
/// implied ones (`HEAD`, `OPTIONS`), merged with the inherited ones under
/// `extends`.
fn methods_expr(
    h: &HandlerImpl,
    args: &Args,
    head_name: TokenStream,
    p: &TokenStream,
) -> TokenStream {
    let mut names: Vec<TokenStream> = h
        .methods
        .iter()
        .map(|m| {
            let (cfgs, name) = (&m.cfgs, &m.http_method);
            quote!(#(#cfgs)* #name,)
        })
        .collect();
    names.push(head_name);
    if args.auto_options && !h.methods.iter().any(|d| d.http_method == "OPTIONS") {
        names.push(quote!("OPTIONS",));
    }
    let own = quote!(&[#(#names)*]);
    let krate = &args.krate;
    match &args.extends {
        Some(t) => quote!(#p::merge_methods(#own, <#t as #krate::Base<Self>>::METHODS)),
        None => quote!(#p::Cow::Borrowed(#own)),
    }
}

/// One `match` arm per `do_*` method, each under the method's cfgs.
fn dispatch_arms(h: &HandlerImpl) -> impl Iterator<Item = TokenStream> + '_ {
    h.methods.iter().map(|m| {
        let (cfgs, name, ident) = (&m.cfgs, &m.http_method, &m.ident);
        // A type error on the argument points at the user's `req: &mut X`.
        let req = match m.sig.inputs.iter().nth(1) {
            Some(syn::FnArg::Typed(arg)) => quote_spanned!(arg.ty.span()=> req),
            _ => quote!(req),
        };
        // A wrong return type is reported at the user's `-> T`.
        let call = match &m.sig.output {
            syn::ReturnType::Type(_, ty) => quote_spanned!(ty.span()=> return self.#ident(#req)),
            syn::ReturnType::Default => quote!(return self.#ident(#req)),
        };
        quote!(#(#cfgs)* #name => #call,)
    })
}

/// `Handler::class()`: the base class with attribute overrides and hook
/// fn pointers applied; `None` when nothing differs from the default.
fn class_fn(h: &HandlerImpl, args: &Args) -> Option<TokenStream> {
    let krate = &args.krate;
    let user_class = h
        .hooks
        .iter()
        .find(|k| matches!(k.spec.wiring, Wiring::Class));
    let base = match (user_class, &args.extends) {
        (Some(k), _) => {
            let cfgs = &k.cfgs;
            let fallback = match &args.extends {
                Some(t) => quote!(<#t as #krate::Base<Self>>::class(self)),
                None => quote!(#krate::Class::BASE),
            };
            let call = quote_spanned!(k.ident.span()=> <Self>::class(self));
            if cfgs.is_empty() {
                call
            } else {
                let preds = cfgs
                    .iter()
                    .filter_map(|a| a.parse_args::<TokenStream>().ok());
                quote! {{
                    #(#cfgs)*
                    let class = #call;
                    #[cfg(not(all(#(#preds),*)))]
                    let class = #fallback;
                    class
                }}
            }
        }
        (None, Some(t)) => quote!(<#t as #krate::Base<Self>>::class(self)),
        (None, None) => quote!(#krate::Class::BASE),
    };
    let overrides = args
        .overrides
        .iter()
        .map(|(field, value)| quote!(class.#field = #krate::__private::Cow::Borrowed(#value);));
    let hooks = h
        .hooks
        .iter()
        .filter(|k| matches!(k.spec.wiring, Wiring::ClassField))
        .map(|k| {
            let (cfgs, ident) = (&k.cfgs, &k.ident);
            // A type error points at the user's fn name.
            let f = quote_spanned!(ident.span()=> <Self>::#ident);
            quote!(#(#cfgs)* { class.#ident = #f; })
        })
        .collect::<Vec<_>>();
    if user_class.is_none()
        && args.extends.is_none()
        && args.overrides.is_empty()
        && hooks.is_empty()
    {
        return None;
    }
    Some(quote! {
        #[allow(unused_mut)]
        fn class(&self) -> #krate::Class {
            let mut class: #krate::Class = #base;
            #(#overrides)*
            #(#hooks)*
            class
        }
    })
}
