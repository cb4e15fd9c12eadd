//! The environment a code skill's process gets: never qwf's own (which holds
//! the provider keys), but a documented allow-list, the variables the
//! skill's file names in `env`, and the step's `QWF_*` variables.
//!
//! Also what must never be written down: the values of qwf's secret-looking
//! variables, cut out of run records.

use std::ffi::OsString;

use crate::core::skill_env::PROVIDER_KEYS;

/// Variables every code skill gets from qwf's environment when they are
/// set: what a program needs to find its tools, its home, its locale and a
/// place for temporary files.
pub const PASSED: &[&str] = &[
    "PATH", "HOME", "USER", "LOGNAME", "SHELL", "LANG", "LANGUAGE", "TERM", "TZ", "TMPDIR", "TMP",
    "TEMP",
];

/// Prefixes of variables passed the same way (the locale categories).
pub const PASSED_PREFIXES: &[&str] = &["LC_"];

/// Words that make a variable's value a secret to keep out of run records.
const SECRET_WORDS: &[&str] = &[
    "KEY",
    "TOKEN",
    "SECRET",
    "PASSWORD",
    "PASSWD",
    "CREDENTIAL",
    "AUTH",
];

/// A value shorter than this is not cut out of records: it would match
/// ordinary text ("1", "true").
const SECRET_MIN_LEN: usize = 8;

/// qwf's environment as text; variables that are not UTF-8 are left out
/// (a skill could not be told about them in JSON either).
pub fn process_environment() -> Vec<(String, String)> {
    from_os(std::env::vars_os())
}

fn from_os(vars: impl Iterator<Item = (OsString, OsString)>) -> Vec<(String, String)> {
    vars.filter_map(|(name, value)| Some((name.into_string().ok()?, value.into_string().ok()?)))
        .collect()
}

/// The variables a skill process starts with besides its step's `QWF_*`
/// ones: the allow-list, then each variable the skill names (when set).
pub fn skill_base(outer: &[(String, String)], named: &[String]) -> Vec<(String, String)> {
    let mut passed: Vec<(String, String)> = outer
        .iter()
        .filter(|(name, _)| {
            PASSED.contains(&name.as_str())
                || PASSED_PREFIXES
                    .iter()
                    .any(|prefix| name.starts_with(prefix))
                || named.iter().any(|wanted| wanted == name)
        })
        .cloned()
        .collect();
    passed.sort();
    passed
}

/// Whether a variable's name says its value is a secret.
pub fn looks_secret(name: &str) -> bool {
    let upper = name.to_ascii_uppercase();
    PROVIDER_KEYS.contains(&upper.as_str())
        || upper
            .split(|c: char| !c.is_ascii_alphanumeric())
            .any(|word| SECRET_WORDS.iter().any(|secret| word.ends_with(secret)))
}

/// The values of `outer`'s secret-looking variables, longest first, to cut
/// out of anything qwf writes down.
pub fn secret_values(outer: &[(String, String)]) -> Vec<String> {
    let mut values: Vec<String> = outer
        .iter()
        .filter(|(name, value)| looks_secret(name) && value.trim().len() >= SECRET_MIN_LEN)
        .map(|(_, value)| value.trim().to_string())
        .collect();
    values.sort_by(|left, right| right.len().cmp(&left.len()).then(left.cmp(right)));
    values.dedup();
    values
}

/// What a secret becomes in a record.
pub const REDACTED: &str = "[redacted]";

/// `text` with every secret value replaced by [`REDACTED`].
pub fn redact(text: &str, secrets: &[String]) -> Option<String> {
    if !secrets.iter().any(|secret| text.contains(secret.as_str())) {
        return None;
    }
    let mut redacted = text.to_string();
    for secret in secrets {
        redacted = redacted.replace(secret.as_str(), REDACTED);
    }
    Some(redacted)
}

/// Replaces every secret value in every string (and object key) of `value`.
pub fn redact_json(value: &mut serde_json::Value, secrets: &[String]) {
    use serde_json::Value;
    if secrets.is_empty() {
        return;
    }
    match value {
        Value::String(text) => {
            if let Some(redacted) = redact(text, secrets) {
                *text = redacted;
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|item| redact_json(item, secrets)),
        Value::Object(object) => {
            let renamed: Vec<(String, String)> = object
                .keys()
                .filter_map(|key| Some((key.clone(), redact(key, secrets)?)))
                .collect();
            for (old, new) in renamed {
                if let Some(moved) = object.remove(&old) {
                    object.insert(new, moved);
                }
            }
            object
                .values_mut()
                .for_each(|item| redact_json(item, secrets));
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outer() -> Vec<(String, String)> {
        [
            ("PATH", "/usr/bin:/bin"),
            ("HOME", "/home/u"),
            ("LC_ALL", "C.UTF-8"),
            ("OPENAI_API_KEY", "sk-openai-0123456789"),
            ("ANTHROPIC_API_KEY", "sk-ant-0123456789"),
            ("AWS_PROFILE", "dev"),
            ("AWS_SECRET_ACCESS_KEY", "aws-secret-0123456789"),
            ("GITHUB_TOKEN", "ghp_0123456789"),
            ("SHORT_TOKEN", "abc"),
        ]
        .into_iter()
        .map(|(name, value)| (name.to_string(), value.to_string()))
        .collect()
    }

    #[test]
    fn a_skill_gets_the_allow_list_and_what_it_names_never_the_keys() {
        let base = skill_base(&outer(), &[]);
        let names: Vec<&str> = base.iter().map(|(name, _)| name.as_str()).collect();
        assert_eq!(names, ["HOME", "LC_ALL", "PATH"]);
        let base = skill_base(&outer(), &["AWS_PROFILE".into(), "UNSET_ONE".into()]);
        let names: Vec<&str> = base.iter().map(|(name, _)| name.as_str()).collect();
        assert_eq!(names, ["AWS_PROFILE", "HOME", "LC_ALL", "PATH"]);
    }

    #[test]
    fn secret_values_are_cut_out_of_text_and_json() {
        let secrets = secret_values(&outer());
        assert_eq!(secrets.len(), 4, "{secrets:?}");
        assert!(!secrets.contains(&"dev".to_string()));
        assert_eq!(
            redact("key=sk-openai-0123456789 token ghp_0123456789", &secrets).as_deref(),
            Some("key=[redacted] token [redacted]")
        );
        assert_eq!(redact("nothing here", &secrets), None);
        let mut value = serde_json::json!({"out": ["sk-ant-0123456789"], "sk-ant-0123456789": 1});
        redact_json(&mut value, &secrets);
        assert_eq!(
            value,
            serde_json::json!({"out": ["[redacted]"], "[redacted]": 1})
        );
    }

    #[test]
    fn names_that_look_secret() {
        for name in [
            "OPENAI_API_KEY",
            "GITHUB_TOKEN",
            "DB_PASSWORD",
            "AWS_SESSION_TOKEN",
            "MY_APIKEY",
        ] {
            assert!(looks_secret(name), "{name}");
        }
        for name in [
            "PATH",
            "HOME",
            "AWS_PROFILE",
            "KEYBOARD_LAYOUT",
            "LANG",
            "DBUS_SESSION_BUS_ADDRESS",
        ] {
            assert!(!looks_secret(name), "{name}");
        }
    }
}
