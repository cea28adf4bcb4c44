//! The README's, CONTRIBUTING's and `docs/`'s links lead to pages that
//! exist, and their dependency lines resolve to what the workspace builds.
//!
//! Offline and with std alone: a relative link must name a file of the
//! repository, and an anchor a heading of that file; a web link passes
//! unless it points at a page of healthz itself, which is not published
//! and so has none.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// Where the README tells users to depend on healthz from, until it is
/// published: a clone beside their project, or the repository.
const CLONE: &str = "../healthz";
const GIT: &str = "https://github.com/healthz-rs/healthz";

/// The crates of this repository, which no registry serves yet.
const OWN_CRATES: [&str; 2] = ["healthz", "healthz-macros"];

/// Pages that would document the crate once published, and do not exist
/// until then.
const UNPUBLISHED: [&str; 3] = [
    "docs.rs/healthz",
    "crates.io/crates/healthz",
    "lib.rs/crates/healthz",
];

/// The manifests whose dependency requirements the docs may show.
const MANIFESTS: [&str; 3] = ["Cargo.toml", "healthz/Cargo.toml", "examples/Cargo.toml"];

#[test]
fn every_link_leads_to_a_page_that_exists() {
    let mut wrong = Vec::new();
    for page in pages() {
        let text = read(&page);
        let name = shown(&page);
        let links = links(&text);
        let labels: BTreeSet<String> = (links.iter())
            .filter_map(|link| link.label.clone())
            .collect();
        for link in &links {
            if let Some(used) = &link.uses_label {
                if !labels.contains(used) {
                    wrong.push(format!(
                        "{name}:{}: [{used}]: no reference definition `[{used}]: ...` on the page",
                        link.line
                    ));
                }
                continue;
            }
            if let Err(why) = check_target(&page, &link.target) {
                wrong.push(format!("{name}:{}: ({}): {why}", link.line, link.target));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "links that lead nowhere:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn every_dependency_line_resolves_to_what_the_workspace_builds() {
    let workspace = Workspace::read();
    let mut wrong = Vec::new();
    for page in pages() {
        let name = shown(&page);
        for dep in toml_dependencies(&read(&page)) {
            if let Err(why) = workspace.check(&dep) {
                wrong.push(format!("{name}:{}: `{}`: {why}", dep.line, dep.text));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "dependency lines that do not resolve, or not to what the workspace builds:\n{}",
        wrong.join("\n")
    );
}

/// README.md, CONTRIBUTING.md and every page of `docs/`.
fn pages() -> Vec<PathBuf> {
    let root = Path::new(ROOT);
    let mut docs: Vec<PathBuf> = fs::read_dir(root.join("docs"))
        .expect("read docs/")
        .map(|entry| entry.expect("read docs/").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "md"))
        .collect();
    docs.sort();
    let mut pages = vec![root.join("README.md"), root.join("CONTRIBUTING.md")];
    pages.extend(docs);
    pages
}

fn read(path: &Path) -> String {
    fs::read_to_string(path).unwrap_or_else(|e| panic!("read {}: {e}", shown(path)))
}

/// A path as the repository names it.
fn shown(path: &Path) -> String {
    let relative = path.strip_prefix(ROOT).unwrap_or(path);
    relative.to_string_lossy().replace('\\', "/")
}

// ---------------------------------------------------------------------------
// Links

/// A link found on a page: an inline `[text](target)`, a reference
/// definition `[label]: target`, or a use `[text][label]` of one.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Link {
    line: usize,
    target: String,
    /// Set for a reference definition: its label, lower case.
    label: Option<String>,
    /// Set for a `[text][label]` link: the label it needs, lower case.
    uses_label: Option<String>,
}

/// The page's links outside code: fenced blocks and code spans hold
/// examples, not links.
fn links(markdown: &str) -> Vec<Link> {
    let prose = blank_code_spans(&blank_fences(markdown));
    let mut found = Vec::new();
    for (at, line) in prose.lines().enumerate() {
        if let Some((label, target)) = reference_definition(line) {
            found.push(Link {
                line: at + 1,
                target,
                label: Some(label),
                uses_label: None,
            });
        }
    }
    let bytes = prose.as_bytes();
    for open in 0..bytes.len() {
        if bytes[open] != b'[' || (open > 0 && bytes[open - 1] == b'\\') {
            continue;
        }
        let Some(close) = matching_bracket(&prose, open) else {
            continue;
        };
        let line = prose[..open].matches('\n').count() + 1;
        let after = &prose[close + 1..];
        if let Some(inside) = after.strip_prefix('(') {
            if let Some(target) = inline_target(inside) {
                found.push(Link {
                    line,
                    target,
                    label: None,
                    uses_label: None,
                });
            }
        } else if let Some(inside) = after.strip_prefix('[') {
            if let Some(end) = inside.find(']') {
                // `[text][]` uses the text as its label.
                let label = match &inside[..end] {
                    "" => &prose[open + 1..close],
                    label => label,
                };
                found.push(Link {
                    line,
                    target: String::new(),
                    label: None,
                    uses_label: Some(normalise_label(label)),
                });
            }
        }
    }
    // Autolinks, `<https://...>`, are links too.
    for (at, line) in prose.lines().enumerate() {
        let mut rest = line;
        while let Some(start) = rest.find("<http") {
            let Some(end) = rest[start..].find('>') else {
                break;
            };
            found.push(Link {
                line: at + 1,
                target: rest[start + 1..start + end].to_owned(),
                label: None,
                uses_label: None,
            });
            rest = &rest[start + end..];
        }
    }
    found.sort_by_key(|link| link.line);
    found
}

/// The text with every line of a fenced code block, fences included, made
/// empty, so that line numbers stay as they are.
fn blank_fences(markdown: &str) -> String {
    let mut out = String::with_capacity(markdown.len());
    let mut fence: Option<(char, usize)> = None;
    for line in markdown.lines() {
        let marker = fence_marker(line);
        match (fence, marker) {
            (None, Some((mark, len, _))) => fence = Some((mark, len)),
            (Some((mark, len)), Some((other, other_len, info)))
                if other == mark && other_len >= len && info.is_empty() =>
            {
                fence = None;
            }
            (None, None) => out.push_str(line),
            _ => {}
        }
        out.push('\n');
    }
    out
}

/// A fence line's character, length and info string (`rust,no_run`).
fn fence_marker(line: &str) -> Option<(char, usize, &str)> {
    let indent = line.len() - line.trim_start_matches(' ').len();
    if indent > 3 {
        return None;
    }
    let line = &line[indent..];
    let mark = line.chars().next().filter(|c| *c == '`' || *c == '~')?;
    let len = line.len() - line.trim_start_matches(mark).len();
    (len >= 3).then(|| (mark, len, line[len..].trim()))
}

/// The text with the inside of each code span turned to spaces: `` `[+]` ``
/// and `` `[dependencies]` `` are not links.
fn blank_code_spans(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    while at < chars.len() {
        if chars[at] != '`' {
            out.push(chars[at]);
            at += 1;
            continue;
        }
        let run = chars[at..].iter().take_while(|c| **c == '`').count();
        let closing = (at + run..chars.len()).find(|&from| {
            chars[from..].iter().take_while(|c| **c == '`').count() == run
                && (from == 0 || chars[from - 1] != '`')
        });
        match closing {
            Some(end) => {
                out.extend(std::iter::repeat_n('`', run));
                for c in &chars[at + run..end] {
                    out.push(if *c == '\n' { '\n' } else { ' ' });
                }
                out.extend(std::iter::repeat_n('`', run));
                at = end + run;
            }
            None => {
                out.extend(&chars[at..at + run]);
                at += run;
            }
        }
    }
    out
}

/// The `]` that closes the `[` at `open`, within one paragraph.
fn matching_bracket(text: &str, open: usize) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut depth = 0;
    for at in open..bytes.len() {
        match bytes[at] {
            b'\n' if bytes.get(at + 1) == Some(&b'\n') => return None,
            b'[' if at == open || bytes[at - 1] != b'\\' => depth += 1,
            b']' if bytes[at - 1] != b'\\' => {
                depth -= 1;
                if depth == 0 {
                    return Some(at);
                }
            }
            _ => {}
        }
    }
    None
}

/// The destination of an inline link, from just after its `(`: `<...>`,
/// or up to a space or the `)` that balances it; a title after it is
/// dropped.
fn inline_target(inside: &str) -> Option<String> {
    let inside = inside.trim_start();
    if let Some(angled) = inside.strip_prefix('<') {
        return angled.find('>').map(|end| angled[..end].to_owned());
    }
    let mut depth = 0;
    for (at, c) in inside.char_indices() {
        match c {
            '(' => depth += 1,
            ')' if depth == 0 => return Some(inside[..at].to_owned()),
            ')' => depth -= 1,
            c if c.is_whitespace() => {
                let rest = inside[at..].trim_start();
                // A title, then the closing parenthesis.
                return rest.contains(')').then(|| inside[..at].to_owned());
            }
            _ => {}
        }
    }
    None
}

/// `[label]: target`, indented by three spaces at most.
fn reference_definition(line: &str) -> Option<(String, String)> {
    let indent = line.len() - line.trim_start_matches(' ').len();
    let rest = line[indent..].strip_prefix('[').filter(|_| indent <= 3)?;
    let end = rest.find("]:")?;
    let label = &rest[..end];
    if label.is_empty() || label.starts_with('^') || label.contains('[') {
        return None;
    }
    let target = rest[end + 2..].split_whitespace().next()?;
    let target = target
        .strip_prefix('<')
        .and_then(|t| t.strip_suffix('>'))
        .unwrap_or(target);
    Some((normalise_label(label), target.to_owned()))
}

/// Labels match case-insensitively, whatever their inner spacing.
fn normalise_label(label: &str) -> String {
    label
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// Whether `target`, found on `page`, leads somewhere.
fn check_target(page: &Path, target: &str) -> Result<(), String> {
    if target.is_empty() {
        return Err("an empty link".to_owned());
    }
    if let Some(anchor) = target.strip_prefix('#') {
        return check_anchor(page, anchor);
    }
    if let Some(scheme_end) = scheme(target) {
        let scheme = &target[..scheme_end];
        if scheme == "http" || scheme == "https" {
            let address = target[scheme_end + 1..].trim_start_matches('/');
            let address = address.strip_prefix("www.").unwrap_or(address);
            if let Some(page) = UNPUBLISHED.iter().find(|p| unpublished_page(address, p)) {
                return Err(format!(
                    "a page of the unpublished crate ({page}), which does not exist: \
                     link into the repository instead"
                ));
            }
        }
        return Ok(());
    }
    let (path, anchor) = match target.split_once('#') {
        Some((path, anchor)) => (path, Some(anchor)),
        None => (target, None),
    };
    let path = path.split_once('?').map_or(path, |(path, _)| path);
    let file = match path.strip_prefix('/') {
        Some(from_root) => Path::new(ROOT).join(from_root),
        None => page.parent().expect("a page's directory").join(path),
    };
    if !file.exists() {
        return Err(format!("no such file: {}", shown(&normalise(&file))));
    }
    match anchor {
        None => Ok(()),
        Some(_) if file.is_dir() => Err("an anchor into a directory".to_owned()),
        Some(anchor) => check_anchor(&file, anchor),
    }
}

/// Whether the page at `address` (past the scheme) is `page` or below it,
/// such as `docs.rs/healthz/latest/...`, but not `docs.rs/healthzx`.
fn unpublished_page(address: &str, page: &str) -> bool {
    address
        .strip_prefix(page)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with(['/', '?', '#', '-']))
}

/// The end of a URL's scheme (`https:`), if it has one.
fn scheme(target: &str) -> Option<usize> {
    let end = target.find(':')?;
    let scheme = &target[..end];
    let mut chars = scheme.chars();
    let valid = chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c));
    valid.then_some(end)
}

