//! The command template: `{model}`, `{id}`, `{n}`, `{seed}`, `{out}`,
//! `{slot}` and `{attempt}` are replaced; `{{` and `}}` are literal braces.
//!
//! The command is a shell command line, so every value is quoted for the
//! place it stands in ([`render_shell`]): outside quotes, inside '...',
//! inside "..." or inside `$(...)`. Whatever a value holds (quotes, `$(...)`,
//! `;`, newlines) it reaches the trainer as one literal piece of text and is
//! never run. Places where no quoting is safe (backticks, comments, here
//! documents, right after `\` or `$`) are refused when the plan is checked.

/// The placeholder names a template may use (written `{name}`).
pub const PLACEHOLDERS: [&str; 7] = ["model", "id", "n", "seed", "out", "slot", "attempt"];

/// A template split into literal text and placeholders.
#[derive(Debug, PartialEq)]
enum Piece {
    Text(String),
    Placeholder(String),
}

fn pieces(template: &str) -> Result<Vec<Piece>, String> {
    let mut out = Vec::new();
    let mut text = String::new();
    let mut chars = template.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '{' if chars.peek() == Some(&'{') => {
                chars.next();
                text.push('{');
            }
            '}' if chars.peek() == Some(&'}') => {
                chars.next();
                text.push('}');
            }
            '{' => {
                let mut name = String::new();
                loop {
                    match chars.next() {
                        Some('}') => break,
                        Some(ch) => name.push(ch),
                        None => return Err(format!("unclosed '{{{name}'")),
                    }
                }
                if !PLACEHOLDERS.contains(&name.as_str()) {
                    return Err(format!(
                        "unknown placeholder '{{{name}}}' (known: {})",
                        PLACEHOLDERS.map(|p| format!("{{{p}}}")).join(", ")
                    ));
                }
                out.push(Piece::Text(std::mem::take(&mut text)));
                out.push(Piece::Placeholder(name));
            }
            '}' => return Err("a lone '}' (write '}}' for a brace)".into()),
            c => text.push(c),
        }
    }
    out.push(Piece::Text(text));
    Ok(out)
}

/// Check that every placeholder is known and braces balance (a file name
/// template, see [`render`]).
pub fn check(template: &str) -> Result<(), String> {
    pieces(template).map(|_| ())
}

/// Check a command template: as [`check`], and every placeholder stands
/// where its value can be quoted, and quotes are closed.
pub fn check_shell(template: &str) -> Result<(), String> {
    render_shell(template, &|_| Some(String::new())).map(|_| ())
}

/// Replace each `{name}` by `value(name)` as it is (file names).
pub fn render(template: &str, value: &dyn Fn(&str) -> Option<String>) -> Result<String, String> {
    let mut out = String::new();
    for p in pieces(template)? {
        match p {
            Piece::Text(t) => out.push_str(&t),
            Piece::Placeholder(name) => out.push_str(&value(&name).unwrap_or_default()),
        }
    }
    Ok(out)
}

/// Where a placeholder stands in a shell command line.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Ctx {
    /// Outside quotes (also inside `$(...)`; `depth` counts its parentheses).
    Unquoted {
        depth: u32,
    },
    Single,
    Double,
    Backtick,
}

/// The shell's reading of a command line, as far as quoting goes.
struct Lexer {
    stack: Vec<Ctx>,
    /// The previous character was an unquoted (or double-quoted) `\`.
    escaped: bool,
    /// The previous character was `$` (not escaped, not in single quotes).
    dollar: bool,
    /// Inside a `#` comment (until the end of the line).
    comment: bool,
    /// At the start of a word (where `#` starts a comment).
    word_start: bool,
    /// A here document (`<<`) was opened: its body's quoting is unknown.
    heredoc: bool,
    last: char,
}

impl Lexer {
    fn new() -> Lexer {
        Lexer {
            stack: vec![Ctx::Unquoted { depth: 0 }],
            escaped: false,
            dollar: false,
            comment: false,
            word_start: true,
            heredoc: false,
            last: ' ',
        }
    }

    fn top(&self) -> Ctx {
        *self.stack.last().expect("the base context stays")
    }

