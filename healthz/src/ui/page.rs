//! `<prefix>/ui`: one self-contained HTML document. Its first paint is
//! rendered here, so that `curl` and a browser without JavaScript see the
//! current state; its script renders the same markup again from the event
//! stream, without a reload.

use std::fmt::Write as _;

use serde_json::Value;

/// The document around the first paint: inline CSS and script, and a
/// policy that lets the page reach its own origin alone.
const TEMPLATE: &str = include_str!("page.html");

/// How far back the timeline reaches.
const HOUR_MS: f64 = 3_600_000.0;

/// The whole page for `state`, the JSON of [`super::view::now`].
pub(crate) fn page(state: &Value) -> String {
    // `<` escaped, so that no title can end the script element early.
    let json = state.to_string().replace('<', "\\u003c");
    // The state first, once: a title in the paint may hold either mark,
    // and the JSON holds no `<` of the paint's mark.
    TEMPLATE
        .replacen("/*STATE*/", &json, 1)
        .replacen("<!--PAINT-->", &paint(state), 1)
}

/// The page's body, as its script renders it too.
fn paint(state: &Value) -> String {
    let now = state["now_ms"].as_f64().unwrap_or_default();
    let mut html = String::new();
    html.push_str(
        "<section aria-labelledby=\"probes-h\"><h2 id=\"probes-h\">Probes</h2><table><thead><tr>\
         <th scope=\"col\">Probe or check</th><th scope=\"col\">Status</th><th scope=\"col\">Title</th>\
         <th scope=\"col\">Age</th><th scope=\"col\">Run took</th></tr></thead><tbody>",
    );
    for probe in list(&state["probes"]) {
        let name = text(&probe["probe"]);
        let age = probe["age_ms"].as_f64().map(age).unwrap_or_default();
        let run = probe["duration_ms"].as_f64().map(took).unwrap_or_default();
        row(
            &mut html,
            &name,
            &probe["status"],
            None,
            &probe["title"],
            &age,
            &run,
        );
        for check in list(&probe["checks"]) {
            let subject = format!("{name}/{}", text(&check["name"]));
            let took = check["duration_ms"].as_f64().map(took).unwrap_or_default();
            row(
                &mut html,
                &subject,
                &check["status"],
                None,
                &check["title"],
                "",
                &took,
            );
        }
    }
    html.push_str("</tbody></table></section>");

    let app = &state["lifecycle"];
    html.push_str(
        "<section aria-labelledby=\"app-h\"><h2 id=\"app-h\">The app</h2><table><thead><tr>\
         <th scope=\"col\">Signal</th><th scope=\"col\">Status</th><th scope=\"col\">Title</th>\
         <th scope=\"col\">Last beat</th><th scope=\"col\">Period</th></tr></thead><tbody>",
    );
    for state in list(&app["states"]) {
        let subject = text(&state["subject"]);
        let word = state["word"].as_str();
        row(
            &mut html,
            &subject,
            &state["status"],
            word,
            &state["title"],
            "",
            "",
        );
    }
    for beat in list(&app["heartbeats"]) {
        let silent = age(beat["silent_ms"].as_f64().unwrap_or_default());
        let period = age(beat["period_ms"].as_f64().unwrap_or_default());
        let subject = text(&beat["subject"]);
        row(
            &mut html,
            &subject,
            &beat["status"],
            None,
            &beat["title"],
            &silent,
            &period,
        );
    }
    html.push_str("</tbody></table></section>");

    html.push_str(
        "<section aria-labelledby=\"timeline-h\"><h2 id=\"timeline-h\">The last hour</h2>",
    );
    let history = list(&state["history"]);
    let mut subjects: Vec<String> = Vec::new();
    for entry in history {
        let subject = text(&entry["subject"]);
        if !subjects.contains(&subject) {
            subjects.push(subject);
        }
    }
    if subjects.is_empty() {
        html.push_str("<p>No transitions yet.</p>");
    }
    // The last hour, or less while the app is younger: what there is
    // fills the width.
    let earliest = (history.iter())
        .filter_map(|entry| entry["at_ms"].as_f64())
        .fold(now, f64::min);
    let from = earliest.max(now - HOUR_MS);
    let span = (now - from).max(1000.0);
    for subject in subjects {
        let _ = write!(
            html,
            "<div class=\"tl-row\" data-subject=\"{0}\"><span class=\"tl-name\">{0}</span><ul class=\"tl\">",
            escape(&subject)
        );
        let entries: Vec<&Value> = (history.iter())
            .filter(|entry| text(&entry["subject"]) == subject)
            .collect();
        for (at, entry) in entries.iter().enumerate() {
            let entry_at = entry["at_ms"].as_f64().unwrap_or_default();
            let to = entries
                .get(at + 1)
                .and_then(|next| next["at_ms"].as_f64())
                .unwrap_or(now);
            let start = entry_at.max(from);
            if to < start {
                continue;
            }
            let status = text(&entry["status"]);
            let mut label = format!("{} from {}", status.to_uppercase(), text(&entry["time"]));
            let title = text(&entry["title"]);
            if !title.is_empty() {
                let _ = write!(label, ": {title}");
            }
            let _ = write!(
                html,
                "<li class=\"seg {status}\" style=\"left:{:.3}%;width:{:.3}%\" tabindex=\"0\" title=\"{label}\" aria-label=\"{label}\"></li>",
                (start - from) / span * 100.0,
                ((to - start) / span * 100.0).max(0.2),
                status = escape(&status),
                label = escape(&label),
            );
        }
        html.push_str("</ul></div>");
    }
    html.push_str("</section>");
    html
}

