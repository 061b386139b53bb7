//! `GET /api/openapi.json` (OpenAPI 3.1, generated from the route table) and `GET /api/docs`
//! (the same document as a readable page, served without scripts).

use axum::{
    Json,
    http::header,
    response::{Html, IntoResponse},
};
use serde_json::{Map, Value, json};

use super::{
    RouteSpec,
    answer::{ResponseSpec, Shape},
    routes,
};
use crate::access::Access;
use shared::api::images::ImageKind;

/// The OpenAPI document.
pub fn openapi() -> Value {
    let mut paths = Map::new();
    for route in routes() {
        let entry = paths
            .entry(route.path.to_owned())
            .or_insert_with(|| json!({}));
        entry[route.method.to_lowercase()] = operation(route);
    }
    let mut components = json!({
        "Error": {
            "type": "object",
            "required": ["success", "error"],
            "properties": {
                "success": { "const": false },
                "error": {
                    "type": "object",
                    "required": ["code", "message"],
                    "properties": {
                        "code": { "type": "string", "enum": ["VALIDATION_ERROR", "UNAUTHORIZED", "PAYMENT_REQUIRED", "FORBIDDEN", "NOT_FOUND", "CONFLICT", "PAYLOAD_TOO_LARGE", "UNPROCESSABLE", "RATE_LIMITED", "UPSTREAM_UNAVAILABLE", "INTERNAL"] },
                        "message": { "type": "string" },
                        "details": { "type": "object" }
                    }
                }
            }
        },
        "Success": { "type": "object", "required": ["success"], "properties": { "success": { "const": true }, "data": {}, "meta": { "type": "object" } } },
        "PageMeta": {
            "type": "object",
            "required": ["page", "limit", "total"],
            "additionalProperties": false,
            "properties": {
                "page": { "type": "integer", "minimum": 1 },
                "limit": { "type": "integer", "minimum": 1 },
                "total": { "type": "integer", "minimum": 0 }
            }
        }
    });
    let bodies = routes()
        .filter_map(|r| r.body.map(|b| b.schema))
        .chain(routes().filter_map(|r| r.form.map(|f| f.schema)));
    let answers = routes().filter_map(|r| r.answer.and_then(|a| a.schema));
    for schemas in bodies.chain(answers) {
        let (name, schema, referred) = schemas();
        for (name, schema) in std::iter::once((name, schema)).chain(referred) {
            components[name] = serde_json::to_value(schema).unwrap_or_default();
        }
    }
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "The shop suite",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Every route goes through the gateway. Answers use one envelope: \
                `{success: true, data, meta?}` or `{success: false, error: {code, message, details?}}`."
        },
        "servers": [{ "url": "/" }],
        "paths": paths,
        "components": {
            "securitySchemes": { "bearer": { "type": "http", "scheme": "bearer", "bearerFormat": "JWT" } },
            "schemas": components
        }
    })
}

