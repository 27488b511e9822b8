"""CloudFormation custom resource (CDK Provider framework): on create and whenever the SQL
changes, sets up the databases and roles and applies the migrations. Deleting the stack never
drops data, so Delete does nothing."""

import json
import os

from nova_bridge.adapters import migrations

PHYSICAL_ID = "nova-migrations"


def _secret(arn: str) -> dict:
    import boto3

    return json.loads(boto3.client("secretsmanager").get_secret_value(SecretId=arn)["SecretString"])


def _admin_conninfo() -> str:
    url = os.environ.get("NOVA_DATABASE_ADMIN_URL")  # local runs and tests
    if url:
        return url
    import psycopg

    admin = _secret(os.environ["NOVA_DB_ADMIN_SECRET_ARN"])
    return psycopg.conninfo.make_conninfo(
        host=os.environ.get("NOVA_DB_WRITER_HOST") or admin["host"], port=admin.get("port", 5432),
        user=admin["username"], password=admin["password"], dbname="postgres", sslmode="require")


def lambda_handler(event, context):
    if event.get("RequestType") == "Delete":
        return {"PhysicalResourceId": event.get("PhysicalResourceId", PHYSICAL_ID)}
    props = event.get("ResourceProperties", {})
    goalert = _secret(props["GoalertSecretArn"]) if props.get("GoalertSecretArn") else {}
    applied = migrations.provision(
        _admin_conninfo(),
        database=props.get("DatabaseName", os.environ.get("NOVA_DB_NAME", "nova_bridge")),
        app_user=props.get("AppUser", os.environ.get("NOVA_DB_USER", "nova_app")),
        goalert_database=props.get("GoalertDatabase") if goalert else None,
        goalert_user=goalert.get("username"),
        goalert_password=goalert.get("password"),
    )
    return {"PhysicalResourceId": PHYSICAL_ID,
            "Data": {"Applied": ",".join(applied) or "none", "Version": str(migrations.available()[-1].version)}}
