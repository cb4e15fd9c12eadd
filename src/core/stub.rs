//! The script a code skill runs, and the stub qwf writes for it when a new
//! skill names a script that does not exist yet (`python3 notify.py` from
//! the offline planner). A stub reads its inputs the way `qwf run` passes
//! them and fails with "implement me: …" until the user writes the real
//! script; `qwf run`'s preflight recognises it by [`STUB_MARKER`].

use std::path::{Component, Path};

use super::skill::Skill;

/// Written into every stub; preflight refuses to run a script holding it.
pub const STUB_MARKER: &str = "qwf-stub:";

/// File extensions of scripts a command runs with an interpreter.
pub const SCRIPT_EXTENSIONS: &[&str] = &["py", "sh", "js", "mjs", "rb", "pl", "ts"];

/// The environment variable an input arrives in: `QWF_INPUT_` and the name
/// uppercased, anything but ASCII letters and digits turned into `_`.
pub fn input_variable(input: &str) -> String {
    let mut name = String::with_capacity(10 + input.len());
    name.push_str("QWF_INPUT_");
    name.extend(input.chars().map(|c| {
        if c.is_ascii_alphanumeric() {
            c.to_ascii_uppercase()
        } else {
            '_'
        }
    }));
    name
}

/// The script a command's second word names (`python3 validate.py` →
/// `validate.py`): a relative path with a script extension, inside the
/// skill's folder (no `..`, not absolute). `None` for anything else.
pub fn script_of(command: &str) -> Option<String> {
    let words = shell_words::split(command).ok()?;
    let script = words.get(1)?;
    if script.starts_with('-') {
        return None;
    }
    let path = Path::new(script);
    let extension = path.extension()?.to_str()?;
    if !SCRIPT_EXTENSIONS.contains(&extension) {
        return None;
    }
    path.components()
        .all(|component| matches!(component, Component::Normal(_)))
        .then(|| script.clone())
}

/// The stub for `skill`'s script, if its command names one qwf can write
/// (see [`script_of`]): the file name and its text.
pub fn script_stub(skill: &Skill) -> Option<(String, String)> {
    if !skill.skill_type.is_code() {
        return None;
    }
    let script = script_of(&skill.command)?;
    let extension = Path::new(&script).extension()?.to_str()?.to_string();
    // Everything from the skill file stays on one line: a line break in a
    // description must not end a comment and become code.
    let about = if skill.description.trim().is_empty() {
        format!("skill {}", skill.name)
    } else {
        format!(
            "skill {}: {}",
            skill.name,
            one_line(skill.description.trim())
        )
    };
    let outputs = skill.output_list();
    let gives = if outputs.is_empty() {
        "nothing".to_string()
    } else {
        format!("a JSON object with {}", outputs.join(", "))
    };
    let message = format!("implement me: {script} ({about}) should print {gives}");
    let header = [
        format!(
            "{STUB_MARKER} qwf wrote this stub because `{}` had no script to run.",
            one_line(&skill.command)
        ),
        format!("It is the script of {about}"),
        "Inputs arrive as QWF_INPUT_<NAME> variables and as one JSON object on stdin;".to_string(),
        "print the outputs as one JSON object on stdout. Replace this file with the real"
            .to_string(),
        "script (remove this header too): until then `qwf run` refuses to start.".to_string(),
    ];
    let inputs: Vec<(String, String)> = skill
        .input_names()
        .map(|input| (identifier(input), input_variable(input)))
        .collect();
    let text = match extension.as_str() {
        "py" => {
            let mut text = String::from("#!/usr/bin/env python3\n");
            for line in &header {
                text.push_str(&format!("# {line}\n"));
            }
            text.push_str("import os\nimport sys\n\n");
            for (variable, name) in &inputs {
                text.push_str(&format!("{variable} = os.environ.get({})\n", quoted(name)));
            }
            text.push_str(&format!("\nsys.exit({})\n", quoted(&message)));
            text
        }
        "sh" => {
            let mut text = String::from("#!/bin/sh\n");
            for line in &header {
                text.push_str(&format!("# {line}\n"));
            }
            text.push('\n');
            for (variable, name) in &inputs {
                text.push_str(&format!("{variable}=\"${{{name}-}}\"\n"));
            }
            text.push_str(&format!("\necho {} >&2\nexit 1\n", single_quoted(&message)));
            text
        }
        "js" | "mjs" | "ts" => {
            let mut text = String::new();
            for line in &header {
                text.push_str(&format!("// {line}\n"));
            }
            text.push('\n');
            for (variable, name) in &inputs {
                text.push_str(&format!(
                    "const {variable} = process.env[{}];\n",
                    quoted(name)
                ));
            }
            text.push_str(&format!(
                "\nconsole.error({});\nprocess.exit(1);\n",
                quoted(&message)
            ));
            text
        }
        "rb" => {
            let mut text = String::new();
            for line in &header {
                text.push_str(&format!("# {line}\n"));
            }
            text.push('\n');
            for (variable, name) in &inputs {
                text.push_str(&format!("{variable} = ENV[{}]\n", ruby_quoted(name)));
            }
            text.push_str(&format!("\nabort({})\n", ruby_quoted(&message)));
            text
        }
        "pl" => {
            let mut text = String::from("use strict;\nuse warnings;\n");
            for line in &header {
                text.push_str(&format!("# {line}\n"));
            }
            text.push('\n');
            for (variable, name) in &inputs {
                text.push_str(&format!(
                    "my ${variable} = $ENV{{{}}};\n",
                    single_quoted(name)
                ));
            }
            text.push_str(&format!("\ndie {} . \"\\n\";\n", single_quoted(&message)));
            text
        }
        _ => return None,
    };
    Some((script, text))
}

