"""Nova monitoring bridge: the shared package every Lambda function loads.

`domain` holds business rules and imports nothing from AWS; `adapters` talk to PostgreSQL,
EventBridge/SQS, GoAlert, Uptime Kuma, Nova Comms, SES and SNS; `api` turns API Gateway events
into calls of the domain and shapes RFC 9457 problems.
"""
