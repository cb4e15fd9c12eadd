//! Language models behind [`Model`], through `rig` 0.44: Anthropic, OpenAI
//! (Responses or Chat Completions), Ollama, Gemini and any server speaking
//! OpenAI Chat Completions.
//!
//! One adapter, [`RigModel`], serves every provider: it converts our
//! provider-neutral conversation into rig's `CompletionRequest`, sends it
//! with rig's wire for the provider, and converts rig's reply back into a
//! [`ModelReply`]. [`Model::respond`] is synchronous: the adapter holds a
//! current-thread tokio runtime and blocks on the call, so it must not be
//! called from inside another tokio runtime.
//!
//! API keys are handed to rig and nowhere else: they never appear in
//! `Debug` output, and every error message is scrubbed of the key before it
//! leaves this module (Gemini puts the key in the request URL, which
//! transport errors quote).

use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rig::completion::{AssistantContent, CompletionRequest, CompletionResponse, ToolDefinition};
use rig::message::{
    AssistantMessage, CallId, Message as RigMessage, ToolCall as RigToolCall, ToolFunction,
    ToolName, ToolResult, ToolResultContent, UserContent,
};
use rig::operation::Completion;
use rig::providers::anthropic::AnthropicConfig;
use rig::providers::gemini::GeminiConfig;
use rig::providers::ollama::OllamaConfig;
use rig::providers::openai::wire::Auth;
use rig::providers::openai::wire::BodyRewrite;
use rig::providers::openai::{OpenAIConfig, Route};
use rig::{DynModel, ProviderError};
use serde::Serialize;
use serde_json::Value;

use super::model::{Message, Model, ModelError, ModelReply, ModelRequest, ToolCall, Usage};
use super::prompts::estimate_tokens;

/// How long to wait for a TCP connection to the provider.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// How long one model call may take, end to end, unless `request_timeout`
/// says otherwise. Local models on a CPU can be slow, so this is generous.
pub const DEFAULT_REQUEST_TIMEOUT_SECS: u64 = 300;
/// How much of a provider's error body an error message quotes.
const BODY_EXCERPT: usize = 300;

/// The providers qwf knows, by the names used in flags, the environment and
/// `config.toml`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Provider {
    Anthropic,
    OpenAi,
    Ollama,
    Gemini,
    /// Any server speaking OpenAI Chat Completions at `QWF_BASE_URL`.
    OpenAiCompatible,
    /// The built-in deterministic planner: no network, no key.
    Offline,
}

impl Provider {
    pub const ALL: [Provider; 6] = [
        Provider::Anthropic,
        Provider::OpenAi,
        Provider::Ollama,
        Provider::Gemini,
        Provider::OpenAiCompatible,
        Provider::Offline,
    ];

    /// The name used in flags, the environment and `config.toml`.
    pub fn name(self) -> &'static str {
        match self {
            Provider::Anthropic => "anthropic",
            Provider::OpenAi => "openai",
            Provider::Ollama => "ollama",
            Provider::Gemini => "gemini",
            Provider::OpenAiCompatible => "openai-compatible",
            Provider::Offline => "offline",
        }
    }

    /// The provider called `name` (case-insensitive).
    pub fn parse(name: &str) -> Option<Provider> {
        let name = name.trim().to_ascii_lowercase();
        Provider::ALL.into_iter().find(|p| p.name() == name)
    }

    /// "anthropic, openai, ollama, gemini, openai-compatible, offline".
    pub fn valid_names() -> String {
        Provider::ALL.map(Provider::name).join(", ")
    }

    /// The model used when none is configured. `None` for
    /// `openai-compatible` (the server decides what exists) and `offline`.
    pub fn default_model(self) -> Option<&'static str> {
        match self {
            Provider::Anthropic => Some("claude-sonnet-4-6"),
            Provider::OpenAi => Some("gpt-4o-mini"),
            Provider::Ollama => Some("llama3.1"),
            Provider::Gemini => Some("gemini-2.5-flash"),
            Provider::OpenAiCompatible | Provider::Offline => None,
        }
    }

    /// The answer length (`max_tokens`) sent when none is configured:
    /// enough for a whole new workflow as a tool call, and a bound on a
    /// model that loops. Self-hosted models on a CPU write about 10 tokens
    /// a second, so theirs is smaller.
    pub fn default_max_tokens(self) -> u64 {
        match self {
            Provider::Anthropic | Provider::Gemini => 8192,
            Provider::OpenAi => 4096,
            Provider::Ollama | Provider::OpenAiCompatible => 2048,
            Provider::Offline => 0,
        }
    }

    /// The vendor under which rig's model catalog lists this provider's
    /// models, for their context windows.
    fn catalog_vendor(self) -> Option<&'static str> {
        match self {
            Provider::Anthropic => Some("anthropic"),
            Provider::OpenAi => Some("openai"),
            Provider::Gemini => Some("gcp.gemini"),
            Provider::Ollama | Provider::OpenAiCompatible | Provider::Offline => None,
        }
    }

    /// The base URL used when none is configured. `None` for
    /// `openai-compatible`, which needs `QWF_BASE_URL`, and `offline`.
    pub fn default_base_url(self) -> Option<&'static str> {
        match self {
            Provider::Anthropic => Some("https://api.anthropic.com"),
            Provider::OpenAi => Some("https://api.openai.com/v1"),
            Provider::Ollama => Some("http://localhost:11434"),
            Provider::Gemini => Some("https://generativelanguage.googleapis.com"),
            Provider::OpenAiCompatible | Provider::Offline => None,
        }
    }

    /// The environment variables holding this provider's API key, in the
    /// order they are read.
    pub fn key_variables(self) -> &'static [&'static str] {
        match self {
            Provider::Anthropic => &["ANTHROPIC_API_KEY"],
            Provider::OpenAi => &["OPENAI_API_KEY"],
            Provider::Gemini => &["GEMINI_API_KEY"],
            Provider::Ollama => &["OLLAMA_API_KEY"],
            Provider::OpenAiCompatible => &["QWF_API_KEY", "OPENAI_API_KEY"],
            Provider::Offline => &[],
        }
    }

    /// Whether a call fails without a key.
    pub fn key_required(self) -> bool {
        matches!(
            self,
            Provider::Anthropic | Provider::OpenAi | Provider::Gemini
        )
    }

    /// Whether the server is usually one the user runs themselves, so an
    /// unreachable server most likely is not started.
    fn is_self_hosted(self) -> bool {
        matches!(self, Provider::Ollama | Provider::OpenAiCompatible)
    }
}

