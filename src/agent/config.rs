//! Which model qwf talks to, and where each setting came from.
//!
//! Every value is taken from the first of these that sets it:
//!
//! 1. the flags `--provider NAME`, `--model NAME` and `--max-tokens N`;
//! 2. the environment: `QWF_PROVIDER`, `QWF_MODEL`, `QWF_BASE_URL`,
//!    `QWF_OPENAI_API` (`responses` or `chat`, for `openai` only),
//!    `QWF_MAX_TOKENS`, `QWF_CONTEXT_WINDOW`, `QWF_REQUEST_TIMEOUT`;
//! 3. `$QWF_HOME/config.toml`:
//!
//!    ```toml
//!    [model]
//!    provider = "openai"           # anthropic | openai | ollama | gemini | openai-compatible | offline
//!    model = "gpt-4o-mini"         # optional: the provider's default otherwise
//!    base_url = "https://..."      # optional: the provider's default otherwise
//!    openai_api = "responses"      # optional, openai only: "responses" (default) or "chat"
//!    max_tokens = 2048             # optional: the longest answer asked for
//!    context_window = 8192         # optional: the model's window, checked before sending
//!    request_timeout = 300         # optional: seconds one model call may take
//!    ```
//!
//!    The file's `model` and `base_url` belong to its `provider`: when a flag
//!    or the environment picks a different provider, they are ignored and
//!    that provider's defaults apply. Other tables in the file are ignored;
//!    unknown keys in `[model]` are an error, so typos do not go unnoticed.
//! 4. defaults: provider `offline` (the built-in planner: no key, no
//!    network), and per provider the model and base URL below.
//!
//! | provider            | default model       | default base URL                              | API key variable                  |
//! |---------------------|---------------------|-----------------------------------------------|-----------------------------------|
//! | `anthropic`         | `claude-sonnet-4-6` | `https://api.anthropic.com`                   | `ANTHROPIC_API_KEY` (required)    |
//! | `openai`            | `gpt-4o-mini`       | `https://api.openai.com/v1`                   | `OPENAI_API_KEY` (required)       |
//! | `ollama`            | `llama3.1`          | `http://localhost:11434`                      | `OLLAMA_API_KEY` (optional)       |
//! | `gemini`            | `gemini-2.5-flash`  | `https://generativelanguage.googleapis.com`   | `GEMINI_API_KEY` (required)       |
//! | `openai-compatible` | none: set one       | none: set `QWF_BASE_URL` (e.g. `http://localhost:8080/v1`) | `QWF_API_KEY`, else `OPENAI_API_KEY` (optional) |
//! | `offline`           | —                   | —                                             | —                                 |
//!
//! API keys are read only from the environment, never from `config.toml`,
//! and are never printed: [`ResolvedModel`] only says whether the variable
//! is set. The provider-specific base-URL variables rig knows
//! (`OPENAI_BASE_URL`, `ANTHROPIC_BASE_URL`, ...) are not read; use
//! `QWF_BASE_URL`, so that every value has one visible source.
//!
//! The environment is passed in as data ([`Env`]); only [`process_env`]
//! reads the real one, for the CLI.

use std::fmt;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde::ser::{Serialize, SerializeMap, SerializeStruct, Serializer};

use super::model::{Model, ModelError};
use super::providers::{Connection, OpenAiApi, Provider, RigModel};

/// A view of the environment: the value of a variable, if set.
pub type Env<'a> = &'a dyn Fn(&str) -> Option<String>;

/// The process environment, for the CLI: `config::resolve(.., &process_env)`.
pub fn process_env(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

/// The name of the settings file under `QWF_HOME`.
pub const CONFIG_FILE: &str = "config.toml";

/// The flags that choose a model (`--provider`, `--model`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ModelFlags {
    pub provider: Option<String>,
    pub model: Option<String>,
    pub max_tokens: Option<u64>,
}

/// A resolved setting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Field {
    Provider,
    Model,
    BaseUrl,
    OpenAiApi,
    MaxTokens,
    ContextWindow,
    RequestTimeout,
}

impl Field {
    /// The key in JSON output and in `config.toml`.
    pub fn key(self) -> &'static str {
        match self {
            Field::Provider => "provider",
            Field::Model => "model",
            Field::BaseUrl => "base_url",
            Field::OpenAiApi => "openai_api",
            Field::MaxTokens => "max_tokens",
            Field::ContextWindow => "context_window",
            Field::RequestTimeout => "request_timeout",
        }
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Field::Provider => "provider",
            Field::Model => "model",
            Field::BaseUrl => "base URL",
            Field::OpenAiApi => "OpenAI API",
            Field::MaxTokens => "max tokens",
            Field::ContextWindow => "context window",
            Field::RequestTimeout => "request timeout",
        })
    }
}

