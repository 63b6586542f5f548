//! Checks a mock's answers against the vendor's own OpenAPI document, so a test server cannot
//! drift from what the real service sends.
//!
//! The documents live in `crates/mockhttp/specs/`: for each vendor that publishes one, the
//! operations downstream calls and the schemas they reference, descriptions and examples
//! left out (`scripts/extract-vendor-spec` makes them from the vendor's file, whose origin
//! and commit each extract names under `x-extracted-from`). [`Spec::check`] validates one
//! answer: the operation by method and path template, the response by status, the body by
//! the schema (`$ref`, `allOf`/`anyOf`/`oneOf`, `nullable`, `type`, `required`,
//! `properties`, `additionalProperties`, `items`, `enum`, `pattern`).

use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// One vendor's OpenAPI document (or its extract).
pub struct Spec {
    name: String,
    doc: Value,
    /// The path every operation sits under on the server (`/api` for Hex's
    /// `https://app.hex.tech/api`).
    base: String,
}

/// The answer a check looked at, for its messages.
pub struct Answer<'a> {
    /// `GET`, `POST`, …
    pub method: &'a str,
    /// The request path, without the query.
    pub path: &'a str,
    /// The status the mock answered.
    pub status: u16,
    /// The body it sent, as JSON.
    pub body: &'a Value,
}

impl Spec {
    /// The extract named `file` in `crates/mockhttp/specs/`.
    pub fn bundled(file: &str) -> Spec {
        Spec::load(&specs_dir().join(file))
    }

