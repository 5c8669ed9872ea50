//! pmtad's modules import one another without a cycle.
//!
//! # Granularity
//!
//! The graph is drawn per folder of the module tree, between sibling modules: the crate's
//! top-level modules (`daemon`, `outbound`, `acct`, …) form one graph; the children of each
//! module with children (`outbound::connection`, `outbound::scheduler`, …) form one graph
//! each. A file names another module with a path starting `crate::`, `super::` or `self::`
//! (in a `use` declaration or inline). That path goes from the file's module to the module
//! owning the item named, after following `pub use` re-exports to where the item is
//! defined: `crate::daemon::Policies` from `outbound::rollup` owns to `daemon::policies`. The
//! edge is then drawn between the two sides' ancestors that are siblings:
//! `outbound::rollup -> daemon::policies` is `outbound -> daemon` among the top-level
//! modules. Not edges: a module and its own descendants naming each other (a parent and
//! its children are one unit: `mod` declarations, the parent's `use child::…`, a child's
//! `super::Item` of an item defined in the parent itself), external crates, and test code
//! (`#[cfg(test)]` items and test-only modules).
//!
//! So a cycle reported here is one a reader meets: to understand either side you need the
//! other. The message names one use per edge of the cycle (file and line).

use std::collections::{BTreeMap, BTreeSet, HashMap};

use super::scan::{SourceFile, crate_files, named_paths, workspace};

type ModPath = Vec<String>;

/// Where an edge was seen, for the failure message.
#[derive(Debug, Clone)]
struct Witness {
    file: String,
    line: usize,
    path: String,
}

/// One folder's sibling graph: from child name to child name, with a witness.
type Graph = BTreeMap<String, BTreeMap<String, Witness>>;

#[test]
fn pmtad_modules_import_one_another_without_a_cycle() {
    let files = crate_files(&workspace().join("pmtad"));
    let graphs = sibling_graphs(&files);
    let mut report = Vec::new();
    for (folder, graph) in &graphs {
        for cycle in cycles(graph) {
            report.push(describe(folder, graph, &cycle));
        }
    }
    assert!(
        report.is_empty(),
        "import cycles among pmtad's modules (granularity in tests/tests/source_layout/imports.rs):\n\n{}",
        report.join("\n\n")
    );
}

/// Edges the layout is known to have are seen, and none the daemon must not have.
#[test]
fn the_graph_sees_known_imports() {
    let files = crate_files(&workspace().join("pmtad"));
    let graphs = sibling_graphs(&files);
    let root = &graphs[&Vec::<String>::new()];
    assert!(
        root["outbound"].contains_key("daemon"),
        "{:?}",
        root["outbound"]
    );
    assert!(root["cli"].contains_key("outbound"), "{:?}", root["cli"]);
    assert!(
        !root["daemon"].contains_key("outbound"),
        "{:?}",
        root["daemon"]
    );
    let outbound = &graphs[&vec!["outbound".to_string()]];
    assert!(outbound["connection"].contains_key("after_attempt"));
}

/// Two sibling files naming each other, one in a `use` and one inline, make a cycle; a
/// parent and its child naming each other, or a `#[cfg(test)]` use, do not.
#[test]
fn a_cycle_is_found_and_parent_child_or_test_uses_are_not_edges() {
    let file = |module: &[&str], text: &str| {
        let (code, test_children) = super::scan::drop_test_items(&super::scan::blank(text));
        SourceFile {
            shown: module.join("/"),
            module: module.iter().map(|s| s.to_string()).collect(),
            code,
            test_children,
        }
    };
    let files = vec![
        file(&[], "pub mod a; pub mod b;"),
        file(
            &["a"],
            "mod c;\nuse crate::b::{X, y as z};\nfn f() { c::g() }",
        ),
        file(
            &["a", "c"],
            "fn g() { super::f(); let s = \"crate::b::Q\"; }",
        ),
        file(
            &["b"],
            "// crate::a::f\nfn y() { crate::a::c::g() }\n#[cfg(test)]\nmod t { use crate::a; }",
        ),
    ];
    let graphs = sibling_graphs(&files);
    let root = &graphs[&Vec::<String>::new()];
    assert_eq!(cycles(root), vec![vec!["a".to_string(), "b".to_string()]]);
    assert_eq!(
        root["b"]["a"].line, 2,
        "the comment is not an edge, the inline path is"
    );
    assert!(
        !graphs.contains_key(&vec!["a".to_string()]),
        "parent and child: no edge"
    );
}

/// Every module of the crate (a file, or a folder's `mod.rs`), and the ancestors of each.
fn modules(files: &[SourceFile]) -> BTreeSet<ModPath> {
    let mut all = BTreeSet::new();
    for f in files {
        for n in 0..=f.module.len() {
            all.insert(f.module[..n].to_vec());
        }
    }
    all
}

/// For each module, its `pub use` re-exports: name -> the absolute path it stands for.
fn reexports(
    files: &[SourceFile],
    mods: &BTreeSet<ModPath>,
) -> HashMap<ModPath, HashMap<String, ModPath>> {
    let mut out: HashMap<ModPath, HashMap<String, ModPath>> = HashMap::new();
    for f in files {
        for named in named_paths(&f.code) {
            let Some(name) = named.reexport else { continue };
            if let Some(abs) = absolute(&f.module, &named.segments, mods) {
                out.entry(f.module.clone()).or_default().insert(name, abs);
            }
        }
    }
    out
}

