"""Aurora PostgreSQL Serverless v2 behind RDS Proxy (IAM auth end to end), its secrets and the
custom resource that applies the bridge's migrations on every deploy that changes them."""

from __future__ import annotations

import hashlib

from aws_cdk import CustomResource, Duration, RemovalPolicy
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_rds as rds
from aws_cdk import custom_resources as cr
from constructs import Construct

from infra.config import EnvironmentConfig, log_retention
from infra.network import Network
from infra.packaging import MIGRATIONS_DIR

DATABASE_NAME = "nova_bridge"
APP_DB_USER = "nova_app"  # created by the migrations function with GRANT rds_iam
GOALERT_DB_NAME = "goalert"
GOALERT_DB_USER = "goalert"
POSTGRES_PORT = 5432
ROTATION_PERIOD = Duration.days(30)
# Characters that would need escaping in GoAlert's postgres:// URL.
URL_UNSAFE_CHARACTERS = " %+~`#$&*()|[]{}:;<>?!'/@\"\\"


def migrations_fingerprint() -> str:
    """Hash of the migration files: the custom resource runs again exactly when they change."""
    digest = hashlib.sha256()
    for path in sorted(MIGRATIONS_DIR.rglob("*.sql")) if MIGRATIONS_DIR.is_dir() else []:
        digest.update(path.relative_to(MIGRATIONS_DIR).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


class Database(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, config: EnvironmentConfig, network: Network) -> None:
        super().__init__(scope, construct_id)
        self.config = config
        self.network = network
        self.key = kms.Key(
            self, "Key", description=f"{config.prefix} Aurora storage", enable_key_rotation=True,
            removal_policy=RemovalPolicy.RETAIN if config.is_prod else RemovalPolicy.DESTROY,
        )
        readers = (
            [rds.ClusterInstance.serverless_v2("Reader", scale_with_writer=True)] if config.aurora_reader else []
        )
        self.cluster = rds.DatabaseCluster(
            self,
            "Cluster",
            engine=rds.DatabaseClusterEngine.aurora_postgres(version=rds.AuroraPostgresEngineVersion.VER_16_6),
            cluster_identifier=config.prefix,
            credentials=rds.Credentials.from_generated_secret("nova_admin", secret_name=f"{config.prefix}/db/admin"),
            default_database_name=DATABASE_NAME,
            writer=rds.ClusterInstance.serverless_v2("Writer"),
            readers=readers,
            serverless_v2_min_capacity=config.aurora_min_acu,
            serverless_v2_max_capacity=config.aurora_max_acu,
            vpc=network.vpc,
            vpc_subnets=network.data_subnets,
            storage_encrypted=True,
            storage_encryption_key=self.key,
            iam_authentication=True,
            backup=rds.BackupProps(retention=Duration.days(config.backup_retention_days), preferred_window="03:00-04:00"),
            deletion_protection=config.deletion_protection,
            removal_policy=RemovalPolicy.SNAPSHOT if config.is_prod else RemovalPolicy.DESTROY,
            cloudwatch_logs_exports=["postgresql"],
            cloudwatch_logs_retention=log_retention(config.log_retention_days),
            copy_tags_to_snapshot=True,
        )
        self.admin_secret = self.cluster.secret
        self.cluster.add_rotation_single_user(automatically_after=ROTATION_PERIOD, vpc_subnets=network.app_subnets)

        # GoAlert keeps its own database on the cluster, with its own password user; alternating
        # users keep the previous password valid while a running task still holds it.
        self.goalert_secret = rds.DatabaseSecret(
            self, "GoalertSecret", username=GOALERT_DB_USER, dbname=GOALERT_DB_NAME,
            secret_name=f"{config.prefix}/db/goalert", master_secret=self.admin_secret,
            exclude_characters=URL_UNSAFE_CHARACTERS,
        ).attach(self.cluster)
        self.cluster.add_rotation_multi_user(
            "GoalertRotation", secret=self.goalert_secret, automatically_after=ROTATION_PERIOD,
            exclude_characters=URL_UNSAFE_CHARACTERS, vpc_subnets=network.app_subnets,
        )

        # Functions authenticate to the proxy with IAM and the proxy to the database with IAM:
        # no application password exists to leak or rotate.
        self.proxy = self.cluster.add_proxy(
            "Proxy",
            db_proxy_name=config.prefix,
            vpc=network.vpc,
            vpc_subnets=network.app_subnets,
            iam_auth=True,
            default_auth_scheme=rds.DefaultAuthScheme.IAM_AUTH,
            require_tls=True,
            borrow_timeout=Duration.seconds(10),
        )
        self.proxy.connections.allow_from(network.functions_sg, ec2.Port.tcp(POSTGRES_PORT), "Functions to RDS Proxy")
        self.cluster.connections.allow_from(
            network.migrations_sg, ec2.Port.tcp(POSTGRES_PORT), "Migrations to the writer"
        )
        self.cluster.connections.allow_from(network.backends_sg, ec2.Port.tcp(POSTGRES_PORT), "GoAlert to its database")

    @property
    def function_environment(self) -> dict[str, str]:
        return {
            "NOVA_DB_HOST": self.proxy.endpoint,
            "NOVA_DB_PORT": str(POSTGRES_PORT),
            "NOVA_DB_NAME": DATABASE_NAME,
            "NOVA_DB_USER": APP_DB_USER,
            "NOVA_DB_IAM_AUTH": "true",
        }

    def grant_connect(self, function: lambda_.IFunction) -> None:
        self.proxy.grant_connect(function, APP_DB_USER)

    def apply_migrations_on_deploy(self, migrations: lambda_.Function) -> CustomResource:
        """Provider + custom resource running the `migrations` function on create and update."""
        self.admin_secret.grant_read(migrations)
        self.goalert_secret.grant_read(migrations)
        provider_logs = logs.LogGroup(
            self, "MigrationsProviderLogs", retention=log_retention(self.config.log_retention_days),
            removal_policy=RemovalPolicy.DESTROY,
        )
        provider = cr.Provider(self, "MigrationsProvider", on_event_handler=migrations, log_group=provider_logs)
        resource = CustomResource(
            self,
            "Migrations",
            service_token=provider.service_token,
            resource_type="Custom::NovaMigrations",
            properties={
                "MigrationsHash": migrations_fingerprint(),
                "DatabaseName": DATABASE_NAME,
                "AppUser": APP_DB_USER,
                "GoalertDatabase": GOALERT_DB_NAME,
                "GoalertSecretArn": self.goalert_secret.secret_arn,
            },
        )
        resource.node.add_dependency(self.cluster)
        return resource
