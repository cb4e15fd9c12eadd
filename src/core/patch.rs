//! JSON merge patch (RFC 7396): how `modify_step` describes a change.

use serde_json::{Map, Value};

/// Applies `patch` to `target` in place.
pub fn merge_patch(target: &mut Value, patch: &Value) {
    let Value::Object(patch) = patch else {
        *target = patch.clone();
        return;
    };
    if !target.is_object() {
        *target = Value::Object(Map::new());
    }
    let object = target.as_object_mut().expect("made an object above");
    for (key, value) in patch {
        if value.is_null() {
            object.shift_remove(key);
        } else {
            merge_patch(object.entry(key.clone()).or_insert(Value::Null), value);
        }
    }
}

/// The merge patch that turns `old` into `new`, or `None` when no merge
/// patch can express it (a `null` value inside `new` reads as "remove").
pub fn merge_diff(old: &Value, new: &Value) -> Option<Value> {
    match (old, new) {
        (Value::Object(old), Value::Object(new)) => {
            let mut patch = Map::new();
            for key in old.keys() {
                if !new.contains_key(key) {
                    patch.insert(key.clone(), Value::Null);
                }
            }
            for (key, new_value) in new {
                match old.get(key) {
                    Some(old_value) if old_value == new_value => {}
                    Some(old_value) if old_value.is_object() && new_value.is_object() => {
                        patch.insert(key.clone(), merge_diff(old_value, new_value)?);
                    }
                    _ => {
                        if contains_null(new_value) {
                            return None;
                        }
                        patch.insert(key.clone(), new_value.clone());
                    }
                }
            }
            Some(Value::Object(patch))
        }
        _ if contains_null(new) => None,
        _ => Some(new.clone()),
    }
}

fn contains_null(value: &Value) -> bool {
    match value {
        Value::Null => true,
        // Nulls inside arrays are replaced as a whole, so they survive.
        Value::Array(_) => false,
        Value::Object(map) => map.values().any(contains_null),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn rfc7396_examples() {
        let mut target = json!({"a": "b", "c": {"d": "e", "f": "g"}});
        merge_patch(&mut target, &json!({"a": "z", "c": {"f": null}}));
        assert_eq!(target, json!({"a": "z", "c": {"d": "e"}}));
        let mut target = json!({"a": [1]});
        merge_patch(&mut target, &json!({"a": [2, 3]}));
        assert_eq!(target, json!({"a": [2, 3]}));
    }

    #[test]
    fn diff_then_patch_gives_the_new_value() {
        let old = json!({"a": 1, "b": {"c": 2, "d": 3}, "e": [1]});
        let new = json!({"b": {"c": 2, "d": 4, "x": {"y": 1}}, "e": [1, null], "f": "g"});
        let patch = merge_diff(&old, &new).expect("representable");
        let mut patched = old.clone();
        merge_patch(&mut patched, &patch);
        assert_eq!(patched, new);
    }

    #[test]
    fn nulls_inside_objects_are_not_representable() {
        assert_eq!(
            merge_diff(&json!({"a": 1}), &json!({"a": {"b": null}})),
            None
        );
    }
}