    fn feed(&mut self, c: char) {
        let was_dollar = std::mem::replace(&mut self.dollar, false);
        let last = std::mem::replace(&mut self.last, c);
        if self.comment {
            if c == '\n' {
                self.comment = false;
                self.word_start = true;
            }
            return;
        }
        if self.escaped {
            self.escaped = false;
            self.word_start = false;
            return;
        }
        match self.top() {
            Ctx::Single => {
                if c == '\'' {
                    self.stack.pop();
                }
            }
            Ctx::Backtick => match c {
                '\\' => self.escaped = true,
                '`' => {
                    self.stack.pop();
                }
                _ => {}
            },
            Ctx::Double => match c {
                '\\' => self.escaped = true,
                '"' => {
                    self.stack.pop();
                }
                '`' => self.stack.push(Ctx::Backtick),
                '$' => self.dollar = true,
                '(' if was_dollar => self.stack.push(Ctx::Unquoted { depth: 1 }),
                _ => {}
            },
            Ctx::Unquoted { depth } => {
                let at_word_start = self.word_start;
                self.word_start = c.is_whitespace() || ";&|()<>".contains(c);
                match c {
                    '\\' => self.escaped = true,
                    '\'' => self.stack.push(Ctx::Single),
                    '"' => self.stack.push(Ctx::Double),
                    '`' => self.stack.push(Ctx::Backtick),
                    '$' => self.dollar = true,
                    '#' if at_word_start => self.comment = true,
                    '<' if last == '<' => self.heredoc = true,
                    '(' if was_dollar => self.stack.push(Ctx::Unquoted { depth: 1 }),
                    '(' if depth > 0 => {
                        self.stack.pop();
                        self.stack.push(Ctx::Unquoted { depth: depth + 1 });
                    }
                    ')' if depth == 1 => {
                        self.stack.pop();
                    }
                    ')' if depth > 1 => {
                        self.stack.pop();
                        self.stack.push(Ctx::Unquoted { depth: depth - 1 });
                    }
                    _ => {}
                }
            }
        }
    }

    /// How to quote a value that stands here, or why it cannot be.
    fn here(&self, name: &str) -> Result<Ctx, String> {
        let refuse = |why: &str| {
            Err(format!(
                "{{{name}}} {why}: its value cannot be quoted there"
            ))
        };
        if self.comment {
            return refuse("is inside a shell comment");
        }
        if self.heredoc {
            return refuse("follows a here document ('<<')");
        }
        if self.escaped {
            return refuse("follows a '\\'");
        }
        if self.dollar {
            return refuse("follows a '$' (write '${{...}}' for a shell variable)");
        }
        match self.top() {
            Ctx::Backtick => refuse("is inside backticks (use $(...) instead)"),
            c => Ok(c),
        }
    }
}

/// Quote `v` for context `ctx` (see [`render_shell`]).
fn quote_in(ctx: Ctx, v: &str) -> String {
    match ctx {
        Ctx::Unquoted { .. } => shell_quote(v),
        // Close the quote, an escaped quote, reopen.
        Ctx::Single => v.replace('\'', "'\\''"),
        Ctx::Double => {
            let mut s = String::with_capacity(v.len());
            for c in v.chars() {
                if matches!(c, '\\' | '$' | '`' | '"') {
                    s.push('\\');
                }
                s.push(c);
            }
            s
        }
        Ctx::Backtick => unreachable!("refused by Lexer::here"),
    }
}

/// Replace each `{name}` by `value(name)` quoted for where it stands in the
/// shell command line, so that the shell reads it back as exactly that text.
pub fn render_shell(
    template: &str,
    value: &dyn Fn(&str) -> Option<String>,
) -> Result<String, String> {
    let mut lex = Lexer::new();
    let mut out = String::new();
    for p in pieces(template)? {
        match p {
            Piece::Text(t) => {
                for c in t.chars() {
                    lex.feed(c);
                }
                out.push_str(&t);
            }
            Piece::Placeholder(name) => {
                let ctx = lex.here(&name)?;
                let v = value(&name).unwrap_or_default();
                if v.contains('\0') {
                    return Err(format!("the value of {{{name}}} contains a NUL byte"));
                }
                let q = quote_in(ctx, &v);
                // The value is one literal piece of text: the shell's state
                // after it is as after a plain word character.
                lex.feed('x');
                out.push_str(&q);
            }
        }
    }
    match lex.top() {
        Ctx::Unquoted { depth: 0 } if !lex.escaped => Ok(out),
        Ctx::Single => Err("a ' is not closed".into()),
        Ctx::Double => Err("a \" is not closed".into()),
        Ctx::Backtick => Err("a ` is not closed".into()),
        Ctx::Unquoted { depth: 0 } => Err("ends with a lone '\\'".into()),
        Ctx::Unquoted { .. } => Err("a $( is not closed".into()),
    }
}

