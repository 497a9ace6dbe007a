//! The command template: `{model}`, `{id}`, `{n}`, `{seed}`, `{out}`,
//! `{slot}` and `{attempt}` are replaced; `{{` and `}}` are literal braces.

pub const PLACEHOLDERS: [&str; 7] = ["model", "id", "n", "seed", "out", "slot", "attempt"];

/// Check that every placeholder is known and braces balance.
pub fn check(template: &str) -> Result<(), String> {
    render(template, &|_| Some(String::new())).map(|_| ())
}

/// Replace each `{name}` by `value(name)`.
pub fn render(template: &str, value: &dyn Fn(&str) -> Option<String>) -> Result<String, String> {
    let mut out = String::new();
    let mut chars = template.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '{' if chars.peek() == Some(&'{') => {
                chars.next();
                out.push('{');
            }
            '}' if chars.peek() == Some(&'}') => {
                chars.next();
                out.push('}');
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
                out.push_str(&value(&name).unwrap_or_default());
            }
            '}' => return Err("a lone '}' (write '}}' for a brace)".into()),
            c => out.push(c),
        }
    }
    Ok(out)
}

/// Quote a value for a POSIX shell.
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
}
