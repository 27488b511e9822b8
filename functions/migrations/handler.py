"""CloudFormation custom resource (via the CDK Provider framework): applies SQL migrations on
every deploy. Deleting the stack never drops data, so Delete is a no-op."""

import os

from nova_bridge.adapters import migrations


def _conninfo() -> str:
    url = os.environ.get("NOVA_DATABASE_URL")
    if url:
        return url
    # Deployed: migrate with the cluster's master secret (DDL needs the owner), not the app's IAM user.
    import json

    import boto3
    import psycopg

    secret = json.loads(boto3.client("secretsmanager").get_secret_value(
        SecretId=os.environ["NOVA_DB_ADMIN_SECRET_ARN"])["SecretString"])
    return psycopg.conninfo.make_conninfo(host=secret["host"], port=secret.get("port", 5432), user=secret["username"],
                                          password=secret["password"], dbname=os.environ.get("NOVA_DB_NAME", "nova"),
                                          sslmode="require")


def lambda_handler(event, context):
    if event.get("RequestType") == "Delete":
        return {"PhysicalResourceId": event.get("PhysicalResourceId", "nova-migrations")}
    applied = migrations.apply(_conninfo())
    latest = migrations.available()[-1]
    return {"PhysicalResourceId": "nova-migrations",
            "Data": {"Applied": ",".join(applied) or "none", "Version": str(latest.version)}}
