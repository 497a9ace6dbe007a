//! File names of the figures one command writes next to its `--plot` path
//! (one per run, group, method or factor): each name's characters other
//! than ASCII letters and digits become `_`, and names that would then
//! meet in one file ("a/b" and "a_b"; "基线" and "实验"; "A_B" and "a_b" on
//! a file system that ignores case) each get a short hash of the name as
//! given, so no figure overwrites another and each keeps its file whatever
//! the other names are.

use std::collections::HashMap;

/// The file-name suffix of each key (a key is the parts naming one figure,
/// e.g. [group, figure]): its parts sanitized and joined by `-`; a suffix
/// shared (ignoring case) by keys that differ gets `-` and 6 hex digits of
/// a hash of the key's parts as given. Distinct keys always get distinct
/// suffixes (case ignored); equal keys get the same one.
pub fn file_suffixes<S: AsRef<str>>(keys: &[Vec<S>]) -> Vec<String> {
    let plain: Vec<String> = keys
        .iter()
        .map(|k| {
            k.iter()
                .map(|p| sanitize(p.as_ref()))
                .collect::<Vec<_>>()
                .join("-")
        })
        .collect();
    let raw = |i: usize| -> Vec<&str> { keys[i].iter().map(|p| p.as_ref()).collect() };
    // The distinct keys behind each suffix (case ignored).
    let mut owners: HashMap<String, Vec<Vec<&str>>> = HashMap::new();
    for (i, s) in plain.iter().enumerate() {
        let o = owners.entry(s.to_lowercase()).or_default();
        if !o.contains(&raw(i)) {
            o.push(raw(i));
        }
    }
    let mut out: Vec<String> = plain
        .iter()
        .enumerate()
        .map(|(i, s)| {
            if owners[&s.to_lowercase()].len() > 1 {
                format!("{s}-{:06x}", hash(&raw(i)) & 0xff_ffff)
            } else {
                s.clone()
            }
        })
        .collect();
    // A hash shared by two keys (1 in 16 million), or a hashed suffix equal
    // to another key's plain one: the later key also gets its position.
    let mut seen: HashMap<String, Vec<&str>> = HashMap::new();
    for (i, s) in out.iter_mut().enumerate() {
        let key = raw(i);
        match seen.get(&s.to_lowercase()) {
            Some(k) if *k != key => *s = format!("{s}-{}", i + 1),
            _ => {}
        }
        seen.insert(s.to_lowercase(), key);
    }
    out
}

/// ASCII letters and digits kept, anything else `_`.
fn sanitize(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect()
}

/// FNV-1a (64 bits) of the parts with a separator: the same on every
/// platform and in every release (not std's hasher).
fn hash(parts: &[&str]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for (i, p) in parts.iter().enumerate() {
        let sep: &[u8] = if i > 0 { &[0x1f] } else { &[] };
        for b in sep.iter().chain(p.as_bytes()) {
            h ^= u64::from(*b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Probe44 item 7: runs "a/b", "a_b" and "A_B" (and "基线", "实验") all
    /// wrote one file; now each has its own, the same whatever the other
    /// names and their order, and names that meet no other keep their
    /// plain file.
    #[test]
    fn names_that_meet_after_sanitizing_get_distinct_stable_files() {
        fn keys<'a>(v: &[&'a str]) -> Vec<Vec<&'a str>> {
            v.iter().map(|s| vec![*s]).collect()
        }
        let s = file_suffixes(&keys(&["a/b", "a_b", "A_B", "c.d"]));
        assert_eq!(s[3], "c_d");
        let lower: Vec<String> = s.iter().map(|x| x.to_lowercase()).collect();
        for i in 0..4 {
            for j in 0..i {
                assert_ne!(lower[i], lower[j], "{s:?}");
            }
        }
        for (x, plain) in s.iter().zip(["a_b", "a_b", "A_B"]) {
            assert!(
                x.starts_with(&format!("{plain}-")) && x.len() == plain.len() + 7,
                "{s:?}"
            );
        }
        // Stable: the same file for the same name, in any order.
        let r = file_suffixes(&keys(&["A_B", "a_b", "a/b"]));
        assert_eq!([&r[2], &r[1], &r[0]], [&s[0], &s[1], &s[2]]);
        let cjk = file_suffixes(&keys(&["基线", "实验"]));
        assert!(
            cjk[0].starts_with("__-") && cjk[1].starts_with("__-"),
            "{cjk:?}"
        );
        assert_ne!(cjk[0], cjk[1]);
        // No collision: the plain names, as before.
        assert_eq!(
            file_suffixes(&keys(&["run-1", "run 2"])),
            ["run_1", "run_2"]
        );
        // Parts: [group, figure]; the same key twice is one file.
        let parts = vec![
            vec!["x/y", "nopt"],
            vec!["x_y", "nopt"],
            vec!["x/y", "dopt"],
            vec!["x/y", "nopt"],
        ];
        let p = file_suffixes(&parts);
        assert_ne!(p[0], p[1]);
        assert_eq!(p[0], p[3]);
        assert_eq!(p[2], "x_y-dopt");
    }
}
