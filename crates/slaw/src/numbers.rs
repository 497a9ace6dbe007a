//! Number helpers shared by the decisions and the reports: compact
//! formatting of numbers and cells for messages and tables, log-spaced grids.

/// `s` (a number's text) without the trailing zeros of its decimals, nor
/// the point when none is left: "2.500" -> "2.5", "3.000" -> "3"; a text
/// without a point as it is ("90", "1e5").
fn trim_fraction(s: &str) -> &str {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.')
    } else {
        s
    }
}

/// The one number format of the text reports for parameters, x values,
/// settings and thresholds (probe48 9b: one format per report, never
/// `8000000000` beside `8.00000e9`). The rule: plain between 1e-4 and 1e6,
/// scientific outside; 6 significant digits, and plain values between 1e-3
/// and 1e5 to 6 decimals (a loss keeps its digits: 1.004958, 0.25, 3000);
/// trailing zeros dropped everywhere, so round values read as written
/// (8e9, 1e-10, 1e-6, 3e12) and others keep 6 digits (1.22835e-7,
/// 0.000123457, 303054, 1.23457e6). Whole numbers follow the same rule (a
/// model size of 8e9 reads 8e9, not 8000000000). Zero and non-finite
/// values print as Rust prints them. [`Column`] is the same rule for a table
/// column whose values must line up; JSON keeps every number in full.
pub fn num(v: f64) -> String {
    if v == 0.0 || !v.is_finite() {
        return format!("{v}");
    }
    if (1e-3..1e5).contains(&v.abs()) {
        trim_fraction(&format!("{v:.6}")).to_string()
    } else {
        g6(v)
    }
}

/// The CLI's number for people: 6 significant digits, plain between 1e-4
/// and 1e6 (0.000123457, 12.3457, 100000), scientific outside (1.23457e-10,
/// 1e14), trailing zeros dropped; -0 reads 0. A value keeps its form
/// whatever its neighbours (1e8 and 1e14 alike, never 100000000 beside
/// 1.00000e14).
pub fn g6(v: f64) -> String {
    if v == 0.0 {
        return "0".into();
    }
    if !v.is_finite() {
        return format!("{v}");
    }
    // Rounded to 6 significant digits first: 999999.7 is 1e6 (scientific).
    let r: f64 = format!("{v:.5e}").parse().unwrap_or(v);
    let a = r.abs();
    if (1e-4..1e6).contains(&a) {
        let decimals = (5 - a.log10().floor() as i32).max(0) as usize;
        trim_fraction(&format!("{r:.decimals$}")).to_string()
    } else {
        sci_to(r, 6)
    }
}

/// `v` with -0.0 as 0.0 (JSON keeps full precision, never "-0.0").
pub fn no_negative_zero(v: f64) -> f64 {
    if v == 0.0 {
        0.0
    } else {
        v
    }
}

/// Scientific notation to `digits` significant digits, trailing zeros
/// dropped: 5.76e23, 1e19, 1.2346e-5, and 6 (not 6e0) between 1 and 10
/// (compute budgets and FLOPs).
pub fn sci_to(v: f64, digits: usize) -> String {
    if v == 0.0 || !v.is_finite() {
        return format!("{v}");
    }
    let s = format!("{:.*e}", digits.saturating_sub(1), v);
    let (m, e) = s.split_once('e').unwrap_or((&s, "0"));
    // 6, not 6e0.
    if e == "0" {
        return trim_fraction(m).to_string();
    }
    format!("{}e{e}", trim_fraction(m))
}

/// The shortest text that reads back as `v` exactly: plain between 1e-3
/// and 1e5 (0.001, 10, 0.25), scientific outside (1e-12, 1e30, 1e6) —
/// for settings such as a law's bounds, short and never rounded.
pub fn shortest(v: f64) -> String {
    if v == 0.0 || !v.is_finite() || (1e-3..1e5).contains(&v.abs()) {
        format!("{v}")
    } else {
        format!("{v:e}")
    }
}

