use serde_json::{Value, json};

use super::{Picture, dot, mermaid, text};
use crate::core::model::Workflow;

fn workflow(steps: Value) -> Workflow {
    Workflow::from_value(json!({
        "name": "demo",
        "steps": steps,
        "context": { "readonly": { "api_url": "https://api.example.com", "schema": "s.json", "table": "t", "mirror_url": "https://mirror.example.com" } }
    }))
    .expect("a valid test workflow")
}

fn pipeline() -> Workflow {
    workflow(json!([
        { "id": "fetch", "type": "skill", "skill": "http-fetch",
          "inputs": { "url": "context.api_url" }, "outputs": ["data"], "timeout_secs": 30,
          "error_handling": { "strategy": "retry", "max_attempts": 3, "backoff": "exponential" } },
        { "id": "validate", "type": "skill", "skill": "data-validator",
          "inputs": { "data": "fetch.data", "schema": "context.schema" }, "outputs": ["validated"] },
        { "id": "save", "type": "skill", "skill": "db-writer",
          "inputs": { "data": "validate.validated", "table": "context.table" } }
    ]))
}

fn drawn(workflow: &Workflow) -> String {
    text::draw(&Picture::of(workflow)).plain()
}

#[test]
fn a_sequence_is_boxes_joined_by_arrows() {
    insta::assert_snapshot!(drawn(&pipeline()));
}

/// Boxes are measured in terminal columns: a wide character (CJK, emoji)
/// takes two, a combining accent none.
#[test]
fn wide_characters_keep_boxes_straight() {
    use unicode_width::UnicodeWidthStr;
    let workflow = workflow(json!([
        { "id": "fetch", "type": "skill", "skill": "http-fetch", "outputs": ["データ"],
          "inputs": { "city": "context.table" } },
        { "id": "branch", "type": "conditional",
          "condition": "fetch.データ == '東京の天気は晴れのち曇り、ところにより雨でしょう' && context.table != 'cafe\u{301} 🚀'",
          "then": [ { "id": "save", "type": "skill", "skill": "db-writer", "outputs": ["結果"] } ],
          "else": [ { "id": "alert", "type": "skill", "skill": "notifier" } ] }
    ]));
    let drawing = drawn(&workflow);
    // Each box's bottom-right corner is in the column of its top-right one.
    let columns = |line: &str, corner: char| -> Vec<usize> {
        line.match_indices(corner)
            .map(|(at, _)| line[..at].width())
            .collect()
    };
    let lines: Vec<&str> = drawing.lines().collect();
    for (row, line) in lines.iter().enumerate() {
        for column in columns(line, '╮') {
            assert!(
                lines[row + 1..]
                    .iter()
                    .any(|below| columns(below, '╯').contains(&column)),
                "the box with its corner at column {column} of line {row} is not closed straight below it:\n{drawing}"
            );
        }
    }
    insta::assert_snapshot!(drawing);
}

#[test]
fn a_parallel_group_puts_its_branches_side_by_side() {
    let workflow = workflow(json!([
        { "id": "fetch", "type": "skill", "skill": "http-fetch", "inputs": { "url": "context.api_url" }, "outputs": ["data"] },
        { "id": "checks", "type": "parallel", "steps": [
            { "id": "validate", "type": "skill", "skill": "data-validator", "inputs": { "data": "fetch.data" }, "outputs": ["ok"] },
            { "id": "notify", "type": "skill", "skill": "notifier", "inputs": { "message": "fetch.data" } },
            { "id": "archive", "type": "skill", "skill": "s3-archive", "inputs": { "data": "fetch.data" } }
        ]},
        { "id": "save", "type": "skill", "skill": "db-writer", "inputs": { "data": "fetch.data" } }
    ]));
    insta::assert_snapshot!(drawn(&workflow));
}

#[test]
fn a_conditional_shows_then_and_else() {
    let workflow = workflow(json!([
        { "id": "validate", "type": "skill", "skill": "data-validator", "outputs": ["ok"] },
        { "id": "gate", "type": "conditional", "condition": "validate.ok == true && context.table != 'skip'",
          "then": [
            { "id": "save", "type": "skill", "skill": "db-writer", "inputs": { "table": "context.table" } },
            { "id": "report", "type": "skill", "skill": "reporter" }
          ],
          "else": [
            { "id": "alert", "type": "agent", "agent": "on-call", "inputs": { "why": "validate.ok" } }
          ] }
    ]));
    insta::assert_snapshot!(drawn(&workflow));
}

