//! Every public route: method, path, who may call it, its query, its body and what it answers.
//! Read it as the API reference; the gateway enforces it and `/api/openapi.json` is generated
//! from it.

mod accounts;
mod catalog;
mod ops;
mod orders;
mod shopping;

use super::{
    answer::ResponseSpec,
    body::{BodySpec, FormSpec, QuerySpec},
};
use crate::access::Access;

/// One route of the public API.
#[derive(Debug)]
pub struct RouteSpec {
    /// HTTP method, upper case.
    pub method: &'static str,
    /// Path with `{param}` segments; params named `id` are ObjectIds.
    pub path: &'static str,
    /// Who may call it.
    pub access: Access,
    /// The OpenAPI tag.
    pub tag: &'static str,
    /// One line for the reference.
    pub summary: &'static str,
    /// The query string, when the route takes one: its type in `shared::api`.
    pub query: Option<QuerySpec>,
    /// The JSON body, when the route takes one: its type in `shared::api`.
    pub body: Option<BodySpec>,
    /// The `multipart/form-data` body, when the route takes an upload instead.
    pub form: Option<FormSpec>,
    /// What it answers on success, when declared: the status and the `shared::api` type.
    pub answer: Option<ResponseSpec>,
}

impl RouteSpec {
    const fn new(
        method: &'static str,
        path: &'static str,
        access: Access,
        tag: &'static str,
        summary: &'static str,
    ) -> Self {
        Self {
            method,
            path,
            access,
            tag,
            summary,
            query: None,
            body: None,
            form: None,
            answer: None,
        }
    }

    /// The same route taking a JSON body of this type.
    const fn with_body(mut self, body: BodySpec) -> Self {
        self.body = Some(body);
        self
    }

    /// The same route taking an upload (`multipart/form-data`) of this kind.
    const fn with_form(mut self, form: FormSpec) -> Self {
        self.form = Some(form);
        self
    }

    /// The same route answering this on success.
    const fn answers(mut self, answer: ResponseSpec) -> Self {
        self.answer = Some(answer);
        self
    }

    /// The same route taking a query string of this type.
    const fn with_query(mut self, query: QuerySpec) -> Self {
        self.query = Some(query);
        self
    }
}

const fn get(
    path: &'static str,
    access: Access,
    tag: &'static str,
    summary: &'static str,
) -> RouteSpec {
    RouteSpec::new("GET", path, access, tag, summary)
}

const fn post(
    path: &'static str,
    access: Access,
    tag: &'static str,
    summary: &'static str,
) -> RouteSpec {
    RouteSpec::new("POST", path, access, tag, summary)
}

const fn put(
    path: &'static str,
    access: Access,
    tag: &'static str,
    summary: &'static str,
) -> RouteSpec {
    RouteSpec::new("PUT", path, access, tag, summary)
}

const fn patch(
    path: &'static str,
    access: Access,
    tag: &'static str,
    summary: &'static str,
) -> RouteSpec {
    RouteSpec::new("PATCH", path, access, tag, summary)
}

const fn delete(
    path: &'static str,
    access: Access,
    tag: &'static str,
    summary: &'static str,
) -> RouteSpec {
    RouteSpec::new("DELETE", path, access, tag, summary)
}

/// The public API, area by area, in the order a request is matched.
pub fn routes() -> impl Iterator<Item = &'static RouteSpec> {
    [
        accounts::ROUTES,
        catalog::ROUTES,
        orders::ROUTES,
        shopping::ROUTES,
        ops::ROUTES,
    ]
    .into_iter()
    .flatten()
}