    /// Reads an OpenAPI document in JSON; panics (this is test support) when it cannot.
    pub fn load(path: &Path) -> Spec {
        let text = std::fs::read_to_string(path)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
        let doc: Value = serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()));
        Spec::from_value(&path.display().to_string(), doc)
    }

    /// A document already parsed; `name` is what messages call it.
    pub fn from_value(name: &str, doc: Value) -> Spec {
        let base = doc["servers"][0]["url"]
            .as_str()
            .and_then(|url| url.split_once("://"))
            .and_then(|(_, rest)| rest.find('/').map(|at| rest[at..].to_string()))
            .unwrap_or_default();
        Spec {
            name: name.to_string(),
            doc,
            base: base.trim_end_matches('/').to_string(),
        }
    }

    /// The document itself.
    pub fn doc(&self) -> &Value {
        &self.doc
    }

    /// What is wrong with `answer` by the document: empty when it conforms.
    pub fn check(&self, answer: &Answer<'_>) -> Vec<String> {
        match self.schema(answer.method, answer.path, answer.status) {
            Err(problem) => vec![problem],
            Ok(None) => Vec::new(),
            Ok(Some((at, schema))) => self.problems(&at, schema, answer.body),
        }
    }

    /// [`Spec::check`] for a raw body: it must be JSON only where the document gives the
    /// answer a JSON schema.
    pub fn check_bytes(&self, method: &str, path: &str, status: u16, body: &[u8]) -> Vec<String> {
        match self.schema(method, path, status) {
            Err(problem) => vec![problem],
            Ok(None) => Vec::new(),
            Ok(Some((at, schema))) => match serde_json::from_slice::<Value>(body) {
                Err(e) => vec![format!("{at}: not JSON ({e})")],
                Ok(body) => self.problems(&at, schema, &body),
            },
        }
    }

    fn problems(&self, at: &str, schema: &Value, body: &Value) -> Vec<String> {
        let mut problems = Vec::new();
        self.validate(schema, body, "body", &mut problems);
        problems.into_iter().map(|p| format!("{at}: {p}")).collect()
    }

    /// The JSON schema of the answer `status` to `method path`, named for messages; `None`
    /// when the document gives that answer no JSON body.
    fn schema(
        &self,
        method: &str,
        path: &str,
        status: u16,
    ) -> Result<Option<(String, &Value)>, String> {
        let at = format!("{method} {path} → {status}");
        let Some((template, operation)) = self.operation(method, path) else {
            return Err(format!("{at}: {} has no such operation", self.name));
        };
        let responses = &operation["responses"];
        let response = responses
            .get(status.to_string())
            .or_else(|| responses.get("default"));
        let Some(response) = response else {
            let documented: Vec<&String> = responses
                .as_object()
                .into_iter()
                .flatten()
                .map(|(k, _)| k)
                .collect();
            return Err(format!(
                "{at}: {template} documents no {status} answer (only {documented:?})"
            ));
        };
        let schema = self
            .resolve(response)
            .pointer("/content/application~1json/schema");
        Ok(schema.map(|schema| (format!("{at} ({template})"), schema)))
    }

    /// The operation whose path template matches `path`.
    fn operation(&self, method: &str, path: &str) -> Option<(&str, &Value)> {
        let path = path.strip_prefix(&self.base).unwrap_or(path);
        let method = method.to_ascii_lowercase();
        let paths = self.doc["paths"].as_object()?;
        paths.iter().find_map(|(template, item)| {
            let operation = item.get(&method)?;
            matches(template, path).then_some((template.as_str(), operation))
        })
    }

    fn resolve<'a>(&'a self, mut value: &'a Value) -> &'a Value {
        while let Some(reference) = value.get("$ref").and_then(Value::as_str) {
            let pointer = reference.trim_start_matches('#');
            match self.doc.pointer(pointer) {
                Some(target) => value = target,
                None => return &Value::Null,
            }
        }
        value
    }

    fn validate(&self, schema: &Value, value: &Value, at: &str, problems: &mut Vec<String>) {
        let schema = self.resolve(schema);
        if schema.is_null() {
            problems.push(format!("{at}: a $ref the document does not define"));
            return;
        }
        // tsoa writes a nullable reference as `{"allOf": [{"$ref": …}], "nullable": true}`.
        let nullable = schema["nullable"] == Value::Bool(true);
        if value.is_null() && (nullable || schema.get("type").is_none() && !self.composite(schema))
        {
            return;
        }
        if let Some(all) = schema["allOf"].as_array() {
            for part in all {
                self.validate(part, value, at, problems);
            }
        }
        for key in ["anyOf", "oneOf"] {
            if let Some(options) = schema[key].as_array() {
                let fits = options.iter().any(|option| {
                    let mut mine = Vec::new();
                    self.validate(option, value, at, &mut mine);
                    mine.is_empty()
                });
                if !fits {
                    problems.push(format!("{at}: fits none of the {key} alternatives"));
                }
            }
        }
        if let Some(kind) = schema["type"].as_str() {
            if !has_type(value, kind) {
                problems.push(format!("{at}: expected {kind}, got {}", shown(value)));
                return;
            }
        }
        if let (Some(pattern), Some(text)) = (schema["pattern"].as_str(), value.as_str()) {
            let fits = regex::Regex::new(pattern).is_ok_and(|re| re.is_match(text));
            if !fits {
                problems.push(format!("{at}: {text:?} does not match {pattern}"));
            }
        }
        if let Some(allowed) = schema["enum"].as_array() {
            if !value.is_null() && !allowed.contains(value) {
                problems.push(format!("{at}: {} is not one of {allowed:?}", shown(value)));
            }
        }
        match value {
            Value::Object(object) => self.validate_object(schema, object, at, problems),
            Value::Array(items) => {
                if let Some(item) = schema.get("items") {
                    for (i, value) in items.iter().enumerate() {
                        self.validate(item, value, &format!("{at}[{i}]"), problems);
                    }
                }
            }
            _ => {}
        }
    }

    fn composite(&self, schema: &Value) -> bool {
        ["allOf", "anyOf", "oneOf", "properties"]
            .iter()
            .any(|k| schema.get(*k).is_some())
    }

    fn validate_object(
        &self,
        schema: &Value,
        object: &Map<String, Value>,
        at: &str,
        problems: &mut Vec<String>,
    ) {
        let properties = schema["properties"].as_object();
        for name in schema["required"].as_array().into_iter().flatten() {
            if let Some(name) = name.as_str() {
                if !object.contains_key(name) {
                    problems.push(format!("{at}: required field {name:?} is missing"));
                }
            }
        }
        for (name, value) in object {
            let field = format!("{at}.{name}");
            match properties.and_then(|p| p.get(name)) {
                Some(property) => self.validate(property, value, &field, problems),
                None => match &schema["additionalProperties"] {
                    Value::Bool(false) => {
                        problems.push(format!("{field}: not a field the schema has"))
                    }
                    extra @ Value::Object(_) => self.validate(extra, value, &field, problems),
                    _ => {}
                },
            }
        }
    }
}

