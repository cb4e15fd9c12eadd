//! Credentials written into MCP server launch lines and URLs
//! (`https://user:pass@host`, `?api_key=…`, `--token X`, `Bearer …`,
//! `GITHUB_TOKEN=…`, `sk-…`), cut out of everything qwf shows or sends to a
//! model. The probe still starts servers with the real values.

/// What a credential is shown as.
pub const REDACTED: &str = "[redacted]";

/// Words that make a flag, a query parameter or a `NAME=value` a secret.
const SECRET_WORDS: &[&str] = &[
    "key",
    "apikey",
    "token",
    "secret",
    "password",
    "passwd",
    "pwd",
    "auth",
    "authorization",
    "credential",
    "credentials",
    "signature",
    "sig",
    "bearer",
    "pat",
];

/// Prefixes of well-known credential formats, redacted wherever they stand.
const TOKEN_PREFIXES: &[&str] = &[
    "sk-",
    "sk_",
    "pk_live_",
    "rk_live_",
    "ghp_",
    "gho_",
    "ghs_",
    "ghu_",
    "github_pat_",
    "glpat-",
    "xoxb-",
    "xoxp-",
    "xoxa-",
    "AKIA",
    "ASIA",
    "AIza",
    "ya29.",
];

/// Whether a name (`--api-key`, `access_token`, `GITHUB_TOKEN`) says its
/// value is a secret.
fn names_secret(name: &str) -> bool {
    let lower = name.trim_start_matches('-').to_ascii_lowercase();
    lower
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|word| !word.is_empty())
        .any(|word| {
            SECRET_WORDS.contains(&word)
                || word.ends_with("apikey")
                || word.ends_with("accesskey")
                || word.ends_with("token")
                || word.ends_with("secret")
                || word.ends_with("password")
        })
}

/// Whether a word has the shape of a well-known credential.
fn is_token(word: &str) -> bool {
    TOKEN_PREFIXES
        .iter()
        .any(|prefix| word.starts_with(prefix) && word.len() >= prefix.len() + 8)
}

/// A URL without its credentials: the user information's password (or a
/// lone user name, often a token) and secret query parameters.
pub fn url(text: &str) -> String {
    let Some(scheme_end) = text.find("://") else {
        return text.to_string();
    };
    let (scheme, rest) = text.split_at(scheme_end + 3);
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    let authority = match authority.rsplit_once('@') {
        Some((user_info, host)) => match user_info.split_once(':') {
            Some((user, _)) => format!("{user}:{REDACTED}@{host}"),
            None => format!("{REDACTED}@{host}"),
        },
        None => authority.to_string(),
    };
    let tail = match tail.split_once('?') {
        Some((path, query)) => {
            let (query, fragment) = match query.split_once('#') {
                Some((query, fragment)) => (query, Some(fragment)),
                None => (query, None),
            };
            let query: Vec<String> = query
                .split('&')
                .map(|pair| match pair.split_once('=') {
                    Some((name, value)) if names_secret(name) || is_token(value) => {
                        format!("{name}={REDACTED}")
                    }
                    _ => pair.to_string(),
                })
                .collect();
            let mut tail = format!("{path}?{}", query.join("&"));
            if let Some(fragment) = fragment {
                tail.push('#');
                tail.push_str(fragment);
            }
            tail
        }
        None => tail.to_string(),
    };
    format!("{scheme}{authority}{tail}")
}

/// One argument without its credentials (`--token=X`, `NAME=X`, a URL,
/// `Bearer X`, a token-shaped word).
pub fn arg(text: &str) -> String {
    if text.contains("://") {
        return url(text);
    }
    if let Some((name, value)) = text.split_once('=')
        && !value.is_empty()
        && !name.contains(char::is_whitespace)
        && names_secret(name)
    {
        return format!("{name}={REDACTED}");
    }
    free_text(text)
}

/// Free text (a header line, an error message) without token-shaped words
/// or what follows `Bearer`/`Basic`.
pub fn free_text(text: &str) -> String {
    let mut out = Vec::new();
    let mut hide_next = false;
    for word in text.split(' ') {
        if hide_next && !word.is_empty() {
            out.push(REDACTED.to_string());
            hide_next = false;
            continue;
        }
        let bare = word.trim_matches(|c: char| matches!(c, '"' | '\'' | ',' | ';'));
        if bare.eq_ignore_ascii_case("bearer") || bare.eq_ignore_ascii_case("basic") {
            hide_next = true;
            out.push(word.to_string());
        } else if is_token(bare) {
            out.push(word.replace(bare, REDACTED));
        } else if word.contains("://") {
            out.push(url(word));
        } else {
            out.push(word.to_string());
        }
    }
    out.join(" ")
}

/// A launch line's arguments without credentials: each argument, and the
/// value after a flag whose name says it is a secret (`--api-key X`).
pub fn args(arguments: &[String]) -> Vec<String> {
    let mut out = Vec::with_capacity(arguments.len());
    let mut hide_next = false;
    for argument in arguments {
        if hide_next {
            hide_next = false;
            if !argument.starts_with('-') {
                out.push(REDACTED.to_string());
                continue;
            }
        }
        if argument.starts_with('-') && !argument.contains('=') && names_secret(argument) {
            hide_next = true;
            out.push(argument.clone());
            continue;
        }
        let shown = arg(argument);
        // `-H "Authorization: Bearer X"` and `--header X-Api-Key: X`.
        let shown = match shown.split_once(':') {
            Some((name, value))
                if !shown.contains("://")
                    && !value.trim().is_empty()
                    && !name.contains(' ')
                    && names_secret(name) =>
            {
                format!("{name}: {REDACTED}")
            }
            _ => shown,
        };
        out.push(shown);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(items: &[&str]) -> Vec<String> {
        items.iter().map(ToString::to_string).collect()
    }

    #[test]
    fn urls_lose_passwords_tokens_and_secret_parameters() {
        assert_eq!(
            url("https://alice:hunter22@mcp.example.com/sse?key=abc123&mode=fast#top"),
            "https://alice:[redacted]@mcp.example.com/sse?key=[redacted]&mode=fast#top"
        );
        assert_eq!(
            url("https://ghp_0123456789abcdef@example.com"),
            "https://[redacted]@example.com"
        );
        assert_eq!(
            url("http://localhost:8080/mcp?access_token=t0k3n"),
            "http://localhost:8080/mcp?access_token=[redacted]"
        );
        assert_eq!(
            url("https://example.com/mcp?x=1"),
            "https://example.com/mcp?x=1"
        );
    }

    #[test]
    fn arguments_lose_flag_values_assignments_and_tokens() {
        assert_eq!(
            args(&strings(&[
                "run",
                "--api-key",
                "abc123",
                "--token=xyz",
                "-e",
                "GITHUB_TOKEN=ghp_abcdefgh12345678",
                "-H",
                "Authorization: Bearer eyJhbGciOi",
                "sk-proj-0123456789abcdef",
                "--port",
                "8080",
                "server.py",
            ])),
            strings(&[
                "run",
                "--api-key",
                "[redacted]",
                "--token=[redacted]",
                "-e",
                "GITHUB_TOKEN=[redacted]",
                "-H",
                "Authorization: [redacted]",
                "[redacted]",
                "--port",
                "8080",
                "server.py",
            ])
        );
        assert_eq!(
            free_text("failed: Bearer abc.def rejected"),
            "failed: Bearer [redacted] rejected"
        );
        assert_eq!(
            args(&strings(&["--monkey-patch", "on", "--path", "/srv"])),
            strings(&["--monkey-patch", "on", "--path", "/srv"])
        );
    }
}
