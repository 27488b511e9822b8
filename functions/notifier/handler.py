"""Notifier worker: consumes the notifications queue (alert.notified) and delivers each page
through Nova Comms, falling back to SES/SNS. boto3 loads only when a fallback is used."""

from nova_bridge.workers.notifier import HANDLERS, default_notifier_deps
from nova_bridge.workers.runtime import SqsWorker

lambda_handler = SqsWorker("notifier", HANDLERS, default_notifier_deps, targets=["nova_comms"])
