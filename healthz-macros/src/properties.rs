//! Property tests of the attributes' parser and validator, on generated
//! argument lists and function signatures: whatever a user writes, they
//! never panic, they accept every valid input, and they refuse every
//! invalid one with errors spanned inside what the user wrote.

use proc_macro2::TokenStream;
use proptest::prelude::*;

use crate::probe::Probe;
use crate::{parse, validate};

/// Cases per property: enough to reach every pairing of the vocabularies
/// below many times over, few enough to keep `cargo test` quick.
const CASES: u32 = 512;

/// One argument as written, and whether it is valid on its own.
#[derive(Clone, Debug)]
struct Argument {
    text: String,
    key: &'static str,
    /// The duration in milliseconds, for a valid `key = "..."`.
    millis: Option<u64>,
    flag: bool,
}

fn duration_text() -> impl Strategy<Value = (String, Option<u64>)> {
    let number = prop_oneof![
        Just("0".to_owned()),
        (1_u64..100_000).prop_map(|n| n.to_string()),
        Just(u64::MAX.to_string()),
        Just("18446744073709551616".to_owned()),
        Just("-1".to_owned()),
        Just("1.5".to_owned()),
        Just(String::new()),
        Just("٣".to_owned()),
    ];
    let unit = prop_oneof![
        Just(""),
        Just("ms"),
        Just("s"),
        Just("m"),
        Just("h"),
        Just("d"),
        Just("us"),
        Just("秒"),
        Just(" s"),
        Just("S"),
    ];
    (number, unit).prop_map(|(number, unit)| {
        let scale = match unit {
            "ms" => Some(1),
            "s" => Some(1_000),
            "m" => Some(60_000),
            "h" => Some(3_600_000),
            _ => None,
        };
        let millis = scale.and_then(|scale| number.parse::<u64>().ok()?.checked_mul(scale));
        (format!("\"{number}{unit}\""), millis)
    })
}

fn value() -> impl Strategy<Value = (String, Option<u64>)> {
    prop_oneof![
        6 => duration_text(),
        1 => Just(("5".to_owned(), None)),
        1 => Just(("-1".to_owned(), None)),
        1 => Just(("soon".to_owned(), None)),
        1 => Just(("\"\"".to_owned(), None)),
        1 => Just(("'s'".to_owned(), None)),
    ]
}

fn argument() -> impl Strategy<Value = Argument> {
    let key = prop_oneof![
        Just("timeout"),
        Just("cache"),
        Just("stale"),
        Just("interval"),
        Just("history"),
        Just("blocking"),
        Just("timeot"),
        Just("délai"),
        Just("r#type"),
        Just("healthz::timeout"),
    ];
    let form = prop_oneof![Just(0_u8), Just(1), Just(2)];
    (key, form, value()).prop_map(|(key, form, (value, millis))| match form {
        0 => Argument {
            text: key.to_owned(),
            key,
            millis: None,
            flag: true,
        },
        1 => Argument {
            text: format!("{key} = {value}"),
            key,
            millis,
            flag: false,
        },
        _ => Argument {
            text: format!("{key}({value})"),
            key,
            millis: None,
            flag: false,
        },
    })
}

/// Whether the attribute must accept `arguments` on a function that is
/// `async` or not, by the rules the docs state.
fn valid(arguments: &[Argument], is_async: bool) -> bool {
    let mut seen = Vec::new();
    for argument in arguments {
        if seen.contains(&argument.key) {
            return false;
        }
        seen.push(argument.key);
        let fine = match argument.key {
            "blocking" => argument.flag && !is_async,
            "timeout" | "cache" | "stale" | "interval" => {
                argument.millis.is_some_and(|millis| millis > 0)
            }
            // Of the values made, `5` alone is a number of entries.
            "history" => argument.text == "history = 5",
            _ => false,
        };
        if !fine {
            return false;
        }
    }
    let millis = |key| {
        (arguments.iter()).find_map(|argument| (argument.key == key).then_some(argument.millis?))
    };
    if let Some(interval) = millis("interval") {
        let timeout = millis("timeout").unwrap_or(900);
        return !seen.contains(&"cache") && !seen.contains(&"stale") && interval > timeout;
    }
    !seen.contains(&"stale") || seen.contains(&"cache")
}

