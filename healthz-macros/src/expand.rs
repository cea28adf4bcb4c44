//! Writes the code behind `#[healthz::live]` and `#[healthz::ready]`.

use proc_macro2::{Ident, Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use syn::ReturnType;
use syn::spanned::Spanned;

use crate::parse::Args;
use crate::probe::Probe;
use crate::validate::ProbeFn;

/// The probe's trait implementation, placed beside the unchanged function.
///
/// The impl lives in an anonymous `const` so that its marker type cannot
/// clash with anything, and is generic over the router's state type
/// `__HealthzState`, bounded by what the arguments need: a probe taking
/// `State<Db>` serves any app whose state can give a `Db`.
///
/// Its tokens carry the probe's spans, so that errors point at the probe;
/// rustc and clippy then lint them as the user's code, hence the `allow`s.
pub(crate) fn probe(kind: Probe, probe: &ProbeFn<'_>, args: &Args) -> TokenStream {
    let ident = probe.ident;
    let span = ident.span();
    // Mixed-site hygiene keeps the expansion's locals from shadowing the
    // user's, and the prefix keeps them from meeting the user's items: a
    // pattern naming a `const` in scope would match that constant instead.
    let local = |name: &str| Ident::new(&format!("__healthz_{name}"), Span::mixed_site());
    let bindings: Vec<_> = (0..probe.arguments.len())
        .map(|i| local(&format!("arg{i}")))
        .collect();
    let types = &probe.arguments;
    // A body extractor is reported at its type, as the bound below would
    // only be reported at `healthz::router()`.
    let argument_checks = types.iter().map(|ty| {
        quote_spanned! {ty.span()=>
            ::healthz::__private::parts_only::<#ty, _>(
                (&::healthz::__private::Argument::<#ty>::new()).kind(),
            );
        }
    });
    let bounds = types.iter().map(|ty| {
        quote_spanned! {ty.span()=> __HealthzState: ::healthz::__private::ProbeArgument<#ty> }
    });
    let (parts, state) = (local("parts"), local("state"));
    let (argument, rejected) = (local("argument"), local("rejected"));
    let (parts_param, state_param) = if types.is_empty() {
        (quote!(_), quote!(_))
    } else {
        (quote!(mut #parts), quote!(#state))
    };
    let dot_await = probe.is_async.then(|| quote!(.await));
    let output_span = match probe.output {
        ReturnType::Default => span,
        ReturnType::Type(_, ty) => ty.span(),
    };
    // Spanned at the return type, with its hygiene, so that a type which is
    // not a probe result is reported there.
    let output = Ident::new("__healthz_output", output_span);
    let into_outcome = quote_spanned! {output_span=>
        ::healthz::__private::IntoOutcome::into_outcome(#output)
    };
    let call = quote_spanned! {span=>
        #[allow(unit_bindings, clippy::let_unit_value)]
        let #output = #ident(#(#bindings),*) #dot_await;
    };
    // A blocking probe hands the call to the runner, which runs it on the
    // blocking thread pool once the arguments are extracted.
    let outcome = if args.blocking.is_some() {
        quote_spanned! {span=>
            ::healthz::__private::Outcome::blocking(move || {
                #call
                #into_outcome
            })
        }
    } else {
        quote_spanned! {span=> { #call #into_outcome } }
    };
    let body = quote_spanned! {span=>
        async move {
            #(
                let #bindings = match <__HealthzState as ::healthz::__private::ProbeArgument<#types>>::extract(&mut #parts, &#state).await {
                    ::core::result::Result::Ok(#argument) => #argument,
                    ::core::result::Result::Err(#rejected) => return ::core::result::Result::Err(#rejected),
                };
            )*
            ::core::result::Result::Ok(#outcome)
        }
    };
    let millis = |setter: &str, millis: Option<u64>| {
        let setter = Ident::new(setter, Span::call_site());
        millis.map(|millis| quote!(.#setter(::core::time::Duration::from_millis(#millis))))
    };
    let setters = [
        millis("with_timeout", args.timeout),
        millis("with_cache", args.cache),
        millis("with_stale", args.stale.as_ref().map(|(millis, _)| *millis)),
        millis(
            "with_interval",
            args.interval.as_ref().map(|(millis, _)| *millis),
        ),
        args.history.map(|entries| {
            let entries = usize::from(entries);
            quote!(.with_history(#entries))
        }),
        args.blocking.as_ref().map(|_| quote!(.with_blocking())),
    ];
    let options = quote!(::healthz::__private::Options::DEFAULT #(#setters)*);
    let given = setters.iter().any(Option::is_some);
    // The runtime's one definition of the rules, evaluated at compile time.
    // The attribute's own errors refuse the same options first, at the
    // user's tokens; this makes sure that nothing they let through breaks
    // the rules.
    let is_async = probe.is_async;
    let rule = local("rule");
    // At the attribute, whose arguments these are.
    let options_check = given.then(|| {
        quote! {
            const _: () = match ::healthz::__private::check_options(&#options, #is_async) {
                ::core::result::Result::Ok(()) => (),
                ::core::result::Result::Err(#rule) => ::core::panic!("{}", #rule.message()),
            };
        }
    });
    let options = given.then(|| {
        quote! {
            const OPTIONS: ::healthz::__private::Options = #options;
        }
    });
    let argument_checks = (!types.is_empty()).then(|| {
        quote_spanned! {span=>
            const _: () = {
                // Compiled, never called.
                #[allow(dead_code)]
                fn __healthz_arguments() {
                    // One of the two methods is picked for each argument.
                    #[allow(unused_imports)]
                    use ::healthz::__private::{BodyArgument as _, PartsArgument as _};
                    #(#argument_checks)*
                }
            };
        }
    });
    let implementation = implementation(
        kind,
        span,
        quote!(#(#bounds,)*),
        quote! {
            #options

            // The probe may be deprecated for the app's own callers.
            #[allow(deprecated)]
            fn check(
                #parts_param: ::healthz::__private::RequestParts,
                #state_param: __HealthzState,
            ) -> impl ::core::future::Future<
                Output = ::core::result::Result<::healthz::__private::Outcome, ::healthz::HealthError>,
            > + ::core::marker::Send + 'static {
                #body
            }
        },
    );
    quote!(#options_check #argument_checks #implementation)
}

/// An implementation that never runs, emitted beside a compile error so that
/// `healthz::router()` does not add a second, misleading error.
pub(crate) fn fallback(kind: Probe) -> TokenStream {
    implementation(
        kind,
        Span::call_site(),
        quote!(),
        quote! {
            fn check(
                _: ::healthz::__private::RequestParts,
                _: __HealthzState,
            ) -> impl ::core::future::Future<
                Output = ::core::result::Result<::healthz::__private::Outcome, ::healthz::HealthError>,
            > + ::core::marker::Send + 'static {
                async { ::core::unreachable!() }
            }
        },
    )
}

fn implementation(kind: Probe, span: Span, bounds: TokenStream, check: TokenStream) -> TokenStream {
    let probe_trait = kind.trait_ident();
    let marker = format_ident!("__Healthz{}Probe", probe_trait);
    // A static in a method of a generic impl is one for every state type:
    // the probe's one health state in the process.
    let cell = quote! {
        fn cell() -> &'static ::healthz::__private::ProbeCell {
            static CELL: ::healthz::__private::ProbeCell = ::healthz::__private::ProbeCell::new();
            &CELL
        }
    };
    quote_spanned! {span=>
        const _: () = {
            #[doc(hidden)]
            #[derive(Clone, Copy, Debug)]
            #[allow(unnameable_types)]
            pub struct #marker;

            impl<__HealthzState> ::healthz::__private::#probe_trait<#marker, __HealthzState> for ::healthz::__private::Probes
            where
                __HealthzState: ::core::marker::Send + ::core::marker::Sync + 'static,
                #bounds
            {
                #check
                #cell
            }
        };
    }
}