/// Where a setting came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Source {
    /// A command-line flag, such as `--provider`.
    Flag(&'static str),
    /// An environment variable, such as `QWF_PROVIDER`.
    Env(&'static str),
    /// `$QWF_HOME/config.toml`.
    ConfigFile,
    /// qwf's default.
    Default,
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Flag(name) | Source::Env(name) => f.write_str(name),
            Source::ConfigFile => f.write_str(CONFIG_FILE),
            Source::Default => f.write_str("default"),
        }
    }
}

impl Serialize for Source {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// The API key a provider reads, and whether it is set (never its value).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct KeyStatus {
    /// The variable the key is (or would be) read from.
    pub variable: &'static str,
    pub set: bool,
    /// Whether calls fail without it.
    pub required: bool,
}

/// The model settings in effect, with the source of each value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedModel {
    pub provider: Provider,
    /// `None` for `offline`, and for `openai-compatible` when none is set.
    pub model: Option<String>,
    /// `None` for `offline`, and for `openai-compatible` when none is set.
    pub base_url: Option<String>,
    /// Only for `openai`.
    pub openai_api: Option<OpenAiApi>,
    /// The longest answer asked for; `None` for `offline`.
    pub max_tokens: Option<u64>,
    /// The model's context window, when set (otherwise rig's catalog is
    /// asked for hosted models).
    pub context_window: Option<u64>,
    /// Seconds one model call may take; `None` for `offline`.
    pub request_timeout: Option<u64>,
    /// `None` for `offline`.
    pub key: Option<KeyStatus>,
    /// Where `config.toml` is looked for (it need not exist).
    pub config_file: PathBuf,
    /// The source of each value above that is set, in field order.
    pub sources: Vec<(Field, Source)>,
}

impl ResolvedModel {
    /// Where `field` came from, when it is set.
    pub fn source(&self, field: Field) -> Option<Source> {
        self.sources
            .iter()
            .find(|(f, _)| *f == field)
            .map(|(_, source)| *source)
    }

    fn describe_source(&self, field: Field) -> String {
        match self.source(field) {
            Some(Source::Default) => "(default)".into(),
            Some(source) => format!("(from {source})"),
            None => String::new(),
        }
    }
}

/// One line per setting: "provider openai (from QWF_PROVIDER)",
/// "model gpt-4o-mini (from config.toml)", ...
impl fmt::Display for ResolvedModel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "provider {} {}",
            self.provider,
            self.describe_source(Field::Provider)
        )?;
        if self.provider == Provider::Offline {
            return write!(
                f,
                "model the built-in offline planner (no network, no API key)"
            );
        }
        match &self.model {
            Some(model) => writeln!(f, "model {model} {}", self.describe_source(Field::Model))?,
            None => writeln!(f, "model (not set: use --model, QWF_MODEL or config.toml)")?,
        }
        match &self.base_url {
            Some(url) => writeln!(f, "base URL {url} {}", self.describe_source(Field::BaseUrl))?,
            None => writeln!(f, "base URL (not set: use QWF_BASE_URL or config.toml)")?,
        }
        if let Some(api) = self.openai_api {
            writeln!(
                f,
                "OpenAI API {api} {}",
                self.describe_source(Field::OpenAiApi)
            )?;
        }
        if let Some(max_tokens) = self.max_tokens {
            writeln!(
                f,
                "max tokens {max_tokens} {}",
                self.describe_source(Field::MaxTokens)
            )?;
        }
        if let Some(window) = self.context_window {
            writeln!(
                f,
                "context window {window} {}",
                self.describe_source(Field::ContextWindow)
            )?;
        }
        if let Some(timeout) = self.request_timeout {
            writeln!(
                f,
                "request timeout {timeout} s {}",
                self.describe_source(Field::RequestTimeout)
            )?;
        }
        match self.key {
            Some(key) => write!(
                f,
                "API key {} ({})",
                key.variable,
                match (key.set, key.required) {
                    (true, _) => "set",
                    (false, true) => "NOT SET: required",
                    (false, false) => "not set: optional",
                }
            ),
            None => Ok(()),
        }
    }
}

