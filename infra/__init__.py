"""CDK constructs of the Nova monitoring bridge, one module per concern.

`app.py` builds one `NovaBridgeStage` (see `infra.stage`) for the environment chosen with
`-c env=dev|staging|prod`; settings come from `cdk.json` (see `infra.config`).
"""
