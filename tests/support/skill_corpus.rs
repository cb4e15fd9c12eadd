//! A large, realistic skill registry for ranking tests and benchmarks:
//! skills named and described the way people name them
//! (`stripe-invoice-fetcher`, "Fetch invoices from the Stripe API"), drawn
//! from a vocabulary of systems, objects and actions. Deterministic: the
//! same count gives the same skills.

use qwf::core::skill::{Port, Skill, SkillType};

/// (verb for the description, agent noun for the name, preposition, output)
const ACTIONS: &[(&str, &str, &str, &str)] = &[
    ("Fetch", "fetcher", "from", "items"),
    ("Download", "downloader", "from", "files"),
    ("Parse", "parser", "from", "parsed"),
    ("Render", "renderer", "for", "rendered"),
    ("Sync", "syncer", "with", "synced"),
    ("Validate", "validator", "from", "valid"),
    ("Export", "exporter", "from", "exported"),
    ("Import", "importer", "into", "imported"),
    ("Resize", "resizer", "in", "resized"),
    ("Send notifications about", "notifier", "in", "sent"),
    ("Archive", "archiver", "in", "archive"),
    ("Transform", "transformer", "from", "transformed"),
    ("Scan", "scanner", "in", "findings"),
    ("Index", "indexer", "in", "index"),
    ("Deduplicate", "deduplicator", "in", "unique"),
    ("Encrypt", "encryptor", "in", "encrypted"),
    ("Translate", "translator", "from", "translated"),
    ("Classify", "classifier", "from", "labels"),
    ("Summarize", "summarizer", "from", "summary"),
    ("Upload", "uploader", "to", "uploaded"),
    ("Write", "writer", "to", "written"),
    ("Monitor", "monitor", "in", "status"),
    ("Back up", "backup", "in", "backup"),
    ("Redact", "redactor", "in", "redacted"),
    ("Reconcile", "reconciler", "in", "matched"),
    ("Score", "scorer", "from", "scores"),
    ("Tag", "tagger", "in", "tags"),
    ("Merge", "merger", "from", "merged"),
    ("Route", "router", "from", "routed"),
    ("Forecast", "forecaster", "from", "forecast"),
];

/// (singular for the name, plural for the description, input name)
const OBJECTS: &[(&str, &str, &str)] = &[
    ("invoice", "invoices", "invoice_id"),
    ("pdf", "PDF documents", "document"),
    ("csv", "CSV files", "path"),
    ("image", "images", "image"),
    ("log", "log lines", "lines"),
    ("metric", "metrics", "series"),
    ("ticket", "support tickets", "ticket_id"),
    ("order", "orders", "order_id"),
    ("customer", "customer profiles", "customer_id"),
    ("email", "emails", "message"),
    ("event", "calendar events", "calendar"),
    ("pod", "Kubernetes pods", "namespace"),
    ("container", "container images", "image_ref"),
    ("commit", "git commits", "repository"),
    ("issue", "issues", "project"),
    ("message", "chat messages", "channel"),
    ("reading", "sensor readings", "sensor"),
    ("payment", "payments", "payment_id"),
    ("shipment", "shipments", "tracking_number"),
    ("contract", "contracts", "contract"),
    ("lead", "sales leads", "lead"),
    ("review", "product reviews", "product"),
    ("video", "videos", "video"),
    ("audio", "audio recordings", "recording"),
    ("survey", "survey responses", "survey_id"),
    ("dns", "DNS records", "zone"),
    ("certificate", "TLS certificates", "domain"),
    ("user", "user accounts", "user_id"),
    ("report", "monthly reports", "month"),
    ("translation", "translation strings", "locale"),
];

const SYSTEMS: &[(&str, &str)] = &[
    ("stripe", "Stripe"),
    ("github", "GitHub"),
    ("gitlab", "GitLab"),
    ("jira", "Jira"),
    ("zendesk", "Zendesk"),
    ("shopify", "Shopify"),
    ("kafka", "Kafka"),
    ("redis", "Redis"),
    ("elastic", "Elasticsearch"),
    ("bigquery", "BigQuery"),
    ("snowflake", "Snowflake"),
    ("sftp", "an SFTP server"),
    ("gcs", "Google Cloud Storage"),
    ("azure", "Azure Blob Storage"),
    ("hubspot", "HubSpot"),
    ("salesforce", "Salesforce"),
    ("notion", "Notion"),
    ("dropbox", "Dropbox"),
    ("twilio", "Twilio"),
    ("sendgrid", "SendGrid"),
    ("okta", "Okta"),
    ("datadog", "Datadog"),
    ("pagerduty", "PagerDuty"),
    ("airtable", "Airtable"),
    ("mongo", "MongoDB"),
    ("dynamo", "DynamoDB"),
    ("local", "the local disk"),
    ("k8s", "the cluster"),
];

const TAILS: &[&str] = &[
    "",
    " on a schedule",
    " in batches",
    " with pagination",
    " and keep a checkpoint",
    " for the finance team",
    " using the vendor SDK",
    " and report the count",
];

const TYPES: [SkillType; 4] = [
    SkillType::CodeInline,
    SkillType::CodeSession,
    SkillType::PromptInline,
    SkillType::Conversation,
];

/// `count` distinct skills (none named like the eval suites' skills).
pub fn skills(count: usize) -> Vec<Skill> {
    skills_seeded(count, 0x9e37_79b9_7f4a_7c15)
}

/// [`skills`] from another draw of the vocabulary.
pub fn skills_seeded(count: usize, seed: u64) -> Vec<Skill> {
    let mut state: u64 = seed.max(1);
    let mut next = move |bound: usize| {
        // xorshift64*: enough spread for a vocabulary draw.
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        (state.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 33) as usize % bound
    };
    let mut seen = std::collections::HashSet::new();
    let mut skills = Vec::with_capacity(count);
    while skills.len() < count {
        let (verb, agent, preposition, output) = ACTIONS[next(ACTIONS.len())];
        let (object, objects, input) = OBJECTS[next(OBJECTS.len())];
        let (system, system_name) = SYSTEMS[next(SYSTEMS.len())];
        let tail = TAILS[next(TAILS.len())];
        let mut name = format!("{system}-{object}-{agent}");
        if !seen.insert(name.clone()) {
            name = format!("{name}-{}", skills.len());
            seen.insert(name.clone());
        }
        let skill_type = TYPES[next(TYPES.len())];
        let command = if skill_type.is_code() {
            format!("python3 {}.py", name.replace('-', "_"))
        } else {
            format!("{verb} the following {objects}:\n{{{{{input}}}}}")
        };
        skills.push(Skill {
            name,
            skill_type,
            description: format!("{verb} {objects} {preposition} {system_name}{tail}"),
            command,
            inputs: Some(Port::names([input])),
            outputs: Some(Port::names([output])),
            extra: Default::default(),
        });
    }
    skills
}