/// One number format for a table column, so that its values line up and
/// read alike: `num`'s precision without its trimming — 6 decimals when
/// every value lies between 1e-3 and 1e5 (1.790600 under 1.507848), else
/// 6 significant digits in scientific form for all, trailing zeros dropped
/// as `num` drops them (5e7 and 8e9, 1.68179e9; not 8000000000 beside 5e7).
/// A column whose values all lie between 100 and 1e6, some above 1e5, is
/// plain with no decimals (161378, not 1.61378e5: 6 significant digits of
/// its largest value, as [`g6`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Column {
    sci: bool,
    decimals: usize,
}

impl Column {
    /// The format of a column holding `values` (non-finite and zero ones
    /// do not decide it).
    pub fn of(values: impl IntoIterator<Item = f64>) -> Column {
        let (lo, hi) = values
            .into_iter()
            .filter(|v| v.is_finite() && *v != 0.0)
            .fold((f64::INFINITY, 0.0f64), |(lo, hi), v| {
                (lo.min(v.abs()), hi.max(v.abs()))
            });
        let wide = (1e5..1e6).contains(&hi) && lo >= 100.0;
        Column {
            sci: hi > 0.0 && !wide && !(lo >= 1e-3 && hi < 1e5),
            decimals: if wide { 0 } else { 6 },
        }
    }

    /// `v` in the column's format.
    pub fn fmt(&self, v: f64) -> String {
        if !v.is_finite() {
            format!("{v}")
        } else if self.sci {
            // num's scientific form: 6 digits, trailing zeros dropped (8e9,
            // 1.68179e9), and 1.08494, not 1.08494e0
            sci_to(v, 6)
        } else {
            format!("{v:.*}", self.decimals)
        }
    }
}

#[cfg(test)]
mod fx46a_tests {
    use super::{g6, no_negative_zero};

    #[test]
    fn fx46a_one_format_for_people() {
        for (v, t) in [
            (1.08494, "1.08494"),
            (2.23713e-10, "2.23713e-10"),
            (1.0723263814470412e-7, "1.07233e-7"),
            (1e8, "1e8"),
            (1e14, "1e14"),
            (100000.0, "100000"),
            (999999.7, "1e6"),
            (0.000123456789, "0.000123457"),
            (0.00001, "1e-5"),
            (-0.0, "0"),
            (1e300, "1e300"),
            (-12.5, "-12.5"),
            (3.0, "3"),
        ] {
            assert_eq!(g6(v), t, "{v}");
        }
        assert!(no_negative_zero(-0.0).is_sign_positive());
        // a column in scientific form: no exponent 0
        let c = super::Column::of([1.08494, 2.23713e-10]);
        assert_eq!(
            [c.fmt(1.08494), c.fmt(2.23713e-10)],
            ["1.08494", "2.23713e-10"]
        );
        assert_eq!(no_negative_zero(-1.5), -1.5);
    }
}

#[cfg(test)]
mod ux50_tests {
    use super::{num, Column};

    /// probe48 9b: one rule for a report's numbers: whole or not, large
    /// values scientific with trailing zeros dropped, as small ones.
    #[test]
    fn ux50_one_number_format() {
        for (v, t) in [
            (8e9, "8e9"),
            (1.6e10, "1.6e10"),
            (1e-10, "1e-10"),
            (1e-6, "1e-6"),
            (1.2283456e-7, "1.22835e-7"),
            (3e12, "3e12"),
            (1234567.0, "1.23457e6"),
            (1e6, "1e6"),
            (303054.2, "303054"),
            (100000.0, "100000"),
            (3000.0, "3000"),
            (1.0049581, "1.004958"),
            (0.25, "0.25"),
            (0.000123456789, "0.000123457"),
            (-4e9, "-4e9"),
            (0.0, "0"),
        ] {
            assert_eq!(num(v), t, "{v}");
        }
        // a column: the same scientific form, the values of one column alike
        let c = Column::of([8e9, 5e8, 1.6817928e9]);
        assert_eq!(
            [c.fmt(8e9), c.fmt(5e8), c.fmt(1.6817928e9)],
            ["8e9", "5e8", "1.68179e9"]
        );
    }
}

