//! The condition language of `conditional` steps: parsed once, evaluated
//! against a lookup of references, every error placed at a column.
//!
//! ```text
//! expr       := or
//! or         := and ( "||" and )*
//! and        := comparison ( "&&" comparison )*
//! comparison := unary ( ("==" | "!=" | "<" | "<=" | ">" | ">=") unary )?
//! unary      := "!" unary | primary
//! primary    := number | 'text' | "text" | true | false | null
//!             | context.KEY | STEP.OUTPUT | "(" expr ")"
//! ```
//!
//! Values are JSON values. Step outputs are often text (a step that prints
//! `true` or `42`), so a text compared with a number or a boolean is read as
//! one when it spells one; `&&`, `||` and `!` accept `true`/`false` and the
//! texts "true"/"false", and anything else is an error rather than a guess.

use std::cmp::Ordering;

use serde_json::Value;

/// A condition that cannot be parsed or evaluated.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{message} (column {column})")]
pub struct ConditionError {
    pub message: String,
    /// 1-based, in characters.
    pub column: usize,
    pub hint: String,
}

/// A parsed condition.
#[derive(Debug, Clone, PartialEq)]
pub struct Condition {
    root: Expr,
    source: String,
}

#[derive(Debug, Clone, PartialEq)]
enum Expr {
    Literal(Value),
    /// `context.KEY` or `STEP.OUTPUT`, with its byte offset.
    Reference(String, usize),
    Not(Box<Expr>, usize),
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
    Compare(Op, Box<Expr>, Box<Expr>, usize),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Equal,
    NotEqual,
    Less,
    LessEqual,
    Greater,
    GreaterEqual,
}

impl Op {
    fn symbol(self) -> &'static str {
        match self {
            Op::Equal => "==",
            Op::NotEqual => "!=",
            Op::Less => "<",
            Op::LessEqual => "<=",
            Op::Greater => ">",
            Op::GreaterEqual => ">=",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Open,
    Close,
    Not,
    And,
    Or,
    Op(Op),
    Literal(Value),
    Reference(String),
}

const SYNTAX_HINT: &str = "conditions compare values: e.g. check.exists == true && context.mode != 'dry'; quote text with ' or \"";

fn column_of(source: &str, offset: usize) -> usize {
    source[..offset.min(source.len())].chars().count() + 1
}

fn error_at(source: &str, offset: usize, message: impl Into<String>) -> ConditionError {
    ConditionError {
        message: message.into(),
        column: column_of(source, offset),
        hint: SYNTAX_HINT.into(),
    }
}

fn is_word_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '-'
}

