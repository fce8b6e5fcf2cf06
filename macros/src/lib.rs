//! `#[http_handler]`: turns an `impl` block with `do_*` methods into a
//! `basehttp::Handler`, as CPython dispatches `do_` + command.
//!
//! First version: dispatch, the 501 fallback and the method list; the full
//! diagnostics live in `validate.rs` as they grow.

use proc_macro::TokenStream;
use proc_macro2::TokenStream as TokenStream2;
use quote::quote;
use syn::{ImplItem, ItemImpl, parse_quote};

/// Makes the annotated `impl` block a request handler.
///
/// ```
/// use basehttp::prelude::*;
///
/// struct Hello;
///
/// #[http_handler]
/// impl Hello {
///     fn do_GET(&mut self, req: &mut Request) -> std::io::Result<()> {
///         req.send_response(200)?;
///         req.end_headers()?;
///         req.wfile.write_all(b"hello\n")
///     }
/// }
/// ```
#[proc_macro_attribute]
pub fn http_handler(args: TokenStream, input: TokenStream) -> TokenStream {
    expand(args.into(), input.into())
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}

fn expand(_args: TokenStream2, input: TokenStream2) -> syn::Result<TokenStream2> {
    let mut item: ItemImpl = syn::parse2(input)?;
    let mut errors: Option<syn::Error> = None;
    let mut methods = Vec::new();
    for it in &mut item.items {
        let ImplItem::Fn(f) = it else { continue };
        let name = f.sig.ident.to_string();
        let Some(method) = name.strip_prefix("do_") else {
            continue;
        };
        if method.chars().any(|c| c.is_ascii_lowercase()) {
            let e = syn::Error::new_spanned(
                &f.sig.ident,
                format!(
                    "HTTP method names are case-sensitive; did you mean `do_{}`?",
                    method.to_ascii_uppercase()
                ),
            );
            match &mut errors {
                Some(all) => all.combine(e),
                None => errors = Some(e),
            }
            continue;
        }
        f.attrs.push(parse_quote!(#[allow(non_snake_case)]));
        let cfgs: Vec<_> = f
            .attrs
            .iter()
            .filter(|a| a.path().is_ident("cfg"))
            .cloned()
            .collect();
        methods.push((method.to_owned(), f.sig.ident.clone(), cfgs));
    }
    let self_ty = &item.self_ty;
    let (impl_generics, _, where_clause) = item.generics.split_for_impl();
    let arms = methods.iter().map(|(m, ident, cfgs)| {
        quote! { #(#cfgs)* #m => self.#ident(req), }
    });
    let names = methods.iter().map(|(m, _, cfgs)| quote! { #(#cfgs)* #m, });
    let generated = quote! {
        #[automatically_derived]
        impl #impl_generics ::basehttp::Handler for #self_ty #where_clause {
            fn methods(&self) -> ::basehttp::__private::Cow<'static, [&'static str]> {
                ::basehttp::__private::Cow::Borrowed(&[#(#names)*])
            }
            fn dispatch(&mut self, req: &mut ::basehttp::Request) -> ::std::io::Result<()> {
                match req.command.as_str() {
                    #(#arms)*
                    _ => {
                        let methods = ::basehttp::Handler::methods(self);
                        ::basehttp::__private::unsupported_method(req, &methods)
                    }
                }
            }
        }
    };
    let errors = errors.map(syn::Error::into_compile_error);
    Ok(quote! { #item #generated #errors })
}