/// Quote a value for a POSIX shell (outside quotes).
pub fn shell_quote(s: &str) -> String {
    if !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./=:,+@%".contains(c))
    {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', "'\\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_and_checks() {
        let v = |k: &str| Some(format!("<{k}>"));
        assert_eq!(
            render("train {model} --n {n} {{x}}", &v).unwrap(),
            "train <model> --n <n> {x}"
        );
        assert!(check("a {nope}")
            .unwrap_err()
            .contains("unknown placeholder"));
        assert!(check("a {n").unwrap_err().contains("unclosed"));
        assert!(check("a } b").unwrap_err().contains("lone"));
        assert_eq!(shell_quote("a b'c"), "'a b'\\''c'");
        assert_eq!(shell_quote("runs/x-1"), "runs/x-1");
    }

    /// Values that would run `touch pwned` (or break the line) if they
    /// were not quoted right for where they stand.
    const HOSTILE: [&str; 14] = [
        "x; touch pwned; #",
        "$(touch pwned)",
        "`touch pwned`",
        "'; touch pwned; '",
        "\"; touch pwned; \"",
        "x' ; touch pwned ; echo '",
        "a\\",
        "a\\'b\\\"c",
        "line\ntouch pwned",
        "$HOME ${HOME} *",
        "",
        "-n",
        ") ; touch pwned ; (",
        "plain-value_1.0",
    ];

    /// Each template prints {model} (with some text around it) through a
    /// real `sh`; the output must be exactly the value and nothing may run.
    #[test]
    fn hostile_values_reach_the_command_as_literal_text_wherever_they_stand() {
        let templates: [(&str, &str, &str); 8] = [
            ("printf '%s' {model}", "", ""),
            ("printf '%s' '{model}'", "", ""),
            ("printf '%s' \"{model}\"", "", ""),
            ("printf '%s' 'a'{model}'b'", "a", "b"),
            ("printf '%s' \"pre {model} post\"", "pre ", " post"),
            ("printf '%s' \"$(printf '%s' {model})\"", "", ""),
            ("printf '%s' \"$(printf '%s' \"[{model}]\")\"", "[", "]"),
            ("printf '%s' 'it''s:'{model}", "its:", ""),
        ];
        for (t, pre, post) in templates {
            check_shell(t).unwrap();
            for v in HOSTILE {
                if t.contains("$(") && v.ends_with('\n') {
                    continue; // $(...) strips trailing newlines
                }
                let dir = tempfile::TempDir::new().unwrap();
                let cmd = render_shell(t, &|_| Some(v.to_string())).unwrap();
                let out = std::process::Command::new("sh")
                    .arg("-c")
                    .arg(&cmd)
                    .current_dir(dir.path())
                    .output()
                    .unwrap();
                assert!(out.status.success(), "{t} with {v:?}: {cmd}");
                assert_eq!(
                    String::from_utf8_lossy(&out.stdout),
                    format!("{pre}{v}{post}"),
                    "{t} with {v:?}: {cmd}"
                );
                let made: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
                assert!(made.is_empty(), "{t} with {v:?} ran something: {cmd}");
            }
        }
    }

    #[test]
    fn places_where_no_quoting_is_safe_are_refused() {
        for (t, why) in [
            ("echo `echo {model}`", "backticks"),
            ("echo \"`echo {model}`\"", "backticks"),
            ("train # {model}", "comment"),
            ("cat <<EOF\n{model}\nEOF", "here document"),
            ("echo \\{model}", "'\\'"),
            ("echo ${model}", "'$'"),
            ("echo '{model}", "not closed"),
            ("echo \"{model}", "not closed"),
            ("echo $(echo {model}", "not closed"),
        ] {
            let e = check_shell(t).unwrap_err();
            assert!(e.contains(why), "{t}: {e}");
        }
        // Ordinary command lines are accepted.
        for t in [
            "cd {out} && python train.py --model {model} > log.txt 2>&1",
            "python train.py --name 'run {id}' --tag \"{id}-{seed}\" # note: it's fine",
            "X=${{HOME}}/x python t.py --n=$(( {n} * 2 )) --out {out}",
        ] {
            check_shell(t).unwrap();
        }
    }
}