impl fmt::Display for Provider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl Serialize for Provider {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.name())
    }
}

/// Which OpenAI endpoint the `openai` provider uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OpenAiApi {
    /// `POST /v1/responses`, rig's default for OpenAI.
    #[default]
    Responses,
    /// `POST /v1/chat/completions`.
    Chat,
}

impl OpenAiApi {
    pub fn name(self) -> &'static str {
        match self {
            OpenAiApi::Responses => "responses",
            OpenAiApi::Chat => "chat",
        }
    }

    pub fn parse(name: &str) -> Option<OpenAiApi> {
        match name.trim().to_ascii_lowercase().as_str() {
            "responses" => Some(OpenAiApi::Responses),
            "chat" | "chat-completions" | "chat_completions" => Some(OpenAiApi::Chat),
            _ => None,
        }
    }
}

impl fmt::Display for OpenAiApi {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl Serialize for OpenAiApi {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.name())
    }
}

/// Everything needed to reach one model. Built by
/// [`config::build`](super::config::build) from the resolved settings.
#[derive(Clone)]
pub struct Connection {
    pub provider: Provider,
    pub model: String,
    /// As the user gave it; normalized per provider when connecting.
    pub base_url: String,
    pub api_key: Option<String>,
    /// The variable the key came from (or should come from), for hints.
    pub key_variable: Option<&'static str>,
    /// Only read for [`Provider::OpenAi`].
    pub openai_api: OpenAiApi,
    /// The longest answer asked for, sent with every request.
    pub max_tokens: u64,
    /// The model's context window, when the user set it; otherwise rig's
    /// catalog is asked (hosted models only).
    pub context_window: Option<u64>,
    /// How long one call may take, end to end, in seconds.
    pub request_timeout_secs: u64,
}

impl fmt::Debug for Connection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Connection")
            .field("provider", &self.provider)
            .field("model", &self.model)
            .field("base_url", &self.base_url)
            .field("api_key", &self.api_key.as_ref().map(|_| "[redacted]"))
            .field("key_variable", &self.key_variable)
            .field("openai_api", &self.openai_api)
            .field("max_tokens", &self.max_tokens)
            .field("context_window", &self.context_window)
            .field("request_timeout_secs", &self.request_timeout_secs)
            .finish()
    }
}

/// A rig completion model behind the synchronous [`Model`] trait.
pub struct RigModel {
    runtime: tokio::runtime::Runtime,
    model: DynModel<Completion>,
    provider: Provider,
    model_name: String,
    /// The URL requests go to, after normalization (never holds the key).
    base_url: String,
    key_variable: Option<&'static str>,
    /// Kept only to scrub it from error messages.
    secret: Option<String>,
    openai_api: OpenAiApi,
    max_tokens: u64,
    /// The context window and where it is known from.
    window: Option<(u64, &'static str)>,
    /// Shared with the HTTP middleware that sees every request body.
    wire: Arc<Mutex<WireState>>,
    request_timeout_secs: u64,
}

impl fmt::Debug for RigModel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RigModel")
            .field("provider", &self.provider)
            .field("model", &self.model_name)
            .field("base_url", &self.base_url)
            .finish_non_exhaustive()
    }
}

impl RigModel {
    /// Set up the client for `connection`. Nothing is sent until
    /// [`Model::respond`].
    pub fn connect(connection: Connection) -> Result<RigModel, ModelError> {
        let Connection {
            provider,
            model,
            base_url,
            api_key,
            key_variable,
            openai_api,
            max_tokens,
            context_window,
            request_timeout_secs,
        } = connection;
        let api_key = api_key.filter(|key| !key.trim().is_empty());
        if provider.key_required() && api_key.is_none() {
            let variable = key_variable
                .or_else(|| provider.key_variables().first().copied())
                .unwrap_or("the API key variable");
            return Err(missing_key(provider, variable));
        }
        if model.trim().is_empty() {
            return Err(ModelError::Setup {
                message: format!("no model name is set for provider {provider}"),
                hint: "set one with --model, QWF_MODEL or `model` in config.toml".into(),
            });
        }
        let base_url = base_url.trim().trim_end_matches('/').to_string();
        check_url(provider, &base_url)?;

        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|error| ModelError::Setup {
                message: format!("cannot start the async runtime for the model client: {error}"),
                hint: "this is a problem with the machine's resources; try again".into(),
            })?;
        let http = rig::rig_reqwest::reqwest::Client::builder()
            .connect_timeout(CONNECT_TIMEOUT)
            .timeout(Duration::from_secs(request_timeout_secs.max(1)))
            .build()
            .map_err(|error| ModelError::Setup {
                message: format!("cannot set up the HTTP client: {error}"),
                hint: "check the system's TLS certificates and proxy settings".into(),
            })?;
        let wire = Arc::new(Mutex::new(WireState::default()));
        let http =
            rig::http_client::DynHttpClient::new(rig::http_client::ReqwestClient::from(http))
                .with_middleware(WireTap {
                    state: Arc::clone(&wire),
                    secret: api_key.clone(),
                });
        let key = api_key.clone().unwrap_or_default();

        let (model_handle, url) = match provider {
            Provider::Anthropic => {
                let config = AnthropicConfig::new(key).with_base_url(&base_url);
                let url = config.base_url.clone();
                let handle = config.connect(http).completion(model.clone());
                (handle.erase(), url)
            }
            Provider::OpenAi => {
                let config = OpenAIConfig::new(key).with_base_url(with_v1(&base_url));
                let url = config.base_url.clone();
                let client = config.connect(http);
                let handle = match openai_api {
                    OpenAiApi::Responses => client.responses(model.clone()).erase(),
                    OpenAiApi::Chat => client.chat(model.clone()).erase(),
                };
                (handle, url)
            }
            Provider::OpenAiCompatible => {
                let mut config = OpenAIConfig::new(key)
                    .with_base_url(with_v1(&base_url))
                    .with_route(Route::Chat);
                // A server started without a key rejects any Authorization
                // header; send none when there is no key.
                config.auth = Auth::OptionalBearer;
                // Text content goes as one string, not an array of parts:
                // some servers (older llama.cpp, vLLM templates) reject
                // parts in the system message.
                config.dialect.quirks.rewrite = BodyRewrite::Perplexity;
                let url = config.base_url.clone();
                (config.connect(http).chat(model.clone()).erase(), url)
            }
            Provider::Ollama => {
                let root = base_url
                    .strip_suffix("/v1")
                    .unwrap_or(&base_url)
                    .to_string();
                let mut config = OllamaConfig::new().with_base_url(&root);
                if let Some(key) = &api_key {
                    config = config.with_api_key(key.clone());
                }
                let url = config.base_url.clone();
                // The native /api/chat: the only route that takes num_ctx,
                // without which Ollama silently cuts long requests.
                (
                    config
                        .connect(http)
                        .native_completion(model.clone())
                        .erase(),
                    url,
                )
            }
            Provider::Gemini => {
                let config = GeminiConfig::new(key).with_base_url(base_url.clone());
                let url = config.base_url.clone();
                (config.connect(http).completion(model.clone()).erase(), url)
            }
            Provider::Offline => {
                return Err(ModelError::Setup {
                    message: "the offline planner is not a network model".into(),
                    hint: "use config::build, which plugs in the offline planner".into(),
                });
            }
        };