fn one_line(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// A variable name for an input in any of the stub languages.
fn identifier(input: &str) -> String {
    let mut name: String = input
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect();
    if name.is_empty() || name.starts_with(|c: char| c.is_ascii_digit()) {
        name.insert(0, '_');
    }
    name
}

/// A double-quoted string literal of Python or JavaScript.
fn quoted(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A Ruby double-quoted literal: also `#`, which would start `#{…}`.
fn ruby_quoted(text: &str) -> String {
    quoted(text).replace('#', "\\#")
}

/// A single-quoted shell or Perl string.
fn single_quoted(text: &str) -> String {
    format!("'{}'", text.replace('\'', "'\\''"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::skill::SkillType;

    fn skill(command: &str) -> Skill {
        Skill {
            name: "notifier".into(),
            skill_type: SkillType::CodeInline,
            description: "Send a \"notification\"".into(),
            command: command.into(),
            inputs: Some(crate::core::skill::Port::names(["data", "api-url"])),
            outputs: Some(crate::core::skill::Port::names(["sent"])),
            extra: Default::default(),
        }
    }

    #[test]
    fn the_script_is_the_commands_second_word_inside_the_skill_folder() {
        assert_eq!(
            script_of("python3 notify.py --fast").as_deref(),
            Some("notify.py")
        );
        assert_eq!(
            script_of("bash scripts/run.sh").as_deref(),
            Some("scripts/run.sh")
        );
        for outside in [
            "python3 ../notify.py",
            "python3 /etc/notify.py",
            "python3 -m notify",
            "curl https://x",
            "python3",
            "python3 'unclosed",
        ] {
            assert_eq!(script_of(outside), None, "{outside}");
        }
    }

    #[test]
    fn a_python_stub_reads_each_input_and_fails_with_implement_me() {
        let (file, text) = script_stub(&skill("python3 notify.py")).expect("a stub");
        assert_eq!(file, "notify.py");
        assert!(text.contains(STUB_MARKER));
        assert!(
            text.contains("data = os.environ.get(\"QWF_INPUT_DATA\")"),
            "{text}"
        );
        assert!(
            text.contains("api_url = os.environ.get(\"QWF_INPUT_API_URL\")"),
            "{text}"
        );
        assert!(
            text.contains("sys.exit(\"implement me: notify.py (skill notifier: Send a \\\"notification\\\") should print a JSON object with sent\")"),
            "{text}"
        );
    }

    #[test]
    fn a_line_break_in_the_description_stays_inside_the_comment() {
        let mut sneaky = skill("python3 notify.py");
        sneaky.description = "fine\nimport shutil; shutil.rmtree('/')".into();
        let (_, text) = script_stub(&sneaky).expect("a stub");
        assert!(
            text.lines()
                .filter(|line| line.contains("shutil"))
                .all(|line| line.starts_with('#') || line.starts_with("sys.exit(")),
            "{text}"
        );
    }

    #[test]
    fn stubs_exist_for_each_script_language_and_not_for_model_skills() {
        for (command, needle) in [
            ("sh run.sh", "exit 1"),
            ("node run.js", "process.exit(1);"),
            ("ruby run.rb", "abort("),
            ("perl run.pl", "die 'implement me"),
        ] {
            let (_, text) = script_stub(&skill(command)).expect(command);
            assert!(
                text.contains(needle) && text.contains("implement me"),
                "{text}"
            );
        }
        let mut prompt = skill("python3 notify.py");
        prompt.skill_type = SkillType::PromptInline;
        assert_eq!(script_stub(&prompt), None);
        assert_eq!(script_stub(&skill("curl https://x")), None);
    }
}