/// Asserts that every error of `error` is spanned at tokens of `text`,
/// what the user wrote, rather than at the macro's call site.
fn spanned_inside(error: &syn::Error, text: &str) {
    for error in error.clone() {
        let at = error.span().source_text();
        assert!(
            at.as_deref()
                .is_some_and(|at| !at.is_empty() && text.contains(at)),
            "{error} is spanned at {at:?}, outside {text:?}"
        );
    }
}

fn tokens(text: &str) -> TokenStream {
    text.parse().expect("the generated text lexes")
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(CASES))]

    #[test]
    fn arguments_are_accepted_exactly_when_valid(
        arguments in prop::collection::vec(argument(), 0..5),
        is_async in any::<bool>(),
    ) {
        let text = (arguments.iter())
            .map(|argument| argument.text.as_str())
            .collect::<Vec<_>>()
            .join(", ");
        let function = match is_async {
            true => "async fn readiness() {}",
            false => "fn readiness() {}",
        };
        let function = parse::function(Probe::Ready, tokens(function)).unwrap();
        let outcome = parse::args(Probe::Ready, tokens(&text))
            .and_then(|args| validate::args_for(&args, &function).map(|()| args));
        match (&outcome, valid(&arguments, is_async)) {
            (Ok(_), true) => {}
            (Err(error), false) => spanned_inside(error, &text),
            (Ok(_), false) => panic!("`{text}` was accepted"),
            (Err(error), true) => panic!("`{text}` was refused: {error}"),
        }
    }

    #[test]
    fn signatures_are_accepted_exactly_when_valid(
        prefix in prop_oneof![Just(("", true)), Just(("async ", true)), Just(("const ", false)), Just(("unsafe ", false)), Just(("pub(crate) async ", true))],
        generics in prop_oneof![Just(("", true)), Just(("<T>", false)), Just(("<'a>", false))],
        inputs in prop::collection::vec(prop_oneof![
            Just(("State(app): State<App>", true)),
            Just(("headers: axum::http::HeaderMap", true)),
            Just(("_: Extension<u8>", true)),
            Just(("Json(body): Json<u32>", true)),
            Just(("name: &str", false)),
            Just(("check: impl Fn()", false)),
            Just(("&self", false)),
            Just(("données: État", true)),
        ], 0..4),
        output in prop_oneof![
            Just(("", true)),
            Just((" -> bool", true)),
            Just((" -> Result<(), HealthError>", true)),
            Just((" -> healthz::Checks", true)),
            Just((" -> impl Future<Output = bool>", false)),
        ],
        where_clause in prop_oneof![Just(("", true)), Just((" where u8: Copy", false))],
    ) {
        let inputs_text = (inputs.iter()).map(|(text, _)| *text).collect::<Vec<_>>().join(", ");
        let text = format!(
            "{}fn probe{}({inputs_text}){}{} {{}}",
            prefix.0, generics.0, output.0, where_clause.0
        );
        let expected = prefix.1
            && generics.1
            && output.1
            && where_clause.1
            && inputs.iter().all(|(_, fine)| *fine);
        let outcome = parse::function(Probe::Live, tokens(&text))
            .and_then(|function| validate::probe(Probe::Live, &function).map(|_| ()));
        match (&outcome, expected) {
            (Ok(()), true) => {}
            (Err(error), false) => spanned_inside(error, &text),
            (Ok(()), false) => panic!("`{text}` was accepted"),
            (Err(error), true) => panic!("`{text}` was refused: {error}"),
        }
    }
}

/// What makes `spanned_inside` meaningful: the macro's call site, where no
/// user token is, has no text.
#[test]
fn the_call_site_has_no_source_text() {
    assert_eq!(proc_macro2::Span::call_site().source_text(), None);
}