#[test]
fn nested_groups_draw_inside_their_branch() {
    let workflow = workflow(json!([
        { "id": "start", "type": "skill", "skill": "setup" },
        { "id": "outer", "type": "parallel", "steps": [
            { "id": "branch", "type": "conditional", "condition": "context.table == 't'",
              "then": [
                { "id": "inner", "type": "parallel", "steps": [
                    { "id": "a", "type": "skill", "skill": "x" },
                    { "id": "b", "type": "skill", "skill": "y" }
                ]}
              ] },
            { "id": "side", "type": "skill", "skill": "z", "timeout_secs": 5 }
        ], "error_handling": { "strategy": "continue" } },
        { "id": "finish", "type": "skill", "skill": "teardown" }
    ]));
    insta::assert_snapshot!(drawn(&workflow));
}

#[test]
fn a_fallback_is_drawn_beside_the_step_it_replaces_and_not_in_its_own_place() {
    let workflow = workflow(json!([
        { "id": "fetch", "type": "skill", "skill": "http-fetch", "inputs": { "url": "context.api_url" }, "outputs": ["data"],
          "error_handling": { "strategy": "fallback", "fallback": "mirror" } },
        { "id": "save", "type": "skill", "skill": "db-writer", "inputs": { "data": "fetch.data" } },
        { "id": "mirror", "type": "skill", "skill": "http-fetch", "inputs": { "url": "context.mirror_url" }, "outputs": ["data"],
          "error_handling": { "strategy": "fallback", "fallback": "cache" } },
        { "id": "cache", "type": "skill", "skill": "cache-read", "outputs": ["data"] }
    ]));
    let picture = Picture::of(&workflow);
    assert_eq!(picture.count(), 4, "every step drawn once");
    insta::assert_snapshot!(text::draw(&picture).plain());
}

#[test]
fn fallbacks_that_name_each_other_are_each_drawn_once() {
    let workflow = workflow(json!([
        { "id": "a", "type": "skill", "skill": "x", "error_handling": { "strategy": "fallback", "fallback": "b" } },
        { "id": "b", "type": "skill", "skill": "y", "error_handling": { "strategy": "fallback", "fallback": "a" } },
        { "id": "c", "type": "skill", "skill": "z", "error_handling": { "strategy": "fallback", "fallback": "c" } }
    ]));
    let picture = Picture::of(&workflow);
    assert_eq!(picture.count(), 3);
    let plain = text::draw(&picture).plain();
    for id in ["─ a ", "─ b ", "─ c "] {
        assert_eq!(plain.matches(id).count(), 1, "{id} once in\n{plain}");
    }
}

#[test]
fn a_diff_marks_added_removed_and_changed_steps() {
    let old = pipeline();
    let new = workflow(json!([
        { "id": "fetch", "type": "skill", "skill": "http-fetch",
          "inputs": { "url": "context.api_url" }, "outputs": ["data"], "timeout_secs": 60,
          "error_handling": { "strategy": "retry", "max_attempts": 5, "backoff": "exponential" } },
        { "id": "log", "type": "skill", "skill": "logger", "inputs": { "data": "fetch.data" } },
        { "id": "save", "type": "skill", "skill": "db-writer",
          "inputs": { "data": "fetch.data", "table": "context.table" } }
    ]));
    let picture = Picture::of_diff(&old, &new);
    let plain = text::draw(&picture).plain();
    // The removed step stays where it was: after fetch, before what
    // replaced it.
    let position = |needle: &str| {
        plain
            .find(needle)
            .unwrap_or_else(|| panic!("{needle} in\n{plain}"))
    };
    assert!(position("~ fetch") < position("- validate"), "{plain}");
    assert!(position("- validate") < position("+ log"), "{plain}");
    assert!(position("+ log") < position("~ save"), "{plain}");
    insta::assert_snapshot!(plain);
}

#[test]
fn a_removed_group_is_drawn_whole_but_a_child_moved_out_of_it_only_where_it_is_now() {
    let old = workflow(json!([
        { "id": "fetch", "type": "skill", "skill": "http-fetch" },
        { "id": "checks", "type": "parallel", "steps": [
            { "id": "validate", "type": "skill", "skill": "v" },
            { "id": "notify", "type": "skill", "skill": "n" }
        ]}
    ]));
    let new = workflow(json!([
        { "id": "fetch", "type": "skill", "skill": "http-fetch" },
        { "id": "validate", "type": "skill", "skill": "v" }
    ]));
    let plain = text::draw(&Picture::of_diff(&old, &new)).plain();
    assert_eq!(plain.matches(" validate ").count(), 1, "{plain}");
    assert!(
        plain.contains("- checks") && plain.contains("- notify"),
        "{plain}"
    );
    assert!(plain.contains("~ validate"), "moved: {plain}");
}