/// `{"provider": "openai", "model": ..., "base_url": ..., "openai_api": ...,
/// "api_key": {"variable", "set", "required"}, "config_file": ...,
/// "sources": {"provider": "QWF_PROVIDER", ...}}`; unset values are `null`.
impl Serialize for ResolvedModel {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        struct Sources<'a>(&'a [(Field, Source)]);
        impl Serialize for Sources<'_> {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                let mut map = serializer.serialize_map(Some(self.0.len()))?;
                for (field, source) in self.0 {
                    map.serialize_entry(field.key(), source)?;
                }
                map.end()
            }
        }
        let mut s = serializer.serialize_struct("ResolvedModel", 10)?;
        s.serialize_field("provider", &self.provider)?;
        s.serialize_field("model", &self.model)?;
        s.serialize_field("base_url", &self.base_url)?;
        s.serialize_field("openai_api", &self.openai_api)?;
        s.serialize_field("max_tokens", &self.max_tokens)?;
        s.serialize_field("context_window", &self.context_window)?;
        s.serialize_field("request_timeout", &self.request_timeout)?;
        s.serialize_field("api_key", &self.key)?;
        s.serialize_field("config_file", &self.config_file)?;
        s.serialize_field("sources", &Sources(&self.sources))?;
        s.end()
    }
}

/// The `[model]` table of `config.toml`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileSettings {
    pub provider: Option<String>,
    pub model: Option<String>,
    pub base_url: Option<String>,
    pub openai_api: Option<String>,
    pub max_tokens: Option<u64>,
    pub context_window: Option<u64>,
    pub request_timeout: Option<u64>,
}

#[derive(Debug, Default, Deserialize)]
struct ConfigFile {
    #[serde(default)]
    model: FileSettings,
}

/// Read the `[model]` table of the settings file at `path`; a missing file
/// is empty settings.
pub fn read_config_file(path: &Path) -> Result<FileSettings, ModelError> {
    use crate::store::read::{self, ReadError};
    // A byte order mark is dropped; a FIFO, a device or a huge file is
    // refused by name rather than read forever.
    let text = match read::read_text(path, read::SMALL_FILE) {
        Ok(text) => text,
        Err(ReadError::NotFound) => return Ok(FileSettings::default()),
        Err(error) => {
            return Err(ModelError::Setup {
                message: format!("{} {error}", path.display()),
                hint: "config.toml must be a small text file; fix it or remove it".into(),
            });
        }
    };
    let file: ConfigFile = toml::from_str(&text).map_err(|error| {
        let place = match error.span() {
            Some(span) => {
                let (line, column) = line_and_column(&text, span.start);
                format!("{}:{line}:{column}", path.display())
            }
            None => path.display().to_string(),
        };
        ModelError::Setup {
            message: format!("{place}: {}", error.message()),
            hint: "the [model] table takes provider, model, base_url, openai_api, max_tokens, context_window and request_timeout, e.g.\n  \
                   [model]\n  provider = \"openai\"\n  model = \"gpt-4o-mini\""
                .into(),
        }
    })?;
    Ok(file.model)
}

/// The 1-based line and column (in characters) of byte `offset` in `text`.
fn line_and_column(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..text.floor_char_boundary(offset.min(text.len()))];
    let line = before.matches('\n').count() + 1;
    let column = before
        .rsplit('\n')
        .next()
        .map_or(0, |last| last.chars().count())
        + 1;
    (line, column)
}

/// Resolve the model settings from the flags, the environment and
/// `home/config.toml`.
pub fn resolve(flags: &ModelFlags, home: &Path, env: Env<'_>) -> Result<ResolvedModel, ModelError> {
    let config_file = home.join(CONFIG_FILE);
    let file = read_config_file(&config_file)?;
    resolve_from(flags, &file, config_file, env)
}

