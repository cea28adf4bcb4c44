//! The top-level modules of each crate depend on each other one way only:
//! no two of them name each other. (Inside a folder, a module and its
//! children may.)

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// What the crate root re-exports, by the module that defines it.
const ROOT_NAMES: &[(&str, &str)] = &[
    ("HealthError", "base"),
    ("ProbeResult", "base"),
    ("Options", "base"),
    ("Checks", "base"),
    ("Lifecycle", "lifecycle"),
    ("lifecycle", "lifecycle"),
    ("Heartbeat", "lifecycle"),
    ("ReadinessHold", "lifecycle"),
    ("ShutdownSignal", "lifecycle"),
    ("Health", "health"),
    ("Healthz", "builder"),
    ("Details", "details"),
    ("router", "probe"),
    ("serve", "probe"),
];

/// The top-level module each file of `dir` belongs to, with its text.
fn files(dir: &Path, top: Option<&str>, out: &mut Vec<(String, String)>) {
    for entry in std::fs::read_dir(dir).expect("read the source directory") {
        let path = entry.expect("a directory entry").path();
        let name = path.file_stem().unwrap().to_str().unwrap().to_owned();
        if path.is_dir() {
            files(&path, Some(top.unwrap_or(&name)), out);
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            let module = top.map_or(name, str::to_owned);
            // Code only: a doc link is no dependency.
            let text = std::fs::read_to_string(&path).unwrap();
            let code: Vec<&str> = (text.lines())
                .filter(|line| !line.trim_start().starts_with("//"))
                .collect();
            out.push((module, code.join("\n")));
        }
    }
}

#[test]
fn no_two_top_level_modules_of_the_runtime_name_each_other() {
    assert_one_way("healthz/src", ROOT_NAMES);
}

#[test]
fn no_two_modules_of_the_attributes_name_each_other() {
    assert_one_way("healthz-macros/src", &[]);
}

/// Fails if two top-level modules of the crate in `dir` name each other,
/// through `crate::` paths or the names the crate root re-exports.
fn assert_one_way(dir: &str, root_names: &[(&str, &str)]) {
    let mut sources = Vec::new();
    files(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join(dir),
        None,
        &mut sources,
    );
    let modules: BTreeSet<String> = sources.iter().map(|(module, _)| module.clone()).collect();
    let root: BTreeMap<&str, &str> = root_names.iter().copied().collect();

    let mut uses: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (module, text) in &sources {
        if module == "lib" {
            continue;
        }
        for (at, _) in text.match_indices("crate::") {
            let rest = &text[at + "crate::".len()..];
            let mut names = vec![];
            if let Some(list) = rest.strip_prefix('{') {
                let list = &list[..list.find('}').unwrap_or(list.len())];
                names.extend(
                    list.split(',')
                        .map(|name| name.trim().split("::").next().unwrap_or("")),
                );
            } else {
                names.push(
                    rest.split(|c: char| !(c.is_alphanumeric() || c == '_'))
                        .next()
                        .unwrap(),
                );
            }
            for name in names {
                let target = if modules.contains(name) {
                    name
                } else if let Some(defined) = root.get(name) {
                    defined
                } else {
                    continue;
                };
                if target != module {
                    uses.entry(module.clone())
                        .or_default()
                        .insert(target.to_owned());
                }
            }
        }
    }
    let mut both_ways = Vec::new();
    for (module, targets) in &uses {
        for target in targets {
            if module < target && uses.get(target).is_some_and(|back| back.contains(module)) {
                both_ways.push(format!("{module} <-> {target}"));
            }
        }
    }
    assert!(
        both_ways.is_empty(),
        "modules that name each other: {both_ways:?}\nall uses: {uses:#?}"
    );
}
