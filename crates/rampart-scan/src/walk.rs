//! Walking the paths given to `rampart scan`: directories recursively with
//! ignore files (.gitignore, .ignore, .rampartignore) and explicit excludes
//! honoured, symlink loops and unreadable entries reported as errors, and
//! the files scanned in parallel (rayon) with bounded per-file memory.

use crate::engine::{scan_path_into, Out};
use crate::rules;
use crate::{ScanError, ScanOptions, ScanReport};
use rayon::prelude::*;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

enum Item {
    File(PathBuf),
    Error(String, String),
    /// A symlink under a scanned directory whose target lies outside it.
    Escape(String, String),
}

fn collect(paths: &[PathBuf], opts: &ScanOptions) -> Vec<Item> {
    let mut items = Vec::new();
    for p in paths {
        let meta = match std::fs::metadata(p) {
            Ok(m) => m,
            Err(e) => {
                items.push(Item::Error(
                    p.display().to_string(),
                    format!("cannot access: {e}"),
                ));
                continue;
            }
        };
        if meta.is_file() {
            items.push(Item::File(p.clone()));
            continue;
        }
        if !meta.is_dir() {
            items.push(Item::Error(
                p.display().to_string(),
                "not a regular file or directory".into(),
            ));
            continue;
        }
        let mut wb = ignore::WalkBuilder::new(p);
        wb.hidden(false)
            .follow_links(opts.follow_symlinks)
            .git_ignore(opts.respect_ignore_files)
            .git_global(false)
            .git_exclude(opts.respect_ignore_files)
            .ignore(opts.respect_ignore_files)
            .parents(opts.respect_ignore_files)
            .require_git(false);
        if opts.respect_ignore_files {
            wb.add_custom_ignore_filename(".rampartignore");
        }
        // Never descend into a VCS store.
        wb.filter_entry(|e| e.file_name() != ".git");
        if !opts.exclude.is_empty() {
            let mut ob = ignore::overrides::OverrideBuilder::new(p);
            for x in &opts.exclude {
                if let Err(e) = ob.add(&format!("!{x}")) {
                    items.push(Item::Error(x.clone(), format!("bad exclude pattern: {e}")));
                }
            }
            match ob.build() {
                Ok(o) => {
                    wb.overrides(o);
                }
                Err(e) => items.push(Item::Error(
                    p.display().to_string(),
                    format!("bad exclude patterns: {e}"),
                )),
            }
        }
        // Canonical, so that `..` and links in the root itself compare.
        let root = std::fs::canonicalize(p).ok();
        for ent in wb.build() {
            match ent {
                Ok(e) => {
                    if e.path_is_symlink() && e.depth() > 0 {
                        if let (Some(root), Ok(target)) = (&root, std::fs::canonicalize(e.path())) {
                            if !target.starts_with(root) {
                                items.push(Item::Escape(
                                    e.path().display().to_string(),
                                    target.display().to_string(),
                                ));
                            }
                        }
                    }
                    let ft = e.file_type();
                    if ft.is_some_and(|t| t.is_file()) {
                        items.push(Item::File(e.into_path()));
                    } else if ft.is_none() || ft.is_some_and(|t| t.is_symlink()) {
                        // A symlink that was not followed or could not be resolved.
                        if let Err(err) = std::fs::metadata(e.path()) {
                            items.push(Item::Error(
                                e.path().display().to_string(),
                                format!("cannot follow: {err}"),
                            ));
                        }
                    }
                }
                Err(err) => {
                    let path = error_path(&err).unwrap_or_else(|| p.display().to_string());
                    items.push(Item::Error(path, err.to_string()));
                }
            }
        }
    }
    items
}

fn error_path(e: &ignore::Error) -> Option<String> {
    match e {
        ignore::Error::WithPath { path, .. } => Some(path.display().to_string()),
        ignore::Error::Loop { child, .. } => Some(child.display().to_string()),
        ignore::Error::WithDepth { err, .. } | ignore::Error::WithLineNumber { err, .. } => {
            error_path(err)
        }
        _ => None,
    }
}

/// Scan files and directories (the contract's `scan_paths`).
pub fn scan_paths(paths: &[PathBuf], opts: &ScanOptions) -> ScanReport {
    let items = collect(paths, opts);
    let total = items.iter().filter(|i| matches!(i, Item::File(_))).count();
    let done = AtomicUsize::new(0);
    let one = |it: &Item| match it {
        Item::File(p) => {
            let mut out = Out::default();
            let display = display_path(p);
            let r = scan_path_into(p, &display, opts, &mut out);
            let n = done.fetch_add(1, Ordering::Relaxed) + 1;
            if let Some(cb) = &opts.progress {
                cb(n, total);
            }
            (out, r)
        }
        Item::Error(path, msg) => {
            let mut out = Out::default();
            out.fail(&rules::FILE_UNREADABLE, path, msg.clone());
            (out, None)
        }
        Item::Escape(path, target) => {
            let mut out = Out::default();
            out.add(rules::LINK_ESCAPE.finding(
                &display_path(Path::new(path)),
                format!(
                    "symlink to {}, outside the scanned directory; remove it or scan the target's directory too",
                    rampart_core::redact::sanitize_for_display(&rampart_core::redact::truncate(target, 300))
                ),
            ));
            (out, None)
        }
    };
    let run = || items.par_iter().map(one).collect::<Vec<_>>();
    // A single file (a checkpoint) gains nothing from workers: starting the
    // pool's threads, and their spinning while they wait, cost more than
    // the whole scan of a large checkpoint's pickle.
    let results = if items.len() <= 1 {
        items.iter().map(one).collect()
    } else if opts.threads > 0 {
        match rayon::ThreadPoolBuilder::new()
            .num_threads(opts.threads)
            .build()
        {
            Ok(pool) => pool.install(run),
            Err(_) => run(),
        }
    } else {
        run()
    };
    let mut rep = ScanReport::default();
    for (out, r) in results {
        match r {
            Some(true) => rep.summary.files_scanned += 1,
            Some(false) => rep.summary.files_skipped += 1,
            None => {}
        }
        rep.findings.extend(out.findings);
        rep.errors.extend(out.errors.into_iter().map(|e| ScanError {
            path: e.path,
            message: e.message,
        }));
    }
    rep.finish();
    rep
}

fn display_path(p: &Path) -> String {
    let s = p.display().to_string();
    s.strip_prefix("./").map(str::to_string).unwrap_or(s)
}