/// [`resolve`] with the settings file already read.
pub fn resolve_from(
    flags: &ModelFlags,
    file: &FileSettings,
    config_file: PathBuf,
    env: Env<'_>,
) -> Result<ResolvedModel, ModelError> {
    let env_value = |name: &str| env(name).filter(|value| !value.trim().is_empty());
    let flag_value = |value: &Option<String>| value.clone().filter(|v| !v.trim().is_empty());
    let file_value = |value: &Option<String>| value.clone().filter(|v| !v.trim().is_empty());
    let mut sources = Vec::new();

    // The provider.
    let (provider_name, provider_source) = if let Some(name) = flag_value(&flags.provider) {
        (Some(name), Source::Flag("--provider"))
    } else if let Some(name) = env_value("QWF_PROVIDER") {
        (Some(name), Source::Env("QWF_PROVIDER"))
    } else if let Some(name) = file_value(&file.provider) {
        (Some(name), Source::ConfigFile)
    } else {
        (None, Source::Default)
    };
    let provider = match provider_name {
        Some(name) => Provider::parse(&name).ok_or_else(|| ModelError::Setup {
            message: format!(
                "unknown provider '{}' (from {provider_source})",
                name.trim()
            ),
            hint: format!("valid providers: {}", Provider::valid_names()),
        })?,
        None => Provider::Offline,
    };
    sources.push((Field::Provider, provider_source));

    // The file's model and base URL belong to the file's provider.
    let file_applies = match file_value(&file.provider) {
        None => true,
        Some(name) => Provider::parse(&name) == Some(provider),
    };

    // The model.
    let model = flag_value(&flags.model)
        .map(|model| (model, Source::Flag("--model")))
        .or_else(|| env_value("QWF_MODEL").map(|model| (model, Source::Env("QWF_MODEL"))))
        .or_else(|| {
            file_value(&file.model)
                .filter(|_| file_applies)
                .map(|model| (model, Source::ConfigFile))
        });

    if provider == Provider::Offline {
        if provider_source == Source::Default
            && let Some((model, source)) = &model
        {
            return Err(ModelError::Setup {
                message: format!(
                    "model '{model}' is set (from {source}) but no provider is, so qwf would \
                     use the offline planner"
                ),
                hint: format!(
                    "choose the provider too, with --provider, QWF_PROVIDER or `provider` in \
                     config.toml ({})",
                    Provider::valid_names()
                ),
            });
        }
        return Ok(ResolvedModel {
            provider,
            model: None,
            base_url: None,
            openai_api: None,
            max_tokens: None,
            context_window: None,
            request_timeout: None,
            key: None,
            config_file,
            sources,
        });
    }

    let model = match model {
        Some((model, source)) => {
            sources.push((Field::Model, source));
            Some(model.trim().to_string())
        }
        None => provider.default_model().map(|model| {
            sources.push((Field::Model, Source::Default));
            model.to_string()
        }),
    };

    // The base URL.
    let base_url = if let Some(url) = env_value("QWF_BASE_URL") {
        sources.push((Field::BaseUrl, Source::Env("QWF_BASE_URL")));
        Some(url.trim().to_string())
    } else if let Some(url) = file_value(&file.base_url).filter(|_| file_applies) {
        sources.push((Field::BaseUrl, Source::ConfigFile));
        Some(url.trim().to_string())
    } else {
        provider.default_base_url().map(|url| {
            sources.push((Field::BaseUrl, Source::Default));
            url.to_string()
        })
    };

    // The OpenAI endpoint.
    let openai_api = if provider == Provider::OpenAi {
        let (name, source) = if let Some(name) = env_value("QWF_OPENAI_API") {
            (Some(name), Source::Env("QWF_OPENAI_API"))
        } else if let Some(name) = file_value(&file.openai_api).filter(|_| file_applies) {
            (Some(name), Source::ConfigFile)
        } else {
            (None, Source::Default)
        };
        let api = match name {
            Some(name) => OpenAiApi::parse(&name).ok_or_else(|| ModelError::Setup {
                message: format!("unknown OpenAI API '{}' (from {source})", name.trim()),
                hint: "use responses (the default) or chat".into(),
            })?,
            None => OpenAiApi::default(),
        };
        sources.push((Field::OpenAiApi, source));
        Some(api)
    } else {
        None
    };

    // The answer length and the context window: numbers.
    let number = |name: &'static str, value: String, source: Source| -> Result<u64, ModelError> {
        match value.trim().parse::<u64>() {
            Ok(number) if number > 0 => Ok(number),
            _ => Err(ModelError::Setup {
                message: format!(
                    "{name} must be a whole number above 0, not '{}' (from {source})",
                    value.trim()
                ),
                hint: format!("e.g. {name} = 2048"),
            }),
        }
    };
    let max_tokens = if let Some(value) = flags.max_tokens {
        sources.push((Field::MaxTokens, Source::Flag("--max-tokens")));
        number(
            "max_tokens",
            value.to_string(),
            Source::Flag("--max-tokens"),
        )?
    } else if let Some(value) = env_value("QWF_MAX_TOKENS") {
        sources.push((Field::MaxTokens, Source::Env("QWF_MAX_TOKENS")));
        number("max_tokens", value, Source::Env("QWF_MAX_TOKENS"))?
    } else if let Some(value) = file.max_tokens.filter(|_| file_applies) {
        sources.push((Field::MaxTokens, Source::ConfigFile));
        number("max_tokens", value.to_string(), Source::ConfigFile)?
    } else {
        sources.push((Field::MaxTokens, Source::Default));
        provider.default_max_tokens()
    };
    let context_window = if let Some(value) = env_value("QWF_CONTEXT_WINDOW") {
        sources.push((Field::ContextWindow, Source::Env("QWF_CONTEXT_WINDOW")));
        Some(number(
            "context_window",
            value,
            Source::Env("QWF_CONTEXT_WINDOW"),
        )?)
    } else if let Some(value) = file.context_window.filter(|_| file_applies) {
        sources.push((Field::ContextWindow, Source::ConfigFile));
        Some(number(
            "context_window",
            value.to_string(),
            Source::ConfigFile,
        )?)
    } else {
        None
    };
    let request_timeout = if let Some(value) = env_value("QWF_REQUEST_TIMEOUT") {
        sources.push((Field::RequestTimeout, Source::Env("QWF_REQUEST_TIMEOUT")));
        number("request_timeout", value, Source::Env("QWF_REQUEST_TIMEOUT"))?
    } else if let Some(value) = file.request_timeout.filter(|_| file_applies) {
        sources.push((Field::RequestTimeout, Source::ConfigFile));
        number("request_timeout", value.to_string(), Source::ConfigFile)?
    } else {
        sources.push((Field::RequestTimeout, Source::Default));
        super::providers::DEFAULT_REQUEST_TIMEOUT_SECS
    };

    // The key: only whether it is set.
    let variables = provider.key_variables();
    let key = variables.first().map(|first| {
        let set = variables
            .iter()
            .find(|variable| env_value(variable).is_some())
            .copied();
        KeyStatus {
            variable: set.unwrap_or(first),
            set: set.is_some(),
            required: provider.key_required(),
        }
    });

    Ok(ResolvedModel {
        provider,
        model,
        base_url,
        openai_api,
        max_tokens: Some(max_tokens),
        context_window,
        request_timeout: Some(request_timeout),
        key,
        config_file,
        sources,
    })
}