#[cfg(test)]
mod column_tests {
    use super::{shortest, Column};

    /// probe_rd 20: one format per column, and bounds short and exact.
    #[test]
    fn a_column_has_one_format() {
        let c = Column::of([1.507848, 1.7906, 1.34346]);
        assert_eq!(
            [c.fmt(1.507848), c.fmt(1.7906), c.fmt(1.34346)],
            ["1.507848", "1.790600", "1.343460"]
        );
        let c = Column::of([8e9, 5e7, 2.65915e8]);
        assert_eq!(
            [c.fmt(8e9), c.fmt(5e7), c.fmt(2.65915e8)],
            ["8e9", "5e7", "2.65915e8"]
        );
        assert_eq!(Column::of([f64::NAN, 0.0, 2.0]).fmt(2.0), "2.000000");
        // fx47b: between 100 and 1e6, some above 1e5: plain, no decimals,
        // one format for the column; a small value beside them keeps the
        // column scientific.
        let c = Column::of([161378.4, 90210.0]);
        assert_eq!([c.fmt(161378.4), c.fmt(90210.0)], ["161378", "90210"]);
        let c = Column::of([161378.4, 2.5]);
        assert_eq!([c.fmt(161378.4), c.fmt(2.5)], ["1.61378e5", "2.5"]);
        assert_eq!(super::num(303054.2), "303054");
        assert_eq!(super::num(1.8260105e-4), "0.000182601");
        assert_eq!(super::num(2.23713e-10), "2.23713e-10");
        for (v, t) in [
            (1e-12, "1e-12"),
            (1e30, "1e30"),
            (1e6, "1e6"),
            (0.0, "0"),
            (10.0, "10"),
            (0.001, "0.001"),
            (2.5e-5, "2.5e-5"),
        ] {
            assert_eq!(shortest(v), t);
        }
    }
}

/// `sci_to(v, 4)`: a budget as the user gave it (5.76e23), not rounded to 5.8e23.
pub fn sci(v: f64) -> String {
    sci_to(v, 4)
}

/// `digits` significant digits, plain between 1e-3 and 1e5 (1.9739, 0.0020012,
/// 46.594), scientific outside (8.3804e19): a loss of any unit keeps its
/// precision, and a value and its interval read alike.
pub fn sig(v: f64, digits: usize) -> String {
    if v == 0.0 || !v.is_finite() {
        return format!("{v}");
    }
    let a = v.abs();
    if (1e-3..1e5).contains(&a) {
        let lead = a.log10().floor() as i32;
        let decimals = (digits as i32 - 1 - lead).max(0) as usize;
        format!("{v:.decimals$}")
    } else {
        format!("{:.*e}", digits.saturating_sub(1), v)
    }
}

/// A number to 3 significant digits, short: 7, 0.25, 1234, 7e10, 1.4e-5
/// (for notes and headers, where `num`'s 7 digits are noise).
pub fn short(v: f64) -> String {
    if v == 0.0 || !v.is_finite() {
        return format!("{v}");
    }
    let e = format!("{v:.2e}");
    let (m, exp) = e.split_once('e').unwrap_or((&e, "0"));
    let m = trim_fraction(m);
    let exp: i32 = exp.parse().unwrap_or(0);
    if (-3..5).contains(&exp) {
        let digits = (2 - exp).max(0) as usize;
        let p = format!(
            "{:.*}",
            digits,
            m.parse::<f64>().unwrap_or(v) * 10f64.powi(exp)
        );
        trim_fraction(&p).to_string()
    } else {
        format!("{m}e{exp}")
    }
}

#[cfg(test)]
mod short_tests {
    #[test]
    fn short_numbers() {
        for (v, s) in [
            (7.000000000001, "7"),
            (0.25, "0.25"),
            (1234.0, "1230"),
            (7e10, "7e10"),
            (1.4e-5, "1.4e-5"),
            (1e12, "1e12"),
            (-2.5e6, "-2.5e6"),
            (0.00123456, "0.00123"),
        ] {
            assert_eq!(super::short(v), s, "{v}");
        }
    }
}

