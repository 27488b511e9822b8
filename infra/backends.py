"""GoAlert and Uptime Kuma on ECS Fargate, each private behind an internal load balancer.

GoAlert keeps its data in its own database on the Aurora cluster; Kuma 2.x keeps its data in
MariaDB on RDS (Kuma does not support SQLite on EFS/NFS)."""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_ecs_patterns as ecs_patterns
from aws_cdk import aws_logs as logs
from aws_cdk import aws_rds as rds
from aws_cdk import aws_s3 as s3
from constructs import Construct

from infra.config import EnvironmentConfig, log_retention
from infra.data import GOALERT_DB_NAME, POSTGRES_PORT, ROTATION_PERIOD, URL_UNSAFE_CHARACTERS, Database
from infra.network import Network
from infra.secrets import IntegrationSecrets

GOALERT_IMAGE = "goalert/goalert:v0.34.1"
KUMA_IMAGE = "louislam/uptime-kuma:2"
GOALERT_PORT = 8081
KUMA_PORT = 3001
KUMA_DB_NAME = "kuma"
KUMA_DB_PORT = 3307  # not MariaDB's default
LISTENER_PORT = 80

# GoAlert takes one database URL; the task builds it from the rotated secret's fields at start.
# ($VAR, not ${VAR}: CloudFormation linters read ${...} as a Fn::Sub placeholder.)
GOALERT_START = (
    f'export GOALERT_DB_URL="postgres://$DB_USER:$DB_PASSWORD@$DB_HOST:{POSTGRES_PORT}/{GOALERT_DB_NAME}'
    '?sslmode=require"; exec goalert'
)


