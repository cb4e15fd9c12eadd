//! Finds where a JSON pointer's value starts in the source text, so problems
//! found on the parsed value can be reported as `file:line:column`.

/// 1-based line and column of the value at `pointer` in `text`, if the text
/// is JSON and the pointer exists in it.
pub fn line_column(text: &str, pointer: &str) -> Option<(usize, usize)> {
    let target: Vec<String> = if pointer.is_empty() {
        Vec::new()
    } else {
        pointer
            .strip_prefix('/')?
            .split('/')
            .map(|segment| segment.replace("~1", "/").replace("~0", "~"))
            .collect()
    };
    let mut scanner = Scanner {
        bytes: text.as_bytes(),
        at: 0,
        target: &target,
        path: Vec::new(),
        found: None,
    };
    scanner.value();
    let offset = scanner.found?;
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let column = before
        .rsplit('\n')
        .next()
        .map_or(0, |tail| tail.chars().count())
        + 1;
    Some((line, column))
}

struct Scanner<'a> {
    bytes: &'a [u8],
    at: usize,
    target: &'a [String],
    path: Vec<String>,
    found: Option<usize>,
}

impl Scanner<'_> {
    fn skip_space(&mut self) {
        while self.at < self.bytes.len() && self.bytes[self.at].is_ascii_whitespace() {
            self.at += 1;
        }
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.at).copied()
    }

    /// Scans one value; returns false on malformed input.
    fn value(&mut self) -> bool {
        self.skip_space();
        if self.found.is_some() {
            return false;
        }
        if self.path.as_slice() == self.target {
            self.found = Some(self.at);
            return false;
        }
        // Only descend where the target lies.
        let on_route = self.target.starts_with(&self.path);
        match self.peek() {
            Some(b'{') => {
                self.at += 1;
                loop {
                    self.skip_space();
                    match self.peek() {
                        Some(b'}') => {
                            self.at += 1;
                            return true;
                        }
                        Some(b',') => self.at += 1,
                        Some(b'"') => {
                            let Some(key) = self.string() else {
                                return false;
                            };
                            self.skip_space();
                            if self.peek() != Some(b':') {
                                return false;
                            }
                            self.at += 1;
                            if on_route {
                                self.path.push(key);
                                let ok = self.value();
                                self.path.pop();
                                if !ok {
                                    return false;
                                }
                            } else if !self.value() {
                                return false;
                            }
                        }
                        _ => return false,
                    }
                }
            }
            Some(b'[') => {
                self.at += 1;
                let mut index = 0;
                loop {
                    self.skip_space();
                    match self.peek() {
                        Some(b']') => {
                            self.at += 1;
                            return true;
                        }
                        Some(b',') => {
                            self.at += 1;
                            index += 1;
                        }
                        Some(_) => {
                            self.path.push(index.to_string());
                            let ok = self.value();
                            self.path.pop();
                            if !ok {
                                return false;
                            }
                        }
                        None => return false,
                    }
                }
            }
            Some(b'"') => self.string().is_some(),
            Some(_) => {
                while let Some(byte) = self.peek() {
                    if matches!(byte, b',' | b'}' | b']') || byte.is_ascii_whitespace() {
                        break;
                    }
                    self.at += 1;
                }
                true
            }
            None => false,
        }
    }

    /// Scans a string literal and returns its decoded text.
    fn string(&mut self) -> Option<String> {
        let start = self.at;
        self.at += 1;
        while let Some(byte) = self.peek() {
            self.at += 1;
            match byte {
                b'\\' => self.at += 1,
                b'"' => {
                    let literal = std::str::from_utf8(&self.bytes[start..self.at]).ok()?;
                    return serde_json::from_str(literal).ok();
                }
                _ => {}
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::line_column;

    const TEXT: &str = "{\n  \"name\": \"w\",\n  \"steps\": [\n    {\"id\": \"a\", \"inputs\": {\"u/rl\": \"x\"}},\n    {\"id\": \"b\"}\n  ]\n}\n";

    #[test]
    fn finds_values_by_pointer() {
        assert_eq!(line_column(TEXT, ""), Some((1, 1)));
        assert_eq!(line_column(TEXT, "/name"), Some((2, 11)));
        assert_eq!(line_column(TEXT, "/steps/0/inputs/u~1rl"), Some((4, 36)));
        assert_eq!(line_column(TEXT, "/steps/1/id"), Some((5, 12)));
    }

    #[test]
    fn missing_pointers_and_bad_text_give_nothing() {
        assert_eq!(line_column(TEXT, "/steps/2"), None);
        assert_eq!(line_column(TEXT, "/nope"), None);
        assert_eq!(line_column("{\"a\": [1, 2", "/b"), None);
        assert_eq!(line_column(TEXT, "no-slash"), None);
    }
}
