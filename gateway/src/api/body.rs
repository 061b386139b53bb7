//! A route's JSON body and query string, as their types in `shared::api`: the gateway checks
//! them by parsing them into those types (what the owning service does with the same bytes),
//! and the OpenAPI document takes the types' schemas. Nothing here restates a rule.

use shared::{ApiError, api};
use utoipa::openapi::{
    RefOr,
    path::{Parameter, ParameterIn},
    schema::Schema,
};

/// The body of one route.
#[derive(Debug, Clone, Copy)]
pub struct BodySpec {
    /// Parses and checks a body: a 400 naming the fields, as the service would answer.
    pub check: fn(&[u8]) -> Result<(), ApiError>,
    /// The type's name, its schema, and the schemas it refers to.
    pub schema: fn() -> Schemas,
    /// Whether the body may be left out (empty means the type's default).
    pub optional: bool,
}

/// A body type's name, its schema, and the named schemas it refers to.
pub type Schemas = (String, RefOr<Schema>, Vec<(String, RefOr<Schema>)>);

/// A route whose body must be a `T`.
pub const fn body<T: api::Body>() -> BodySpec {
    BodySpec {
        check: check::<T>,
        schema: schemas::<T>,
        optional: false,
    }
}

/// A route whose body is a `T` or nothing.
pub const fn optional_body<T: api::Body + Default>() -> BodySpec {
    BodySpec {
        check: check::<T>,
        schema: schemas::<T>,
        optional: true,
    }
}

fn check<T: api::Body>(bytes: &[u8]) -> Result<(), ApiError> {
    api::parse::<T>(bytes).map(drop)
}

fn schemas<T: api::Body>() -> Schemas {
    let mut referred = Vec::new();
    T::schemas(&mut referred);
    (T::name().into_owned(), T::schema(), referred)
}

/// A route's `multipart/form-data` body (an upload): its own size limit, its check (the
/// function the owning service reads the form with) and its schema for the document.
#[derive(Debug, Clone, Copy)]
pub struct FormSpec {
    /// Largest body, in bytes (the gateway's `MAX_BODY_BYTES` is for JSON bodies).
    pub max_bytes: usize,
    /// Reads and checks a form from its `Content-Type` and bytes: 400 naming the bad parts,
    /// 413 above the limit, as the service would answer.
    pub check: FormCheck,
    /// The form's name, its schema, and the schemas it refers to.
    pub schema: fn() -> Schemas,
}

/// A form's check: its `Content-Type` and its bytes.
pub type FormCheck =
    fn(Option<String>, bytes::Bytes) -> futures::future::BoxFuture<'static, Result<(), ApiError>>;

/// The image upload of `POST /products/{id}/images` (`shared::api::images`).
pub const fn image_upload() -> FormSpec {
    FormSpec {
        max_bytes: api::images::MAX_UPLOAD_BYTES,
        check: |content_type, body| {
            Box::pin(async move {
                api::images::parse_upload(content_type.as_deref(), body)
                    .await
                    .map(drop)
            })
        },
        schema: || {
            use utoipa::{PartialSchema, ToSchema};
            let name = api::images::ImageUploadForm::name().into_owned();
            (name, api::images::ImageUploadForm::schema(), Vec::new())
        },
    }
}

/// The query string of one route.
#[derive(Debug, Clone, Copy)]
pub struct QuerySpec {
    /// Parses and checks a query string (without `?`): a 400 naming every bad parameter.
    pub check: fn(Option<&str>) -> Result<(), ApiError>,
    /// Its parameters, for the document.
    pub params: fn() -> Vec<Parameter>,
}

/// A route whose query string is a `T`.
pub const fn query<T: api::query::Query>() -> QuerySpec {
    QuerySpec {
        check: check_query::<T>,
        params: params::<T>,
    }
}

fn check_query<T: api::query::Query>(query: Option<&str>) -> Result<(), ApiError> {
    api::query::parse::<T>(query).map(drop)
}

fn params<T: api::query::Query>() -> Vec<Parameter> {
    T::into_params(|| Some(ParameterIn::Query))
}
