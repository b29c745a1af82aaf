"""Runs the synthesized state machines in moto, against moto's EMR, Glue, SSM, SNS and Lambda.

moto executes Amazon States Language (`execute_state_machine`) with its `aws-sdk:` integrations
calling its own backends, and `lambda:invoke` calling its Lambda backend. What moto does not do
on its own, and what this module adds (by patching moto, never the code under test):

* Lambda needs Docker to run a function: the pipeline cluster handler runs in-process instead,
  with the function's environment, so its boto3 calls reach moto like the state machine's.
* EMR clusters are WAITING at once and steps never finish: a planned outcome per cluster (by
  creation order) and per step (by step name) sets their states, StateChangeReason.Code
  included (moto reports only a message).
* Glue Data Quality is not implemented: the three calls the pipeline makes are added, with a
  planned score per ruleset.
* aws-sdk results keep boto3's datetime objects, which moto then cannot serialize into the
  execution's output; Step Functions returns timestamps as text, and so does the patch. For
  Step Functions' own API (camelCase on the wire) a task names parameters and reads results
  in PascalCase ("Parameters in Step Functions are expressed in PascalCase"); moto passes
  them through unchanged, the patch converts as Step Functions does.
* GetExecutionHistory's reverseOrder (newest first), which moto ignores.
* Timing: moto really sleeps, so the plan sets the time. A Wait state waits the seconds the
  plan gives its name (0 unless planned; `UNTIL_STOPPED` holds a run there until it is stopped
  or times out) instead of its Seconds; a Retry's pause (ASL's shortest is 1 s) takes no time;
  `time_out` ends an execution as its TimeoutSeconds elapsing would. The definitions
  themselves run as synthesized.
* Speed, same results: moto parses a definition and each JSONPath again at every use and
  creates a boto3 client for every service task; the parses and clients are kept for the
  session. `wait` joins the execution's thread instead of polling it.

The definitions come from the synthesized templates, rendered with iam_policy.render and the
physical names of what this module creates in moto.
"""
import datetime
import functools
import importlib
import io
import json
import logging
import os
import pkgutil
import sys
import threading
import time
import types
import uuid
import zipfile
from dataclasses import dataclass, field

import boto3
import jsonpath_ng
import jsonpath_ng.ext
from moto.awslambda.models import LambdaFunction
from moto.emr.models import Cluster, ElasticMapReduceBackend, Step
from moto.events.models import EventPattern
from moto.glue.responses import GlueResponse
from moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_aws_sdk import (
    StateTaskServiceAwsSdk,
)
from moto.stepfunctions.parser.asl.component.state.wait.state_wait import StateWait
from moto.stepfunctions.parser.asl.utils.boto_client import boto_client_for as moto_client_for
from moto.stepfunctions.parser.backend.execution_worker import ExecutionWorker
from moto.stepfunctions.parser.models import stepfunctions_parser_backends
from moto.stepfunctions.parser.utils import TMP_THREADS

from tests.aws_contracts.iam_policy import ACCOUNT, REGION, render
from tests.helpers import ROOT

HANDLER = ROOT / "lambdas" / "pipeline_cluster" / "handler.py"
PASSWORD = "kdc-admin-" + uuid.uuid4().hex
TERMINAL = ("SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED")
# A Wait that lasts until its execution is stopped or times out (a stop ends a Wait at once).
UNTIL_STOPPED = 24 * 3600


@functools.cache
def client(service: str):
    """A boto3 client for moto, kept for the session: creating one costs more than most calls,
    and moto intercepts every client's calls while a mock is active (boto3 clients are thread-safe)."""
    return boto3.client(service, region_name=REGION)


@dataclass
class ClusterOutcome:
    state: str = "WAITING"
    code: str | None = None
    message: str | None = None


@dataclass
class StepOutcome:
    state: str = "COMPLETED"
    polls: int = 1
    failure: dict | None = None


