//! JSON exactly as Python's `json.dumps` writes it with its default settings,
//! so that answers match Flask-Healthz byte for byte.
//!
//! serde_json does the escaping; the formatter only changes the separators to
//! `", "` and `": "` and turns every non-ASCII character into `\uXXXX` escapes
//! (UTF-16 code units, so characters beyond the BMP become surrogate pairs).

use std::io::{self, Write};

use serde::Serialize;
use serde::ser::SerializeStruct;

/// A `serde_json` formatter with the output of Python's `json.dumps(obj)`.
struct PythonFormatter;

impl serde_json::ser::Formatter for PythonFormatter {
    fn begin_array_value<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        if first { Ok(()) } else { w.write_all(b", ") }
    }

    fn begin_object_key<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        if first { Ok(()) } else { w.write_all(b", ") }
    }

    fn begin_object_value<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        w.write_all(b": ")
    }

    fn write_string_fragment<W: ?Sized + Write>(
        &mut self,
        w: &mut W,
        fragment: &str,
    ) -> io::Result<()> {
        // serde_json hands over quotes, backslashes and control characters
        // separately; Python also escapes DEL and everything above ASCII.
        let mut rest = fragment;
        while let Some(at) = rest.find(|c: char| !(' '..='~').contains(&c)) {
            w.write_all(&rest.as_bytes()[..at])?;
            let c = rest[at..]
                .chars()
                .next()
                .expect("found a char at this index");
            let mut units = [0u16; 2];
            for unit in c.encode_utf16(&mut units) {
                write!(w, "\\u{unit:04x}")?;
            }
            rest = &rest[at + c.len_utf8()..];
        }
        w.write_all(rest.as_bytes())
    }
}

/// Serializes `value` the way `json.dumps(value)` would.
pub(crate) fn to_vec<T: Serialize + ?Sized>(value: &T) -> Vec<u8> {
    let mut out = Vec::with_capacity(64);
    let mut serializer = serde_json::Serializer::with_formatter(&mut out, PythonFormatter);
    value
        .serialize(&mut serializer)
        .expect("serializing to memory cannot fail");
    out
}

/// An RFC 7807 problem body with the two members Flask-Healthz sends.
pub(crate) struct Problem<'a> {
    pub(crate) status: u16,
    pub(crate) title: &'a str,
}

impl Serialize for Problem<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut problem = serializer.serialize_struct("Problem", 2)?;
        problem.serialize_field("status", &self.status)?;
        problem.serialize_field("title", self.title)?;
        problem.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problem(status: u16, title: &str) -> String {
        String::from_utf8(to_vec(&Problem { status, title })).unwrap()
    }

    // Expected strings were produced by CPython 3.11:
    // json.dumps({"status": s, "title": t})
    #[test]
    fn matches_python_separators_and_key_order() {
        assert_eq!(problem(200, "OK"), r#"{"status": 200, "title": "OK"}"#);
    }

    #[test]
    fn escapes_like_python() {
        assert_eq!(
            problem(503, "Can't reach \"db\"\\\n\t\u{1}\u{7f}"),
            r#"{"status": 503, "title": "Can't reach \"db\"\\\n\t\u0001\u007f"}"#
        );
    }

    #[test]
    fn escapes_non_ascii_as_utf16_units() {
        assert_eq!(
            problem(503, "base de donn\u{e9}es \u{2014} \u{1f4a5}"),
            r#"{"status": 503, "title": "base de donn\u00e9es \u2014 \ud83d\udca5"}"#
        );
    }

    #[test]
    fn arrays_use_python_separators() {
        assert_eq!(String::from_utf8(to_vec(&[1, 2])).unwrap(), "[1, 2]");
    }
}
