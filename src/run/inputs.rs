//! What goes into a step and what comes out: inputs as JSON and environment
//! variables, outputs read from what the step printed.

use serde_json::Value;

use crate::core::model::JsonMap;

/// `QWF_INPUT_<NAME>`: the name uppercased, anything but letters and
/// digits replaced by `_`.
pub fn env_name(input: &str) -> String {
    crate::core::stub::input_variable(input)
}

/// An input's value in an environment variable: text as it is, anything
/// else as JSON.
pub fn env_value(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

/// Text with a surrounding Markdown code fence removed (models like them).
pub fn strip_fence(text: &str) -> &str {
    let trimmed = text.trim();
    let Some(rest) = trimmed.strip_prefix("```") else {
        return trimmed;
    };
    let Some(body) = rest.strip_suffix("```") else {
        return trimmed;
    };
    // Drop the language tag on the opening line.
    match body.split_once('\n') {
        Some((tag, inner)) if !tag.contains(' ') => inner.trim(),
        _ => body.trim(),
    }
}

/// The outputs in what a step printed: a JSON object whose keys cover
/// `declared` (extra keys kept), or, for a step declaring one output, the
/// value itself (text trimmed, or a JSON object without that key).
pub fn parse_outputs(printed: &str, declared: &[String]) -> Result<JsonMap, String> {
    let text = printed.trim();
    let parsed: Option<JsonMap> = match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(map)) => Some(map),
        _ => None,
    };
    match (parsed, declared) {
        (Some(map), [only]) if !map.contains_key(only) => {
            let mut outputs = JsonMap::new();
            outputs.insert(only.clone(), Value::Object(map));
            Ok(outputs)
        }
        (Some(map), _) => {
            let missing: Vec<&str> = declared
                .iter()
                .filter(|name| !map.contains_key(name.as_str()))
                .map(String::as_str)
                .collect();
            if missing.is_empty() {
                Ok(map)
            } else {
                let found: Vec<&str> = map.keys().map(String::as_str).collect();
                Err(format!(
                    "its JSON output has no {} '{}' (it has: {})",
                    if missing.len() == 1 { "key" } else { "keys" },
                    missing.join("', '"),
                    if found.is_empty() {
                        "no keys".to_string()
                    } else {
                        found.join(", ")
                    }
                ))
            }
        }
        (None, []) => Ok(JsonMap::new()),
        (None, [only]) => {
            let mut outputs = JsonMap::new();
            outputs.insert(only.clone(), Value::String(text.to_string()));
            Ok(outputs)
        }
        (None, several) => {
            let excerpt: String = text.chars().take(200).collect();
            Err(format!(
                "expected a JSON object with keys {} on stdout, got {}",
                several.join(", "),
                if excerpt.is_empty() {
                    "nothing".to_string()
                } else {
                    format!("'{excerpt}'")
                }
            ))
        }
    }
}

/// The last lines of stderr, for an error message.
pub fn stderr_tail(stderr: &[u8]) -> String {
    let text = String::from_utf8_lossy(stderr);
    let lines: Vec<&str> = text.trim_end().lines().collect();
    let start = lines.len().saturating_sub(20);
    let tail = lines[start..].join("\n");
    if tail.len() > 2000 {
        let mut cut = tail.len() - 2000;
        while !tail.is_char_boundary(cut) {
            cut += 1;
        }
        format!("…{}", &tail[cut..])
    } else {
        tail
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn names(list: &[&str]) -> Vec<String> {
        list.iter().map(|name| name.to_string()).collect()
    }

    #[test]
    fn env_names_are_upper_snake() {
        assert_eq!(env_name("api-url"), "QWF_INPUT_API_URL");
        assert_eq!(env_name("data.v2"), "QWF_INPUT_DATA_V2");
        assert_eq!(env_value(&json!("raw text")), "raw text");
        assert_eq!(env_value(&json!({"a": 1})), "{\"a\":1}");
    }

    #[test]
    fn a_json_object_covers_the_declared_outputs() {
        let outputs = parse_outputs(
            "{\"a\": 1, \"b\": \"x\", \"extra\": true}\n",
            &names(&["a", "b"]),
        )
        .unwrap();
        assert_eq!(
            Value::Object(outputs),
            json!({"a": 1, "b": "x", "extra": true})
        );
        let error = parse_outputs("{\"a\": 1}", &names(&["a", "b"])).unwrap_err();
        assert!(error.contains("no key 'b'"), "{error}");
    }

    #[test]
    fn one_output_may_be_plain_text_or_a_whole_object() {
        let outputs = parse_outputs("  hello\n", &names(&["greeting"])).unwrap();
        assert_eq!(outputs["greeting"], json!("hello"));
        let outputs = parse_outputs("{\"rows\": 3}", &names(&["data"])).unwrap();
        assert_eq!(outputs["data"], json!({"rows": 3}));
        let outputs = parse_outputs("{\"data\": [1]}", &names(&["data"])).unwrap();
        assert_eq!(outputs["data"], json!([1]));
    }

    #[test]
    fn several_outputs_need_json() {
        let error = parse_outputs("plain", &names(&["a", "b"])).unwrap_err();
        assert!(error.contains("expected a JSON object"), "{error}");
        assert!(parse_outputs("anything", &[]).unwrap().is_empty());
    }

    #[test]
    fn fences_are_stripped() {
        assert_eq!(strip_fence("```json\n{\"a\": 1}\n```"), "{\"a\": 1}");
        assert_eq!(strip_fence("plain"), "plain");
    }
}