/// `segments` as written in module `from`, from the crate root; `None` outside the crate.
fn absolute(from: &[String], segments: &[String], mods: &BTreeSet<ModPath>) -> Option<ModPath> {
    let (first, rest) = segments.split_first()?;
    let mut base = from.to_vec();
    match first.as_str() {
        "crate" => base.clear(),
        "self" => {}
        "super" => {
            base.pop()?;
            let ups = rest.iter().take_while(|s| *s == "super").count();
            for _ in 0..ups {
                base.pop()?;
            }
            base.extend(rest[ups..].iter().cloned());
            return Some(base);
        }
        // A bare first segment in a `use`: a child module of `from`, or an external crate.
        child if mods.contains(&[from, &[child.to_string()]].concat()) => {
            base.push(child.to_string());
        }
        _ => return None,
    }
    base.extend(rest.iter().cloned());
    Some(base)
}

/// The module that defines what `abs` names: the longest module prefix, through re-exports.
fn owner(
    mut abs: ModPath,
    mods: &BTreeSet<ModPath>,
    reexp: &HashMap<ModPath, HashMap<String, ModPath>>,
) -> ModPath {
    for _ in 0..16 {
        let mut k = 0;
        while k < abs.len() && mods.contains(&abs[..=k].to_vec()) {
            k += 1;
        }
        let (module, rest) = abs.split_at(k);
        let target = rest.first().and_then(|name| reexp.get(module)?.get(name));
        match target {
            Some(t) if *t != [module, &rest[..1]].concat() => {
                abs = [t.as_slice(), &rest[1..]].concat();
            }
            _ => return module.to_vec(),
        }
    }
    abs
}

/// The sibling graphs of every folder, keyed by the folder's module path.
fn sibling_graphs(files: &[SourceFile]) -> BTreeMap<ModPath, Graph> {
    let mods = modules(files);
    let reexp = reexports(files, &mods);
    let mut graphs: BTreeMap<ModPath, Graph> = BTreeMap::new();
    for f in files {
        for named in named_paths(&f.code) {
            let Some(abs) = absolute(&f.module, &named.segments, &mods) else {
                continue;
            };
            let to = owner(abs, &mods, &reexp);
            let common = f.module.iter().zip(&to).take_while(|(a, b)| a == b).count();
            if common == f.module.len() || common == to.len() {
                continue; // itself, a descendant, or an ancestor's own item
            }
            let witness = Witness {
                file: f.shown.clone(),
                line: named.line,
                path: named.segments.join("::"),
            };
            let edges = graphs.entry(f.module[..common].to_vec()).or_default();
            let from = edges.entry(f.module[common].clone()).or_default();
            from.entry(to[common].clone()).or_insert(witness);
        }
    }
    graphs
}

/// The strongly connected components of more than one node (Tarjan).
fn cycles(graph: &Graph) -> Vec<Vec<String>> {
    struct Tarjan<'a> {
        graph: &'a Graph,
        index: HashMap<&'a str, usize>,
        low: HashMap<&'a str, usize>,
        stack: Vec<&'a str>,
        on_stack: BTreeSet<&'a str>,
        found: Vec<Vec<String>>,
    }
    impl<'a> Tarjan<'a> {
        fn visit(&mut self, v: &'a str) {
            let n = self.index.len();
            self.index.insert(v, n);
            self.low.insert(v, n);
            self.stack.push(v);
            self.on_stack.insert(v);
            for w in self.graph.get(v).into_iter().flat_map(|e| e.keys()) {
                if !self.index.contains_key(w.as_str()) {
                    self.visit(w);
                    let lw = self.low[w.as_str()];
                    let lv = self.low.get_mut(v).expect("visited");
                    *lv = (*lv).min(lw);
                } else if self.on_stack.contains(w.as_str()) {
                    let iw = self.index[w.as_str()];
                    let lv = self.low.get_mut(v).expect("visited");
                    *lv = (*lv).min(iw);
                }
            }
            if self.low[v] == self.index[v] {
                let mut comp = Vec::new();
                while let Some(w) = self.stack.pop() {
                    self.on_stack.remove(w);
                    comp.push(w.to_string());
                    if w == v {
                        break;
                    }
                }
                if comp.len() > 1 {
                    comp.sort();
                    self.found.push(comp);
                }
            }
        }
    }
    let mut t = Tarjan {
        graph,
        index: HashMap::new(),
        low: HashMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        found: Vec::new(),
    };
    for v in graph.keys() {
        if !t.index.contains_key(v.as_str()) {
            t.visit(v);
        }
    }
    t.found
}

/// `in daemon: a -> b (file:line `path`), b -> a (…)`: the edges inside the cycle.
fn describe(folder: &[String], graph: &Graph, cycle: &[String]) -> String {
    let place = match folder {
        [] => "the crate root".to_string(),
        f => f.join("::"),
    };
    let mut lines = vec![format!(
        "among the modules of {place}: {}",
        cycle.join(", ")
    )];
    for from in cycle {
        for (to, w) in graph.get(from).into_iter().flatten() {
            if cycle.contains(to) {
                lines.push(format!(
                    "  {from} -> {to}: {}:{} `{}`",
                    w.file, w.line, w.path
                ));
            }
        }
    }
    lines.join("\n")
}