        let window = match context_window {
            Some(window) => Some((window, "context_window")),
            None => provider.catalog_vendor().and_then(|vendor| {
                rig::catalog::Catalog::builtin()
                    .resolve(&format!("{vendor}/{model}"))
                    .and_then(|spec| spec.context_window)
                    .map(|window| (u64::from(window), "rig's model catalog"))
            }),
        };
        Ok(RigModel {
            runtime,
            model: model_handle,
            provider,
            model_name: model,
            base_url: url,
            key_variable,
            secret: api_key,
            openai_api,
            max_tokens,
            window,
            wire,
            request_timeout_secs,
        })
    }

    pub fn provider(&self) -> Provider {
        self.provider
    }

    pub fn model_name(&self) -> &str {
        &self.model_name
    }

    /// The URL requests are sent under (never includes the key).
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    fn scrub(&self, text: &str) -> String {
        match &self.secret {
            Some(secret) if !secret.is_empty() => text.replace(secret.as_str(), "[redacted]"),
            _ => text.to_string(),
        }
    }

    fn setup_error(&self, message: String, hint: String) -> ModelError {
        ModelError::Setup {
            message: self.scrub(&message),
            hint: self.scrub(&hint),
        }
    }

    fn truncated(&self, message: String, hint: String) -> ModelError {
        ModelError::Truncated {
            message: self.scrub(&message),
            hint: self.scrub(&hint),
        }
    }

    fn call_error(&self, message: String, hint: String) -> ModelError {
        ModelError::Call {
            message: self.scrub(&message),
            hint: self.scrub(&hint),
        }
    }

    fn key_hint(&self) -> String {
        match (self.key_variable, self.provider) {
            (Some(variable), _) => format!("check {variable}"),
            (None, Provider::OpenAiCompatible) => {
                "the server wants an API key: set QWF_API_KEY (or OPENAI_API_KEY)".into()
            }
            (None, Provider::Ollama) => "the server wants an API key: set OLLAMA_API_KEY".into(),
            (None, provider) => match provider.key_variables().first() {
                Some(variable) => format!("check {variable}"),
                None => "check the API key".into(),
            },
        }
    }

    /// The error for a failed call, with a hint saying what to check.
    fn map_error(&self, error: ProviderError, estimate: u64) -> ModelError {
        let provider = self.provider;
        let url = &self.base_url;
        match error {
            ProviderError::InvalidAuthentication(response) => {
                let status = response
                    .status
                    .map(|s| format!(" (HTTP {})", s.as_u16()))
                    .unwrap_or_default();
                self.call_error(
                    format!(
                        "{provider} rejected the API key{status}: {}",
                        body_excerpt(&response.body)
                    ),
                    self.key_hint(),
                )
            }
            ProviderError::ProviderResponse(response) => {
                let detail = body_excerpt(&response.body);
                let status = response.status.map(|s| s.as_u16());
                match (status, classify_refusal(&response.body)) {
                    (Some(status @ (401 | 403)), _) => self.call_error(
                        format!("{provider} rejected the API key (HTTP {status}): {detail}"),
                        self.key_hint(),
                    ),
                    (_, Some(Refusal::ContextSize)) => self.call_error(
                        format!(
                            "the request ({}) does not fit the context window of {} at {url}: {detail}",
                            self.sent_size(estimate),
                            self.model_name
                        ),
                        self.context_hint(),
                    ),
                    (_, Some(Refusal::NoTools)) => self.call_error(
                        format!("model '{}' cannot call tools: {detail}", self.model_name),
                        match provider {
                            Provider::OpenAiCompatible => "qwf works only through tool calls: choose a model that supports them (e.g. qwen2.5, llama3.1); a llama.cpp server needs --jinja to accept tools".into(),
                            _ => "qwf works only through tool calls: choose a model that supports them (e.g. qwen2.5, llama3.1) with --model or QWF_MODEL".into(),
                        },
                    ),
                    (status, Some(Refusal::ModelMissing)) | (status @ Some(404), _) => {
                        self.call_error(
                            format!(
                                "{provider} has no model '{}'{}: {detail}",
                                self.model_name,
                                status.map(|status| format!(" (HTTP {status})")).unwrap_or_default()
                            ),
                            format!(
                                "check the model name '{}' (--model, QWF_MODEL){}{}",
                                self.model_name,
                                match provider {
                                    Provider::Ollama => format!(": `ollama list` shows the installed ones, `ollama pull {}` fetches it", self.model_name),
                                    Provider::OpenAiCompatible => format!(": {url}/models lists what the server has"),
                                    _ => String::new(),
                                },
                                if matches!(provider, Provider::OpenAi | Provider::OpenAiCompatible) && status == Some(404) {
                                    format!(", and the base URL {url} (an OpenAI-style base URL usually ends in /v1)")
                                } else {
                                    String::new()
                                }
                            ),
                        )
                    }
                    (Some(429), _) => self.call_error(
                        format!("{provider} is rate limiting requests (HTTP 429): {detail}"),
                        "wait a moment and try again, or check the account's quota".into(),
                    ),
                    (Some(status), _) if status >= 500 => self.call_error(
                        format!("{provider} had a server error (HTTP {status}): {detail}"),
                        "the provider is having trouble; try again later".into(),
                    ),
                    (Some(status), _) => self.call_error(
                        format!("{provider} refused the request (HTTP {status}): {detail}"),
                        "the server's message above says why; if it names a parameter, tell us: qwf should not send it".into(),
                    ),
                    (None, _) => self.call_error(
                        format!("{provider} reported an error: {detail}"),
                        "try again; if it persists, try another model".into(),
                    ),
                }
            }
            ProviderError::Http(error) => self.transport_error(&*error),
            ProviderError::Json(error) => self.call_error(
                format!("the reply from {url} could not be read: {error}"),
                self.protocol_hint(),
            ),
            ProviderError::Response(message) => self.call_error(
                format!("the reply from {url} could not be read: {message}"),
                self.protocol_hint(),
            ),
            ProviderError::Truncated => self.call_error(
                format!("the reply from {url} ended early"),
                "try again".into(),
            ),
            ProviderError::Url(error) => self.setup_error(
                format!("the base URL {url} is not valid: {error}"),
                "fix QWF_BASE_URL or `base_url` in config.toml".into(),
            ),
            ProviderError::Request(error) => self.call_error(
                format!("the request could not be built: {error}"),
                "this is a bug in qwf's conversation handling; please report it".into(),
            ),
            other => self.call_error(
                other.to_string(),
                "try again; if it persists, try another model".into(),
            ),
        }
    }

    /// What to change when a request does not fit the context window.
    fn context_hint(&self) -> String {
        match self.provider {
            Provider::OpenAiCompatible => "start the server with a larger context (llama.cpp: --ctx-size 8192; vLLM: --max-model-len 8192), or lower max_tokens (--max-tokens, `max_tokens` in config.toml); set `context_window` in config.toml so qwf checks before sending".into(),
            Provider::Ollama => "use a model with a larger context window, or lower max_tokens (--max-tokens, `max_tokens` in config.toml); qwf sets num_ctx to fit, up to `context_window` in config.toml".into(),
            _ => "use a model with a larger context window, or start a new conversation (the history is sent with every request)".into(),
        }
    }

    fn protocol_hint(&self) -> String {
        let api = match self.provider {
            Provider::Anthropic => "the Anthropic Messages API",
            Provider::OpenAi if self.openai_api == OpenAiApi::Responses => {
                "the OpenAI Responses API (set QWF_OPENAI_API=chat for Chat Completions)"
            }
            Provider::OpenAi | Provider::OpenAiCompatible | Provider::Ollama => {
                "OpenAI Chat Completions"
            }
            Provider::Gemini => "the Gemini API",
            Provider::Offline => "a model API",
        };
        format!("is {} a server that speaks {api}?", self.base_url)
    }

    /// A failure that produced no reply: classify it from the error chain.
    fn transport_error(&self, error: &(dyn std::error::Error + 'static)) -> ModelError {
        let url = &self.base_url;
        let mut connect = false;
        let mut timeout = false;
        let mut chain = Vec::new();
        let mut current: Option<&(dyn std::error::Error + 'static)> = Some(error);
        while let Some(cause) = current {
            if let Some(reqwest) = cause.downcast_ref::<rig::rig_reqwest::reqwest::Error>() {
                connect |= reqwest.is_connect();
                timeout |= reqwest.is_timeout();
            }
            if let Some(io) = cause.downcast_ref::<std::io::Error>() {
                use std::io::ErrorKind;
                connect |= matches!(
                    io.kind(),
                    ErrorKind::ConnectionRefused
                        | ErrorKind::ConnectionReset
                        | ErrorKind::HostUnreachable
                        | ErrorKind::NetworkUnreachable
                        | ErrorKind::AddrNotAvailable
                );
                timeout |= io.kind() == ErrorKind::TimedOut;
            }
            let text = cause.to_string();
            if !chain.iter().any(|seen: &String| seen.contains(&text)) {
                chain.push(text);
            }
            current = cause.source();
        }
        let detail = chain.last().cloned().unwrap_or_default();
        if timeout {
            self.call_error(
                format!(
                    "no answer from {url} within {} s ({detail})",
                    self.request_timeout_secs
                ),
                if self.provider.is_self_hosted() {
                    format!(
                        "is the server at {url} running and not overloaded? A local model on a CPU can be slow: raise `request_timeout` in config.toml (QWF_REQUEST_TIMEOUT), or lower max_tokens"
                    )
                } else {
                    "check your network connection and try again; `request_timeout` in config.toml (QWF_REQUEST_TIMEOUT) sets how long to wait".into()
                },
            )
        } else if connect {
            self.call_error(
                format!("cannot reach {url} ({detail})"),
                if self.provider.is_self_hosted() {
                    format!("is the server running at {url}?")
                } else {
                    format!(
                        "check your network connection (and the base URL {url}, if you set one)"
                    )
                },
            )
        } else {
            self.call_error(
                format!("the request to {url} failed: {}", chain.join(": ")),
                "check your network connection and the base URL".into(),
            )
        }
    }

    /// The reply in our terms; a refusal or a turn that was cut off before
    /// saying anything is an error.
    fn convert_reply(&self, response: &CompletionResponse) -> Result<ModelReply, ModelError> {
        if let Some(error) = &response.error {
            return Err(self.call_error(
                format!("{} reported a failed turn: {error}", self.provider),
                "rephrase the request, or try another model".into(),
            ));
        }
        let text = response.text();
        let tool_calls: Vec<ToolCall> = response
            .tool_calls()
            .map(|call| ToolCall {
                id: call.id.wire().into_owned(),
                name: call.function.name.to_string(),
                // Arguments that were not a JSON object are passed on as the
                // raw text (a JSON string), so checking them fails and the
                // model is told to correct them.
                arguments: match &call.function.invalid_arguments {
                    Some(raw) => Value::String(raw.clone()),
                    None => call.function.arguments_value(),
                },
            })
            .collect();
        let cut_off = response
            .finish_reason()
            .is_some_and(|reason| matches!(reason, rig::completion::FinishReason::Length));
        // A reply cut at the answer length is not an answer: its text stops
        // mid-sentence and its last call's arguments mid-object. Say which
        // setting to raise instead of acting on it.
        let broken_call = tool_calls.iter().any(|call| call.arguments.is_string());
        if cut_off && (tool_calls.is_empty() || broken_call) {
            return Err(self.truncated(
                format!(
                    "the model's answer was cut off at max_tokens = {} ({} tokens written){}",
                    self.max_tokens,
                    response.usage.output_tokens.unwrap_or(0),
                    if tool_calls.is_empty() && !text.trim().is_empty() {
                        format!(": \"{}\"", excerpt_end(&text))
                    } else {
                        String::new()
                    }
                ),
                "raise the answer length with --max-tokens N, QWF_MAX_TOKENS or `max_tokens` in config.toml; a model that repeats itself until the limit needs another model or a simpler request".into(),
            ));
        }
        if text.trim().is_empty()
            && tool_calls.is_empty()
            && let Some(reason) = response.finish_reason()
            && reason.truncated_output()
        {
            return Err(self.call_error(
                reason.no_answer_message(),
                "try again with a shorter request, or another model".into(),
            ));
        }
        Ok(ModelReply {
            text,
            tool_calls,
            usage: Usage {
                input_tokens: response.usage.input_tokens.unwrap_or(0),
                output_tokens: response.usage.output_tokens.unwrap_or(0),
            },
        })
    }
}

impl RigModel {
    /// Our request as rig's, with the answer length, Ollama's context size
    /// and the raw text of malformed calls set; refused when it cannot fit
    /// the model's known context window.
    fn prepare(&self, request: &ModelRequest<'_>) -> Result<(CompletionRequest, u64), ModelError> {
        let estimate = estimate_request_tokens(request);
        if let Some((window, source)) = self.window
            && estimate + self.max_tokens > window
        {
            return Err(self.call_error(
                format!(
                    "the request is about {estimate} tokens and the answer may take {} more, but {}'s context window is {window} tokens (from {source}); it was not sent",
                    self.max_tokens, self.model_name
                ),
                format!(
                    "lower max_tokens (--max-tokens, QWF_MAX_TOKENS or `max_tokens` in config.toml), use a model with a larger window{}",
                    if source == "context_window" {
                        ", or raise `context_window` in config.toml (QWF_CONTEXT_WINDOW) if the server allows more"
                    } else {
                        ""
                    }
                ),
            ));
        }
        let mut rig_request = to_rig_request(request).map_err(|message| {
            self.call_error(
                message,
                "this is a bug in qwf's conversation handling; please report it".into(),
            )
        })?;
        rig_request = rig_request.max_tokens(self.max_tokens);
        if self.provider == Provider::Ollama {
            let num_ctx = ollama_context(
                estimate,
                self.max_tokens,
                self.window.map(|(window, _)| window),
            );
            rig_request = rig_request.additional_params(serde_json::json!({ "num_ctx": num_ctx }));
        }
        if let Ok(mut wire) = self.wire.lock() {
            wire.raw_arguments = raw_arguments(request.messages);
            wire.last_request_bytes = None;
        }
        tracing::debug!(
            provider = self.provider.name(),
            model = %self.model_name,
            messages = rig_request.chat_history.len(),
            tools = rig_request.tools.len(),
            estimated_tokens = estimate,
            max_tokens = self.max_tokens,
            "sending a model request"
        );
        Ok((rig_request, estimate))
    }

    /// How big the last request was on the wire, for error messages.
    fn sent_size(&self, estimate: u64) -> String {
        let bytes = self
            .wire
            .lock()
            .ok()
            .and_then(|wire| wire.last_request_bytes);
        match bytes {
            Some(bytes) => format!(
                "about {} tokens ({bytes} bytes)",
                estimate.max(bytes as u64 / 4)
            ),
            None => format!("about {estimate} tokens"),
        }
    }
}

impl Model for RigModel {
    fn describe(&self) -> String {
        match self.provider {
            Provider::OpenAi => format!(
                "openai {} ({} API)",
                self.model_name,
                match self.openai_api {
                    OpenAiApi::Responses => "Responses",
                    OpenAiApi::Chat => "Chat Completions",
                }
            ),
            Provider::Ollama | Provider::OpenAiCompatible => {
                format!("{} {} at {}", self.provider, self.model_name, self.base_url)
            }
            provider => format!("{provider} {}", self.model_name),
        }
    }

    fn respond_streaming(
        &self,
        request: &ModelRequest<'_>,
        on_text: &mut dyn FnMut(&str),
    ) -> Result<ModelReply, ModelError> {
        let (rig_request, estimate) = self.prepare(request)?;
        let reading = async {
            let mut streamed = self.model.stream(rig_request)?;
            while let Some(item) = futures_util::StreamExt::next(&mut streamed).await {
                if let rig::streaming::Item::Event(rig::streaming::StreamEvent::Text {
                    text, ..
                }) = item?
                {
                    on_text(&text);
                }
            }
            streamed.finish().await
        };
        let response = self
            .runtime
            .block_on(async {
                tokio::select! {
                    result = reading => Some(result),
                    () = cancelled() => None,
                }
            })
            .ok_or(ModelError::Cancelled)?
            .map_err(|error| self.map_error(error, estimate))?;
        tracing::debug!(
            body = %self.scrub(&response.raw.to_string()),
            "model response"
        );
        self.convert_reply(&response)
    }

    fn respond(&self, request: &ModelRequest<'_>) -> Result<ModelReply, ModelError> {
        let (rig_request, estimate) = self.prepare(request)?;
        let call = self.model.call(rig_request);
        let response = self
            .runtime
            .block_on(async {
                tokio::select! {
                    result = call => Some(result),
                    () = cancelled() => None,
                }
            })
            .ok_or(ModelError::Cancelled)?
            .map_err(|error| self.map_error(error, estimate))?;
        tracing::debug!(
            body = %self.scrub(&response.raw.to_string()),
            "model response"
        );
        self.convert_reply(&response)
    }
}

/// What the HTTP middleware shares with the model for one request.
#[derive(Debug, Default)]
struct WireState {
    /// Per call id, the argument text a model wrote that was not a JSON
    /// object: echoed back as written (where the wire carries arguments as
    /// text), not as rig's repair of it.
    raw_arguments: Vec<(String, String)>,
    /// The size of the last request body sent.
    last_request_bytes: Option<usize>,
}

/// Sees every request body: puts malformed arguments back as the model
/// wrote them, notes the size, and traces the body at `-vv` (the key
/// scrubbed; it is only ever in headers, which are not traced, or, for
/// Gemini, in the URL).
struct WireTap {
    state: Arc<Mutex<WireState>>,
    secret: Option<String>,
}

impl WireTap {
    fn scrub(&self, text: &str) -> String {
        match &self.secret {
            Some(secret) if !secret.is_empty() => text.replace(secret.as_str(), "[redacted]"),
            _ => text.to_string(),
        }
    }
}

type BoxedFuture<'a, T> = std::pin::Pin<Box<dyn std::future::Future<Output = T> + Send + 'a>>;

impl rig::http_client::HttpMiddleware for WireTap {
    fn before_request_body<'a>(
        &'a self,
        method: &'a rig::http_client::Method,
        uri: &'a rig::http_client::Uri,
        _headers: &'a rig::http_client::HeaderMap,
        body: bytes::Bytes,
    ) -> BoxedFuture<'a, rig::http_client::Result<bytes::Bytes>> {
        Box::pin(async move {
            let raw = self
                .state
                .lock()
                .map(|state| state.raw_arguments.clone())
                .unwrap_or_default();
            let mut body = body;
            if !raw.is_empty()
                && let Ok(mut json) = serde_json::from_slice::<Value>(&body)
                && put_back_raw_arguments(&mut json, &raw)
                && let Ok(rewritten) = serde_json::to_vec(&json)
            {
                body = bytes::Bytes::from(rewritten);
            }
            if let Ok(mut state) = self.state.lock() {
                state.last_request_bytes = Some(body.len());
            }
            tracing::debug!(
                %method,
                uri = %self.scrub(&uri.to_string()),
                bytes = body.len(),
                body = %self.scrub(&String::from_utf8_lossy(&body)),
                "request"
            );
            Ok(body)
        })
    }

    fn after_response<'a>(
        &'a self,
        method: &'a rig::http_client::Method,
        uri: &'a rig::http_client::Uri,
        status: rig::http_client::StatusCode,
        _headers: &'a rig::http_client::HeaderMap,
    ) -> BoxedFuture<'a, rig::http_client::Result<()>> {
        Box::pin(async move {
            tracing::debug!(%method, uri = %self.scrub(&uri.to_string()), %status, "response");
            Ok(())
        })
    }
}