@dataclass
class Plan:
    """What moto's EMR and Glue do next."""

    clusters: list[ClusterOutcome] = field(default_factory=list)
    steps: dict[str, StepOutcome] = field(default_factory=dict)
    quality_scores: dict[str, float] = field(default_factory=dict)
    lambda_error: str | None = None
    waits: dict[str, float] = field(default_factory=dict)  # Wait state name -> seconds (default 0)


def install(monkeypatch, plan: Plan) -> None:
    monkeypatch.setenv("MOTO_ACCOUNT_ID", ACCOUNT)
    # moto logs every failed state with the whole parsed program; the tests read the history.
    logging.getLogger("moto.stepfunctions").setLevel(logging.CRITICAL)
    _patch_lambda(monkeypatch, plan)
    _patch_emr(monkeypatch, plan)
    _patch_data_quality(monkeypatch, plan)
    _patch_sdk_results(monkeypatch)
    _patch_timing(monkeypatch, plan)
    _patch_history_order(monkeypatch)
    _cache_definition_parses(monkeypatch)
    _cache_json_paths(monkeypatch)
    _cache_sdk_clients(monkeypatch)
    _keep_execution_threads(monkeypatch)


def _patch_timing(monkeypatch, plan: Plan) -> None:
    from moto.stepfunctions.parser.asl.component.common.retry import retrier_decl

    def wait_state(state, env):
        state.wait_function._get_wait_seconds(env)  # the definition's Seconds still evaluate
        state.wait_function._wait_interval(env=env, wait_seconds=plan.waits.get(state.name, 0))
        if state.assign_decl:
            state.assign_decl.eval(env=env)

    monkeypatch.setattr(StateWait, "_eval_state", wait_state)
    # The retrier pauses with time.sleep, its module's only use of time.
    monkeypatch.setattr(retrier_decl, "time", types.SimpleNamespace(sleep=lambda seconds: None))


def _patch_history_order(monkeypatch) -> None:
    """GetExecutionHistory with reverseOrder lists the newest event first ("Lists events in
    descending order of their timeStamp"); moto ignores the parameter."""
    from moto.stepfunctions.responses import StepFunctionResponse

    plain = StepFunctionResponse.get_execution_history

    def get_execution_history(self):
        result = plain(self)
        if self._get_param("reverseOrder"):
            result.result["events"] = list(reversed(result.result["events"]))
        return result

    monkeypatch.setattr(StepFunctionResponse, "get_execution_history", get_execution_history)


def time_out(execution: str) -> None:
    """Ends `execution` as moto does when its TimeoutSeconds elapse: the program is timed out and
    every state still running ends (a Wait at once), with no Catch."""
    _backend().describe_execution(execution).exec_worker.env.set_timed_out()


# JSONPath expressions, by their text: moto parses one with jsonpath_ng (a ply grammar built for
# each parse, milliseconds each) at every use, hundreds of times a run. A parsed path holds no data.
_json_path = functools.cache(jsonpath_ng.ext.parse)
_result_path = functools.cache(jsonpath_ng.parse)


def _cache_json_paths(monkeypatch) -> None:
    from moto.stepfunctions.parser.asl.component.common.path import result_path
    from moto.stepfunctions.parser.asl.utils import json_path

    monkeypatch.setattr(json_path, "parse", _json_path)
    monkeypatch.setattr(result_path, "parse", _result_path)


_sdk_client = functools.cache(moto_client_for)


def _cache_sdk_clients(monkeypatch) -> None:
    """moto creates a boto3 client for each service task and Lambda invocation it runs; one per
    service serves them all. Its boto_client_for builds the same client whatever the state's
    credentials (it never reads them), so the cache does too."""

    def boto_client_for(region: str, service: str, state_credentials=None):
        return _sdk_client(region, service)

    for module in _modules_calling_boto_client_for():
        monkeypatch.setattr(module, "boto_client_for", boto_client_for)


