"""The baseline of scripts/bench_synth.py: the smallest useful CDK app, one bucket."""
import aws_cdk as cdk
from aws_cdk import aws_s3 as s3

app = cdk.App()
s3.Bucket(cdk.Stack(app, "OneBucket"), "Bucket")
app.synth()
