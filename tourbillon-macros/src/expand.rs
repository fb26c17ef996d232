//! The expansion: an `async fn` becomes a plain fn that builds a runtime and blocks on its body.
//!
//! The item always comes out as a plain fn, even when the arguments or the signature are wrong:
//! then a placeholder with the same name carries the `compile_error!` beside it, so the one error
//! reported is ours and code that calls the fn still resolves it.

use proc_macro2::{Span, TokenStream, TokenTree};
use quote::{quote, ToTokens};
use syn::{Ident, ItemFn, ReturnType, Type};

use crate::args::{Config, Flavor};

/// Which attribute is expanding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Entry {
    /// `#[tourbillon::main]`: a fn (the program's `main` or any other).
    Main,
    /// `#[tourbillon::test]`: a fn that also gets `#[test]`.
    Test,
}

/// Expands `#[tourbillon::main(args)]` or `#[tourbillon::test(args)]` on `item`.
pub(crate) fn entry(entry: Entry, args: TokenStream, item: TokenStream) -> TokenStream {
    let function: ItemFn = match syn::parse2(item.clone()) {
        Ok(function) => function,
        // Not an fn at all: syn's error says what it found; the item is left as written.
        Err(e) => return with_error(item, e),
    };
    let config = check_signature(entry, &function).and_then(|()| Config::parse(entry, args));
    match config {
        Ok(config) => expand(entry, function, &config),
        Err(e) => with_error(placeholder(function), e),
    }
}

/// What the signature must be, whatever the arguments say.
fn check_signature(entry: Entry, function: &ItemFn) -> syn::Result<()> {
    let sig = &function.sig;
    if sig.asyncness.is_none() {
        return Err(syn::Error::new_spanned(
            sig.fn_token,
            "the `async` keyword is missing from the function declaration",
        ));
    }
    match entry {
        Entry::Main if sig.ident == "main" && !sig.inputs.is_empty() => Err(
            syn::Error::new_spanned(&sig.inputs, "`main` cannot take arguments"),
        ),
        Entry::Test if !sig.inputs.is_empty() => Err(syn::Error::new_spanned(
            &sig.inputs,
            "a test cannot take arguments",
        )),
        Entry::Test => match function.attrs.iter().find(|a| a.path().is_ident("test")) {
            Some(attr) => Err(syn::Error::new_spanned(
                attr,
                "#[tourbillon::test] already makes this fn a test: remove this #[test]",
            )),
            None => Ok(()),
        },
        Entry::Main => Ok(()),
    }
}

/// The plain fn that runs `function`'s body on the runtime `config` describes.
fn expand(entry: Entry, mut function: ItemFn, config: &Config) -> TokenStream {
    function.sig.asyncness = None;
    let krate = &config.crate_path;
    let mut builder = match config.flavor {
        Flavor::CurrentThread => quote!(#krate::Builder::new_current_thread()),
        Flavor::MultiThread => quote!(#krate::Builder::new_multi_thread()),
    };
    if let Some(n) = config.worker_threads {
        builder = quote!(#builder.worker_threads(#n));
    }
    // Mixed-site: the user's body cannot name (or shadow) the generated local.
    let body = Ident::new("body", Span::mixed_site());
    let block = &function.block;
    // The body's value is bound to the declared return type inside the future, so a mismatch is
    // reported at the user's last expression and `?` knows its error type. `impl Trait` and `!`
    // cannot be written in a `let`: such a body is typed by `block_on`'s return alone.
    let future = match &function.sig.output {
        ReturnType::Type(_, ty)
            if matches!(**ty, Type::Never(_)) || mentions_impl_trait(ty.to_token_stream()) =>
        {
            quote!(async move #block)
        }
        ReturnType::Type(_, ty) => typed_future(ty.to_token_stream(), block),
        ReturnType::Default => typed_future(quote!(()), block),
    };
    let test_attr = match entry {
        Entry::Main => quote!(),
        Entry::Test => quote!(#[::core::prelude::v1::test]),
    };
    let attrs = &function.attrs;
    let vis = &function.vis;
    let sig = &function.sig;
    quote! {
        #test_attr
        #(#attrs)*
        #vis #sig {
            let #body = #future;
            #builder
                .build()
                .expect("#[tourbillon] could not build its runtime")
                .block_on(#body)
        }
    }
}

/// `async move { let output: ty = block; return output; }`.
fn typed_future(ty: TokenStream, block: &syn::Block) -> TokenStream {
    // Mixed-site: the user's body cannot name (or shadow) the generated local.
    let output = Ident::new("output", Span::mixed_site());
    // A body that diverges (a test that ends in `panic!`) makes the `return` unreachable and the
    // `let` a diverging one: both are the expansion's, not the user's mistakes.
    quote! {
        async move {
            #[allow(clippy::diverging_sub_expression)]
            let #output: #ty = #block;
            #[allow(unreachable_code)]
            return #output;
        }
    }
}

/// What stands in for the fn when the attribute is rejected: the same signature but not
/// `async`, no `#[test]`, and a body that is never run, so the attribute's error is the only one
/// (a `main` also loses its arguments, which would be an error of their own).
fn placeholder(mut function: ItemFn) -> TokenStream {
    function.sig.asyncness = None;
    if function.sig.ident == "main" {
        function.sig.inputs.clear();
    }
    let ItemFn {
        attrs, vis, sig, ..
    } = function;
    quote! {
        #(#attrs)*
        #[allow(unused)]
        #vis #sig {
            ::core::unreachable!("rejected by #[tourbillon]")
        }
    }
}

/// Whether a type mentions `impl Trait`, which the type of a `let` cannot.
fn mentions_impl_trait(tokens: TokenStream) -> bool {
    tokens.into_iter().any(|tree| match tree {
        TokenTree::Ident(ident) => ident == "impl",
        TokenTree::Group(group) => mentions_impl_trait(group.stream()),
        _ => false,
    })
}

/// `tokens` followed by `error` as a `compile_error!`.
fn with_error(mut tokens: TokenStream, error: syn::Error) -> TokenStream {
    tokens.extend(error.into_compile_error());
    tokens
}
