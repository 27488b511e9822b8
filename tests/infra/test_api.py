"""HTTP API routes, authorizer, throttling, access logs and CORS come out as the catalogue says."""

from nova_bridge import catalogue


def routes_by_key(synth):
    return {r["Properties"]["RouteKey"]: r["Properties"] for r in synth.resources("AWS::ApiGatewayV2::Route").values()}


def integration_function(synth, route_props):
    """Logical id of the function a route invokes, directly or through its SnapStart alias."""
    integration_id = route_props["Target"]["Fn::Join"][1][1]["Ref"]
    uri = synth.json["Resources"][integration_id]["Properties"]["IntegrationUri"]
    if "Fn::GetAtt" in uri:
        return uri["Fn::GetAtt"][0]
    alias = synth.json["Resources"][uri["Ref"]]
    assert alias["Type"] == "AWS::Lambda::Alias"
    return alias["Properties"]["FunctionName"]["Ref"]


def test_api_functions_start_from_snapstart_snapshots(dev):
    functions = dev.resources("AWS::Lambda::Function")
    for name in catalogue.ALL_FUNCTIONS:
        props = functions[dev.logical_id(dev.stack.functions[name])]["Properties"]
        expected = {"ApplyOn": "PublishedVersions"} if name in catalogue.API_FUNCTIONS else None
        assert props.get("SnapStart") == expected, name


def test_every_catalogue_route_and_no_other(dev):
    assert set(routes_by_key(dev)) == {route.route_key for route in catalogue.ROUTES}


def test_each_route_invokes_its_catalogue_function(dev):
    routes = routes_by_key(dev)
    for route in catalogue.ROUTES:
        expected = dev.logical_id(dev.stack.functions[route.function])
        assert integration_function(dev, routes[route.route_key]) == expected, route.route_key


def test_jwt_routes_use_the_nova_helix_authorizer_and_others_none(dev):
    (authorizer_logical_id,) = dev.resources("AWS::ApiGatewayV2::Authorizer")
    routes = routes_by_key(dev)
    for route in catalogue.ROUTES:
        props = routes[route.route_key]
        if route.auth == catalogue.JWT:
            assert props["AuthorizationType"] == "JWT", route.route_key
            assert props["AuthorizerId"] == {"Ref": authorizer_logical_id}
        else:
            assert props["AuthorizationType"] == "NONE", route.route_key
            assert "AuthorizerId" not in props


def test_authorizer_checks_the_environment_issuer_and_audience(dev, prod):
    for synth, issuer in ((dev, "https://auth.dev.nova.example/"), (prod, "https://auth.nova.example/")):
        (authorizer,) = synth.resources("AWS::ApiGatewayV2::Authorizer").values()
        assert authorizer["Properties"]["JwtConfiguration"] == {"Issuer": issuer, "Audience": ["nova-monitoring-bridge"]}
        assert authorizer["Properties"]["IdentitySource"] == ["$request.header.Authorization"]


def test_stage_throttles_and_writes_json_access_logs(dev, prod):
    for synth, rate, burst in ((dev, 20, 40), (prod, 200, 400)):
        (stage,) = synth.resources("AWS::ApiGatewayV2::Stage").values()
        settings = stage["Properties"]["DefaultRouteSettings"]
        assert (settings["ThrottlingRateLimit"], settings["ThrottlingBurstLimit"]) == (rate, burst)
        logs = stage["Properties"]["AccessLogSettings"]
        assert logs["DestinationArn"] == {"Fn::GetAtt": [synth.logical_id(synth.stack.api.access_logs), "Arn"]}
        assert '"routeKey":"$context.routeKey"' in logs["Format"] and '"status":"$context.status"' in logs["Format"]


def test_cors_allows_only_the_environment_frontends(prod):
    (api,) = prod.resources("AWS::ApiGatewayV2::Api").values()
    cors = api["Properties"]["CorsConfiguration"]
    assert cors["AllowOrigins"] == ["https://pulse.nova.example", "https://orbit.nova.example", "https://core.nova.example"]
    assert "Idempotency-Key" in cors["AllowHeaders"] and "Authorization" in cors["AllowHeaders"]