/// A level (of an interval, a coverage) as every command prints it: a
/// percent with the digits it has, at most 3 decimals, trailing zeros
/// dropped (0.9 -> "90%", 0.975 -> "97.5%", 0.999 -> "99.9%"), and more
/// decimals only where 3 would round a level strictly between 0 and 1 to
/// "0%" or "100%" (0.999999 -> "99.9999%"). The one place a level becomes
/// a percent, so that one level reads the same in every command.
pub fn percent(level: f64) -> String {
    let text =
        |decimals: usize| trim_fraction(&format!("{:.*}", decimals, 100.0 * level)).to_string();
    let interior = level > 0.0 && level < 1.0;
    let mut decimals = 3;
    let mut s = text(decimals);
    while interior && (s == "0" || s == "100") && decimals < 12 {
        decimals += 1;
        s = text(decimals);
    }
    format!("{s}%")
}

/// The order in which labels (group keys, run names) are listed, whatever
/// the rows' order: labels that read as numbers by value ("2" before
/// "10", "1e9" before "2e10"), before the others, which go by their text;
/// equal values by their text ("1" before "1.0").
pub fn label_cmp(a: &str, b: &str) -> std::cmp::Ordering {
    let value = |s: &str| s.trim().parse::<f64>().ok().filter(|v| !v.is_nan());
    match (value(a), value(b)) {
        (Some(x), Some(y)) => x.total_cmp(&y).then_with(|| a.cmp(b)),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => a.cmp(b),
    }
}

/// An English ordinal: 1st, 2nd, 3rd, 4th, 11th, 12th, 13th, 21st, 101st.
pub fn ordinal(n: usize) -> String {
    let suffix = match (n % 10, n % 100) {
        (_, 11..=13) => "th",
        (1, _) => "st",
        (2, _) => "nd",
        (3, _) => "rd",
        _ => "th",
    };
    format!("{n}{suffix}")
}

/// "1 size", "2 sizes": `n` and `noun`, with an "s" unless `n` is 1.
pub fn count(n: usize, noun: &str) -> String {
    format!("{n} {}", plural(n, noun))
}

/// A distance in decades (powers of ten) with one decimal and its noun:
/// "1.0 decade", "2.1 decades", "many decades" when it is not finite.
pub fn decades(d: f64) -> String {
    if !d.is_finite() {
        return "many decades".into();
    }
    let n = format!("{d:.1}");
    let noun = if n == "1.0" { "decade" } else { "decades" };
    format!("{n} {noun}")
}

/// `noun` for `n` of it: "run" for 1, "runs" otherwise (for a table whose
/// number is padded apart from its noun; `count` when they go together).
pub fn plural(n: usize, noun: &str) -> String {
    if n == 1 {
        noun.to_string()
    } else {
        format!("{noun}s")
    }
}

/// The indefinite article of `n` read aloud: "an" for 8, 11, 18, 80, 800,
/// 8000, 11000, 18000 ... (eight, eleven, eighteen, eighty, ...), "a" otherwise:
/// "an 80-start grid", "a 16-start grid".
pub fn article(n: usize) -> &'static str {
    let mut lead = n;
    while lead >= 1000 {
        lead /= 1000;
    }
    let first = {
        let mut d = lead;
        while d >= 10 {
            d /= 10;
        }
        d
    };
    if first == 8 || lead == 11 || lead == 18 {
        "an"
    } else {
        "a"
    }
}

#[cfg(test)]
mod count_tests {
    #[test]
    fn articles() {
        for (n, a) in [
            (80, "an"),
            (8, "an"),
            (11, "an"),
            (18, "an"),
            (800, "an"),
            (18_000, "an"),
            (16, "a"),
            (1, "a"),
            (100, "a"),
            (4500, "a"),
            (110, "a"),
            (180, "a"),
        ] {
            assert_eq!(super::article(n), a, "{n}");
        }
    }