@functools.cache
def _modules_calling_boto_client_for() -> tuple:
    # Each imports the function by name; moto imports some only when a definition uses them.
    import moto.stepfunctions.parser.asl.component.state.exec as package

    for module in pkgutil.walk_packages(package.__path__, f"{package.__name__}."):
        importlib.import_module(module.name)
    return tuple(
        module for name, module in list(sys.modules.items())
        if name.startswith("moto.stepfunctions.parser.") and getattr(module, "boto_client_for", None) is moto_client_for
    )


def _keep_execution_threads(monkeypatch) -> None:
    """moto's execution worker, keeping its thread (for `wait` to join)."""

    def start(worker):
        worker.thread = threading.Thread(target=worker._execution_logic, daemon=True)
        TMP_THREADS.append(worker.thread)
        worker.thread.start()

    monkeypatch.setattr(ExecutionWorker, "start", start)


def _backend():
    return stepfunctions_parser_backends[ACCOUNT][REGION]


# Parsed definitions, by their text: moto parses a definition when a state machine is created and
# again for every execution, in pure-Python ANTLR (a quarter of a second for the pipeline). The
# evaluation components are reused as moto itself reuses them across the concurrent iterations of
# a Map state: they hold no execution's state, which lives in each execution's environment.
_PARSED: dict[str, tuple] = {}


def _cache_definition_parses(monkeypatch) -> None:
    from antlr4 import CommonTokenStream, InputStream

    from moto.stepfunctions.parser.asl.antlr.runtime.ASLLexer import ASLLexer
    from moto.stepfunctions.parser.asl.antlr.runtime.ASLParser import ASLParser
    from moto.stepfunctions.parser.asl.parse import asl_parser
    from moto.stepfunctions.parser.asl.parse.preprocessor import Preprocessor

    def parse(definition: str):
        if definition not in _PARSED:
            errors = asl_parser.SyntaxErrorListener()
            parser = ASLParser(CommonTokenStream(ASLLexer(InputStream(definition))))
            parser.removeErrorListeners()
            parser.addErrorListener(errors)
            tree = parser.state_machine()
            if errors.errors:
                raise asl_parser.ASLParserException(errors=errors.errors)
            _PARSED[definition] = (Preprocessor().visit(tree), tree)
        return _PARSED[definition]

    monkeypatch.setattr(asl_parser.AmazonStateLanguageParser, "parse", staticmethod(parse))


def _patch_sdk_results(monkeypatch) -> None:
    original = StateTaskServiceAwsSdk._eval_service_task

    def eval_service_task(task, env, resource_runtime_part, normalised_parameters, *args, **kwargs):
        camel_case_api = task.resource.api_name == "sfn"
        if camel_case_api:  # the task names parameters in PascalCase, the API in camelCase
            normalised_parameters = {key[0].lower() + key[1:]: value for key, value in normalised_parameters.items()}
        original(task, env, resource_runtime_part, normalised_parameters, *args, **kwargs)
        result = json.loads(json.dumps(env.stack.pop(), default=lambda value: value.isoformat()))
        if camel_case_api:
            result = {key[0].upper() + key[1:]: value for key, value in result.items()}
        env.stack.append(result)

    monkeypatch.setattr(StateTaskServiceAwsSdk, "_eval_service_task", eval_service_task)


def _patch_lambda(monkeypatch, plan: Plan) -> None:
    import importlib.util

    spec = importlib.util.spec_from_file_location("pipeline_cluster_handler", HANDLER)
    handler = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(handler)

    def invoke(function, event=None):
        if plan.lambda_error:
            return json.dumps({"errorType": plan.lambda_error, "errorMessage": "planned failure"}), True, ""
        # The function's environment is already the process's (create_function): this runs in an
        # execution thread, which must not change os.environ (see create_function).
        missing = {k: v for k, v in function.environment_vars.items() if os.environ.get(k) != v}
        if missing:
            raise AssertionError(f"the function's environment is not the test's: {sorted(missing)}")
        try:
            result = handler.handler(json.loads(event) if isinstance(event, str) else event)
            return json.dumps(result), False, ""
        except Exception as error:  # the handler's errors reach Step Functions as Lambda does it
            return json.dumps({"errorType": type(error).__name__, "errorMessage": str(error)}), True, ""

    monkeypatch.setattr(LambdaFunction, "_invoke_lambda", invoke)


