//! The API document and its reference page, generated from the route table.

use crate::helpers::spawn_gateway;

#[tokio::test]
async fn the_openapi_document_lists_every_route_with_its_rules() {
    let gw = spawn_gateway(&[]).await;

    let (status, doc) = gw.app.get("/api/openapi.json").await;

    assert_eq!(status, 200);
    assert_eq!(doc["openapi"], "3.1.0");
    let paths = doc["paths"].as_object().unwrap();
    for route in gateway::api::routes() {
        let op = &paths[route.path][route.method.to_lowercase()];
        assert!(op.is_object(), "{} {} missing", route.method, route.path);
    }
    let create = &paths["/api/orders"]["post"];
    let schema = &create["requestBody"]["content"]["application/json"]["schema"];
    assert_eq!(schema["$ref"], "#/components/schemas/OrderRequest");
    let schemas = &doc["components"]["schemas"];
    assert_eq!(
        schemas["OrderRequest"]["required"],
        serde_json::json!(["items"])
    );
    assert_eq!(
        schemas["OrderRequest"]["properties"]["items"]["items"]["$ref"],
        "#/components/schemas/OrderLine"
    );
    assert_eq!(
        schemas["OrderLine"]["properties"]["quantity"]["maximum"],
        1000
    );
    assert_eq!(schemas["Address"]["additionalProperties"], false);
    assert_eq!(
        schemas["ProductInput"]["properties"]["price"]["multipleOf"],
        0.01
    );
    let refs = serde_json::to_string(&doc).unwrap();
    for name in refs.split("#/components/schemas/").skip(1) {
        let name = name.split('"').next().unwrap();
        assert!(
            schemas[name].is_object(),
            "{name} is referred to but missing"
        );
    }
    assert_eq!(create["security"][0]["bearer"], serde_json::json!([]));
    assert!(
        paths["/api/products"]["get"]["security"].is_null(),
        "the catalog is public"
    );
    assert!(paths["/api/products"]["post"]["responses"]["403"].is_object());
    assert!(
        paths["/api/auth/login"]["post"]["responses"]["401"].is_object(),
        "wrong credentials"
    );
    assert!(
        paths["/api/customers"]["get"]["responses"]["403"].is_object(),
        "customers may not list"
    );
    gw.stop().await;
}

#[tokio::test]
async fn every_declared_answer_is_in_the_document_inside_the_success_envelope() {
    let gw = spawn_gateway(&[]).await;

    let (status, doc) = gw.app.get("/api/openapi.json").await;

    assert_eq!(status, 200);
    let schemas = &doc["components"]["schemas"];
    let mut declared = 0;
    for route in gateway::api::routes() {
        let Some(answer) = route.answer else {
            continue;
        };
        declared += 1;
        let op = &doc["paths"][route.path][route.method.to_lowercase()];
        if !answer.is_envelope() {
            let status = answer.status.to_string();
            assert!(op["responses"][&status].is_object(), "{}", route.path);
            continue;
        }
        let response = &op["responses"][answer.status.to_string()];
        assert!(
            response.is_object(),
            "{} {}: no {}",
            route.method,
            route.path,
            answer.status
        );
        let Some(schema) = answer.schema else {
            assert!(
                response["content"].is_null(),
                "{} {}: 204 has no body",
                route.method,
                route.path
            );
            continue;
        };
        let (name, _, _) = schema();
        let envelope = &response["content"]["application/json"]["schema"];
        assert_eq!(envelope["properties"]["success"]["const"], true);
        let data = &envelope["properties"]["data"];
        let data = data["oneOf"].get(1).unwrap_or(data);
        let reference = data["items"]["$ref"].as_str().or(data["$ref"].as_str());
        assert_eq!(
            reference,
            Some(format!("#/components/schemas/{name}").as_str()),
            "{} {}",
            route.method,
            route.path
        );
        assert!(
            schemas[&name]["properties"].is_object(),
            "{name} is missing"
        );
        assert_eq!(
            schemas[&name]["additionalProperties"], false,
            "{name} allows unknown fields"
        );
        if answer.shape == gateway::api::answer::Shape::Page && answer.meta.is_empty() {
            assert_eq!(
                envelope["properties"]["meta"]["$ref"],
                "#/components/schemas/PageMeta"
            );
        }
        for extra in answer.meta {
            let meta = &envelope["properties"]["meta"];
            assert_eq!(
                meta["properties"][extra]["type"], "integer",
                "{}",
                route.path
            );
        }
    }
    assert!(declared >= 70, "only {declared} answers declared");
    let order = &schemas["Order"];
    assert_eq!(
        order["properties"]["statusHistory"]["items"]["$ref"],
        "#/components/schemas/StatusEntry"
    );
    assert!(
        schemas["Quote"]["required"]
            .as_array()
            .unwrap()
            .contains(&"total".into())
    );
    let login = &doc["paths"]["/api/auth/login"]["post"]["responses"]["200"];
    assert_eq!(
        login["content"]["application/json"]["schema"]["properties"]["data"]["$ref"],
        "#/components/schemas/Session"
    );
    gw.stop().await;
}

#[tokio::test]
async fn the_reference_page_renders_the_same_table() {
    let gw = spawn_gateway(&[]).await;

    let res = gw
        .app
        .client
        .get(gw.app.url("/api/docs"))
        .send()
        .await
        .unwrap();

    assert_eq!(res.status(), 200);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let html = res.text().await.unwrap();
    assert!(html.contains("/api/orders/{id}/cancel") && html.contains("/api/openapi.json"));
    gw.stop().await;
}