fn operation(route: &RouteSpec) -> Value {
    let mut parameters: Vec<Value> = route
        .path
        .split('/')
        .filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
        .map(|name| {
            let schema = if super::is_object_id(name) {
                json!({ "type": "string", "pattern": "^[0-9a-fA-F]{24}$" })
            } else {
                json!({ "type": "string", "minLength": 1, "maxLength": 100 })
            };
            json!({ "name": name, "in": "path", "required": true, "schema": schema })
        })
        .collect();
    if let Some(query) = route.query {
        parameters.extend(
            (query.params)()
                .iter()
                .filter_map(|p| serde_json::to_value(p).ok()),
        );
    }
    let error = |description: &str| json!({ "description": description, "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } } });
    // Every row declares its answer (a unit test sees to it); a row being added without one
    // is documented as a bare success until it does.
    let ok = route.answer.map_or_else(
        || json!({ "200": { "description": "success", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Success" } } } } }),
        |answer| success(&answer),
    );
    let mut responses = ok.as_object().cloned().unwrap_or_default();
    for (code, description) in [
        ("400", "invalid input; every bad field named in details"),
        ("404", "no such thing (or not yours)"),
        ("409", "conflict with the current state"),
        ("413", "body too large"),
        (
            "422",
            "cannot be applied (an idempotency key reused with another body)",
        ),
        ("429", "too many requests; see Retry-After"),
        ("500", "internal error"),
        ("503", "a service or store is unavailable"),
    ] {
        responses.insert(code.to_owned(), error(description));
    }
    // A public route can still answer 401 (a bad token sent anyway, wrong credentials at
    // sign-in) and any signed-in route 403 (a customer asking for what only admins may see).
    responses.insert(
        "401".to_owned(),
        error("no valid token, or wrong credentials"),
    );
    if route.access != Access::Public {
        responses.insert("403".to_owned(), error("not allowed for this caller"));
    }
    let mut op = json!({
        "summary": route.summary,
        "tags": [route.tag],
        "operationId": format!("{}{}", route.method.to_lowercase(), route.path.replace(['/', '{', '}', '-'], "_")),
        "parameters": parameters,
        "responses": responses,
    });
    if route.access != Access::Public {
        op["security"] = json!([{ "bearer": [] }]);
    }
    if let Some(body) = request_body(route) {
        op["requestBody"] = body;
    }
    op
}

/// The route's request body: its JSON type, or its upload form.
fn request_body(route: &RouteSpec) -> Option<Value> {
    if let Some(body) = route.body {
        let (name, _, _) = (body.schema)();
        return Some(json!({
            "required": !body.optional,
            "content": { "application/json": { "schema": { "$ref": format!("#/components/schemas/{name}") } } }
        }));
    }
    let form = route.form?;
    let (name, _, _) = (form.schema)();
    Some(json!({
        "required": true,
        "content": { "multipart/form-data": {
            "schema": { "$ref": format!("#/components/schemas/{name}") },
            "encoding": { "file": { "contentType": ImageKind::ALL.map(ImageKind::content_type).join(", ") } }
        } }
    }))
}

/// A declared answer: its status, with `data` (and `meta` for a page) in the success envelope.
fn success(answer: &ResponseSpec) -> Value {
    let status = answer.status.to_string();
    match answer.shape {
        Shape::Events => {
            return json!({ status: { "description": "an event stream", "content": { "text/event-stream": {} } } });
        }
        Shape::Upgrade => return json!({ status: { "description": "switching to WebSocket" } }),
        Shape::File(content_type) => {
            return json!({ status: { "description": "a file to download",
                "content": { content_type: { "schema": { "type": "string", "format": "binary" } } } } });
        }
        Shape::Image => {
            let content: serde_json::Map<String, Value> = ImageKind::ALL
                .iter()
                .map(|kind| {
                    let binary = json!({ "schema": { "type": "string", "format": "binary" } });
                    (kind.content_type().to_owned(), binary)
                })
                .collect();
            return json!({
                status: { "description": "the image's bytes, cached for a year", "content": content },
                "304": { "description": "the client's copy (If-None-Match) is current" }
            });
        }
        _ => {}
    }
    let Some(schema) = answer.schema else {
        return json!({ status: { "description": "done, nothing to say" } });
    };
    let (name, _, _) = schema();
    let one = json!({ "$ref": format!("#/components/schemas/{name}") });
    let list = json!({ "type": "array", "items": one });
    let data = match answer.shape {
        Shape::List | Shape::Page => list,
        Shape::OneOrPage => json!({ "oneOf": [one, list] }),
        Shape::One
        | Shape::Nothing
        | Shape::Events
        | Shape::Upgrade
        | Shape::File(_)
        | Shape::Image => one,
    };
    let mut envelope = json!({
        "type": "object",
        "required": ["success", "data"],
        "additionalProperties": false,
        "properties": { "success": { "const": true }, "data": data }
    });
    if answer.shape == Shape::Page {
        envelope["required"] = json!(["success", "data", "meta"]);
        envelope["properties"]["meta"] = page_meta(answer.meta);
    } else if answer.shape == Shape::OneOrPage {
        envelope["properties"]["meta"] = page_meta(answer.meta);
    }
    let mut responses = json!({});
    for status in std::iter::once(answer.status).chain(answer.also) {
        let description = if status == 201 { "created" } else { "success" };
        responses[status.to_string()] = json!({ "description": description, "content": { "application/json": { "schema": envelope.clone() } } });
    }
    responses
}

/// A page's `meta`: `PageMeta`, or an object with these whole numbers too.
fn page_meta(extra: &[&str]) -> Value {
    if extra.is_empty() {
        return json!({ "$ref": "#/components/schemas/PageMeta" });
    }
    let mut required = vec!["page", "limit", "total"];
    required.extend(extra);
    let mut properties = json!({
        "page": { "type": "integer", "minimum": 1 },
        "limit": { "type": "integer", "minimum": 1 },
        "total": { "type": "integer", "minimum": 0 }
    });
    for name in extra {
        properties[*name] = json!({ "type": "integer", "minimum": 0 });
    }
    json!({ "type": "object", "required": required, "additionalProperties": false, "properties": properties })
}

/// `GET /api/openapi.json`.
pub async fn openapi_json() -> Json<Value> {
    Json(openapi())
}

/// `GET /api/docs`.
pub async fn page() -> impl IntoResponse {
    let mut rows = String::new();
    for route in routes() {
        let access = match route.access {
            Access::Public => "anyone",
            Access::Authenticated => "signed in",
            Access::Admin => "admin",
            Access::SuperAdmin => "super admin",
        };
        let schema_of = route
            .body
            .map(|b| b.schema)
            .or(route.form.map(|f| f.schema));
        let body = schema_of.map_or_else(String::new, |schema_of| {
            let (name, schema, _) = schema_of();
            let schema = serde_json::to_string_pretty(&schema).unwrap_or_default();
            escape(&format!("{name} {schema}"))
        });
        let answer = route.answer.map_or_else(String::new, |answer| {
            let name = answer.schema.map_or_else(String::new, |s| s().0);
            let name = match answer.shape {
                Shape::List | Shape::Page => format!("[{name}]"),
                Shape::OneOrPage => format!("{name} or [{name}]"),
                Shape::Events => "text/event-stream".to_owned(),
                Shape::Upgrade => "WebSocket".to_owned(),
                Shape::File(content_type) => content_type.to_owned(),
                Shape::Image => "an image".to_owned(),
                Shape::One | Shape::Nothing => name,
            };
            format!("{} {}", answer.status, escape(&name))
        });
        let query: Vec<String> = route
            .query
            .map(|q| (q.params)().into_iter().map(|p| p.name).collect())
            .unwrap_or_default();
        rows.push_str(&format!(
            "<tr><td><code>{}</code></td><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td><td><pre>{}</pre></td><td>{}</td></tr>\n",
            route.method,
            escape(route.path),
            access,
            escape(route.summary),
            escape(&query.join(", ")),
            body,
            answer
        ));
    }
    let html = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>The shop suite API</title>\
         <style>body{{font-family:system-ui,sans-serif;margin:2rem}}table{{border-collapse:collapse}}\
         td,th{{border:1px solid #ccc;padding:.4rem;vertical-align:top;text-align:left}}pre{{margin:0;font-size:.8rem}}</style>\
         </head><body><h1>The shop suite API</h1><p>Machine-readable: <a href=\"/api/openapi.json\">/api/openapi.json</a> \
         (OpenAPI 3.1). Every answer uses the envelope <code>{{success, data}}</code> or <code>{{success: false, error: {{code, message, details}}}}</code>.</p>\
         <table><tr><th>method</th><th>path</th><th>who</th><th>what</th><th>query</th><th>body</th><th>answers</th></tr>\n{rows}</table></body></html>"
    );
    (
        [(
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
        )],
        Html(html),
    )
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}
