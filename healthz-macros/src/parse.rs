//! Reads the attribute's arguments and the item it is placed on.

use proc_macro2::TokenStream;
use quote::ToTokens;
use syn::parse::Parser;
use syn::punctuated::Punctuated;
use syn::{Expr, ExprLit, Item, ItemFn, Lit, Meta, Path, Token};

use crate::errors::Errors;
use crate::probe::Probe;

/// What the attributes take, for the messages that list it.
pub(crate) const ACCEPTED: &str = "`timeout = \"2s\"`, `cache = \"5s\"`, `stale = \"1m\"`, \
     `interval = \"10s\"`, `history = 32` and `blocking`";

/// The arguments inside `#[healthz::live(...)]`, durations in milliseconds.
#[derive(Default)]
pub(crate) struct Args {
    pub(crate) timeout: Option<u64>,
    pub(crate) cache: Option<u64>,
    /// With the tokens that gave it, for errors that depend on other
    /// arguments or on the function.
    pub(crate) stale: Option<(u64, Path)>,
    pub(crate) interval: Option<(u64, Path)>,
    pub(crate) history: Option<u16>,
    pub(crate) blocking: Option<Path>,
    /// Each duration's key, for the errors of their combinations.
    keys: Vec<Path>,
}

/// The timeout of a probe that sets none, as `Options::DEFAULT` has it.
const DEFAULT_TIMEOUT: u64 = 900;

pub(crate) fn args(kind: Probe, tokens: TokenStream) -> syn::Result<Args> {
    let metas = Punctuated::<Meta, Token![,]>::parse_terminated
        .parse2(tokens)
        .map_err(|error| {
            // syn says which token it expected; say what the attribute takes.
            syn::Error::new(
                error.span(),
                format!(
                    "{error}: `{}` takes {ACCEPTED}, separated by commas",
                    kind.attribute()
                ),
            )
        })?;
    let mut args = Args::default();
    let mut errors = Errors::default();
    for meta in &metas {
        let name = meta
            .path()
            .get_ident()
            .map(ToString::to_string)
            .unwrap_or_default();
        if name == "blocking" {
            match meta {
                Meta::Path(path) if args.blocking.is_none() => args.blocking = Some(path.clone()),
                Meta::Path(path) => errors.push(path, "`blocking` is given twice"),
                _ => errors.push(
                    meta,
                    "`blocking` is a flag without a value: write `blocking`",
                ),
            }
            continue;
        }
        if name == "history" {
            match meta {
                Meta::NameValue(_) if args.history.is_some() => {
                    errors.push(meta.path(), "`history` is given twice");
                }
                Meta::NameValue(meta) => match entries(&meta.value) {
                    Ok(entries) => args.history = Some(entries),
                    Err(message) => errors.push(&meta.value, message),
                },
                _ => errors.push(meta, "`history` needs a value: write `history = 32`"),
            }
            continue;
        }
        if !matches!(name.as_str(), "timeout" | "cache" | "stale" | "interval") {
            errors.push(
                meta.path(),
                &format!(
                    "unknown argument `{}`: `{}` takes {ACCEPTED}",
                    meta.path().to_token_stream(),
                    kind.attribute()
                ),
            );
            continue;
        }
        let value = match meta {
            Meta::NameValue(meta) => &meta.value,
            _ => {
                errors.push(
                    meta,
                    &format!("`{name}` needs a value: write `{name} = \"2s\"`"),
                );
                continue;
            }
        };
        let given = match name.as_str() {
            "timeout" => args.timeout.is_some(),
            "cache" => args.cache.is_some(),
            "interval" => args.interval.is_some(),
            _ => args.stale.is_some(),
        };
        match duration(&name, value) {
            Ok(_) if given => errors.push(meta.path(), &format!("`{name}` is given twice")),
            Ok(0) => errors.push(
                value,
                match name.as_str() {
                    "timeout" => {
                        "a zero `timeout` leaves the check no time to run: give one above zero, such as 500ms"
                    }
                    "cache" => "a zero cache caches nothing: remove `cache`",
                    "interval" => "a zero `interval` never refreshes: remove `interval`",
                    _ => "a zero `stale` serves nothing stale: remove `stale`",
                },
            ),
            Ok(millis) => {
                args.keys.push(meta.path().clone());
                match name.as_str() {
                    "timeout" => args.timeout = Some(millis),
                    "cache" => args.cache = Some(millis),
                    "interval" => args.interval = Some((millis, meta.path().clone())),
                    _ => args.stale = Some((millis, meta.path().clone())),
                }
            }
            Err(message) => errors.push(value, &message),
        }
    }
    if let Some((interval, at)) = &args.interval {
        for key in &args.keys {
            if key.is_ident("cache") || key.is_ident("stale") {
                let name = key.to_token_stream();
                errors.push(
                    key,
                    &format!(
                        "`{name}` has no effect with `interval`: every request is answered at once from the latest background run; remove `{name}`"
                    ),
                );
            }
        }
        if *interval <= args.timeout.unwrap_or(DEFAULT_TIMEOUT) {
            errors.push(
                at,
                "`interval` must be longer than `timeout` (900ms unless given), or runs follow one another back to back: give a longer `interval`, or a shorter `timeout`",
            );
        }
    } else if let (Some((_, stale)), None) = (&args.stale, args.cache) {
        errors.push(
            stale,
            "`stale` serves an expired cached answer while it is refreshed, so it needs `cache`: give a `cache` too, such as 5s, or remove `stale`",
        );
    }
    errors.finish(args)
}

