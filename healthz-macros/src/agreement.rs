//! The attributes and `healthz::Options` refuse the same options, with the
//! same words: every rule once, as an attribute's arguments and as the
//! builder calls that mean the same, each side checked against the rule.

use std::panic::catch_unwind;
use std::time::Duration;

use healthz::__private::Rule;
use healthz::{Healthz, Lifecycle, Options};

use crate::probe::Probe;
use crate::{parse, validate};

struct Case {
    /// What goes inside `#[healthz::ready(...)]`.
    attribute: &'static str,
    is_async: bool,
    /// The same options, given to the builder.
    options: fn() -> Options,
    /// The rule both refuse it by, or `None` if both accept it.
    refused: Option<Rule>,
}

const fn secs(secs: u64) -> Duration {
    Duration::from_secs(secs)
}

const fn millis(millis: u64) -> Duration {
    Duration::from_millis(millis)
}

const CASES: &[Case] = &[
    Case {
        attribute: r#"timeout = "0s""#,
        is_async: false,
        options: || Options::DEFAULT.with_timeout(Duration::ZERO),
        refused: Some(Rule::ZeroTimeout),
    },
    Case {
        attribute: r#"timeout = "1ms""#,
        is_async: false,
        options: || Options::DEFAULT.with_timeout(millis(1)),
        refused: None,
    },
    Case {
        attribute: "history = 0",
        is_async: false,
        options: || Options::DEFAULT.with_history(0),
        refused: Some(Rule::HistoryOutOfRange),
    },
    Case {
        attribute: "history = 65536",
        is_async: false,
        options: || Options::DEFAULT.with_history(65_536),
        refused: Some(Rule::HistoryOutOfRange),
    },
    Case {
        attribute: "history = 1",
        is_async: false,
        options: || Options::DEFAULT.with_history(1),
        refused: None,
    },
    Case {
        attribute: "history = 65535",
        is_async: false,
        options: || Options::DEFAULT.with_history(65_535),
        refused: None,
    },
    Case {
        attribute: r#"stale = "1m""#,
        is_async: false,
        options: || Options::DEFAULT.with_stale(secs(60)),
        refused: Some(Rule::StaleWithoutCache),
    },
    Case {
        attribute: r#"cache = "5s", stale = "1m""#,
        is_async: false,
        options: || Options::DEFAULT.with_cache(secs(5)).with_stale(secs(60)),
        refused: None,
    },
    Case {
        attribute: r#"interval = "10s", cache = "5s""#,
        is_async: false,
        options: || Options::DEFAULT.with_interval(secs(10)).with_cache(secs(5)),
        refused: Some(Rule::CacheWithInterval),
    },
    Case {
        attribute: r#"interval = "10s", stale = "1m""#,
        is_async: false,
        options: || {
            Options::DEFAULT
                .with_interval(secs(10))
                .with_stale(secs(60))
        },
        refused: Some(Rule::StaleWithInterval),
    },
    Case {
        attribute: r#"interval = "900ms""#,
        is_async: false,
        options: || Options::DEFAULT.with_interval(millis(900)),
        refused: Some(Rule::IntervalNotAboveTimeout),
    },
    Case {
        attribute: r#"timeout = "2s", interval = "2s""#,
        is_async: false,
        options: || {
            Options::DEFAULT
                .with_timeout(secs(2))
                .with_interval(secs(2))
        },
        refused: Some(Rule::IntervalNotAboveTimeout),
    },
    Case {
        attribute: r#"interval = "901ms""#,
        is_async: false,
        options: || Options::DEFAULT.with_interval(millis(901)),
        refused: None,
    },
    Case {
        attribute: "blocking",
        is_async: true,
        options: || Options::DEFAULT.with_blocking(),
        refused: Some(Rule::BlockingAsync),
    },
    Case {
        attribute: "blocking",
        is_async: false,
        options: || Options::DEFAULT.with_blocking(),
        refused: None,
    },
];

/// Every rule, by a match that stops compiling when a rule is added, so
/// that the table cannot miss one unnoticed.
const RULES: [Rule; 7] = {
    match Rule::ZeroTimeout {
        Rule::ZeroTimeout
        | Rule::HistoryOutOfRange
        | Rule::StaleWithoutCache
        | Rule::CacheWithInterval
        | Rule::StaleWithInterval
        | Rule::IntervalNotAboveTimeout
        | Rule::BlockingAsync => {}
    }
    [
        Rule::ZeroTimeout,
        Rule::HistoryOutOfRange,
        Rule::StaleWithoutCache,
        Rule::CacheWithInterval,
        Rule::StaleWithInterval,
        Rule::IntervalNotAboveTimeout,
        Rule::BlockingAsync,
    ]
};

/// The attribute's errors for `case`, empty if it accepts it.
fn attribute_errors(case: &Case) -> Vec<String> {
    let function = match case.is_async {
        true => "async fn readiness() {}",
        false => "fn readiness() {}",
    };
    let function = parse::function(Probe::Ready, function.parse().unwrap()).unwrap();
    let arguments = case.attribute.parse().unwrap();
    match parse::args(Probe::Ready, arguments).and_then(|args| validate::args_for(&args, &function))
    {
        Ok(()) => Vec::new(),
        Err(errors) => errors.into_iter().map(|error| error.to_string()).collect(),
    }
}

/// The builder's panic for `case`, `None` if it serves it.
fn builder_panic(case: &Case) -> Option<String> {
    let built = catch_unwind(|| {
        let options = (case.options)();
        let builder = Healthz::new().live(|| ()).lifecycle(Lifecycle::new());
        let _: axum::Router = match case.is_async {
            true => builder.ready_with(options, || async {}).router(),
            false => builder.ready_with(options, || ()).router(),
        };
    });
    let payload = built.err()?;
    let message = (payload.downcast_ref::<String>().cloned()).or_else(|| {
        payload
            .downcast_ref::<&str>()
            .map(|text| (*text).to_owned())
    });
    Some(message.unwrap_or_default())
}

#[test]
fn the_attributes_and_the_builder_refuse_the_same_options_in_the_same_words() {
    for rule in RULES {
        assert!(
            CASES.iter().any(|case| case.refused == Some(rule)),
            "no case breaks {rule:?}"
        );
    }
    for case in CASES {
        let text = case.attribute;
        let errors = attribute_errors(case);
        let panic = builder_panic(case);
        match case.refused {
            None => {
                assert_eq!(
                    errors,
                    Vec::<String>::new(),
                    "the attribute refused `{text}`"
                );
                assert_eq!(panic, None, "the builder refused `{text}`");
            }
            Some(rule) => {
                assert_eq!(
                    errors,
                    [rule.message()],
                    "the attribute's errors for `{text}`"
                );
                let panic = panic.unwrap_or_else(|| panic!("the builder served `{text}`"));
                assert!(
                    panic.contains(rule.message()),
                    "the builder's panic for `{text}` is {panic:?}"
                );
            }
        }
    }
}