fn tokenize(source: &str) -> Result<Vec<(Token, usize)>, ConditionError> {
    let bytes = source.as_bytes();
    let mut tokens = Vec::new();
    let mut at = 0;
    while at < bytes.len() {
        let c = source[at..].chars().next().unwrap_or(' ');
        let start = at;
        let two = source.get(at..at + 2).unwrap_or("");
        let token = match c {
            _ if c.is_whitespace() => {
                at += c.len_utf8();
                continue;
            }
            '(' => Token::Open,
            ')' => Token::Close,
            _ if two == "&&" => Token::And,
            _ if two == "||" => Token::Or,
            _ if two == "==" => Token::Op(Op::Equal),
            _ if two == "!=" => Token::Op(Op::NotEqual),
            _ if two == "<=" => Token::Op(Op::LessEqual),
            _ if two == ">=" => Token::Op(Op::GreaterEqual),
            '!' => Token::Not,
            '<' => Token::Op(Op::Less),
            '>' => Token::Op(Op::Greater),
            '=' => {
                return Err(error_at(
                    source,
                    at,
                    "a single '=' is not an operator; compare with '=='",
                ));
            }
            '&' | '|' => {
                return Err(error_at(
                    source,
                    at,
                    format!("'{c}' alone is not an operator; use '{c}{c}'"),
                ));
            }
            '\'' | '"' => {
                let (text, end) = read_string(source, at, c)?;
                at = end;
                tokens.push((Token::Literal(Value::String(text)), start));
                continue;
            }
            _ if c.is_ascii_digit()
                || (c == '-' && source[at + 1..].starts_with(|d: char| d.is_ascii_digit())) =>
            {
                let mut end = at + 1;
                while end < bytes.len()
                    && (bytes[end].is_ascii_alphanumeric()
                        || matches!(bytes[end], b'.' | b'-' | b'+' | b'_'))
                {
                    // A sign only belongs to the number right after an exponent.
                    if matches!(bytes[end], b'-' | b'+') && !matches!(bytes[end - 1], b'e' | b'E') {
                        break;
                    }
                    end += 1;
                }
                let text = &source[at..end];
                let number: serde_json::Number = text
                    .parse::<serde_json::Number>()
                    .map_err(|_| error_at(source, at, format!("'{text}' is not a number")))?;
                at = end;
                tokens.push((Token::Literal(Value::Number(number)), start));
                continue;
            }
            _ if is_word_char(c) => {
                let mut end = at;
                while end < bytes.len() && (is_word_char(bytes[end] as char) || bytes[end] == b'.')
                {
                    end += 1;
                }
                let word = &source[at..end];
                at = end;
                let token = match word {
                    "true" => Token::Literal(Value::Bool(true)),
                    "false" => Token::Literal(Value::Bool(false)),
                    "null" => Token::Literal(Value::Null),
                    "and" | "or" | "not" => {
                        let symbol = match word {
                            "and" => "&&",
                            "or" => "||",
                            _ => "!",
                        };
                        return Err(error_at(
                            source,
                            start,
                            format!("'{word}' is not an operator here; write '{symbol}'"),
                        ));
                    }
                    _ => match word.split_once('.') {
                        Some((prefix, suffix))
                            if !prefix.is_empty()
                                && !suffix.is_empty()
                                && !suffix.contains('.') =>
                        {
                            Token::Reference(word.to_string())
                        }
                        _ => {
                            return Err(ConditionError {
                                message: format!("'{word}' is neither a value nor a reference"),
                                column: column_of(source, start),
                                hint: format!(
                                    "write context.{word} or STEP.OUTPUT to read a value, or quote it ('{word}') to compare with the text"
                                ),
                            });
                        }
                    },
                };
                tokens.push((token, start));
                continue;
            }
            other => {
                return Err(error_at(
                    source,
                    at,
                    format!("unexpected character '{other}'"),
                ));
            }
        };
        at += match token {
            Token::Open | Token::Close | Token::Not | Token::Op(Op::Less | Op::Greater) => 1,
            _ => 2,
        };
        tokens.push((token, start));
    }
    Ok(tokens)
}

/// A quoted literal from `start` (the quote); returns the text and the
/// offset after the closing quote.
fn read_string(source: &str, start: usize, quote: char) -> Result<(String, usize), ConditionError> {
    let mut text = String::new();
    let mut chars = source[start + 1..].char_indices();
    while let Some((offset, c)) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some((_, 'n')) => text.push('\n'),
                Some((_, 't')) => text.push('\t'),
                Some((_, escaped)) => text.push(escaped),
                None => break,
            },
            _ if c == quote => return Ok((text, start + 1 + offset + 1)),
            _ => text.push(c),
        }
    }
    Err(error_at(
        source,
        start,
        format!("the text starting here has no closing {quote}"),
    ))
}

/// How deep parentheses and '!' may nest in a condition.
pub const MAX_NESTING: usize = 64;

