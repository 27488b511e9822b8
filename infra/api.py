"""HTTP API: every catalogue Route becomes an API Gateway route on its function, with the JWT
authorizer on "jwt" routes and none on "public" and "webhook" routes (webhooks check their
shared secret in the function)."""

from __future__ import annotations

import jsii
from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_apigateway as apigateway_v1  # AccessLogFormat is shared with REST APIs
from aws_cdk import aws_apigatewayv2 as apigw
from aws_cdk import aws_apigatewayv2_authorizers as authorizers
from aws_cdk import aws_apigatewayv2_integrations as integrations
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct
from nova_bridge import catalogue

from infra.config import EnvironmentConfig, log_retention

# Fields of the JSON access log line ($context variables of HTTP APIs).
ACCESS_LOG_FORMAT = {
    "requestId": "$context.requestId",
    "ip": "$context.identity.sourceIp",
    "requestTime": "$context.requestTime",
    "routeKey": "$context.routeKey",
    "status": "$context.status",
    "protocol": "$context.protocol",
    "responseLength": "$context.responseLength",
    "latencyMs": "$context.responseLatency",
    "integrationLatencyMs": "$context.integrationLatency",
    "integrationError": "$context.integrationErrorMessage",
    "authorizerError": "$context.authorizer.error",
    "sub": "$context.authorizer.claims.sub",
}


def _method(name: str) -> apigw.HttpMethod:
    return getattr(apigw.HttpMethod, name)


class BridgeApi(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, config: EnvironmentConfig) -> None:
        super().__init__(scope, construct_id)
        self.access_logs = logs.LogGroup(
            self, "AccessLogs", log_group_name=f"/aws/apigateway/{config.prefix}-api",
            retention=log_retention(config.log_retention_days), removal_policy=RemovalPolicy.DESTROY,
        )
        self.http_api = apigw.HttpApi(
            self,
            "HttpApi",
            api_name=f"{config.prefix}-api",
            description="Nova monitoring bridge API",
            create_default_stage=False,
            cors_preflight=apigw.CorsPreflightOptions(
                allow_origins=list(config.cors_origins),
                allow_methods=[apigw.CorsHttpMethod.ANY],
                allow_headers=["Authorization", "Content-Type", "Idempotency-Key"],
                expose_headers=["Location", "Retry-After"],
                allow_credentials=True,
                max_age=Duration.hours(1),
            ),
        )
        self.stage = self.http_api.add_stage(
            "DefaultStage",
            stage_name="$default",
            auto_deploy=True,
            throttle=apigw.ThrottleSettings(rate_limit=config.throttle_rate, burst_limit=config.throttle_burst),
            detailed_metrics_enabled=True,
            access_log_settings=_AccessLogs(self.access_logs),
        )
        self.authorizer = authorizers.HttpJwtAuthorizer(
            "NovaHelixJwt",
            config.jwt_issuer,
            authorizer_name="nova-helix",
            jwt_audience=list(config.jwt_audience),
            identity_source=["$request.header.Authorization"],
        )
        self.routes: dict[str, apigw.HttpRoute] = {}

    @property
    def url(self) -> str:
        return self.stage.url

    def add_catalogue_routes(self, functions: dict[str, lambda_.IFunction]) -> None:
        """One integration per function, one route per catalogue Route."""
        integration_by_function = {
            name: integrations.HttpLambdaIntegration(f"{name}-integration", function)
            for name, function in functions.items()
        }
        for route in catalogue.ROUTES:
            if route.auth not in (catalogue.JWT, catalogue.PUBLIC, catalogue.WEBHOOK):
                raise ValueError(f"{route.route_key}: unknown auth kind {route.auth!r}")
            authorizer = self.authorizer if route.auth == catalogue.JWT else apigw.HttpNoneAuthorizer()
            (created,) = self.http_api.add_routes(
                path=route.path,
                methods=[_method(route.method)],
                integration=integration_by_function[route.function],
                authorizer=authorizer,
            )
            self.routes[route.route_key] = created


@jsii.implements(apigw.IAccessLogSettings)
class _AccessLogs:
    """JSON access log lines into a log group (IAccessLogSettings is an interface without a class)."""

    def __init__(self, log_group: logs.ILogGroup) -> None:
        self._log_group = log_group

    @property
    def destination(self) -> apigw.IAccessLogDestination:
        return apigw.LogGroupLogDestination(self._log_group)

    @property
    def format(self) -> apigateway_v1.AccessLogFormat:
        return apigateway_v1.AccessLogFormat.custom(_json_format(ACCESS_LOG_FORMAT))


def _json_format(fields: dict[str, str]) -> str:
    # Numbers stay strings: $context values may be "-" when absent.
    return "{" + ",".join(f'"{key}":"{value}"' for key, value in fields.items()) + "}"