/// The extract named `file`, read once per test binary.
pub fn bundled(file: &'static str) -> Arc<Spec> {
    static SPECS: Mutex<BTreeMap<&'static str, Arc<Spec>>> = Mutex::new(BTreeMap::new());
    let mut specs = SPECS.lock().unwrap_or_else(|e| e.into_inner());
    specs
        .entry(file)
        .or_insert_with(|| Arc::new(Spec::bundled(file)))
        .clone()
}

/// Where the extracts live.
pub fn specs_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("specs")
}

/// Whether `path` fits `template` segment by segment, `{name}` matching any one segment.
fn matches(template: &str, path: &str) -> bool {
    let template: Vec<&str> = template.trim_end_matches('/').split('/').collect();
    let path: Vec<&str> = path.trim_end_matches('/').split('/').collect();
    template.len() == path.len()
        && template
            .iter()
            .zip(&path)
            .all(|(t, p)| (t.starts_with('{') && t.ends_with('}') && !p.is_empty()) || t == p)
}

fn has_type(value: &Value, kind: &str) -> bool {
    match kind {
        "object" => value.is_object(),
        "array" => value.is_array(),
        "string" => value.is_string(),
        "boolean" => value.is_boolean(),
        "integer" => value.as_f64().is_some_and(|n| n.fract() == 0.0),
        "number" => value.is_number(),
        _ => true,
    }
}

fn shown(value: &Value) -> String {
    let text = value.to_string();
    match text.char_indices().nth(60) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text,
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use serde_json::json;

    pub(crate) fn spec() -> Spec {
        Spec::from_value(
            "test",
            json!({
                "servers": [{"url": "https://example.test/api"}],
                "paths": {"/v1/things/{id}": {"get": {"responses": {
                    "200": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Thing"}}}},
                    "403": {"content": {"application/json": {"schema": {"type": "object", "required": ["reason"]}}}}
                }}}},
                "components": {"schemas": {"Thing": {
                    "type": "object", "additionalProperties": false, "required": ["id", "kind"],
                    "properties": {
                        "id": {"type": "string", "pattern": "^t[0-9]+$"},
                        "kind": {"type": "string", "enum": ["A", "B"]},
                        "count": {"type": "integer"},
                        "note": {"type": "string", "nullable": true},
                        "tags": {"type": "array", "items": {"type": "string"}},
                        "owner": {"anyOf": [{"type": "string"}, {"type": "object", "required": ["email"]}]}
                    }
                }}}
            }),
        )
    }

    fn problems(path: &str, status: u16, body: Value) -> Vec<String> {
        spec().check(&Answer {
            method: "GET",
            path,
            status,
            body: &body,
        })
    }

    #[test]
    fn conforming_answers_pass() {
        let thing = json!({"id": "t1", "kind": "A", "count": 3, "note": null, "tags": ["x"],
                           "owner": {"email": "a@b"}});
        assert_eq!(
            problems("/api/v1/things/t1", 200, thing),
            Vec::<String>::new()
        );
        assert!(problems("/api/v1/things/t1", 403, json!({"reason": "no"})).is_empty());
    }

    #[test]
    fn each_kind_of_drift_is_named() {
        let found = problems(
            "/api/v1/things/t1",
            200,
            json!({"id": "x", "kind": "C", "count": 1.5, "tags": [1], "owner": {}, "extra": true}),
        )
        .join("\n");
        for expected in [
            "body.id: \"x\" does not match ^t[0-9]+$",
            "body.kind: \"C\" is not one of",
            "body.count: expected integer",
            "body.tags[0]: expected string",
            "body.owner: fits none of the anyOf alternatives",
            "body.extra: not a field the schema has",
        ] {
            assert!(found.contains(expected), "{expected:?} not in\n{found}");
        }
        let missing = problems("/api/v1/things/t1", 200, json!({"id": "t"})).join("\n");
        assert!(
            missing.contains("required field \"kind\" is missing"),
            "{missing}"
        );
        assert!(
            problems("/api/v1/things/t1", 429, json!({}))[0].contains("documents no 429 answer")
        );
        assert!(problems("/api/v1/other", 200, json!({}))[0].contains("no such operation"));
    }
}