struct Parser<'s> {
    source: &'s str,
    tokens: Vec<(Token, usize)>,
    position: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.position).map(|(token, _)| token)
    }

    fn offset(&self) -> usize {
        self.tokens
            .get(self.position)
            .map_or(self.source.len(), |(_, offset)| *offset)
    }

    fn or(&mut self) -> Result<Expr, ConditionError> {
        let mut left = self.and()?;
        while self.peek() == Some(&Token::Or) {
            self.position += 1;
            left = Expr::Or(Box::new(left), Box::new(self.and()?));
        }
        Ok(left)
    }

    fn and(&mut self) -> Result<Expr, ConditionError> {
        let mut left = self.comparison()?;
        while self.peek() == Some(&Token::And) {
            self.position += 1;
            left = Expr::And(Box::new(left), Box::new(self.comparison()?));
        }
        Ok(left)
    }

    fn comparison(&mut self) -> Result<Expr, ConditionError> {
        let left = self.unary()?;
        if let Some(Token::Op(op)) = self.peek().cloned() {
            let at = self.offset();
            self.position += 1;
            let right = self.unary()?;
            if let Some(Token::Op(next)) = self.peek() {
                return Err(error_at(
                    self.source,
                    self.offset(),
                    format!(
                        "comparisons cannot be chained ('{}' after '{}')",
                        next.symbol(),
                        op.symbol()
                    ),
                ));
            }
            return Ok(Expr::Compare(op, Box::new(left), Box::new(right), at));
        }
        Ok(left)
    }

    fn unary(&mut self) -> Result<Expr, ConditionError> {
        if self.peek() == Some(&Token::Not) {
            let at = self.offset();
            self.position += 1;
            return Ok(Expr::Not(Box::new(self.unary()?), at));
        }
        self.primary()
    }

    fn primary(&mut self) -> Result<Expr, ConditionError> {
        let at = self.offset();
        let Some((token, _)) = self.tokens.get(self.position).cloned() else {
            return Err(error_at(
                self.source,
                at,
                "the condition ends where a value was expected",
            ));
        };
        self.position += 1;
        match token {
            Token::Literal(value) => Ok(Expr::Literal(value)),
            Token::Reference(text) => Ok(Expr::Reference(text, at)),
            Token::Open => {
                let inner = self.or()?;
                if self.peek() != Some(&Token::Close) {
                    return Err(error_at(
                        self.source,
                        self.offset(),
                        "expected ')' to close the '(' before",
                    ));
                }
                self.position += 1;
                Ok(inner)
            }
            other => Err(error_at(
                self.source,
                at,
                format!("expected a value, found '{}'", describe(&other)),
            )),
        }
    }
}

fn describe(token: &Token) -> String {
    match token {
        Token::Open => "(".into(),
        Token::Close => ")".into(),
        Token::Not => "!".into(),
        Token::And => "&&".into(),
        Token::Or => "||".into(),
        Token::Op(op) => op.symbol().into(),
        Token::Literal(value) => value.to_string(),
        Token::Reference(text) => text.clone(),
    }
}

impl Condition {
    /// Parses a condition.
    pub fn parse(source: &str) -> Result<Condition, ConditionError> {
        let tokens = tokenize(source)?;
        if tokens.is_empty() {
            return Err(error_at(source, 0, "the condition is empty"));
        }
        // The parser recurses per '(' and '!': bound the nesting so a
        // hostile condition is an error, not a stack overflow.
        let mut depth = 0usize;
        let mut nots = 0usize;
        for (token, offset) in &tokens {
            match token {
                Token::Open => depth += 1,
                Token::Close => depth = depth.saturating_sub(1),
                _ => {}
            }
            nots = if *token == Token::Not { nots + 1 } else { 0 };
            if depth + nots > MAX_NESTING {
                return Err(error_at(
                    source,
                    *offset,
                    format!("the condition nests deeper than {MAX_NESTING} levels"),
                ));
            }
        }
        let mut parser = Parser {
            source,
            tokens,
            position: 0,
        };
        let root = parser.or()?;
        if parser.position < parser.tokens.len() {
            let (token, offset) = &parser.tokens[parser.position];
            return Err(error_at(
                source,
                *offset,
                format!(
                    "unexpected '{}' after a complete condition",
                    describe(token)
                ),
            ));
        }
        Ok(Condition {
            root,
            source: source.to_string(),
        })
    }

