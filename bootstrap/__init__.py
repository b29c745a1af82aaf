"""What an administrator deploys once per target account before the promotion workflow can run:
the GitHub OIDC provider, the workflow's roles and the CloudFormation execution policy (README's
"Promotion across accounts"). A CDK app of its own (bootstrap/app.py), not a stack of the lake."""