/// One row of a table: its subject, status told by a word (`word`, or the
/// status's own) and a colour, title and two more cells.
fn row(
    html: &mut String,
    subject: &str,
    status: &Value,
    word: Option<&str>,
    title: &Value,
    third: &str,
    fourth: &str,
) {
    let status = status.as_str().unwrap_or("unknown");
    let word = match word {
        Some(word) => word.to_owned(),
        None if status == "unknown" => "NOT RUN YET".to_owned(),
        None => status.to_uppercase(),
    };
    let _ = write!(
        html,
        "<tr class=\"row-{status}\" data-subject=\"{subject}\"><th scope=\"row\">{subject}</th>\
         <td><span class=\"badge {status}\">{word}</span></td><td>{title}</td><td>{third}</td><td>{fourth}</td></tr>",
        status = escape(status),
        subject = escape(subject),
        title = escape(&text(title)),
        third = escape(third),
        fourth = escape(fourth),
    );
}

fn list(value: &Value) -> &[Value] {
    value.as_array().map_or(&[], Vec::as_slice)
}

fn text(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// An age as the page writes it: `4 s`, `2 min 5 s`, `1 h 3 min`.
fn age(millis: f64) -> String {
    let seconds = (millis / 1000.0).floor() as u64;
    match seconds {
        0..60 => format!("{seconds} s"),
        60..3600 => format!("{} min {} s", seconds / 60, seconds % 60),
        _ => format!("{} h {} min", seconds / 3600, seconds / 60 % 60),
    }
}

/// A run's duration: `12.3 ms`.
fn took(millis: f64) -> String {
    format!("{millis:.1} ms")
}

fn escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            c => escaped.push(c),
        }
    }
    escaped
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles_are_escaped_in_the_markup_and_the_script() {
        let state = serde_json::json!({
            "now_ms": 0,
            "probes": [{"probe": "ready", "status": "fail", "title": "</script><b>x</b>", "checks": []}],
            "lifecycle": {},
            "history": [],
        });
        let page = page(&state);
        assert!(!page.contains("<b>x</b>"));
        assert!(page.contains("&lt;/script&gt;&lt;b&gt;x&lt;/b&gt;"));
        assert_eq!(
            page.matches("</script>").count(),
            TEMPLATE.matches("</script>").count()
        );
    }

    #[test]
    fn a_title_holding_the_template_marks_stays_text() {
        let title = "/*STATE*/ <!--PAINT--> onfocus=alert(1)";
        let state = serde_json::json!({
            "now_ms": 1000,
            "probes": [{"probe": "ready", "status": "fail", "title": title, "checks": []}],
            "lifecycle": {},
            "history": [{"subject": "ready", "status": "fail", "title": title, "time": "t", "at_ms": 0}],
        });
        let page = page(&state);
        assert_eq!(
            page.matches("/*STATE*/").count(),
            5,
            "the row, the segment's title and label, and the JSON's two"
        );
        assert_eq!(
            page.matches(r#"<script id="state" type="application/json">{"#)
                .count(),
            1
        );
        assert!(
            !page.contains("\" onfocus"),
            "no attribute is closed by the title"
        );
    }

    /// The row of `subject` in `page`.
    fn row_of<'a>(page: &'a str, subject: &str) -> &'a str {
        let at = page
            .find(&format!("data-subject=\"{subject}\""))
            .unwrap_or_else(|| panic!("no row {subject}"));
        &page[at..at + page[at..].find("</tr>").unwrap()]
    }

    #[tokio::test]
    async fn signals_read_as_states_and_a_withheld_heartbeat_is_named_alone() {
        let lifecycle = crate::Lifecycle::new();
        lifecycle.mark_broken("Schema too new");
        let beat = lifecycle.heartbeat("worker", std::time::Duration::from_secs(30));
        let health = lifecycle.health();
        let shown = page(&crate::ui::view::now(&health, &lifecycle, true));
        let badge = |subject: &str| {
            let row = row_of(&shown, subject);
            let start = row.find("<span class=\"badge").unwrap();
            let word = &row[start..];
            word[word.find('>').unwrap() + 1..word.find("</span>").unwrap()].to_owned()
        };
        assert_eq!(badge("started"), "NOT STARTED");
        assert_eq!(badge("shutting down"), "NO");
        assert_eq!(badge("broken"), "YES");
        assert!(row_of(&shown, "broken").contains("Schema too new"));
        assert_eq!(badge("not ready"), "NO");
        assert_eq!(badge("heartbeat:worker"), "PASS");

        let withheld = page(&crate::ui::view::now(&health, &lifecycle, false));
        assert!(!withheld.contains("heartbeat:"), "a dangling separator");
        assert!(row_of(&withheld, "heartbeat").contains("PASS"));
        assert!(!withheld.contains("Schema too new"));
        beat.finish();
    }

    #[test]
    fn ages() {
        assert_eq!(age(4_500.0), "4 s");
        assert_eq!(age(125_000.0), "2 min 5 s");
        assert_eq!(age(3_780_000.0), "1 h 3 min");
    }
}