    #[test]
    fn count_and_plural() {
        assert_eq!(super::count(1, "run"), "1 run");
        assert_eq!(super::count(0, "run"), "0 runs");
        assert_eq!(
            super::count(2, "distinct model size"),
            "2 distinct model sizes"
        );
        assert_eq!(super::plural(1, "repeat"), "repeat");
        assert_eq!(super::plural(11, "repeat"), "repeats");
    }
}

/// `n` log-spaced values from lo to hi.
pub fn log_space(lo: f64, hi: f64, n: usize) -> Vec<f64> {
    let (a, b) = (lo.ln(), hi.ln());
    (0..n)
        .map(|i| (a + (b - a) * i as f64 / (n - 1).max(1) as f64).exp())
        .collect()
}

/// The columns `s` takes in a terminal: 2 for a wide (CJK) character, 0
/// for a combining mark, 1 for others. Tables pad and cut names by it, so
/// that the columns after a name in Chinese still line up.
pub fn display_width(s: &str) -> usize {
    unicode_width::UnicodeWidthStr::width(s)
}

fn char_width(c: char) -> usize {
    unicode_width::UnicodeWidthChar::width(c).unwrap_or(0)
}

/// `s` cut in the middle to at most `width` display columns
/// ([`display_width`]), "…" marking the cut ("cerebras_Cer…GPT-2.7B"):
/// names that differ at their end (a model size, a run's seed or date) stay
/// apart, and their start stays readable. Table cells and the figures'
/// legends use it.
pub fn truncate(s: &str, width: usize) -> String {
    if display_width(s) <= width {
        return s.to_string();
    }
    if width == 0 {
        return String::new();
    }
    let head = (width - 1) / 2;
    let tail = width - 1 - head;
    let mut out = String::new();
    let mut used = 0;
    for c in s.chars() {
        if used + char_width(c) > head {
            break;
        }
        used += char_width(c);
        out.push(c);
    }
    let mut end: Vec<char> = Vec::new();
    let mut used = 0;
    for c in s.chars().rev() {
        if used + char_width(c) > tail {
            break;
        }
        used += char_width(c);
        end.push(c);
    }
    out.push('…');
    out.extend(end.into_iter().rev());
    out
}

/// `s` padded with spaces on the right to `width` display columns
/// ([`display_width`]; `format!("{:<w$}")` counts characters, and a wide
/// character takes two columns).
pub fn pad(s: &str, width: usize) -> String {
    let w = display_width(s);
    format!("{s}{}", " ".repeat(width.saturating_sub(w)))
}