fn check_anchor(file: &Path, anchor: &str) -> Result<(), String> {
    if file.extension().is_none_or(|ext| ext != "md") {
        return Err(format!(
            "an anchor into {}, which is not a Markdown page",
            shown(file)
        ));
    }
    let slugs = heading_slugs(&read(file));
    if slugs.iter().any(|slug| slug == anchor) {
        Ok(())
    } else {
        Err(format!(
            "no heading of {} has the slug {anchor:?}; it has {}",
            shown(&normalise(file)),
            slugs.join(", ")
        ))
    }
}

/// `a/b/../c` as `a/c`, for messages.
fn normalise(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for part in path.components() {
        match part {
            std::path::Component::ParentDir => {
                out.pop();
            }
            std::path::Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

/// The anchors GitHub gives the page's headings, in order; a repeated
/// heading gets `-1`, `-2`, ... as GitHub numbers them. The pages use ATX
/// headings (`## Title`) only.
fn heading_slugs(markdown: &str) -> Vec<String> {
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    let mut slugs = Vec::new();
    for line in blank_fences(markdown).lines() {
        let indent = line.len() - line.trim_start_matches(' ').len();
        let hashes = line[indent..].len() - line[indent..].trim_start_matches('#').len();
        let rest = &line[indent + hashes..];
        if indent > 3 || !(1..=6).contains(&hashes) || !(rest.is_empty() || rest.starts_with(' ')) {
            continue;
        }
        // A closing run of `#` is not part of the title.
        let title = rest.trim().trim_end_matches('#').trim_end();
        let slug = slug(title);
        let count = seen.entry(slug.clone()).or_insert(0);
        slugs.push(match *count {
            0 => slug,
            n => format!("{slug}-{n}"),
        });
        *count += 1;
    }
    slugs
}

/// GitHub's anchor for a heading: lower case, with everything but letters,
/// digits, spaces, hyphens and underscores dropped, and spaces turned to
/// hyphens.
fn slug(title: &str) -> String {
    title
        .to_lowercase()
        .chars()
        .filter(|c| c.is_alphanumeric() || matches!(c, ' ' | '-' | '_'))
        .map(|c| if c == ' ' { '-' } else { c })
        .collect()
}

// ---------------------------------------------------------------------------
// Dependency lines

/// A dependency line of a `toml` code block.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Dependency {
    line: usize,
    text: String,
    /// The crate, `package = "..."` of a renamed dependency included.
    name: String,
    version: Option<String>,
    path: Option<String>,
    git: Option<String>,
}

/// The dependency lines of the page's `toml` code blocks: `name = "req"`
/// or `name = { ... }` in a dependency table, or in a block that names no
/// table at all (a line to paste under `[dependencies]`).
fn toml_dependencies(markdown: &str) -> Vec<Dependency> {
    let mut found = Vec::new();
    let mut block: Option<(char, usize)> = None;
    let mut in_deps = true;
    for (at, line) in markdown.lines().enumerate() {
        let marker = fence_marker(line);
        match (block, marker) {
            (None, Some((mark, len, info))) => {
                if info.split([',', ' ']).next() == Some("toml") {
                    block = Some((mark, len));
                    in_deps = true;
                }
                continue;
            }
            (Some((mark, len)), Some((other, other_len, info)))
                if other == mark && other_len >= len && info.is_empty() =>
            {
                block = None;
                continue;
            }
            (None, None) => continue,
            _ => {}
        }
        if let Some(table) = table_header(line) {
            in_deps = is_dependency_table(&table);
        } else if in_deps && let Some(dep) = dependency(line, at + 1) {
            found.push(dep);
        }
    }
    found
}

/// The name of a `[table]` header.
fn table_header(line: &str) -> Option<String> {
    let line = strip_comment(line).trim();
    let inner = line.strip_prefix('[')?.strip_suffix(']')?;
    Some(inner.trim_matches(['[', ']']).trim().to_owned())
}

/// `dependencies`, `dev-dependencies`, `workspace.dependencies`,
/// `target.'cfg(unix)'.dependencies` and the like.
fn is_dependency_table(table: &str) -> bool {
    table.ends_with("dependencies")
}

/// One `name = "req"` or `name = { version = ..., path = ... }` line.
fn dependency(line: &str, number: usize) -> Option<Dependency> {
    let text = line.trim();
    let (key, value) = strip_comment(text).split_once('=')?;
    let key = key.trim();
    if key.is_empty()
        || !key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return None;
    }
    let value = value.trim();
    let mut dep = Dependency {
        line: number,
        text: text.to_owned(),
        name: key.to_owned(),
        version: None,
        path: None,
        git: None,
    };
    if let Some(version) = string_value(value) {
        dep.version = Some(version);
        return Some(dep);
    }
    let table = inline_table(value)?;
    dep.version = table.get("version").cloned();
    dep.path = table.get("path").cloned();
    dep.git = table.get("git").cloned();
    if let Some(package) = table.get("package") {
        dep.name = package.clone();
    }
    let is_dependency = dep.version.is_some()
        || dep.path.is_some()
        || dep.git.is_some()
        || table.contains_key("workspace");
    is_dependency.then_some(dep)
}

/// The line without a `#` comment, leaving `#` inside strings alone.
fn strip_comment(line: &str) -> &str {
    let mut quote = None;
    for (at, c) in line.char_indices() {
        match (quote, c) {
            (None, '"' | '\'') => quote = Some(c),
            (Some(q), c) if c == q => quote = None,
            (None, '#') => return &line[..at],
            _ => {}
        }
    }
    line
}

/// A TOML string's contents, for the plain strings manifests use.
fn string_value(value: &str) -> Option<String> {
    let value = value.trim();
    ["\"", "'"].iter().find_map(|q| {
        let inner = value.strip_prefix(q)?.strip_suffix(q)?;
        (!inner.contains(q)).then(|| inner.to_owned())
    })
}

/// The string-valued keys of an inline table, `{ version = "1", ... }`;
/// `workspace = true` is kept as `"true"`.
fn inline_table(value: &str) -> Option<BTreeMap<String, String>> {
    let inner = value.trim().strip_prefix('{')?.strip_suffix('}')?;
    let mut entries = BTreeMap::new();
    for entry in split_top_level(inner) {
        let Some((key, value)) = entry.split_once('=') else {
            continue;
        };
        let key = key.trim().to_owned();
        let value = value.trim();
        if let Some(text) = string_value(value) {
            entries.insert(key, text);
        } else if value == "true" || value == "false" {
            entries.insert(key, value.to_owned());
        }
    }
    Some(entries)
}

/// The entries of an inline table, split at commas outside strings and
/// arrays.
fn split_top_level(inner: &str) -> Vec<&str> {
    let mut entries = Vec::new();
    let (mut depth, mut quote, mut start) = (0, None, 0);
    for (at, c) in inner.char_indices() {
        match (quote, c) {
            (None, '"' | '\'') => quote = Some(c),
            (Some(q), c) if c == q => quote = None,
            (None, '[' | '{') => depth += 1,
            (None, ']' | '}') => depth -= 1,
            (None, ',') if depth == 0 => {
                entries.push(&inner[start..at]);
                start = at + 1;
            }
            _ => {}
        }
    }
    entries.push(&inner[start..]);
    entries
}

/// What the workspace's manifests say: its version, and each crate's
/// requirements with the manifests that give them.
struct Workspace {
    version: String,
    requirements: BTreeMap<String, BTreeMap<String, Vec<&'static str>>>,
}

impl Workspace {
    fn read() -> Workspace {
        let mut version = None;
        let mut requirements: BTreeMap<String, BTreeMap<String, Vec<&'static str>>> =
            BTreeMap::new();
        for manifest in MANIFESTS {
            let text = read(&Path::new(ROOT).join(manifest));
            let mut table = String::new();
            for (at, line) in text.lines().enumerate() {
                if let Some(header) = table_header(line) {
                    table = header;
                } else if table == "workspace.package" {
                    if let Some(("version", value)) =
                        line.split_once('=').map(|(k, v)| (k.trim(), v))
                    {
                        version = string_value(strip_comment(value));
                    }
                } else if is_dependency_table(&table)
                    && let Some(dep) = dependency(line, at + 1)
                    && let Some(req) = dep.version
                {
                    let manifests = requirements.entry(dep.name).or_default();
                    manifests.entry(req).or_default().push(manifest);
                }
            }
        }
        Workspace {
            version: version.expect("Cargo.toml gives [workspace.package] version"),
            requirements,
        }
    }

    /// Whether a line of the docs resolves, and to what the workspace
    /// builds.
    fn check(&self, dep: &Dependency) -> Result<(), String> {
        let name = dep.name.as_str();
        if OWN_CRATES.contains(&name) {
            let path = format!("{CLONE}/{name}");
            let from_clone = dep.path.as_deref() == Some(path.as_str());
            let from_git = dep.git.as_deref() == Some(GIT);
            if !from_clone && !from_git {
                return Err(format!(
                    "{name} is not published: depend on path = \"{path}\" or git = \"{GIT}\", \
                     as the README's install section does"
                ));
            }
            return match &dep.version {
                Some(req) if *req != self.version => Err(format!(
                    "version = \"{req}\" is not the workspace's version, \"{}\": leave it out",
                    self.version
                )),
                _ => Ok(()),
            };
        }
        let Some(known) = self.requirements.get(name) else {
            return Err(format!(
                "no manifest of the workspace ({}) depends on {name}: the docs show only \
                 dependencies the workspace builds",
                MANIFESTS.join(", ")
            ));
        };
        let used = || {
            (known.iter())
                .map(|(req, manifests)| format!("\"{req}\" in {}", manifests.join(", ")))
                .collect::<Vec<_>>()
                .join("; ")
        };
        match &dep.version {
            None => Err(format!(
                "no version: give {name} the requirement the workspace uses ({})",
                used()
            )),
            Some(req) if !known.contains_key(req) => Err(format!(
                "{name} \"{req}\" is not what the workspace uses ({})",
                used()
            )),
            Some(_) => Ok(()),
        }
    }
}

// ---------------------------------------------------------------------------
// The checks' own parts

#[test]
fn slugs_follow_github() {
    assert_eq!(slug("Graceful shutdown"), "graceful-shutdown");
    assert_eq!(
        slug("Timeouts, caching and panics"),
        "timeouts-caching-and-panics"
    );
    assert_eq!(
        slug("The app's view of health, metrics and spans"),
        "the-apps-view-of-health-metrics-and-spans"
    );
    assert_eq!(
        slug("`#[tracing::instrument]` on a probe"),
        "tracinginstrument-on-a-probe"
    );
    assert_eq!(
        slug("snake_case and kebab-case"),
        "snake_case-and-kebab-case"
    );
    // Spaces are not collapsed: each is a hyphen.
    assert_eq!(slug("A  B"), "a--b");
    assert_eq!(slug("Über Größe"), "über-größe");
}

#[test]
fn repeated_headings_are_numbered_and_code_is_not_a_heading() {
    let page = "# Title\n\n## Usage\n\n```sh\n# a comment\n```\n\n## Usage\n\n### Closed ###\n#not a heading\n";
    assert_eq!(heading_slugs(page), ["title", "usage", "usage-1", "closed"]);
}

#[test]
fn links_are_found_outside_code() {
    let page = "\
See [the guide](docs/shutdown.md#what-it-does) and [`x`](../x.rs \"a title\").
`[not](a-link.md)` and [+]database ok.

```rust
let link = \"[nor](this.md)\";
```

A link over
[two
lines](two.md), an ![image](pic.png), <https://example.com/a>, [used][ref].

[ref]: https://example.com/ref
";
    let targets: Vec<(usize, &str)> = (links(page).iter())
        .map(|link| (link.line, link.target.as_str()))
        .collect::<Vec<_>>()
        .into_iter()
        .map(|(line, target)| (line, &*target.to_owned().leak()))
        .collect();
    assert_eq!(
        targets,
        [
            (1, "docs/shutdown.md#what-it-does"),
            (1, "../x.rs"),
            (9, "two.md"),
            (10, "pic.png"),
            (10, ""),
            (10, "https://example.com/a"),
            (12, "https://example.com/ref"),
        ]
    );
    let uses: Vec<String> = links(page)
        .into_iter()
        .filter_map(|link| link.uses_label)
        .collect();
    assert_eq!(uses, ["ref"]);
}

#[test]
fn pages_of_the_unpublished_crate_are_refused() {
    let page = Path::new(ROOT).join("README.md");
    for target in [
        "https://docs.rs/healthz/latest/healthz/#graceful-shutdown",
        "https://docs.rs/healthz",
        "https://crates.io/crates/healthz",
        "https://lib.rs/crates/healthz",
        "https://docs.rs/healthz-macros",
    ] {
        assert!(check_target(&page, target).is_err(), "{target}");
    }
    for target in [
        "https://docs.rs/axum",
        "https://docs.rs/metrics",
        "https://docs.rs/healthzx",
        "https://github.com/healthz-rs/healthz",
        "mailto:someone@example.com",
    ] {
        assert_eq!(check_target(&page, target), Ok(()), "{target}");
    }
}

#[test]
fn relative_links_need_the_file_and_the_heading() {
    let readme = Path::new(ROOT).join("README.md");
    assert_eq!(check_target(&readme, "docs/shutdown.md"), Ok(()));
    assert_eq!(check_target(&readme, "#named-checks"), Ok(()));
    assert_eq!(check_target(&readme, "examples/kubernetes"), Ok(()));
    let missing = check_target(&readme, "docs/nowhere.md").unwrap_err();
    assert!(missing.contains("docs/nowhere.md"), "{missing}");
    let no_heading = check_target(&readme, "docs/shutdown.md#nowhere").unwrap_err();
    assert!(no_heading.contains("\"nowhere\""), "{no_heading}");
    let guide = Path::new(ROOT).join("docs/shutdown.md");
    assert_eq!(check_target(&guide, "../README.md#kubernetes"), Ok(()));
}

#[test]
fn dependency_lines_are_read_from_toml_blocks() {
    let page = "\
```toml
[dependencies]
healthz = { path = \"../healthz/healthz\", features = [\"grpc\", \"metrics\"] } # a comment
# healthz = \"0.2\"
axum = \"0.8\"
hz = { package = \"healthz\", version = \"0.2\" }

[features]
default = [\"metrics\"]

[package]
version = \"0.1.0\"
```

```toml
tonic = { version = \"0.14\", default-features = false }
```

```sh
healthz = \"0.2\"
```
";
    let deps: Vec<(usize, String, Option<String>, Option<String>)> = toml_dependencies(page)
        .into_iter()
        .map(|dep| (dep.line, dep.name, dep.version, dep.path))
        .collect();
    let some = |s: &str| Some(s.to_owned());
    assert_eq!(
        deps,
        [
            (3, "healthz".to_owned(), None, some("../healthz/healthz")),
            (5, "axum".to_owned(), some("0.8"), None),
            (6, "healthz".to_owned(), some("0.2"), None),
            (16, "tonic".to_owned(), some("0.14"), None),
        ]
    );
}

#[test]
fn dependency_lines_are_held_to_the_workspace() {
    let workspace = Workspace {
        version: "0.2.0".to_owned(),
        requirements: BTreeMap::from([(
            "sqlx".to_owned(),
            BTreeMap::from([
                ("0.9".to_owned(), vec!["healthz/Cargo.toml"]),
                ("0.8".to_owned(), vec!["healthz/Cargo.toml"]),
            ]),
        )]),
    };
    let check = |line: &str| workspace.check(&dependency(line, 1).expect(line));
    assert_eq!(
        check(r#"healthz = { path = "../healthz/healthz" }"#),
        Ok(())
    );
    assert_eq!(check(&format!(r#"healthz = {{ git = "{GIT}" }}"#)), Ok(()));
    assert_eq!(
        check(r#"healthz = { path = "../healthz/healthz", version = "0.2.0" }"#),
        Ok(())
    );
    assert!(check(r#"healthz = "0.2""#).is_err());
    assert!(check(r#"healthz = { version = "0.2", features = ["grpc"] }"#).is_err());
    assert!(check(r#"healthz = { path = "../healthz/healthz", version = "0.3" }"#).is_err());
    assert_eq!(check(r#"sqlx = "0.9""#), Ok(()));
    assert_eq!(
        check(r#"sqlx = { version = "0.8", features = ["postgres"] }"#),
        Ok(())
    );
    let old = check(r#"sqlx = "0.7""#).unwrap_err();
    assert!(old.contains("\"0.9\" in healthz/Cargo.toml"), "{old}");
    assert!(check(r#"leftpad = "1""#).is_err());
}