    /// The references it reads (`context.KEY`, `STEP.OUTPUT`), in order.
    pub fn references(&self) -> Vec<&str> {
        fn walk<'e>(expr: &'e Expr, found: &mut Vec<&'e str>) {
            match expr {
                Expr::Literal(_) => {}
                Expr::Reference(text, _) => found.push(text),
                Expr::Not(inner, _) => walk(inner, found),
                Expr::And(left, right)
                | Expr::Or(left, right)
                | Expr::Compare(_, left, right, _) => {
                    walk(left, found);
                    walk(right, found);
                }
            }
        }
        let mut found = Vec::new();
        walk(&self.root, &mut found);
        found
    }

    /// Evaluates to true or false. `lookup` gives the value of a reference
    /// or says why it has none; `&&` and `||` stop early, so a reference on
    /// the side not needed is not looked up.
    pub fn evaluate(
        &self,
        lookup: &dyn Fn(&str) -> Result<Value, String>,
    ) -> Result<bool, ConditionError> {
        let value = self.eval(&self.root, lookup)?;
        self.truth(&value, 0)
    }

    fn truth(&self, value: &Value, offset: usize) -> Result<bool, ConditionError> {
        match value {
            Value::Bool(truth) => Ok(*truth),
            Value::String(text) if text == "true" => Ok(true),
            Value::String(text) if text == "false" => Ok(false),
            other => Err(ConditionError {
                message: format!("{} is not true or false", show(other)),
                column: column_of(&self.source, offset),
                hint: "compare it with a value, e.g. `== 'done'` or `> 0`".into(),
            }),
        }
    }

    fn eval(
        &self,
        expr: &Expr,
        lookup: &dyn Fn(&str) -> Result<Value, String>,
    ) -> Result<Value, ConditionError> {
        Ok(match expr {
            Expr::Literal(value) => value.clone(),
            Expr::Reference(text, offset) => lookup(text).map_err(|message| ConditionError {
                message,
                column: column_of(&self.source, *offset),
                hint: "a condition can read context values and the outputs of steps that ran before it".into(),
            })?,
            Expr::Not(inner, offset) => {
                let value = self.eval(inner, lookup)?;
                Value::Bool(!self.truth(&value, *offset)?)
            }
            Expr::And(left, right) => {
                let offset = self.start_of(left);
                let left = self.eval(left, lookup)?;
                if !self.truth(&left, offset)? {
                    return Ok(Value::Bool(false));
                }
                let offset = self.start_of(right);
                let right = self.eval(right, lookup)?;
                Value::Bool(self.truth(&right, offset)?)
            }
            Expr::Or(left, right) => {
                let offset = self.start_of(left);
                let left = self.eval(left, lookup)?;
                if self.truth(&left, offset)? {
                    return Ok(Value::Bool(true));
                }
                let offset = self.start_of(right);
                let right = self.eval(right, lookup)?;
                Value::Bool(self.truth(&right, offset)?)
            }
            Expr::Compare(op, left, right, offset) => {
                let left = self.eval(left, lookup)?;
                let right = self.eval(right, lookup)?;
                Value::Bool(compare(*op, &left, &right).map_err(|message| ConditionError {
                    message,
                    column: column_of(&self.source, *offset),
                    hint: "'<', '<=', '>' and '>=' compare two numbers or two texts".into(),
                })?)
            }
        })
    }

    fn start_of(&self, expr: &Expr) -> usize {
        match expr {
            Expr::Reference(_, offset) | Expr::Not(_, offset) => *offset,
            Expr::And(left, _) | Expr::Or(left, _) | Expr::Compare(_, left, _, _) => {
                self.start_of(left)
            }
            Expr::Literal(_) => 0,
        }
    }
}

