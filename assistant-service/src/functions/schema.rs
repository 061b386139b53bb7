//! Checking arguments against a function's JSON Schema: the subset the registry's functions
//! use (an object of strings, integers, numbers and booleans with `required`,
//! `additionalProperties: false`, `minLength`/`maxLength`, `minimum`/`maximum`, `default`, and
//! the formats `objectid` and `email`). Any other keyword is refused at registration, so a
//! schema never promises a check that is not made.

use serde_json::{Map, Value, json};

const KNOWN: &[&str] = &[
    "type",
    "description",
    "minLength",
    "maxLength",
    "minimum",
    "maximum",
    "default",
    "format",
];

/// Whether `parameters` only uses what [`validate`] checks.
pub fn supported(parameters: &Value) -> Result<(), String> {
    if parameters["type"] != "object" {
        return Err("parameters must be of type object".to_owned());
    }
    let properties = parameters["properties"]
        .as_object()
        .ok_or("parameters need properties")?;
    for (name, property) in properties {
        let object = property
            .as_object()
            .ok_or_else(|| format!("{name}: not a schema"))?;
        if let Some(unknown) = object.keys().find(|k| !KNOWN.contains(&k.as_str())) {
            return Err(format!("{name}: unsupported keyword {unknown}"));
        }
        if !matches!(
            property["type"].as_str(),
            Some("string" | "integer" | "number" | "boolean")
        ) {
            return Err(format!("{name}: unsupported type"));
        }
    }
    Ok(())
}

/// The arguments with defaults filled in, or each offending field with its problem.
pub fn validate(parameters: &Value, args: &Value) -> Result<Value, Value> {
    let empty = Map::new();
    let properties = parameters["properties"].as_object().unwrap_or(&empty);
    let Some(given) = args.as_object() else {
        return Err(json!({ "arguments": "must be an object" }));
    };
    let mut problems = Map::new();
    let mut out = Map::new();
    if parameters["additionalProperties"] == false {
        for key in given.keys().filter(|k| !properties.contains_key(*k)) {
            problems.insert(key.clone(), json!("is not a parameter"));
        }
    }
    let required: Vec<&str> = parameters["required"]
        .as_array()
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    for (name, schema) in properties {
        match given.get(name).filter(|v| !v.is_null()) {
            Some(value) => match check(schema, value) {
                Ok(v) => {
                    out.insert(name.clone(), v);
                }
                Err(problem) => {
                    problems.insert(name.clone(), json!(problem));
                }
            },
            None if required.contains(&name.as_str()) => {
                problems.insert(name.clone(), json!("is required"));
            }
            None => {
                if let Some(default) = schema.get("default") {
                    out.insert(name.clone(), default.clone());
                }
            }
        }
    }
    if problems.is_empty() {
        Ok(Value::Object(out))
    } else {
        Err(Value::Object(problems))
    }
}

fn check(schema: &Value, value: &Value) -> Result<Value, String> {
    match schema["type"].as_str() {
        Some("string") => {
            let s = value.as_str().ok_or("must be a string")?.trim();
            let n = s.chars().count() as u64;
            if let Some(min) = schema["minLength"].as_u64()
                && n < min
            {
                return Err(format!("must be at least {min} characters"));
            }
            if let Some(max) = schema["maxLength"].as_u64()
                && n > max
            {
                return Err(format!("must be at most {max} characters"));
            }
            match schema["format"].as_str() {
                Some("objectid") if !crate::domain::text::is_object_id(s) => {
                    Err("must be a 24-character hex id".to_owned())
                }
                Some("email")
                    if crate::domain::text::email(s).as_deref() != Some(&s.to_lowercase()) =>
                {
                    Err("must be an email address".to_owned())
                }
                _ => Ok(json!(s)),
            }
        }
        Some("integer") => {
            let n = value.as_i64().ok_or("must be an integer")?;
            bounded(schema, n as f64)?;
            Ok(json!(n))
        }
        Some("number") => {
            let n = value.as_f64().ok_or("must be a number")?;
            bounded(schema, n)?;
            Ok(json!(n))
        }
        Some("boolean") => Ok(json!(value.as_bool().ok_or("must be a boolean")?)),
        _ => Err("has an unsupported type".to_owned()),
    }
}

fn bounded(schema: &Value, n: f64) -> Result<(), String> {
    if let Some(min) = schema["minimum"].as_f64()
        && n < min
    {
        return Err(format!("must be at least {min}"));
    }
    if let Some(max) = schema["maximum"].as_f64()
        && n > max
    {
        return Err(format!("must be at most {max}"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn search() -> Value {
        json!({
            "type": "object",
            "properties": {
                "query": { "type": "string", "minLength": 1, "maxLength": 100 },
                "limit": { "type": "integer", "minimum": 1, "maximum": 10, "default": 5 },
                "orderId": { "type": "string", "format": "objectid" }
            },
            "required": ["query"],
            "additionalProperties": false
        })
    }

    #[test]
    fn defaults_are_filled_in() {
        let args = validate(&search(), &json!({ "query": " lamp " })).unwrap();
        assert_eq!(args, json!({ "query": "lamp", "limit": 5 }));
    }

    #[test]
    fn every_problem_names_its_field() {
        let problems = validate(
            &search(),
            &json!({ "limit": 50, "colour": "red", "orderId": "nope" }),
        )
        .unwrap_err();
        assert_eq!(problems["query"], "is required");
        assert_eq!(problems["limit"], "must be at most 10");
        assert_eq!(problems["colour"], "is not a parameter");
        assert_eq!(problems["orderId"], "must be a 24-character hex id");
        assert!(validate(&search(), &json!("lamp")).is_err());
        assert!(validate(&search(), &json!({ "query": 3 })).is_err());
    }

    #[test]
    fn unsupported_keywords_are_refused_at_registration() {
        assert!(supported(&search()).is_ok());
        let with_pattern = json!({
            "type": "object",
            "properties": { "q": { "type": "string", "pattern": "^a" } }
        });
        assert!(supported(&with_pattern).unwrap_err().contains("pattern"));
    }
}