/// The calls in `messages` whose arguments the model wrote as something
/// other than a JSON object (kept as the raw text in a JSON string).
fn raw_arguments(messages: &[Message]) -> Vec<(String, String)> {
    messages
        .iter()
        .filter_map(|message| match message {
            Message::Assistant { tool_calls, .. } => Some(tool_calls),
            _ => None,
        })
        .flatten()
        .filter_map(|call| match &call.arguments {
            Value::String(text)
                if !matches!(serde_json::from_str::<Value>(text), Ok(Value::Object(_))) =>
            {
                Some((call.id.clone(), text.clone()))
            }
            _ => None,
        })
        .collect()
}

/// Puts the raw argument text back into the calls of a Chat Completions
/// (`messages[].tool_calls[].function.arguments`) or Responses
/// (`input[]` items of type `function_call`) body. Wires that carry
/// arguments as objects (Anthropic, Gemini, Ollama's /api/chat) cannot hold
/// malformed text; the tool result describes it there. Whether anything
/// changed.
fn put_back_raw_arguments(body: &mut Value, raw: &[(String, String)]) -> bool {
    let lookup = |id: &str| {
        raw.iter()
            .find(|(call, _)| call == id)
            .map(|(_, text)| text.clone())
    };
    let mut changed = false;
    if let Some(messages) = body.get_mut("messages").and_then(Value::as_array_mut) {
        for call in messages
            .iter_mut()
            .filter_map(|message| message.get_mut("tool_calls").and_then(Value::as_array_mut))
            .flatten()
        {
            let id = call
                .get("id")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string();
            if let Some(text) = lookup(&id)
                && let Some(function) = call.get_mut("function")
                && function.get("arguments").is_some_and(Value::is_string)
            {
                function["arguments"] = Value::String(text);
                changed = true;
            }
        }
    }
    if let Some(items) = body.get_mut("input").and_then(Value::as_array_mut) {
        for item in items
            .iter_mut()
            .filter(|item| item["type"] == "function_call")
        {
            let id = item
                .get("call_id")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string();
            if let Some(text) = lookup(&id)
                && item.get("arguments").is_some_and(Value::is_string)
            {
                item["arguments"] = Value::String(text);
                changed = true;
            }
        }
    }
    changed
}