/// The connection for `resolved`, with the key read from `env`. Errors if
/// a required value is missing: the key (naming its variable), the model
/// or base URL of `openai-compatible`. Not for `offline`.
pub fn connection(resolved: &ResolvedModel, env: Env<'_>) -> Result<Connection, ModelError> {
    let provider = resolved.provider;
    if provider == Provider::Offline {
        return Err(ModelError::Setup {
            message: "the offline planner needs no connection".into(),
            hint: "use config::build, which plugs in the offline planner".into(),
        });
    }
    let variables = provider.key_variables();
    let found = variables.iter().find_map(|variable| {
        env(variable)
            .filter(|value| !value.trim().is_empty())
            .map(|value| (*variable, value.trim().to_string()))
    });
    let (key_variable, api_key) = match found {
        Some((variable, key)) => (Some(variable), Some(key)),
        None if provider.key_required() => {
            let variable = variables.first().copied().unwrap_or("the API key variable");
            return Err(ModelError::Setup {
                message: format!(
                    "provider {provider} needs an API key in {variable}, which is not set"
                ),
                hint: format!(
                    "export {variable}=..., or choose another provider with --provider \
                     (offline works without a key)"
                ),
            });
        }
        None => (None, None),
    };
    let model = resolved.model.clone().ok_or_else(|| ModelError::Setup {
        message: format!("provider {provider} needs a model name"),
        hint: "set one with --model, QWF_MODEL or `model` under [model] in config.toml".into(),
    })?;
    let base_url = resolved.base_url.clone().ok_or_else(|| ModelError::Setup {
        message: format!("provider {provider} needs a base URL"),
        hint: "set QWF_BASE_URL (or `base_url` under [model] in config.toml) to the server's \
               OpenAI-style URL, e.g. http://localhost:8080/v1"
            .into(),
    })?;
    Ok(Connection {
        provider,
        model,
        base_url,
        api_key,
        key_variable,
        openai_api: resolved.openai_api.unwrap_or_default(),
        max_tokens: resolved
            .max_tokens
            .unwrap_or_else(|| provider.default_max_tokens()),
        context_window: resolved.context_window,
        request_timeout_secs: resolved
            .request_timeout
            .unwrap_or(super::providers::DEFAULT_REQUEST_TIMEOUT_SECS),
    })
}

