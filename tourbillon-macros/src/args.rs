//! The attribute's arguments: `flavor`, `worker_threads` and `crate`, parsed into a [`Config`].
//!
//! Every rejection is a `syn::Error` spanned on the offending argument (its name, or its value
//! when the value is what is wrong), so the compiler underlines exactly that.

use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::{Expr, ExprLit, Lit, Meta, MetaNameValue, Path, Token};

use crate::expand::Entry;

/// Which scheduler the generated code builds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Flavor {
    /// `Builder::new_current_thread()`: every task runs on the calling thread.
    CurrentThread,
    /// `Builder::new_multi_thread()`: a pool of work-stealing workers.
    MultiThread,
}

/// What the arguments asked for, with the entry point's defaults filled in.
pub(crate) struct Config {
    pub(crate) flavor: Flavor,
    /// `None`: the builder's default (one worker per CPU). Never `Some(0)`.
    pub(crate) worker_threads: Option<usize>,
    /// The path of the `tourbillon` crate as the user's crate sees it.
    pub(crate) crate_path: Path,
}

impl Config {
    /// The configuration with no arguments: multi-thread for `main`, current-thread for `test`.
    pub(crate) fn default_for(entry: Entry) -> Config {
        Config {
            flavor: match entry {
                Entry::Main => Flavor::MultiThread,
                Entry::Test => Flavor::CurrentThread,
            },
            worker_threads: None,
            crate_path: syn::parse_quote!(::tourbillon),
        }
    }

    /// Parses the arguments of `#[tourbillon::main(...)]` or `#[tourbillon::test(...)]`.
    pub(crate) fn parse(entry: Entry, args: proc_macro2::TokenStream) -> syn::Result<Config> {
        let args =
            syn::parse::Parser::parse2(Punctuated::<Meta, Token![,]>::parse_terminated, args)?;
        let mut flavor = None;
        let mut worker_threads = None;
        let mut crate_path = None;
        for arg in args {
            let arg = match arg {
                Meta::NameValue(arg) => arg,
                Meta::Path(path) => return Err(bare_word(entry, &path)),
                Meta::List(list) => {
                    return Err(syn::Error::new_spanned(
                        &list,
                        "expected `name = value`, as in `flavor = \"multi_thread\"`",
                    ))
                }
            };
            let name = arg_name(&arg.path)?;
            match name.as_str() {
                "flavor" => set_once(&mut flavor, &arg, parse_flavor(&arg.value)?)?,
                "worker_threads" => {
                    let n = parse_worker_threads(&arg.value)?;
                    set_once(&mut worker_threads, &arg, (n, arg.span()))?
                }
                "crate" => set_once(&mut crate_path, &arg, parse_crate_path(&arg.value)?)?,
                _ => return Err(unknown_argument(&arg.path, &name)),
            }
        }
        let mut config = Config::default_for(entry);
        if let Some(flavor) = flavor {
            config.flavor = flavor;
        }
        if let Some(path) = crate_path {
            config.crate_path = path;
        }
        if let Some((n, span)) = worker_threads {
            if config.flavor == Flavor::CurrentThread {
                let why = match (entry, flavor.is_some()) {
                    (Entry::Test, false) => {
                        "`worker_threads` needs a multi-thread runtime, and \
                         #[tourbillon::test] runs on a current-thread one unless told otherwise: \
                         add `flavor = \"multi_thread\"`"
                    }
                    _ => {
                        "`worker_threads` needs a multi-thread runtime: the current-thread \
                         runtime runs every task on the calling thread"
                    }
                };
                return Err(syn::Error::new(span, why));
            }
            config.worker_threads = Some(n);
        }
        Ok(config)
    }
}

/// The name of an argument (`crate` is a keyword, so it is not a plain identifier).
fn arg_name(path: &Path) -> syn::Result<String> {
    if path.leading_colon.is_none() && path.segments.len() == 1 {
        Ok(path.segments[0].ident.to_string())
    } else {
        Err(syn::Error::new_spanned(
            path,
            "expected an argument name: `flavor`, `worker_threads` or `crate`",
        ))
    }
}

fn unknown_argument(path: &Path, name: &str) -> syn::Error {
    syn::Error::new_spanned(
        path,
        format!("unknown argument `{name}`; expected `flavor`, `worker_threads` or `crate`"),
    )
}

/// Stores the value of an argument, or fails on the second occurrence of its name.
fn set_once<T>(slot: &mut Option<T>, arg: &MetaNameValue, value: T) -> syn::Result<()> {
    if slot.is_some() {
        let name = arg_name(&arg.path)?;
        return Err(syn::Error::new_spanned(
            &arg.path,
            format!("`{name}` is set more than once"),
        ));
    }
    *slot = Some(value);
    Ok(())
}

/// An argument written without a value: a hint for the spelling that works.
fn bare_word(entry: Entry, path: &Path) -> syn::Error {
    let macro_name = match entry {
        Entry::Main => "tourbillon::main",
        Entry::Test => "tourbillon::test",
    };
    let name = match arg_name(path) {
        Ok(name) => name,
        Err(e) => return e,
    };
    let message = match name.as_str() {
        flavor @ ("multi_thread" | "current_thread") => {
            format!("set the flavor with #[{macro_name}(flavor = \"{flavor}\")]")
        }
        name @ ("flavor" | "worker_threads" | "crate") => {
            format!("`{name}` needs a value: `{name} = ...`")
        }
        name => return unknown_argument(path, name),
    };
    syn::Error::new_spanned(path, message)
}

fn string_literal(value: &Expr, what: &str) -> syn::Result<syn::LitStr> {
    match value {
        Expr::Lit(ExprLit {
            lit: Lit::Str(s), ..
        }) => Ok(s.clone()),
        _ => Err(syn::Error::new_spanned(
            value,
            format!("expected a string literal for {what}"),
        )),
    }
}

fn parse_flavor(value: &Expr) -> syn::Result<Flavor> {
    let literal = string_literal(value, "the flavor, such as `\"multi_thread\"`")?;
    match literal.value().as_str() {
        "multi_thread" => Ok(Flavor::MultiThread),
        "current_thread" => Ok(Flavor::CurrentThread),
        other => Err(syn::Error::new_spanned(
            &literal,
            format!(
                "unknown runtime flavor `{other}`; the flavors are `\"multi_thread\"` and \
                 `\"current_thread\"`"
            ),
        )),
    }
}

fn parse_worker_threads(value: &Expr) -> syn::Result<usize> {
    let Expr::Lit(ExprLit {
        lit: Lit::Int(literal),
        ..
    }) = value
    else {
        return Err(syn::Error::new_spanned(
            value,
            "expected an integer literal for `worker_threads`",
        ));
    };
    match literal.base10_parse::<usize>()? {
        0 => Err(syn::Error::new_spanned(
            literal,
            "`worker_threads` must be at least 1",
        )),
        n => Ok(n),
    }
}

fn parse_crate_path(value: &Expr) -> syn::Result<Path> {
    let literal = string_literal(value, "`crate`, such as `\"::tourbillon\"`")?;
    literal.parse::<Path>().map_err(|_| {
        syn::Error::new_spanned(&literal, format!("`{}` is not a path", literal.value()))
    })
}
