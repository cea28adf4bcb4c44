use proc_macro2::{Ident, Span};

/// The probe an attribute defines.
#[derive(Clone, Copy)]
pub(crate) enum Probe {
    Live,
    Ready,
}

impl Probe {
    /// The attribute as users write it, for messages.
    pub(crate) fn attribute(self) -> &'static str {
        match self {
            Probe::Live => "#[healthz::live]",
            Probe::Ready => "#[healthz::ready]",
        }
    }

    /// A function name for examples in messages.
    pub(crate) fn example_name(self) -> &'static str {
        match self {
            Probe::Live => "liveness",
            Probe::Ready => "readiness",
        }
    }

    /// The runtime trait the expansion implements.
    pub(crate) fn trait_ident(self) -> Ident {
        let name = match self {
            Probe::Live => "Live",
            Probe::Ready => "Ready",
        };
        Ident::new(name, Span::call_site())
    }
}