class Backends(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, config: EnvironmentConfig, network: Network,
                 database: Database, secrets: IntegrationSecrets) -> None:
        super().__init__(scope, construct_id)
        self.config = config
        self.network = network
        removal = RemovalPolicy.RETAIN if config.is_prod else RemovalPolicy.DESTROY
        self.cluster = ecs.Cluster(
            self, "Cluster", cluster_name=config.prefix, vpc=network.vpc,
            container_insights_v2=ecs.ContainerInsights.ENABLED,
        )
        self.access_log_bucket = s3.Bucket(
            self, "LoadBalancerLogs",
            encryption=s3.BucketEncryption.S3_MANAGED,  # the only encryption ALB log delivery supports
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            lifecycle_rules=[s3.LifecycleRule(expiration=Duration.days(90))],
            removal_policy=removal,
            auto_delete_objects=not config.is_prod,
        )
        self.kuma_db = self._kuma_database(removal)

        self.goalert = self._service(
            "Goalert",
            image=GOALERT_IMAGE,
            port=GOALERT_PORT,
            cpu=config.goalert_cpu,
            memory_mb=config.goalert_memory_mb,
            desired_count=config.backend_desired_count,
            health_path="/health",
            entry_point=["/bin/sh", "-c"],
            command=[GOALERT_START],
            environment={"GOALERT_LISTEN": f":{GOALERT_PORT}"},
            secrets={
                "DB_HOST": ecs.Secret.from_secrets_manager(database.goalert_secret, "host"),
                "DB_USER": ecs.Secret.from_secrets_manager(database.goalert_secret, "username"),
                "DB_PASSWORD": ecs.Secret.from_secrets_manager(database.goalert_secret, "password"),
                "GOALERT_DATA_ENCRYPTION_KEY": ecs.Secret.from_secrets_manager(secrets.goalert_encryption_key),
            },
        )
        self.kuma = self._service(
            "Kuma",
            image=KUMA_IMAGE,
            port=KUMA_PORT,
            cpu=config.kuma_cpu,
            memory_mb=config.kuma_memory_mb,
            desired_count=1,  # Kuma runs every check in-process: a second task would check twice
            health_path="/api/entry-page",
            environment={
                "UPTIME_KUMA_DB_TYPE": "mariadb",
                "UPTIME_KUMA_DB_HOSTNAME": self.kuma_db.db_instance_endpoint_address,
                "UPTIME_KUMA_DB_PORT": str(KUMA_DB_PORT),
                "UPTIME_KUMA_DB_NAME": KUMA_DB_NAME,
            },
            secrets={
                "UPTIME_KUMA_DB_USERNAME": ecs.Secret.from_secrets_manager(self.kuma_db.secret, "username"),
                "UPTIME_KUMA_DB_PASSWORD": ecs.Secret.from_secrets_manager(self.kuma_db.secret, "password"),
            },
        )
        # GoAlert's links point at its own load balancer (known only after it exists).
        self.goalert.task_definition.default_container.add_environment("GOALERT_PUBLIC_URL", self.goalert_url)
        self.kuma_db.connections.allow_default_port_from(network.backends_sg, "Kuma to MariaDB")

    @property
    def goalert_url(self) -> str:
        return f"http://{self.goalert.load_balancer.load_balancer_dns_name}"

    @property
    def kuma_url(self) -> str:
        return f"http://{self.kuma.load_balancer.load_balancer_dns_name}"

    @property
    def function_environment(self) -> dict[str, str]:
        return {"GOALERT_URL": self.goalert_url, "KUMA_URL": self.kuma_url}

    def _kuma_database(self, removal: RemovalPolicy) -> rds.DatabaseInstance:
        instance = rds.DatabaseInstance(
            self,
            "KumaDb",
            engine=rds.DatabaseInstanceEngine.maria_db(version=rds.MariaDbEngineVersion.VER_11_4_9),
            instance_identifier=f"{self.config.prefix}-kuma",
            instance_type=ec2.InstanceType(self.config.kuma_db_instance_type),
            credentials=rds.Credentials.from_generated_secret(
                "kuma", secret_name=f"{self.config.prefix}/db/kuma", exclude_characters=URL_UNSAFE_CHARACTERS,
            ),
            database_name=KUMA_DB_NAME,
            port=KUMA_DB_PORT,
            vpc=self.network.vpc,
            vpc_subnets=self.network.data_subnets,
            allocated_storage=self.config.kuma_db_storage_gb,
            max_allocated_storage=self.config.kuma_db_storage_gb * 5,
            storage_encrypted=True,
            multi_az=self.config.kuma_db_multi_az,
            backup_retention=Duration.days(self.config.backup_retention_days),
            deletion_protection=self.config.deletion_protection,
            removal_policy=RemovalPolicy.SNAPSHOT if self.config.is_prod else removal,
            cloudwatch_logs_exports=["error", "slowquery"],
            cloudwatch_logs_retention=log_retention(self.config.log_retention_days),
            auto_minor_version_upgrade=True,
        )
        instance.add_rotation_single_user(
            automatically_after=ROTATION_PERIOD, exclude_characters=URL_UNSAFE_CHARACTERS,
            vpc_subnets=self.network.app_subnets,
        )
        return instance

    def _service(self, name: str, *, image: str, port: int, cpu: int, memory_mb: int, desired_count: int,
                 health_path: str, environment: dict[str, str], secrets: dict[str, ecs.Secret],
                 entry_point: list[str] | None = None, command: list[str] | None = None,
                 ) -> ecs_patterns.ApplicationLoadBalancedFargateService:
        log_group = logs.LogGroup(
            self, f"{name}Logs", log_group_name=f"/ecs/{self.config.prefix}-{name.lower()}",
            retention=log_retention(self.config.log_retention_days), removal_policy=RemovalPolicy.DESTROY,
        )
        service = ecs_patterns.ApplicationLoadBalancedFargateService(
            self,
            name,
            cluster=self.cluster,
            service_name=f"{self.config.prefix}-{name.lower()}",
            load_balancer_name=f"{self.config.prefix}-{name.lower()}"[:32],
            public_load_balancer=False,
            open_listener=False,
            listener_port=LISTENER_PORT,
            cpu=cpu,
            memory_limit_mib=memory_mb,
            desired_count=desired_count,
            task_subnets=self.network.app_subnets,
            security_groups=[self.network.backends_sg],
            assign_public_ip=False,
            circuit_breaker=ecs.DeploymentCircuitBreaker(rollback=True),
            min_healthy_percent=100 if desired_count > 1 else 0,
            health_check_grace_period=Duration.minutes(3),
            runtime_platform=ecs.RuntimePlatform(
                cpu_architecture=ecs.CpuArchitecture.X86_64,
                operating_system_family=ecs.OperatingSystemFamily.LINUX,
            ),
            task_image_options=ecs_patterns.ApplicationLoadBalancedTaskImageOptions(
                image=ecs.ContainerImage.from_registry(image),
                container_name=name.lower(),
                container_port=port,
                environment=environment,
                secrets=secrets,
                entry_point=entry_point,
                command=command,
                log_driver=ecs.LogDrivers.aws_logs(stream_prefix=name.lower(), log_group=log_group),
            ),
        )
        service.target_group.configure_health_check(
            path=health_path, healthy_http_codes="200-399", interval=Duration.seconds(30),
        )
        service.target_group.set_attribute("deregistration_delay.timeout_seconds", "30")
        service.load_balancer.log_access_logs(self.access_log_bucket, prefix=name.lower())
        service.load_balancer.connections.allow_from(
            self.network.functions_sg, ec2.Port.tcp(LISTENER_PORT), f"Bridge functions to {name}",
        )
        for cidr in self.config.admin_cidrs:
            service.load_balancer.connections.allow_from(
                ec2.Peer.ipv4(cidr), ec2.Port.tcp(LISTENER_PORT), f"Admin network to {name}",
            )
        return service