fn show(value: &Value) -> String {
    match value {
        Value::String(text) => format!("the text '{text}'"),
        Value::Number(number) => format!("the number {number}"),
        Value::Null => "null".into(),
        Value::Array(_) => "a list".into(),
        Value::Object(_) => "an object".into(),
        Value::Bool(truth) => truth.to_string(),
    }
}

/// A text read as the type of the other side, when it spells one.
fn coerce(text: &str, like: &Value) -> Option<Value> {
    match like {
        Value::Number(_) => text
            .trim()
            .parse::<f64>()
            .ok()
            .and_then(|n| serde_json::Number::from_f64(n).map(Value::Number)),
        Value::Bool(_) => match text.trim() {
            "true" => Some(Value::Bool(true)),
            "false" => Some(Value::Bool(false)),
            _ => None,
        },
        Value::Null => (text.trim() == "null").then_some(Value::Null),
        _ => None,
    }
}

/// Both sides brought to one type where a text spells the other side's.
fn align(left: &Value, right: &Value) -> (Value, Value) {
    match (left, right) {
        (Value::String(text), other) if !other.is_string() => (
            coerce(text, other).unwrap_or_else(|| left.clone()),
            right.clone(),
        ),
        (other, Value::String(text)) if !other.is_string() => (
            left.clone(),
            coerce(text, other).unwrap_or_else(|| right.clone()),
        ),
        _ => (left.clone(), right.clone()),
    }
}

fn equal(left: &Value, right: &Value) -> bool {
    match (left, right) {
        (Value::Number(a), Value::Number(b)) => a.as_f64() == b.as_f64(),
        _ => left == right,
    }
}