#[test]
fn a_long_condition_wraps_inside_its_box() {
    let workflow = workflow(json!([
        { "id": "gate", "type": "conditional",
          "condition": "context.table == 'a very long table name that goes on' || context.schema == 'another long value here'",
          "then": [ { "id": "save", "type": "skill", "skill": "db-writer" } ] }
    ]));
    let plain = drawn(&workflow);
    assert!(
        plain.lines().all(|line| line.chars().count() <= 50),
        "{plain}"
    );
    insta::assert_snapshot!(plain);
}

#[test]
fn mermaid_and_dot_of_a_workflow_with_every_shape() {
    let workflow = every_shape();
    let picture = Picture::of(&workflow);
    let mermaid = mermaid::write(&picture);
    let dot = dot::write(&picture);
    check_mermaid(&mermaid);
    check_dot(&dot);
    insta::assert_snapshot!("mermaid", mermaid);
    insta::assert_snapshot!("dot", dot);
}

#[test]
fn labels_that_hold_quotes_and_markup_are_escaped() {
    let workflow = workflow(json!([
        { "id": "gate", "type": "conditional",
          "condition": "context.table == \"a \\\"quoted\\\" <b>name</b> & #1 | `x` \\\\\"",
          "then": [ { "id": "save", "type": "skill", "skill": "db-writer" } ] }
    ]));
    let picture = Picture::of(&workflow);
    let mermaid = mermaid::write(&picture);
    let dot = dot::write(&picture);
    check_mermaid(&mermaid);
    check_dot(&dot);
    assert!(
        mermaid.contains("#quot;quoted") && mermaid.contains("#lt;b#gt;"),
        "{mermaid}"
    );
    assert!(dot.contains(r#"\\\"quoted\\\""#), "{dot}");
}

#[test]
fn a_diff_in_mermaid_gives_each_mark_a_class() {
    let old = pipeline();
    let mut new = pipeline();
    new.steps.remove(1);
    new.steps[0].timeout_secs = Some(5);
    let mermaid = mermaid::write(&Picture::of_diff(&old, &new));
    check_mermaid(&mermaid);
    assert!(
        mermaid.contains("class s0 changed") && mermaid.contains("class s1 removed"),
        "{mermaid}"
    );
}

fn every_shape() -> Workflow {
    workflow(json!([
        { "id": "fetch", "type": "skill", "skill": "http-fetch", "inputs": { "url": "context.api_url" }, "outputs": ["data"],
          "error_handling": { "strategy": "fallback", "fallback": "mirror" } },
        { "id": "mirror", "type": "skill", "skill": "http-fetch", "inputs": { "url": "context.mirror_url" }, "outputs": ["data"] },
        { "id": "checks", "type": "parallel", "steps": [
            { "id": "validate", "type": "skill", "skill": "data-validator", "inputs": { "data": "fetch.data" }, "outputs": ["ok"] },
            { "id": "notify", "type": "skill", "skill": "notifier" }
        ]},
        { "id": "gate", "type": "conditional", "condition": "validate.ok == true",
          "then": [ { "id": "save", "type": "skill", "skill": "db-writer" } ] },
        { "id": "done", "type": "agent", "agent": "reporter" }
    ]))
}

/// Checks a Mermaid flowchart line by line against the statements this
/// writer may produce: the header, comments, node declarations with one
/// quoted label, edges between declared nodes, class definitions.
fn check_mermaid(text: &str) {
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("flowchart TD"), "{text}");
    let mut declared = std::collections::HashSet::new();
    let is_key =
        |key: &str| !key.is_empty() && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    for line in lines {
        let line = line.trim();
        if line.starts_with("%%") {
            assert!(!line.contains('\n'));
            continue;
        }
        if let Some(rest) = line.strip_prefix("classDef ") {
            assert!(rest.split_once(' ').is_some(), "{line}");
            continue;
        }
        if let Some(rest) = line.strip_prefix("class ") {
            let (keys, _) = rest.split_once(' ').expect("class KEYS NAME");
            assert!(keys.split(',').all(|key| declared.contains(key)), "{line}");
            continue;
        }
        let words: Vec<&str> = line.split(' ').collect();
        if words.len() == 3 && ["-->", "-.->"].contains(&words[1])
            || words.len() >= 3 && (words[1].starts_with("-->|") || words[1].starts_with("-.->|"))
        {
            let to = words.last().expect("a target");
            assert!(
                declared.contains(words[0]) && declared.contains(*to),
                "undeclared node in {line}"
            );
            if let Some(label) = line.split_once('|').map(|(_, rest)| rest) {
                let (label, _) = label.split_once('|').expect("a closed edge label");
                assert!(
                    label.chars().all(|c| c.is_ascii_alphanumeric() || c == ' '),
                    "{line}"
                );
            }
            continue;
        }
        // A node: KEY then ["…"], {"…"} or {{"…"}}.
        let open = line
            .find(['[', '{'])
            .unwrap_or_else(|| panic!("not a statement: {line}"));
        let (key, shape) = line.split_at(open);
        assert!(is_key(key), "{line}");
        let (start, end) = match shape {
            s if s.starts_with("{{\"") => ("{{\"", "\"}}"),
            s if s.starts_with("{\"") => ("{\"", "\"}"),
            s if s.starts_with("[\"") => ("[\"", "\"]"),
            _ => panic!("unknown shape: {line}"),
        };
        assert!(shape.ends_with(end), "{line}");
        let label = &shape[start.len()..shape.len() - end.len()];
        assert!(!label.contains('"'), "an unescaped quote in {line}");
        for (bad, why) in [
            ('<', "markup"),
            ('>', "markup"),
            ('`', "markdown"),
            ('|', "edge text"),
        ] {
            let without_breaks = label.replace("<br/>", "");
            assert!(
                !without_breaks.contains(bad),
                "{why} character {bad:?} in {line}"
            );
        }
        declared.insert(key.to_string());
    }
}

/// Checks a DOT digraph with a small tokenizer: identifiers, quoted
/// strings with only `\"` and `\\`-style escapes, and the statements this
/// writer produces (`ID [attrs];`, `ID -> ID [attrs];`, `node|edge [..];`,
/// `key=value;`), inside `digraph "NAME" { … }`.
fn check_dot(text: &str) {
    #[derive(Debug, PartialEq)]
    enum Token {
        Id(String),
        Quoted,
        Symbol(char),
        Arrow,
    }
    let mut tokens = Vec::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            c if c.is_whitespace() => {}
            '"' => {
                let mut closed = false;
                while let Some(inner) = chars.next() {
                    match inner {
                        '\\' => {
                            chars.next().expect("an escape is complete");
                        }
                        '"' => {
                            closed = true;
                            break;
                        }
                        '\n' => panic!("a line break inside a string:\n{text}"),
                        _ => {}
                    }
                }
                assert!(closed, "an unclosed string:\n{text}");
                tokens.push(Token::Quoted);
            }
            '-' if chars.peek() == Some(&'>') => {
                chars.next();
                tokens.push(Token::Arrow);
            }
            '{' | '}' | '[' | ']' | ';' | ',' | '=' => tokens.push(Token::Symbol(c)),
            c if c.is_ascii_alphanumeric() || c == '_' || c == '.' => {
                let mut id = c.to_string();
                while let Some(&next) = chars.peek() {
                    if next.is_ascii_alphanumeric() || next == '_' || next == '.' {
                        id.push(next);
                        chars.next();
                    } else {
                        break;
                    }
                }
                tokens.push(Token::Id(id));
            }
            other => panic!("unexpected {other:?} in DOT:\n{text}"),
        }
    }
    let mut at = 0;
    let expect = |wanted: &Token, at: &mut usize| {
        assert_eq!(tokens.get(*at), Some(wanted), "at token {at} of:\n{text}");
        *at += 1;
    };
    expect(&Token::Id("digraph".into()), &mut at);
    expect(&Token::Quoted, &mut at);
    expect(&Token::Symbol('{'), &mut at);
    let is_value = |token: Option<&Token>| matches!(token, Some(Token::Id(_) | Token::Quoted));
    let attributes = |at: &mut usize| {
        assert_eq!(tokens.get(*at), Some(&Token::Symbol('[')), "{text}");
        *at += 1;
        loop {
            assert!(
                matches!(tokens.get(*at), Some(Token::Id(_))),
                "an attribute name at {at}:\n{text}"
            );
            assert_eq!(tokens.get(*at + 1), Some(&Token::Symbol('=')), "{text}");
            assert!(is_value(tokens.get(*at + 2)), "{text}");
            *at += 3;
            match tokens.get(*at) {
                Some(Token::Symbol(',')) => *at += 1,
                Some(Token::Symbol(']')) => {
                    *at += 1;
                    break;
                }
                other => panic!("{other:?} in an attribute list:\n{text}"),
            }
        }
    };
    while tokens.get(at) != Some(&Token::Symbol('}')) {
        assert!(
            is_value(tokens.get(at)),
            "a statement starts with an id at {at}:\n{text}"
        );
        at += 1;
        match tokens.get(at) {
            Some(Token::Symbol('=')) => {
                assert!(is_value(tokens.get(at + 1)), "{text}");
                at += 2;
            }
            Some(Token::Arrow) => {
                assert!(is_value(tokens.get(at + 1)), "{text}");
                at += 2;
                if tokens.get(at) == Some(&Token::Symbol('[')) {
                    attributes(&mut at);
                }
            }
            Some(Token::Symbol('[')) => attributes(&mut at),
            _ => {}
        }
        expect(&Token::Symbol(';'), &mut at);
    }
    at += 1;
    assert_eq!(at, tokens.len(), "nothing after the closing brace:\n{text}");
}