def _patch_emr(monkeypatch, plan: Plan) -> None:
    original_run = ElasticMapReduceBackend.run_job_flow
    original_add = ElasticMapReduceBackend.add_job_flow_steps
    original_describe = ElasticMapReduceBackend.describe_step
    original_status = Cluster.status
    original_step_status = Step.status

    def run_job_flow(backend, **kwargs):
        cluster = original_run(backend, **kwargs)
        outcome = plan.clusters.pop(0) if plan.clusters else ClusterOutcome()
        cluster.state = outcome.state
        cluster.state_change_code = outcome.code
        cluster.last_state_change_reason = outcome.message
        return cluster

    def status(cluster):
        result = original_status.fget(cluster)
        if getattr(cluster, "state_change_code", None):
            result["StateChangeReason"]["Code"] = cluster.state_change_code
        return result

    def add_job_flow_steps(backend, job_flow_id, steps):
        added = original_add(backend, job_flow_id, steps)
        for step in added:
            step.outcome = plan.steps.get(step.name, StepOutcome())
            step.polls = 0
        return added

    def describe_step(backend, cluster_id, step_id):
        step = original_describe(backend, cluster_id, step_id)
        outcome = getattr(step, "outcome", None)
        if outcome and step.state in ("PENDING", "RUNNING"):
            step.polls += 1
            if outcome.state != "RUNNING" and step.polls >= outcome.polls:
                step.state = outcome.state
                step.failure_details = outcome.failure
        return step

    def step_status(step):
        result = original_step_status.fget(step)
        if getattr(step, "failure_details", None):
            result["FailureDetails"] = step.failure_details
        return result

    monkeypatch.setattr(ElasticMapReduceBackend, "run_job_flow", run_job_flow)
    monkeypatch.setattr(Cluster, "status", property(status))
    monkeypatch.setattr(ElasticMapReduceBackend, "add_job_flow_steps", add_job_flow_steps)
    monkeypatch.setattr(ElasticMapReduceBackend, "describe_step", describe_step)
    monkeypatch.setattr(Step, "status", property(step_status))


def _patch_data_quality(monkeypatch, plan: Plan) -> None:
    runs: dict[str, dict] = {}

    def start(response):
        body = json.loads(response.body)
        run_id = f"dqrun-{uuid.uuid4().hex[:12]}"
        runs[run_id] = body
        return json.dumps({"RunId": run_id})

    def get_run(response):
        run_id = json.loads(response.body)["RunId"]
        return json.dumps({**runs[run_id], "RunId": run_id, "Status": "SUCCEEDED", "ResultIds": [f"result-{run_id}"]})

    def get_result(response):
        run_id = json.loads(response.body)["ResultId"].removeprefix("result-")
        (ruleset,) = runs[run_id]["RulesetNames"]
        score = plan.quality_scores.get(ruleset, 1.0)
        rules = [{"Name": "Rule_1", "Result": "PASS" if score == 1.0 else "FAIL", "EvaluationMessage": "planned"}]
        return json.dumps({"ResultId": f"result-{run_id}", "Score": score, "RulesetName": ruleset, "RuleResults": rules})

    monkeypatch.setattr(GlueResponse, "start_data_quality_ruleset_evaluation_run", start, raising=False)
    monkeypatch.setattr(GlueResponse, "get_data_quality_ruleset_evaluation_run", get_run, raising=False)
    monkeypatch.setattr(GlueResponse, "get_data_quality_result", get_result, raising=False)