fn compare(op: Op, left: &Value, right: &Value) -> Result<bool, String> {
    let (left, right) = align(left, right);
    let ordering = match op {
        Op::Equal => return Ok(equal(&left, &right)),
        Op::NotEqual => return Ok(!equal(&left, &right)),
        _ => match (&left, &right) {
            (Value::Number(a), Value::Number(b)) => a
                .as_f64()
                .zip(b.as_f64())
                .and_then(|(a, b)| a.partial_cmp(&b)),
            (Value::String(a), Value::String(b)) => Some(a.cmp(b)),
            _ => None,
        },
    };
    let Some(ordering) = ordering else {
        return Err(format!(
            "cannot order {} and {} with '{}'",
            show(&left),
            show(&right),
            op.symbol()
        ));
    };
    Ok(match op {
        Op::Less => ordering == Ordering::Less,
        Op::LessEqual => ordering != Ordering::Greater,
        Op::Greater => ordering == Ordering::Greater,
        Op::GreaterEqual => ordering != Ordering::Less,
        Op::Equal | Op::NotEqual => unreachable!("handled above"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn values(name: &str) -> Result<Value, String> {
        match name {
            "check.exists" => Ok(json!(true)),
            "check.text" => Ok(json!("true")),
            "count.n" => Ok(json!(5)),
            "count.text" => Ok(json!("42")),
            "context.mode" => Ok(json!("full")),
            "gone.value" => {
                Err("step 'gone' was skipped (the condition took the other branch)".into())
            }
            other => Err(format!("no value for {other}")),
        }
    }

    fn eval(source: &str) -> Result<bool, ConditionError> {
        Condition::parse(source)?.evaluate(&values)
    }

    #[test]
    fn comparisons_and_logic() {
        assert!(eval("check.exists == true").unwrap());
        assert!(eval("count.n > 3 && count.n <= 5").unwrap());
        assert!(!eval("count.n < 5").unwrap());
        assert!(eval("count.n >= 5 || false").unwrap());
        assert!(eval("!(context.mode != 'full')").unwrap());
        assert!(eval("context.mode == \"full\"").unwrap());
        assert!(eval("'abc' < 'abd'").unwrap());
        assert!(eval("-1.5 < 0").unwrap());
        assert!(eval("1e3 == 1000").unwrap());
        assert!(eval("null == null").unwrap());
        assert!(eval("check.exists").unwrap());
        assert!(!eval("!check.exists").unwrap());
    }

    #[test]
    fn texts_that_spell_numbers_or_booleans_compare_as_them() {
        assert!(eval("count.text == 42").unwrap());
        assert!(eval("count.text > 41.5").unwrap());
        assert!(eval("check.text == true").unwrap());
        assert!(eval("check.text && true").unwrap());
        assert!(
            !eval("count.text == '42.0'").unwrap(),
            "two texts compare as texts"
        );
    }

    #[test]
    fn precedence_and_binds_tighter_than_or() {
        assert!(eval("true || false && false").unwrap());
        assert!(!eval("(true || false) && false").unwrap());
    }

    #[test]
    fn short_circuit_skips_the_unneeded_side() {
        assert!(!eval("false && gone.value == 1").unwrap());
        assert!(eval("true || gone.value == 1").unwrap());
    }

    #[test]
    fn lookup_errors_carry_the_column() {
        let error = eval("count.n > 1 && gone.value == 1").unwrap_err();
        assert_eq!(error.column, 16);
        assert!(error.message.contains("skipped"));
    }

    #[test]
    fn syntax_errors_carry_the_column() {
        let cases = [
            ("count.n = 1", 9, "'=='"),
            ("count.n > ", 11, "ends"),
            ("(count.n > 1", 13, "')'"),
            ("count.n > 1 )", 13, "unexpected ')'"),
            ("1 < 2 < 3", 7, "chained"),
            ("mode == 'x'", 1, "neither"),
            ("'open", 1, "closing"),
            ("a.b & c.d", 5, "'&&'"),
            ("a.b and c.d", 5, "'&&'"),
            ("", 1, "empty"),
        ];
        for (source, column, needle) in cases {
            let error = Condition::parse(source).unwrap_err();
            assert_eq!(error.column, column, "{source}: {error}");
            assert!(error.message.contains(needle), "{source}: {error}");
        }
    }

    #[test]
    fn hostile_nesting_is_an_error_not_a_stack_overflow() {
        let deep = format!("{}true{}", "(".repeat(100_000), ")".repeat(100_000));
        let error = Condition::parse(&deep).expect_err("too deep");
        assert!(
            error.message.contains("deeper than 64"),
            "{}",
            error.message
        );
        let nots = format!("{}true", "!".repeat(100_000));
        assert!(Condition::parse(&nots).is_err());
        let fine = format!("{}true{}", "(".repeat(60), ")".repeat(60));
        assert!(Condition::parse(&fine).is_ok());
    }

    #[test]
    fn type_errors_are_reported_not_guessed() {
        let error = eval("context.mode && true").unwrap_err();
        assert!(error.message.contains("not true or false"), "{error}");
        let error = eval("context.mode > 3").unwrap_err();
        assert!(error.message.contains("cannot order"), "{error}");
        assert_eq!(error.column, 14);
    }

    #[test]
    fn references_are_listed_in_order() {
        let condition = Condition::parse("a.b == 1 && (context.k || !c.d)").unwrap();
        assert_eq!(condition.references(), vec!["a.b", "context.k", "c.d"]);
    }

    proptest::proptest! {
        #[test]
        fn comparing_numbers_matches_rust(a in -1000i64..1000, b in -1000i64..1000) {
            let lookup = |_: &str| -> Result<Value, String> { Err(String::new()) };
            for (op, expected) in [("<", a < b), ("<=", a <= b), (">", a > b), (">=", a >= b), ("==", a == b), ("!=", a != b)] {
                let condition = Condition::parse(&format!("{a} {op} {b}")).unwrap();
                proptest::prop_assert_eq!(condition.evaluate(&lookup).unwrap(), expected);
            }
        }

        #[test]
        fn parsing_never_panics(source in "[a-z.()!&|<>=' 0-9-]{0,30}") {
            let _ = Condition::parse(&source);
        }
    }
}