/// The tokens a request costs, estimated from its messages and tools as
/// JSON (see [`estimate_tokens`]).
pub fn estimate_request_tokens(request: &ModelRequest<'_>) -> u64 {
    let messages = serde_json::to_string(request.messages).unwrap_or_default();
    let tools = serde_json::to_string(request.tools).unwrap_or_default();
    (estimate_tokens(&messages) + estimate_tokens(&tools)) as u64
}

/// Ollama's `num_ctx` for a request: room for the request (with a margin
/// for the estimate) and the answer, as a power of two from 4096 up, so
/// the size rarely changes between turns (a change reloads the model);
/// never more than a known window.
fn ollama_context(estimate: u64, max_tokens: u64, window: Option<u64>) -> u64 {
    let needed = estimate + estimate / 4 + max_tokens;
    let size = needed.max(4096).next_power_of_two();
    match window {
        Some(window) => size.min(window),
        None => size,
    }
}

/// Resolves once the user asks to cancel (Ctrl-C).
async fn cancelled() {
    while !super::model::cancel::is_requested() {
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

/// Our conversation and tools as rig's completion request. Consecutive tool
/// results become one user turn (Anthropic requires that); an assistant
/// turn with neither text nor tool calls is dropped (every provider rejects
/// empty turns).
pub fn to_rig_request(request: &ModelRequest<'_>) -> Result<CompletionRequest, String> {
    let mut history: Vec<RigMessage> = Vec::new();
    let mut pending_results: Vec<UserContent> = Vec::new();
    for message in request.messages {
        if !matches!(message, Message::Tool { .. }) && !pending_results.is_empty() {
            history.push(RigMessage::User {
                content: std::mem::take(&mut pending_results),
            });
        }
        match message {
            Message::System { text } => history.push(RigMessage::system(text.clone())),
            Message::User { text } => history.push(RigMessage::user(text.clone())),
            Message::Assistant { text, tool_calls } => {
                let mut content = Vec::new();
                if !text.trim().is_empty() {
                    content.push(AssistantContent::text(text.clone()));
                }
                for call in tool_calls {
                    let name = tool_name(&call.name)?;
                    content.push(AssistantContent::ToolCall(RigToolCall::new(
                        CallId::from_wire(call.id.clone()),
                        ToolFunction::new(name, call.arguments.clone()),
                    )));
                }
                if !content.is_empty() {
                    history.push(RigMessage::Assistant(AssistantMessage::new(content)));
                }
            }
            Message::Tool {
                call_id,
                name,
                content,
                is_error,
            } => pending_results.push(UserContent::ToolResult(ToolResult {
                call: CallId::from_wire(call_id.clone()),
                name: tool_name(name)?,
                content: vec![ToolResultContent::text(content.clone())],
                is_error: *is_error,
            })),
        }
    }
    if !pending_results.is_empty() {
        history.push(RigMessage::User {
            content: pending_results,
        });
    }
    let tools = request
        .tools
        .iter()
        .map(|tool| {
            let mut parameters = tool.parameters.clone();
            if let Value::Object(map) = &mut parameters {
                // A meta-schema reference is noise to every provider, and
                // some reject it.
                map.shift_remove("$schema");
            }
            Ok(ToolDefinition::new(
                tool_name(tool.name)?,
                tool.description,
                parameters,
            ))
        })
        .collect::<Result<Vec<_>, String>>()?;
    Ok(CompletionRequest::from(history).tools(tools))
}

fn tool_name(name: &str) -> Result<ToolName, String> {
    ToolName::new(name).map_err(|_| "a tool call or tool has an empty name".to_string())
}

fn missing_key(provider: Provider, variable: &str) -> ModelError {
    ModelError::Setup {
        message: format!("provider {provider} needs an API key in {variable}, which is not set"),
        hint: format!(
            "export {variable}=..., or choose another provider with --provider \
             (offline works without a key)"
        ),
    }
}

/// Reject a URL that cannot work before anything is sent.
fn check_url(provider: Provider, url: &str) -> Result<(), ModelError> {
    if url.is_empty() {
        return Err(ModelError::Setup {
            message: format!("provider {provider} needs a base URL"),
            hint: match provider {
                Provider::OpenAiCompatible => {
                    "set QWF_BASE_URL (or `base_url` in config.toml) to the server's OpenAI-style \
                     URL, e.g. http://localhost:8080/v1"
                        .into()
                }
                _ => "set QWF_BASE_URL or `base_url` in config.toml".into(),
            },
        });
    }
    if !(url.starts_with("http://") || url.starts_with("https://")) {
        return Err(ModelError::Setup {
            message: format!("the base URL '{url}' for provider {provider} is not an http(s) URL"),
            hint: "use a URL such as http://localhost:11434 or https://api.example.com/v1".into(),
        });
    }
    Ok(())
}

/// An OpenAI-style base URL must include the API prefix (`/v1`): add it to a
/// bare `scheme://host[:port]`, and leave any URL with a path alone.
fn with_v1(url: &str) -> String {
    let after_scheme = url.split_once("://").map_or(url, |(_, rest)| rest);
    if after_scheme.contains('/') {
        url.to_string()
    } else {
        format!("{url}/v1")
    }
}

/// The last words of a long text, for an error message.
fn excerpt_end(text: &str) -> String {
    let text = text.trim();
    let count = text.chars().count();
    if count <= 120 {
        return text.to_string();
    }
    let tail: String = text.chars().skip(count - 120).collect();
    format!("...{tail}")
}

/// What a refusal is about, read from the provider's error body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Refusal {
    /// The request is longer than the model's context window.
    ContextSize,
    /// The model does not exist on the server.
    ModelMissing,
    /// The model (or server) cannot take tools.
    NoTools,
}

/// Reads the usual wordings: llama.cpp ("exceeds the available context
/// size", `exceed_context_size_error`), OpenAI and vLLM ("maximum context
/// length", `context_length_exceeded`), Anthropic ("prompt is too long"),
/// Ollama ("model 'x' not found", "does not support tools"), llama.cpp
/// without --jinja ("tools param requires --jinja").
fn classify_refusal(body: &str) -> Option<Refusal> {
    let text = body.to_lowercase();
    let has = |needles: &[&str]| needles.iter().any(|needle| text.contains(needle));
    if has(&[
        "context size",
        "context length",
        "context window",
        "context_length_exceeded",
        "exceed_context_size",
        "maximum context",
        "prompt is too long",
        "too many tokens",
        "n_ctx",
    ]) {
        return Some(Refusal::ContextSize);
    }
    if has(&[
        "does not support tools",
        "tools param requires",
        "tool use is not supported",
        "tools are not supported",
        "does not support tool",
    ]) {
        return Some(Refusal::NoTools);
    }
    if text.contains("model")
        && has(&[
            "not found",
            "does not exist",
            "no such model",
            "unknown model",
            "model_not_found",
            "not available",
        ])
    {
        return Some(Refusal::ModelMissing);
    }
    None
}

/// The useful part of a provider's error body: its `error.message` (OpenAI,
/// Anthropic, Gemini), `error` (Ollama) or `message`, else the body
/// itself, shortened.
fn body_excerpt(body: &str) -> String {
    let from_json = serde_json::from_str::<Value>(body).ok().and_then(|json| {
        let error = json.get("error");
        error
            .and_then(|e| e.get("message"))
            .or_else(|| error.filter(|e| e.is_string()))
            .or_else(|| json.get("message"))
            .and_then(Value::as_str)
            .map(str::to_string)
    });
    let text = from_json.unwrap_or_else(|| body.trim().to_string());
    let text = if text.is_empty() {
        "(empty reply)".to_string()
    } else {
        text
    };
    if text.chars().count() > BODY_EXCERPT {
        let cut: String = text.chars().take(BODY_EXCERPT).collect();
        format!("{cut}...")
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::agent::model::ToolSpec;
    use serde_json::json;

    #[test]
    fn with_v1_adds_the_prefix_only_to_bare_hosts() {
        assert_eq!(with_v1("http://localhost:8080"), "http://localhost:8080/v1");
        assert_eq!(with_v1("http://h:1/v1"), "http://h:1/v1");
        assert_eq!(
            with_v1("https://openrouter.ai/api/v1"),
            "https://openrouter.ai/api/v1"
        );
    }

    #[test]
    fn body_excerpt_reads_the_usual_error_shapes() {
        assert_eq!(
            body_excerpt(r#"{"error":{"message":"bad model","type":"x"}}"#),
            "bad model"
        );
        assert_eq!(
            body_excerpt(r#"{"error":"model not found"}"#),
            "model not found"
        );
        assert_eq!(body_excerpt("plain text"), "plain text");
        assert_eq!(body_excerpt(""), "(empty reply)");
    }

    #[test]
    fn tool_results_are_grouped_and_empty_assistant_turns_dropped() {
        let messages = vec![
            Message::System { text: "sys".into() },
            Message::User { text: "hi".into() },
            Message::Assistant {
                text: String::new(),
                tool_calls: vec![
                    ToolCall {
                        id: "a".into(),
                        name: "t".into(),
                        arguments: json!({}),
                    },
                    ToolCall {
                        id: "b".into(),
                        name: "t".into(),
                        arguments: json!({"x": 1}),
                    },
                ],
            },
            Message::Tool {
                call_id: "a".into(),
                name: "t".into(),
                content: "one".into(),
                is_error: false,
            },
            Message::Tool {
                call_id: "b".into(),
                name: "t".into(),
                content: "two".into(),
                is_error: true,
            },
            Message::Assistant {
                text: String::new(),
                tool_calls: vec![],
            },
            Message::User { text: "go".into() },
        ];
        let tools = [ToolSpec {
            name: "t",
            description: "a tool",
            parameters: json!({"$schema": "x", "type": "object"}),
        }];
        let request = to_rig_request(&ModelRequest {
            messages: &messages,
            tools: &tools,
        })
        .unwrap();
        assert_eq!(request.chat_history.len(), 5);
        assert_eq!(request.system_instructions(), Some("sys"));
        match &request.chat_history[3] {
            RigMessage::User { content } => assert_eq!(content.len(), 2),
            other => panic!("expected grouped tool results, got {other:?}"),
        }
        assert_eq!(request.tools[0].parameters, json!({"type": "object"}));
    }

    #[test]
    fn refusals_are_read_from_the_usual_wordings() {
        for (body, expected) in [
            (
                r#"{"error":{"code":400,"message":"the request exceeds the available context size, try increasing it","type":"exceed_context_size_error","n_prompt_tokens":9300,"n_ctx":4096}}"#,
                Some(Refusal::ContextSize),
            ),
            (
                r#"{"error":{"message":"This model's maximum context length is 8192 tokens. However, your messages resulted in 9000 tokens.","code":"context_length_exceeded"}}"#,
                Some(Refusal::ContextSize),
            ),
            (
                r#"{"type":"error","error":{"type":"invalid_request_error","message":"prompt is too long: 210000 tokens > 200000 maximum"}}"#,
                Some(Refusal::ContextSize),
            ),
            (
                r#"{"error":"registry.ollama.ai/library/gemma:2b does not support tools"}"#,
                Some(Refusal::NoTools),
            ),
            (
                r#"{"error":{"message":"tools param requires --jinja flag"}}"#,
                Some(Refusal::NoTools),
            ),
            (
                r#"{"error":"model 'llama9' not found, try pulling it first"}"#,
                Some(Refusal::ModelMissing),
            ),
            (
                r#"{"error":{"message":"The model `gpt-9` does not exist","code":"model_not_found"}}"#,
                Some(Refusal::ModelMissing),
            ),
            (
                r#"{"error":{"message":"temperature must be below 2"}}"#,
                None,
            ),
        ] {
            assert_eq!(classify_refusal(body), expected, "{body}");
        }
    }

    #[test]
    fn ollama_context_fits_the_request_in_steps_that_rarely_change() {
        assert_eq!(ollama_context(1000, 2048, None), 4096);
        assert_eq!(ollama_context(3000, 2048, None), 8192);
        assert_eq!(ollama_context(3000, 2048, Some(6000)), 6000);
    }

    #[test]
    fn malformed_arguments_are_put_back_as_written() {
        let mut chat = json!({"messages": [{"role": "assistant", "tool_calls": [
            {"id": "a", "type": "function", "function": {"name": "t", "arguments": "{}"}},
            {"id": "b", "type": "function", "function": {"name": "t", "arguments": "{\"x\":1}"}}
        ]}]});
        let raw = vec![("a".to_string(), "{\"".to_string())];
        assert!(put_back_raw_arguments(&mut chat, &raw));
        assert_eq!(
            chat["messages"][0]["tool_calls"][0]["function"]["arguments"],
            "{\""
        );
        assert_eq!(
            chat["messages"][0]["tool_calls"][1]["function"]["arguments"],
            "{\"x\":1}"
        );
        let mut responses = json!({"input": [{"type": "function_call", "call_id": "a", "name": "t", "arguments": "{}"}]});
        assert!(put_back_raw_arguments(&mut responses, &raw));
        assert_eq!(responses["input"][0]["arguments"], "{\"");
        let messages = vec![Message::Assistant {
            text: String::new(),
            tool_calls: vec![
                ToolCall {
                    id: "a".into(),
                    name: "t".into(),
                    arguments: json!("{\""),
                },
                ToolCall {
                    id: "b".into(),
                    name: "t".into(),
                    arguments: json!("{\"x\": 1}"),
                },
                ToolCall {
                    id: "c".into(),
                    name: "t".into(),
                    arguments: json!({"y": 2}),
                },
            ],
        }];
        assert_eq!(raw_arguments(&messages), raw);
    }

    #[test]
    fn connection_debug_hides_the_key() {
        let connection = Connection {
            provider: Provider::OpenAi,
            model: "m".into(),
            base_url: "https://api.openai.com/v1".into(),
            api_key: Some("sk-secret-123".into()),
            key_variable: Some("OPENAI_API_KEY"),
            openai_api: OpenAiApi::Chat,
            max_tokens: 1024,
            context_window: None,
            request_timeout_secs: 300,
        };
        assert!(!format!("{connection:?}").contains("sk-secret-123"));
    }

    #[test]
    fn error_messages_are_scrubbed_of_the_key() {
        let model = RigModel::connect(Connection {
            provider: Provider::Gemini,
            model: "gemini-test".into(),
            base_url: "http://127.0.0.1:9".into(),
            api_key: Some("AIza-secret-key".into()),
            key_variable: Some("GEMINI_API_KEY"),
            openai_api: OpenAiApi::default(),
            max_tokens: 1024,
            context_window: None,
            request_timeout_secs: 300,
        })
        .unwrap();
        let error = model.map_error(
            ProviderError::Provider(
                "error sending request for url (http://127.0.0.1:9/v1beta/x?key=AIza-secret-key)"
                    .into(),
            ),
            100,
        );
        let shown = format!("{error} {} {error:?} {model:?}", error.hint());
        assert!(!shown.contains("AIza-secret-key"), "{shown}");
        assert!(shown.contains("[redacted]"), "{shown}");
    }

    #[test]
    fn a_required_key_is_checked_before_anything_else() {
        let error = RigModel::connect(Connection {
            provider: Provider::Anthropic,
            model: "m".into(),
            base_url: "https://api.anthropic.com".into(),
            api_key: None,
            key_variable: Some("ANTHROPIC_API_KEY"),
            openai_api: OpenAiApi::default(),
            max_tokens: 1024,
            context_window: None,
            request_timeout_secs: 300,
        })
        .unwrap_err();
        assert!(matches!(error, ModelError::Setup { .. }));
        assert!(error.to_string().contains("ANTHROPIC_API_KEY"));
    }
}