# --- definitions from the templates -----------------------------------------------------------


def state_machine_definition(synth, stack: str, prefix: str, names: dict) -> dict:
    """The DefinitionString of the state machine whose logical id starts with `prefix`, rendered."""
    template = synth.template_json(stack)
    (machine,) = [
        r for k, r in template["Resources"].items() if r["Type"] == "AWS::StepFunctions::StateMachine" and k.startswith(prefix)
    ]
    return json.loads(render(machine["Properties"]["DefinitionString"], template, names, all_templates(synth)))


def all_templates(synth) -> dict:
    return {stack.stack_name: synth.template_json(short) for short, stack in synth.stacks.items()}


def resource_ids(synth, stack: str, type_: str) -> list[str]:
    return [k for k, r in synth.template_json(stack)["Resources"].items() if r["Type"] == type_]


# --- what the stacks would have deployed, in moto ---------------------------------------------


def create_function(synth, name: str, monkeypatch) -> str:
    """The pipeline cluster function with its synthesized environment, rendered; returns its ARN.

    Its environment, and the region the Lambda runtime sets, become the test process's, here in
    the test thread before any execution starts: the handler runs in moto's execution threads,
    and changing os.environ there races every other thread's moto call (moto reads
    MOTO_ACCOUNT_ID from os.environ on each request, and mock_aws deletes its fake credentials
    from it on exit)."""
    template = synth.template_json("pipeline")
    (function_id,) = resource_ids(synth, "pipeline", "AWS::Lambda::Function")
    environment = template["Resources"][function_id]["Properties"]["Environment"]["Variables"]
    secret_arn = client("secretsmanager").create_secret(Name=f"kdc-{uuid.uuid4().hex[:8]}", SecretString=PASSWORD)["ARN"]
    secret_ids = resource_ids(synth, "emr", "AWS::SecretsManager::Secret")
    variables = render(environment, template, {secret_id: secret_arn for secret_id in secret_ids}, all_templates(synth))
    role = client("iam").create_role(RoleName=f"fn-{uuid.uuid4().hex[:8]}", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.write(HANDLER, "handler.py")
    for key, value in {"AWS_DEFAULT_REGION": REGION, **variables}.items():
        monkeypatch.setenv(key, value)
    return client("lambda").create_function(
        FunctionName=name, Runtime="python3.12", Role=role, Handler="handler.handler",
        Code={"ZipFile": archive.getvalue()}, Environment={"Variables": variables},
    )["FunctionArn"]


def create_state_machine(name: str, definition: dict) -> str:
    role = f"arn:aws:iam::{ACCOUNT}:role/{name}"
    return client("stepfunctions").create_state_machine(name=name, definition=json.dumps(definition), roleArn=role)["stateMachineArn"]


def run(arn: str, name: str | None = None, timeout: float = 60) -> dict:
    """Starts an execution and waits for its end; returns describe_execution plus the history."""
    sfn = client("stepfunctions")
    execution = sfn.start_execution(stateMachineArn=arn, name=name or f"run-{uuid.uuid4().hex[:8]}", input="{}")["executionArn"]
    return wait(execution, timeout)


def stop_executions(timeout: float = 30) -> None:
    """Stops every execution still running and waits for the end of every thread moto started for
    executions, so that none outlives the test (and its mock, patches and environment) into the
    next. A stopped execution ends at its current state: a Wait returns at once, a Retry's pause
    or an API call completes first."""
    deadline = time.monotonic() + timeout
    while True:
        for regions in list(stepfunctions_parser_backends.values()):
            for backend in list(regions.values()):
                for execution in backend._get_executions("RUNNING"):
                    if execution.exec_worker.env is not None:  # else not started yet: next round
                        execution.stop(stop_date=datetime.datetime.now(datetime.timezone.utc), error=None, cause=None)
        alive = [thread for thread in TMP_THREADS if thread.is_alive()]
        TMP_THREADS[:] = alive
        if not alive:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"{len(alive)} execution threads still running {timeout}s after their executions were stopped")
        alive[0].join(0.1)


