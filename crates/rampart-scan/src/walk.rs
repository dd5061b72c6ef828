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
    /// A model artifact an ignore file inside the scanned directory hid,
    /// with what it sniffs as.
    Hidden(String, &'static str),
}

/// The ignore files the walker honours.
const IGNORE_FILES: &[&str] = &[".gitignore", ".ignore", ".rampartignore"];

/// Where a symlink points, lexically (`..` and `.` folded, relative links
/// taken from the link's folder): a dangling link still names a place.
fn lexical_target(link: &Path) -> Option<PathBuf> {
    let t = std::fs::read_link(link).ok()?;
    let joined = if t.is_absolute() {
        t
    } else {
        link.parent()?.join(t)
    };
    let mut out = PathBuf::new();
    for c in joined.components() {
        match c {
            std::path::Component::ParentDir => {
                out.pop();
            }
            std::path::Component::CurDir => {}
            other => out.push(other),
        }
    }
    Some(out)
}

/// Whether the symlink `link` (under `root`, canonical) points outside it:
/// its resolved target, or for a link that does not resolve (dangling, or
/// a target made after the scan), its lexical one.
fn escapes(link: &Path, root: &Path) -> Option<String> {
    match std::fs::canonicalize(link) {
        Ok(t) => (!t.starts_with(root)).then(|| t.display().to_string()),
        Err(_) => {
            let t = lexical_target(link)?;
            let parent = std::fs::canonicalize(link.parent()?).ok()?;
            let t = if t.is_absolute() { t } else { parent.join(t) };
            (!t.starts_with(root)).then(|| format!("{} (not resolvable now)", t.display()))
        }
    }
}

/// What a file hidden by an ignore file sniffs as, when a loader would
/// read it as a model or an archive.
fn hidden_kind(path: &Path) -> Option<&'static str> {
    use crate::sniff::ArtifactKind as K;
    let mut head = vec![0u8; 4096];
    let n = {
        use std::io::Read;
        let mut f = std::fs::File::open(path).ok()?;
        let len = f.metadata().ok()?.len();
        let n = f.read(&mut head).ok()?;
        head.truncate(n);
        len
    };
    Some(match crate::sniff::sniff_head(&head, n) {
        K::Pickle => "a pickle",
        K::Zip => "a zip archive (PyTorch checkpoints, .keras, .npz)",
        K::Tar => "a tar archive",
        K::NumpyNpy => "a NumPy array",
        K::Hdf5 => "an HDF5 file",
        K::Onnx => "an ONNX model",
        K::TfSavedModel => "a TensorFlow graph",
        K::Gguf => "a GGUF model",
        K::Safetensors => "a safetensors file",
        K::JoblibZfile | K::Gzip | K::Bzip2 | K::Xz | K::Lzma | K::Zlib | K::Lz4 | K::Zstd => {
            "a compressed stream (joblib and pandas read these)"
        }
        K::SevenZip | K::Rar => "an archive",
        _ => return None,
    })
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
        let mut seen = std::collections::HashSet::new();
        let mut ignore_files_inside = false;
        for ent in wb.build() {
            match ent {
                Ok(e) => {
                    if e.path_is_symlink() && e.depth() > 0 {
                        if let Some(target) = root.as_deref().and_then(|r| escapes(e.path(), r)) {
                            items.push(Item::Escape(e.path().display().to_string(), target));
                        }
                    }
                    seen.insert(e.path().to_path_buf());
                    if e.file_type().is_some_and(|t| t.is_dir()) && opts.respect_ignore_files {
                        ignore_files_inside |=
                            IGNORE_FILES.iter().any(|f| e.path().join(f).exists());
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
        // Every entry again, ignore files aside (the command line's
        // excludes still apply: the user wrote those, an ignore file in the
        // scanned tree may come with the model): symlinks that leave the
        // directory, and model files an ignore file hid from the scan,
        // which no loader honours (review round of session 24: a
        // `.rampartignore` of `*` hid a pickle that `pickle.load` ran).
        let (Some(root), true) = (root, ignore_files_inside) else {
            continue;
        };
        let mut all = ignore::WalkBuilder::new(p);
        all.hidden(false)
            .follow_links(false)
            .ignore(false)
            .git_ignore(false)
            .git_global(false)
            .git_exclude(false)
            .parents(false)
            .require_git(false);
        all.filter_entry(|e| e.file_name() != ".git");
        if !opts.exclude.is_empty() {
            let mut ob = ignore::overrides::OverrideBuilder::new(p);
            for x in &opts.exclude {
                let _ = ob.add(&format!("!{x}"));
            }
            if let Ok(o) = ob.build() {
                all.overrides(o);
            }
        }
        for e in all.build().flatten() {
            if e.depth() == 0 {
                continue;
            }
            if seen.contains(e.path()) {
                continue;
            }
            if e.path_is_symlink() {
                if let Some(target) = escapes(e.path(), &root) {
                    items.push(Item::Escape(e.path().display().to_string(), target));
                }
                continue;
            }
            if e.file_type().is_some_and(|t| t.is_file()) {
                if let Some(kind) = hidden_kind(e.path()) {
                    items.push(Item::Hidden(e.path().display().to_string(), kind));
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
    let one = |it: &Item| {
        match it {
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
        Item::Hidden(path, kind) => walk_finding(
            &rules::IGNORED_ARTIFACT,
            path,
            format!(
                "{kind} that an ignore file inside the scanned directory hides from the scan; a loader reads it all the same: scan with --no-ignore, or name what to skip with --exclude"
            ),
        ),
        Item::Escape(path, target) => walk_finding(
            &rules::LINK_ESCAPE,
            path,
            format!(
                "symlink to {}, outside the scanned directory; remove it or scan the target's directory too",
                rampart_core::redact::sanitize_for_display(&rampart_core::redact::truncate(target, 300))
            ),
        ),
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

/// A finding the walk itself makes about `path` (no file was scanned).
fn walk_finding(rule: &rules::Rule, path: &str, msg: String) -> (Out, Option<bool>) {
    let mut out = Out::default();
    out.add(rule.finding(&display_path(Path::new(path)), msg));
    (out, None)
}

fn display_path(p: &Path) -> String {
    let s = p.display().to_string();
    s.strip_prefix("./").map(str::to_string).unwrap_or(s)
}