/// The width of a table's name column: the longest of `names` (in display
/// columns), at least `min` and at most `cap`; longer names are cut in
/// the middle to it ([`truncate`]).
pub fn name_width<'a>(names: impl IntoIterator<Item = &'a str>, min: usize, cap: usize) -> usize {
    names
        .into_iter()
        .map(display_width)
        .max()
        .unwrap_or(min)
        .clamp(min, cap)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_cut_in_the_middle() {
        assert_eq!(truncate("short", 8), "short");
        assert_eq!(truncate("cerebras_Cerebras-GPT-1.3B", 12), "cereb…T-1.3B");
        assert_eq!(
            truncate("cerebras_Cerebras-GPT-1.3B", 12).chars().count(),
            12
        );
        assert_ne!(
            truncate("cerebras_Cerebras-GPT-111M", 12),
            truncate("cerebras_Cerebras-GPT-1.3B", 12)
        );
        assert_eq!(name_width(["ab", "abcdef"], 3, 5), 5);
        assert_eq!(name_width(["ab"], 3, 5), 3);
        assert_eq!(name_width(std::iter::empty(), 3, 5), 3);
    }

    /// A wide (CJK) character takes two columns: padded and cut by display
    /// width, the columns after it line up.
    #[test]
    fn names_are_padded_and_cut_by_display_width() {
        assert_eq!(display_width("大模型"), 6);
        assert_eq!(display_width("abc"), 3);
        assert_eq!(pad("大模型", 8), "大模型  ");
        assert_eq!(display_width(&pad("LaMini 大模型 ü", 20)), 20);
        assert_eq!(name_width(["大模型", "ab"], 3, 64), 6);
        let cut = truncate("大模型大模型大模型", 9);
        assert!(display_width(&cut) <= 9, "{cut}");
        assert!(cut.contains('…'), "{cut}");
        assert_eq!(truncate("cerebras_Cerebras-GPT-1.3B", 12), "cereb…T-1.3B");
    }

    #[test]
    fn budgets_and_losses_keep_their_digits() {
        assert_eq!(sci(5.76e23), "5.76e23");
        assert_eq!(sci(1e19), "1e19");
        assert_eq!(sci(1.23456e-5), "1.235e-5");
        assert_eq!(sig(1.97391, 5), "1.9739");
        assert_eq!(sig(0.0020012345, 5), "0.0020012");
        assert_eq!(sig(46.59371, 5), "46.594");
        assert_eq!(sig(8.3804057e19, 5), "8.3804e19");
        assert_eq!(sig(1973.9123, 5), "1973.9");
    }

    /// One level reads the same everywhere: the digits it has, never
    /// rounded to 98% (0.975) nor to 100% (0.999999).
    #[test]
    fn levels_read_as_percents() {
        for (level, text) in [
            (0.5, "50%"),
            (0.9, "90%"),
            (0.95, "95%"),
            (0.975, "97.5%"),
            (0.999, "99.9%"),
            (0.57, "57%"),
            (0.123456789, "12.346%"),
            (0.9999996, "99.99996%"),
            (0.999999, "99.9999%"),
            (1e-6, "0.0001%"),
            (0.0, "0%"),
            (1.0, "100%"),
        ] {
            assert_eq!(percent(level), text, "{level}");
        }
    }

    #[test]
    fn decades_read_with_their_noun() {
        assert_eq!(decades(1.04), "1.0 decade");
        assert_eq!(decades(2.06), "2.1 decades");
        assert_eq!(decades(0.5), "0.5 decades");
        assert_eq!(decades(f64::INFINITY), "many decades");
    }

    #[test]
    fn ordinals_and_counts_read_as_english() {
        let o: Vec<String> = [1, 2, 3, 4, 11, 12, 13, 21, 22, 23, 101, 111, 112]
            .iter()
            .map(|&n| ordinal(n))
            .collect();
        assert_eq!(
            o,
            [
                "1st", "2nd", "3rd", "4th", "11th", "12th", "13th", "21st", "22nd", "23rd",
                "101st", "111th", "112th"
            ]
        );
        assert_eq!(count(1, "size"), "1 size");
        assert_eq!(count(0, "size"), "0 sizes");
        assert_eq!(count(4, "size"), "4 sizes");
    }
}

#[cfg(test)]
mod sci_tests {
    use super::sci;

    /// Probe44 nit: a budget of 6 FLOPs printed "6e0"; budgets print as
    /// given, with an exponent only when it is not 0.
    #[test]
    fn budgets_print_as_given_without_an_exponent_of_zero() {
        for (v, t) in [
            (6.0, "6"),
            (1.0, "1"),
            (9.5, "9.5"),
            (5.76e23, "5.76e23"),
            (1e19, "1e19"),
            (10.0, "1e1"),
            (0.01, "1e-2"),
            (1.23456e-5, "1.235e-5"),
            (-6.0, "-6"),
        ] {
            assert_eq!(sci(v), t, "{v}");
        }
    }
}

#[cfg(test)]
mod label_order_tests {
    use super::label_cmp;

    /// Numbers by value before text, text by text, whatever the input order.
    #[test]
    fn labels_sort_numbers_by_value_then_text() {
        let mut v = vec!["b", "10", "a", "2", "1e9", "1.0", "1", "-3", "A"];
        v.sort_by(|a, b| label_cmp(a, b));
        assert_eq!(v, ["-3", "1", "1.0", "2", "10", "1e9", "A", "a", "b"]);
        let mut w = v.clone();
        w.reverse();
        w.sort_by(|a, b| label_cmp(a, b));
        assert_eq!(w, v);
    }
}