/// Reads a number of history entries, written as an integer.
fn entries(value: &Expr) -> Result<u16, &'static str> {
    let Expr::Lit(ExprLit {
        lit: Lit::Int(number),
        ..
    }) = value
    else {
        return Err("write `history` as a number of entries from 1 to 65535: `history = 32`");
    };
    // An integer literal's digits fail to parse only past `u16::MAX`.
    (number.base10_parse::<u16>().ok())
        .filter(|&entries| entries > 0)
        .ok_or("`history` keeps from 1 to 65535 entries: give a number in that range, such as 32")
}

/// Reads a duration written as a string: `"500ms"`, `"2s"`, `"1m"`, `"1h"`.
fn duration(name: &str, value: &Expr) -> Result<u64, String> {
    let expected = format!(
        "write `{name}` as a string with a unit: `{name} = \"500ms\"`, `\"2s\"`, `\"1m\"` or `\"1h\"`"
    );
    let Expr::Lit(ExprLit {
        lit: Lit::Str(text),
        ..
    }) = value
    else {
        return Err(expected);
    };
    let text = text.value();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let scale = match unit {
        "ms" => 1,
        "s" => 1_000,
        "m" => 60_000,
        "h" => 3_600_000,
        _ => return Err(format!("`{text}` is not a duration: {expected}")),
    };
    number
        .parse::<u64>()
        .ok()
        .and_then(|number| number.checked_mul(scale))
        .ok_or_else(|| format!("`{text}` is not a duration: {expected}"))
}

/// The function the attribute is placed on; anything else is an error at
/// its keyword and name.
pub(crate) fn function(kind: Probe, tokens: TokenStream) -> syn::Result<ItemFn> {
    let item: Item = syn::parse2(tokens)?;
    if let Item::Fn(function) = item {
        return Ok(function);
    }
    Err(syn::Error::new_spanned(
        head(&item),
        format!(
            "`{}` goes on a function, such as `{} fn {}() {{}}`",
            kind.attribute(),
            kind.attribute(),
            kind.example_name(),
        ),
    ))
}

/// The keyword and name of an item, so that an error underlines one line
/// rather than a whole definition.
fn head(item: &Item) -> TokenStream {
    fn pair(keyword: &impl ToTokens, name: &impl ToTokens) -> TokenStream {
        let mut tokens = keyword.to_token_stream();
        name.to_tokens(&mut tokens);
        tokens
    }
    match item {
        Item::Struct(item) => pair(&item.struct_token, &item.ident),
        Item::Enum(item) => pair(&item.enum_token, &item.ident),
        Item::Union(item) => pair(&item.union_token, &item.ident),
        Item::Trait(item) => pair(&item.trait_token, &item.ident),
        Item::Type(item) => pair(&item.type_token, &item.ident),
        Item::Const(item) => pair(&item.const_token, &item.ident),
        Item::Static(item) => pair(&item.static_token, &item.ident),
        Item::Mod(item) => pair(&item.mod_token, &item.ident),
        Item::Impl(item) => pair(&item.impl_token, &item.self_ty),
        _ => item.to_token_stream(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn millis(text: &str) -> Result<u64, String> {
        duration("cache", &syn::parse_str(text).unwrap())
    }

    #[test]
    fn reads_durations_with_units() {
        assert_eq!(millis(r#""250ms""#), Ok(250));
        assert_eq!(millis(r#""2s""#), Ok(2_000));
        assert_eq!(millis(r#""1m""#), Ok(60_000));
        assert_eq!(millis(r#""1h""#), Ok(3_600_000));
        assert_eq!(millis(r#""0s""#), Ok(0));
    }

    #[test]
    fn refuses_what_is_not_a_duration() {
        for text in [
            r#""soon""#,
            r#""5""#,
            r#""s""#,
            r#""-1s""#,
            r#""1.5s""#,
            "5",
            "-1",
            r#""99999999999999999999s""#,
        ] {
            assert!(millis(text).is_err(), "{text} was accepted");
        }
    }
}