/// The model for `resolved`: the offline planner from `offline` for
/// provider `offline`, otherwise a rig adapter (keys read from `env`).
/// Nothing is sent over the network here.
pub fn build(
    resolved: &ResolvedModel,
    env: Env<'_>,
    offline: impl FnOnce() -> Box<dyn Model>,
) -> Result<Box<dyn Model>, ModelError> {
    if resolved.provider == Provider::Offline {
        return Ok(offline());
    }
    let connection = connection(resolved, env)?;
    Ok(Box::new(RigModel::connect(connection)?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::agent::model::{ModelReply, ModelRequest};
    use std::collections::HashMap;

    fn env_of(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> + use<> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |name| map.get(name).cloned()
    }

    fn resolve_with(
        flags: &ModelFlags,
        file: &FileSettings,
        env: &[(&str, &str)],
    ) -> Result<ResolvedModel, ModelError> {
        let env = env_of(env);
        resolve_from(flags, file, PathBuf::from("/home/config.toml"), &env)
    }

    fn file(provider: &str, model: &str) -> FileSettings {
        FileSettings {
            provider: Some(provider.into()),
            model: Some(model.into()),
            ..FileSettings::default()
        }
    }

    struct Planner;
    impl Model for Planner {
        fn describe(&self) -> String {
            "offline planner".into()
        }
        fn respond(&self, _: &ModelRequest<'_>) -> Result<ModelReply, ModelError> {
            Ok(ModelReply::default())
        }
    }

    #[test]
    fn nothing_configured_is_offline() {
        let resolved = resolve_with(&ModelFlags::default(), &FileSettings::default(), &[]).unwrap();
        assert_eq!(resolved.provider, Provider::Offline);
        assert_eq!(resolved.source(Field::Provider), Some(Source::Default));
        assert_eq!(resolved.model, None);
        assert_eq!(resolved.key, None);
        let model = build(&resolved, &env_of(&[]), || Box::new(Planner)).unwrap();
        assert_eq!(model.describe(), "offline planner");
    }

    #[test]
    fn flags_beat_environment_beats_file() {
        let file = file("anthropic", "claude-x");
        let env = [("QWF_PROVIDER", "openai"), ("QWF_MODEL", "gpt-env")];

        let resolved = resolve_with(&ModelFlags::default(), &file, &[]).unwrap();
        assert_eq!(resolved.provider, Provider::Anthropic);
        assert_eq!(resolved.model.as_deref(), Some("claude-x"));
        assert_eq!(resolved.source(Field::Model), Some(Source::ConfigFile));

        let resolved = resolve_with(&ModelFlags::default(), &file, &env).unwrap();
        assert_eq!(resolved.provider, Provider::OpenAi);
        assert_eq!(
            resolved.source(Field::Provider),
            Some(Source::Env("QWF_PROVIDER"))
        );
        assert_eq!(resolved.model.as_deref(), Some("gpt-env"));
        assert_eq!(
            resolved.source(Field::Model),
            Some(Source::Env("QWF_MODEL"))
        );

        let flags = ModelFlags {
            provider: Some("ollama".into()),
            model: Some("qwen3".into()),
            ..ModelFlags::default()
        };
        let resolved = resolve_with(&flags, &file, &env).unwrap();
        assert_eq!(resolved.provider, Provider::Ollama);
        assert_eq!(
            resolved.source(Field::Provider),
            Some(Source::Flag("--provider"))
        );
        assert_eq!(resolved.model.as_deref(), Some("qwen3"));
        assert_eq!(resolved.source(Field::Model), Some(Source::Flag("--model")));
        assert_eq!(resolved.base_url.as_deref(), Some("http://localhost:11434"));
        assert_eq!(resolved.source(Field::BaseUrl), Some(Source::Default));
    }

    #[test]
    fn the_file_model_is_ignored_for_another_provider() {
        let mut file = file("openai", "gpt-4o-mini");
        file.base_url = Some("https://proxy.example/v1".into());
        let flags = ModelFlags {
            provider: Some("anthropic".into()),
            model: None,
            ..ModelFlags::default()
        };
        let resolved = resolve_with(&flags, &file, &[]).unwrap();
        assert_eq!(resolved.model.as_deref(), Some("claude-sonnet-4-6"));
        assert_eq!(resolved.source(Field::Model), Some(Source::Default));
        assert_eq!(
            resolved.base_url.as_deref(),
            Some("https://api.anthropic.com")
        );

        // The same provider named again keeps the file's values.
        let flags = ModelFlags {
            provider: Some("OpenAI".into()),
            model: None,
            ..ModelFlags::default()
        };
        let resolved = resolve_with(&flags, &file, &[]).unwrap();
        assert_eq!(resolved.model.as_deref(), Some("gpt-4o-mini"));
        assert_eq!(
            resolved.base_url.as_deref(),
            Some("https://proxy.example/v1")
        );
        assert_eq!(resolved.source(Field::BaseUrl), Some(Source::ConfigFile));
    }

    #[test]
    fn base_url_and_openai_api_come_from_the_environment() {
        let env = [
            ("QWF_PROVIDER", "openai"),
            ("QWF_BASE_URL", "http://127.0.0.1:9/v1"),
            ("QWF_OPENAI_API", "chat"),
            ("OPENAI_API_KEY", "sk-test"),
        ];
        let resolved =
            resolve_with(&ModelFlags::default(), &FileSettings::default(), &env).unwrap();
        assert_eq!(resolved.base_url.as_deref(), Some("http://127.0.0.1:9/v1"));
        assert_eq!(
            resolved.source(Field::BaseUrl),
            Some(Source::Env("QWF_BASE_URL"))
        );
        assert_eq!(resolved.openai_api, Some(OpenAiApi::Chat));
        assert_eq!(
            resolved.key,
            Some(KeyStatus {
                variable: "OPENAI_API_KEY",
                set: true,
                required: true
            })
        );
        let default_api =
            resolve_with(&ModelFlags::default(), &FileSettings::default(), &env[..1]).unwrap();
        assert_eq!(default_api.openai_api, Some(OpenAiApi::Responses));
        assert_eq!(default_api.source(Field::OpenAiApi), Some(Source::Default));
    }

    #[test]
    fn display_names_each_source() {
        let env = [
            ("QWF_PROVIDER", "openai"),
            ("OPENAI_API_KEY", "sk-secret-value"),
        ];
        let file = FileSettings {
            model: Some("gpt-4o-mini".into()),
            ..FileSettings::default()
        };
        let resolved = resolve_with(&ModelFlags::default(), &file, &env).unwrap();
        let text = resolved.to_string();
        assert!(
            text.contains("provider openai (from QWF_PROVIDER)"),
            "{text}"
        );
        assert!(
            text.contains("model gpt-4o-mini (from config.toml)"),
            "{text}"
        );
        assert!(
            text.contains("base URL https://api.openai.com/v1 (default)"),
            "{text}"
        );
        assert!(text.contains("API key OPENAI_API_KEY (set)"), "{text}");
        assert!(!text.contains("sk-secret-value"));

        let json = serde_json::to_value(&resolved).unwrap();
        assert_eq!(json["provider"], "openai");
        assert_eq!(json["sources"]["provider"], "QWF_PROVIDER");
        assert_eq!(json["sources"]["model"], "config.toml");
        assert_eq!(json["api_key"]["set"], true);
        assert!(!json.to_string().contains("sk-secret-value"));
    }

    #[test]
    fn unknown_provider_lists_the_valid_names() {
        let env = [("QWF_PROVIDER", "gpt")];
        let error =
            resolve_with(&ModelFlags::default(), &FileSettings::default(), &env).unwrap_err();
        assert!(matches!(error, ModelError::Setup { .. }));
        assert!(error.to_string().contains("'gpt'"));
        assert!(error.to_string().contains("QWF_PROVIDER"));
        let hint = error.hint();
        for name in [
            "anthropic",
            "openai",
            "ollama",
            "gemini",
            "openai-compatible",
            "offline",
        ] {
            assert!(hint.contains(name), "{hint}");
        }
    }

    #[test]
    fn missing_key_names_the_variable() {
        for (provider, variable) in [
            ("anthropic", "ANTHROPIC_API_KEY"),
            ("openai", "OPENAI_API_KEY"),
            ("gemini", "GEMINI_API_KEY"),
        ] {
            let env = [("QWF_PROVIDER", provider), ("OPENAI_API_KEY", "")];
            let resolved =
                resolve_with(&ModelFlags::default(), &FileSettings::default(), &env).unwrap();
            assert_eq!(resolved.key.map(|k| k.set), Some(false));
            let error = build(&resolved, &env_of(&env), || Box::new(Planner))
                .err()
                .expect("a missing key is an error");
            assert!(matches!(error, ModelError::Setup { .. }));
            assert!(error.to_string().contains(variable), "{error}");
            assert!(error.hint().contains(variable));
        }
    }

    #[test]
    fn keyless_providers_build_without_a_key() {
        let env = [("QWF_PROVIDER", "ollama")];
        let resolved =
            resolve_with(&ModelFlags::default(), &FileSettings::default(), &env).unwrap();
        let model = build(&resolved, &env_of(&env), || Box::new(Planner)).unwrap();
        assert_eq!(
            model.describe(),
            "ollama llama3.1 at http://localhost:11434"
        );
    }

    #[test]
    fn openai_compatible_needs_a_base_url_and_a_model() {
        let env = [("QWF_PROVIDER", "openai-compatible"), ("QWF_MODEL", "m")];
        let resolved =
            resolve_with(&ModelFlags::default(), &FileSettings::default(), &env).unwrap();
        assert_eq!(resolved.base_url, None);
        assert!(resolved.to_string().contains("QWF_BASE_URL"));
        let error = build(&resolved, &env_of(&env), || Box::new(Planner))
            .err()
            .unwrap();
        assert!(error.hint().contains("QWF_BASE_URL"), "{}", error.hint());

        let env = [
            ("QWF_PROVIDER", "openai-compatible"),
            ("QWF_BASE_URL", "http://localhost:8080"),
        ];
        let resolved =
            resolve_with(&ModelFlags::default(), &FileSettings::default(), &env).unwrap();
        let error = build(&resolved, &env_of(&env), || Box::new(Planner))
            .err()
            .unwrap();
        assert!(error.to_string().contains("model name"), "{error}");

        // With both it builds, key or not, and a bare host gets /v1.
        let env = [
            ("QWF_PROVIDER", "openai-compatible"),
            ("QWF_BASE_URL", "http://localhost:8080"),
            ("QWF_MODEL", "local"),
        ];
        let resolved =
            resolve_with(&ModelFlags::default(), &FileSettings::default(), &env).unwrap();
        let model = build(&resolved, &env_of(&env), || Box::new(Planner)).unwrap();
        assert_eq!(
            model.describe(),
            "openai-compatible local at http://localhost:8080/v1"
        );
    }

    #[test]
    fn a_model_without_a_provider_is_an_error_not_silently_offline() {
        let env = [("QWF_MODEL", "gpt-4o")];
        let error =
            resolve_with(&ModelFlags::default(), &FileSettings::default(), &env).unwrap_err();
        assert!(error.to_string().contains("gpt-4o"));
        assert!(error.hint().contains("--provider"));

        // Choosing offline explicitly ignores the model.
        let env = [("QWF_MODEL", "gpt-4o"), ("QWF_PROVIDER", "offline")];
        let resolved =
            resolve_with(&ModelFlags::default(), &FileSettings::default(), &env).unwrap();
        assert_eq!(resolved.provider, Provider::Offline);
        assert_eq!(resolved.model, None);
    }

    #[test]
    fn bad_openai_api_value_is_a_setup_error() {
        let env = [
            ("QWF_PROVIDER", "openai"),
            ("QWF_OPENAI_API", "completions-v2"),
        ];
        let error =
            resolve_with(&ModelFlags::default(), &FileSettings::default(), &env).unwrap_err();
        assert!(error.to_string().contains("QWF_OPENAI_API"));
        assert!(error.hint().contains("chat"));
    }

    #[test]
    fn config_file_is_read_and_checked() {
        let dir = tempfile::tempdir().unwrap();
        // Missing file: defaults.
        let resolved = resolve(&ModelFlags::default(), dir.path(), &env_of(&[])).unwrap();
        assert_eq!(resolved.provider, Provider::Offline);
        assert_eq!(resolved.config_file, dir.path().join("config.toml"));

        std::fs::write(
            dir.path().join("config.toml"),
            "[model]\nprovider = \"gemini\"\nmodel = \"gemini-x\"\n\n[other]\nanything = 1\n",
        )
        .unwrap();
        let resolved = resolve(&ModelFlags::default(), dir.path(), &env_of(&[])).unwrap();
        assert_eq!(resolved.provider, Provider::Gemini);
        assert_eq!(resolved.source(Field::Provider), Some(Source::ConfigFile));
        assert_eq!(resolved.model.as_deref(), Some("gemini-x"));

        std::fs::write(
            dir.path().join("config.toml"),
            "[model]\nprovder = \"openai\"\n",
        )
        .unwrap();
        let error = resolve(&ModelFlags::default(), dir.path(), &env_of(&[])).unwrap_err();
        assert!(matches!(error, ModelError::Setup { .. }));
        assert!(error.to_string().contains("provder"), "{error}");
    }
}