def wait(execution: str, timeout: float = 60) -> dict:
    """Waits for the execution's end (its thread's); returns describe_execution plus the history."""
    _backend().describe_execution(execution).exec_worker.thread.join(timeout)
    described = client("stepfunctions").describe_execution(executionArn=execution)
    if described["status"] not in TERMINAL:
        raise AssertionError(f"execution still {described['status']} after {timeout}s")
    return {**described, "history": history(execution)}


def history(execution: str) -> list[dict]:
    """The execution's events as GetExecutionHistory returns them, read from moto's backend: the
    same events, without serializing a few thousand of them through moto's response layer (about
    two seconds a run). lakeops' own calls still go through the API."""
    return json.loads(json.dumps(_backend().get_execution_history(execution)["events"], default=_api_value))


def _api_value(value):
    # Timestamps are datetimes, as boto3 parses them; enums are their values.
    return value.isoformat() if hasattr(value, "isoformat") else getattr(value, "value", str(value))


def entered(result: dict) -> list[str]:
    """The names of the states the execution entered, in order."""
    return [e["stateEnteredEventDetails"]["name"] for e in result["history"] if "stateEnteredEventDetails" in e]


def pattern_matches(pattern: dict, event: dict) -> bool:
    """EventBridge's matching of `event` against a rule's `pattern` (moto's implementation:
    its TestEventPattern API is a stub)."""
    return EventPattern(None, pattern).matches_event(event)


def clusters(**filters) -> list[dict]:
    emr = client("emr")
    summaries = emr.list_clusters(**filters)["Clusters"]
    return [emr.describe_cluster(ClusterId=c["Id"])["Cluster"] for c in summaries]


def active_clusters() -> list[dict]:
    return clusters(ClusterStates=["STARTING", "BOOTSTRAPPING", "RUNNING", "WAITING"])


def wait_until(condition, timeout: float = 20, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def definition_variant(synth, deployed, *, quality: dict, crawler: str | None = None) -> dict:
    """The stage's pipeline definition rebuilt with other data-quality checks or a curated crawler
    (what the pipeline stack builds for a catalog that declares them), against the deployed function."""
    import aws_cdk as cdk
    from aws_cdk import aws_stepfunctions as sfn

    from lake_constructs.orchestration.pipeline_definition import PipelinePlan, dataset_steps
    from lake_constructs.orchestration.pipeline_states import PipelineStates

    settings = synth.settings
    function_arn = client("lambda").get_function(FunctionName=f"{settings.prefix}-pipeline-cluster")["Configuration"]["FunctionArn"]
    (function_id,) = resource_ids(synth, "pipeline", "AWS::Lambda::Function")
    rendered = state_machine_definition(synth, "pipeline", "Pipeline", {f"{function_id}.Arn": function_arn})
    request = rendered["States"]["CreateCluster"]["Branches"][0]["States"]["RunJobFlow"]["Parameters"]["Payload"]["Request"]
    plan = PipelinePlan(
        steps=dataset_steps(settings, script_uri="s3://assets/job.py", raw_bucket="raw", curated_bucket="curated",
                            database=f"{settings.glue_prefix}_curated", quality=quality),
        log_uri=f"s3://{settings.prefix}-logs-{ACCOUNT}-{REGION}/emr/",
        crawler=crawler,
    )
    stack = cdk.Stack(cdk.App(), "variant")
    states = PipelineStates(stack, "Pipeline", settings=settings, plan=plan, cluster_function=function_arn,
                            cluster_request=request, emr_stack="emr")
    graph = sfn.StateGraph(states.start.start_state, "variant").to_graph_json()
    return json.loads(render(stack.resolve(stack.to_json_string(graph)), {}))
