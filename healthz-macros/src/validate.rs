//! Checks that a function can be served as a probe, with one spanned error
//! per problem, each naming the fix.

use proc_macro2::Ident;
use syn::{FnArg, ItemFn, ReturnType, Type};

use crate::errors::Errors;
use crate::parse::Args;
use crate::probe::Probe;

/// What the expansion needs to know of a valid probe function.
pub(crate) struct ProbeFn<'a> {
    pub(crate) ident: &'a Ident,
    pub(crate) is_async: bool,
    pub(crate) arguments: Vec<&'a Type>,
    pub(crate) output: &'a ReturnType,
}

pub(crate) fn probe(kind: Probe, function: &ItemFn) -> syn::Result<ProbeFn<'_>> {
    let signature = &function.sig;
    let mut errors = Errors::default();

    if let Some(token) = &signature.constness {
        errors.push(token, "a probe cannot be a `const fn`: its answer must be computed at each request; remove `const`");
    }
    if let Some(token) = &signature.unsafety {
        errors.push(token, "a probe cannot be an `unsafe fn`: the router has no safety contract to uphold; remove `unsafe` and keep any `unsafe` block inside");
    }
    if !signature.generics.params.is_empty() {
        errors.push(&signature.generics, "a probe cannot be generic: the router must know each argument's type; remove the generic parameters and name concrete types");
    }
    if let Some(where_clause) = &signature.generics.where_clause {
        errors.push(where_clause, "a probe cannot have a `where` clause: the router calls it with concrete types; remove it");
    }
    if let Some(variadic) = &signature.variadic {
        errors.push(variadic, "a probe cannot be variadic");
    }

    let mut arguments = Vec::new();
    for input in &signature.inputs {
        match input {
            FnArg::Receiver(receiver) => errors.push(
                receiver,
                &format!(
                    "a probe cannot take `self`: make it a free function and reach shared data through `State<T>`, as in `{} fn {}(State(app): State<App>)`",
                    kind.attribute(),
                    kind.example_name(),
                ),
            ),
            FnArg::Typed(typed) => match &*typed.ty {
                Type::ImplTrait(ty) => errors.push(ty, "a probe argument cannot be `impl Trait`: name an extractor type, such as `State<App>` or `HeaderMap`"),
                Type::Reference(ty) => errors.push(ty, "a probe argument cannot be a reference: extractors are taken by value, as in `headers: HeaderMap`"),
                ty => arguments.push(ty),
            },
        }
    }

    if let ReturnType::Type(_, ty) = &signature.output {
        if let Type::ImplTrait(ty) = &**ty {
            errors.push(ty, "a probe cannot return `impl Trait`: return `()`, `bool`, `Result<(), E>` or `healthz::Checks`, and write `async fn` for a probe that awaits");
        }
    }

    errors.finish(ProbeFn {
        ident: &signature.ident,
        is_async: signature.asyncness.is_some(),
        arguments,
        output: &signature.output,
    })
}

/// The arguments that depend on the function they are placed on.
pub(crate) fn args_for(args: &Args, function: &ItemFn) -> syn::Result<()> {
    let mut errors = Errors::default();
    if let (Some(flag), Some(_)) = (&args.blocking, &function.sig.asyncness) {
        errors.push(flag, "`blocking` runs a sync probe on the blocking thread pool, and this probe is `async`: remove `blocking`, or make the probe a sync function that calls the blocking code directly");
    }
    errors.finish(())
}
