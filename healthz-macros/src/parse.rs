//! Reads the attribute's arguments and the item it is placed on.

use proc_macro2::TokenStream;
use quote::ToTokens;
use syn::{Item, ItemFn};

use crate::kind::Kind;

/// The arguments inside `#[healthz::live(...)]`.
pub(crate) struct Args;

pub(crate) fn args(kind: Kind, tokens: TokenStream) -> syn::Result<Args> {
    if tokens.is_empty() {
        Ok(Args)
    } else {
        Err(syn::Error::new_spanned(
            tokens,
            format!("`{}` takes no arguments", kind.attribute()),
        ))
    }
}

/// The function the attribute is placed on; anything else is an error at
/// its keyword and name.
pub(crate) fn function(kind: Kind, tokens: TokenStream) -> syn::Result<ItemFn> {
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
